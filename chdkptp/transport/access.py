"""Turning operating-system USB failures into errors that say how to fix them.

Everything here is text and classification: which ``usb.core.USBError`` means a timeout, an
unplugged camera, a permission problem or a device held by another program, and the per-OS
advice (udev rule, gvfs / gphoto2 auto-mounters, macOS ``ptpcamerad``, Windows WinUSB driver)
that goes into :class:`~chdkptp.errors.DeviceAccessError` messages.
"""

from __future__ import annotations

import errno
import sys

from chdkptp.errors import (
    ChdkPtpError,
    ChdkTimeoutError,
    DeviceAccessError,
    DeviceDisconnectedError,
    TransportError,
)

__all__ = ["access_advice", "busy_advice", "driver_advice", "map_usb_error"]

# libusb error codes as pyusb's libusb1 backend reports them (``USBError.backend_error_code``);
# the errno values come from the OS through Python's errno module.
_LIBUSB_ACCESS = -3
_LIBUSB_NO_DEVICE = -4
_LIBUSB_BUSY = -6
_LIBUSB_TIMEOUT = -7
_LIBUSB_NOT_FOUND = -5
_LIBUSB_NOT_SUPPORTED = -12

_ENODEV = {errno.ENODEV, getattr(errno, "ENXIO", errno.ENODEV), errno.ESHUTDOWN}


def access_advice(platform: str | None = None) -> str:
    """Return the fix for "permission denied" on ``platform`` (default: this OS)."""
    plat = platform or sys.platform
    if plat.startswith("linux"):
        return (
            "On Linux, install the udev rule shipped with chdkptp so your user may open "
            "Canon cameras: `sudo chdkptp doctor --install-udev`, then unplug and replug the "
            "camera (`chdkptp doctor` checks the setup); or run as root."
        )
    if plat == "darwin":
        return (
            "On macOS, the system's ptpcamerad daemon grabs PTP cameras: quit Image Capture/"
            "Photos and run `killall ptpcamerad` before connecting."
        )
    if plat.startswith(("win", "cygwin")):
        return (
            "On Windows, the camera needs a libusb-compatible driver: install WinUSB for it "
            "with Zadig (https://zadig.akeo.ie) and replug the camera."
        )
    return "Check that your user may open USB devices."


def busy_advice(platform: str | None = None) -> str:
    """Return the fix for "device busy" (another program holds the camera) on ``platform``."""
    plat = platform or sys.platform
    if plat.startswith("linux"):
        return (
            "Another program holds the camera: on Linux this is usually the desktop "
            "auto-mounter (gvfs-gphoto2-volume-monitor / gvfsd-gphoto2) or a gphoto2 process; "
            "unmount the camera in the file manager or stop the gvfs gphoto2 monitor "
            "(`systemctl --user stop gvfs-gphoto2-volume-monitor`), then retry."
        )
    if plat == "darwin":
        return (
            "Another program holds the camera: on macOS quit Image Capture/Photos and run "
            "`killall ptpcamerad`, then retry."
        )
    if plat.startswith(("win", "cygwin")):
        return (
            "Another program holds the camera: close other camera software (Canon utilities, "
            "Windows Photos import) and check that the WinUSB driver is installed (Zadig)."
        )
    return "Another program holds the camera; close it and retry."


def driver_advice() -> str:
    """The fix when Windows has no libusb-usable driver bound to the camera."""
    return (
        "On Windows, libusb cannot use the camera's current driver (Windows binds its own "
        "MTP/WPD driver): install WinUSB for the camera with Zadig (https://zadig.akeo.ie), "
        "then replug it."
    )


def map_usb_error(exc: BaseException, what: str, *, platform: str | None = None) -> ChdkPtpError:
    """Map a pyusb exception raised while doing ``what`` into the chdkptp error tree.

    Timeouts → :class:`ChdkTimeoutError`; device gone → :class:`DeviceDisconnectedError`;
    permission, busy or (Windows) a driver libusb cannot use → :class:`DeviceAccessError` with
    the advice for ``platform`` (default: this OS; ``.cause`` is ``"permission"``, ``"busy"``
    or ``"driver"``); everything else → :class:`TransportError`.  The caller raises the
    result ``from exc``.
    """
    plat = platform or sys.platform
    code = getattr(exc, "backend_error_code", None)
    err = getattr(exc, "errno", None)
    text = str(exc) or type(exc).__name__
    if type(exc).__name__ == "USBTimeoutError" or code == _LIBUSB_TIMEOUT or err == errno.ETIMEDOUT:
        return ChdkTimeoutError(f"USB timeout while {what}")
    if code == _LIBUSB_NO_DEVICE or err in _ENODEV:
        return DeviceDisconnectedError(f"camera left the bus while {what} ({text})")
    if code == _LIBUSB_ACCESS or err in (errno.EACCES, errno.EPERM):
        return DeviceAccessError(
            f"permission denied while {what} ({text}). {access_advice(plat)}",
            cause="permission",
        )
    if code == _LIBUSB_BUSY or err == errno.EBUSY:
        return DeviceAccessError(f"device busy while {what} ({text}). {busy_advice(plat)}",
                                 cause="busy")
    if plat.startswith(("win", "cygwin")) and code in (_LIBUSB_NOT_SUPPORTED, _LIBUSB_NOT_FOUND):
        return DeviceAccessError(f"cannot use the camera while {what} ({text}). "
                                 f"{driver_advice()}", cause="driver")
    return TransportError(f"USB error while {what}: {text}", errno=err, backend_error_code=code)

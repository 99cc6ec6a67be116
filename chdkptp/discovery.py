"""Finding cameras on USB: listing Canon PTP devices and choosing one by serial, model, bus/address.

Discovery reads descriptors and string descriptors only (no PTP session), always through an
explicit pyusb backend: libusb-package's bundled libusb by default, or the ``backend`` the
caller passes (``chdkptp.sim.SimulatedBackend`` in tests).  Also home of the Linux udev rule
helpers (``chdkptp doctor --udev`` prints it, ``--install-udev`` installs it; :func:`main`
offers the same without the CLI).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import usb.core

from chdkptp._generated.usb_codes import CanonProductId, UsbVendorId
from chdkptp.errors import CameraNotFoundError, DeviceAccessError
from chdkptp.transport.access import access_advice, map_usb_error
from chdkptp.transport.usb import find_ptp_interface

__all__ = [
    "CameraInfo",
    "default_backend",
    "find_device",
    "install_udev_rules",
    "list_cameras",
    "udev_rules",
]

log = logging.getLogger(__name__)

UDEV_RULES_NAME = "60-chdkptp.rules"
UDEV_RULES_DIR = Path("/etc/udev/rules.d")


@dataclass(frozen=True)
class CameraInfo:
    """One Canon PTP device on the bus (from USB descriptors; no session opened).

    ``serial`` and ``model`` come from the USB string descriptors; when the OS does not let
    us read them (no permission) ``model`` falls back to the product-id table and ``serial``
    is None, and ``access_error`` says why.
    """

    bus: int | None
    address: int | None
    vendor_id: int
    product_id: int
    serial: str | None
    model: str | None
    access_error: str | None = None

    def __str__(self) -> str:
        where = f"bus {self.bus} address {self.address}"
        return (
            f"{self.model or 'unknown model'} (serial {self.serial or '?'}, {where}, "
            f"{self.vendor_id:04x}:{self.product_id:04x})"
        )


def default_backend() -> Any:
    """libusb-package's libusb1 backend (never pyusb's global default).

    Raises ``DeviceAccessError`` if no libusb can be loaded.
    """
    try:
        import libusb_package
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DeviceAccessError("libusb-package is not installed: pip install libusb-package"
                                ) from exc
    backend = libusb_package.get_libusb1_backend()
    if backend is None:  # pragma: no cover - depends on the platform
        raise DeviceAccessError(
            "no libusb library could be loaded (libusb-package has no build for this platform); "
            "install libusb-1.0 from your OS packages"
        )
    return backend


def _is_ptp(device: Any) -> bool:
    try:
        return find_ptp_interface(device) is not None
    except (usb.core.USBError, NotImplementedError, ValueError) as exc:
        log.debug("cannot read descriptors of %s: %s", device, exc)
        return False


def _string(device: Any, attribute: str) -> tuple[str | None, str | None]:
    try:
        value = getattr(device, attribute)
    except (usb.core.USBError, ValueError, NotImplementedError) as exc:
        if isinstance(exc, usb.core.USBError):
            return None, str(map_usb_error(exc, f"reading the {attribute} string"))
        return None, f"cannot read the {attribute} string: {exc}"
    return (str(value) if value is not None else None), None


def _model_from_table(product_id: int) -> str | None:
    pid = CanonProductId.coerce(product_id)
    model = pid.model
    return str(model) if model else None


def _info(device: Any) -> CameraInfo:
    product, err1 = _string(device, "product")
    serial, err2 = _string(device, "serial_number")
    model = product or _model_from_table(int(device.idProduct))
    return CameraInfo(
        bus=getattr(device, "bus", None),
        address=getattr(device, "address", None),
        vendor_id=int(device.idVendor),
        product_id=int(device.idProduct),
        serial=serial,
        model=model,
        access_error=err1 or err2,
    )


def _devices(backend: Any) -> list[Any]:
    be = default_backend() if backend is None else backend
    try:
        found = usb.core.find(find_all=True, idVendor=int(UsbVendorId.CANON), backend=be,
                              custom_match=_is_ptp)
        return list(found or [])
    except usb.core.NoBackendError as exc:  # pragma: no cover - only with a broken backend
        raise DeviceAccessError(f"no USB backend available: {exc}") from exc
    except usb.core.USBError as exc:
        raise map_usb_error(exc, "enumerating USB devices") from exc


def list_cameras(*, backend: Any = None) -> list[CameraInfo]:
    """List Canon devices with a still-image (PTP) interface.

    Uses USB descriptors only (no PTP operation).  ``backend`` is a pyusb backend; None means
    libusb-package's.  Raises ``DeviceAccessError`` if no libusb backend can be loaded.
    """
    return [_info(dev) for dev in _devices(backend)]


def _matches(info: CameraInfo, serial: str | None, model: str | None, bus: int | None,
             address: int | None) -> bool:
    if serial is not None and info.serial != serial:
        return False
    if model is not None and (info.model is None or model.lower() not in info.model.lower()):
        return False
    if bus is not None and info.bus != bus:
        return False
    return address is None or info.address == address


def find_device(
    serial: str | None = None,
    *,
    model: str | None = None,
    bus: int | None = None,
    address: int | None = None,
    backend: Any = None,
) -> tuple[Any, CameraInfo]:
    """Return the first ``(usb.core.Device, CameraInfo)`` matching every given selector.

    ``serial`` must equal the USB serial; ``model`` is a case-insensitive substring of the
    model; ``bus`` / ``address`` must equal.  Raises ``CameraNotFoundError`` listing what was
    found (and access problems that may hide a match).
    """
    if serial is not None and not isinstance(serial, str):
        raise TypeError("serial must be a str")
    if model is not None and not isinstance(model, str):
        raise TypeError("model must be a str")
    for name, value in (("bus", bus), ("address", address)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise TypeError(f"{name} must be an int")
    found: list[CameraInfo] = []
    for dev in _devices(backend):
        info = _info(dev)
        found.append(info)
        if _matches(info, serial, model, bus, address):
            return dev, info
    wanted = ", ".join(
        f"{k}={v!r}" for k, v in
        (("serial", serial), ("model", model), ("bus", bus), ("address", address))
        if v is not None
    ) or "any camera"
    if not found:
        raise CameraNotFoundError(
            f"no Canon PTP camera found ({wanted}). Is the camera on, connected by USB and "
            "running CHDK?", found=[]
        )
    lines = "\n".join(f"  - {info}" for info in found)
    hint = ""
    if any(info.access_error for info in found):
        hint = f"\nSome devices could not be read: {access_advice()}"
    raise CameraNotFoundError(f"no camera matches {wanted}; found:\n{lines}{hint}",
                              found=found)


# --- udev ------------------------------------------------------------------------------------


def udev_rules() -> str:
    """The text of the udev rule shipped with chdkptp (Linux permissions for Canon cameras)."""
    return (resources.files("chdkptp") / "udev" / UDEV_RULES_NAME).read_text(encoding="utf-8")


def install_udev_rules(directory: str | Path = UDEV_RULES_DIR) -> Path:
    """Write the udev rule into ``directory`` (default /etc/udev/rules.d) and return its path.

    Needs root for the system directory; raises ``DeviceAccessError`` if writing is refused.
    Run ``udevadm control --reload`` and replug the camera afterwards.
    """
    target = Path(directory) / UDEV_RULES_NAME
    try:
        target.write_text(udev_rules(), encoding="utf-8")
    except PermissionError as exc:
        raise DeviceAccessError(f"cannot write {target}: run this as root (sudo)") from exc
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m chdkptp.discovery``: list cameras, print or install the udev rule."""
    parser = argparse.ArgumentParser(prog="python -m chdkptp.discovery",
                                     description="List Canon PTP cameras; udev rule helpers.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--udev", action="store_true", help="print the udev rule")
    group.add_argument("--install-udev", nargs="?", const=str(UDEV_RULES_DIR), metavar="DIR",
                       help="install the udev rule (default directory %(const)s)")
    args = parser.parse_args(argv)
    if args.udev:
        sys.stdout.write(udev_rules())
        return 0
    if args.install_udev:
        path = install_udev_rules(args.install_udev)
        print(f"installed {path}; now run: udevadm control --reload && replug the camera")
        return 0
    cameras = list_cameras()
    for info in cameras:
        print(info)
    if not cameras:
        print("no Canon PTP camera found")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

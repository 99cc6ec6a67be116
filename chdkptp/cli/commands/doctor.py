"""``chdkptp doctor``: checks the USB backend, permissions, interfering services and cameras.

Each check reports ``ok``, ``info``, ``warn`` or ``fail`` with what it found and, for a
problem, the fix.  The checks read the operating system only (``/proc``, ``/dev/bus/usb``,
udev rule folders, ``ps`` on macOS); the one device operation is opening a PTP session to each
camera found, to report its CHDK version.  A machine without any USB bus gets a clear warning,
not a crash.  ``--udev`` prints and ``--install-udev`` installs the rule shipped with chdkptp
(``chdkptp/udev/60-chdkptp.rules``, helpers in :mod:`chdkptp.discovery`).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chdkptp
from chdkptp.cli.context import SIM_EXTRA_HINT, Context
from chdkptp.cli.exitcodes import ExitCode
from chdkptp.cli.registry import command
from chdkptp.discovery import (
    UDEV_RULES_DIR,
    UDEV_RULES_NAME,
    CameraInfo,
    default_backend,
    install_udev_rules,
    udev_rules,
)
from chdkptp.errors import ChdkPtpError
from chdkptp.transport.access import access_advice, busy_advice

__all__ = [
    "Check",
    "check_cameras",
    "check_extras",
    "check_interfering",
    "check_udev",
    "check_usb_backend",
    "interfering_processes",
    "run_checks",
]

log = logging.getLogger(__name__)

#: Udev rule folders searched on Linux (system admin's, then the distribution's).
RULE_DIRS = (UDEV_RULES_DIR, Path("/run/udev/rules.d"), Path("/usr/lib/udev/rules.d"),
             Path("/lib/udev/rules.d"))
#: Processes that grab PTP cameras, per platform (matched on the program's base name).
INTERFERING = {
    "linux": ("gvfs-gphoto2-volume-monitor", "gvfsd-gphoto2", "gphoto2", "shotwell",
              "digikam", "darktable", "entangle", "kio_camera"),
    "darwin": ("ptpcamerad", "Image Capture", "Photos", "PTPCamera"),
    "win32": (),
}


@dataclass(frozen=True)
class Check:
    """The outcome of one check: ``status`` is ``ok``, ``info``, ``warn`` or ``fail``."""

    name: str
    status: str
    detail: str
    fix: str | None = None


def _platform_key(plat: str) -> str:
    if plat.startswith("linux"):
        return "linux"
    if plat.startswith(("win", "cygwin")):
        return "win32"
    return plat


# --- individual checks -----------------------------------------------------------------------


def check_system() -> Check:
    """Python, OS and chdkptp versions (information only)."""
    return Check("system", "info", f"chdkptp {chdkptp.__version__}, Python "
                 f"{platform.python_version()}, {platform.system()} {platform.release()}")


def check_usb_backend(dev_root: Path = Path("/dev/bus/usb"),
                      plat: str = sys.platform) -> tuple[list[Check], Any]:
    """Load libusb (libusb-package's) and enumerate the bus; return checks and the backend."""
    try:
        backend = default_backend()
    except ChdkPtpError as exc:
        return [Check("usb backend", "fail", str(exc),
                      "pip install --force-reinstall libusb-package, or install libusb-1.0 "
                      "from your OS packages")], None
    checks = [Check("usb backend", "ok", f"libusb loaded ({_libusb_version(backend)})")]
    try:
        import usb.core

        devices = list(usb.core.find(find_all=True, backend=backend) or [])
    except Exception as exc:  # the OS edge: report, never crash
        checks.append(Check("usb bus", "fail", f"cannot enumerate USB devices: {exc}",
                            access_advice(plat)))
        return checks, backend
    if devices:
        checks.append(Check("usb bus", "ok", f"{len(devices)} USB device(s) visible"))
    elif _platform_key(plat) == "linux" and not dev_root.exists():
        checks.append(Check(
            "usb bus", "warn",
            f"no USB bus on this machine ({dev_root} does not exist: a container or VM "
            "without USB passthrough?)",
            "run chdkptp where the camera is plugged in, or pass the bus into the container "
            "(docker run --device /dev/bus/usb ...); `chdkptp --sim ...` works without one"))
    else:
        checks.append(Check("usb bus", "warn", "libusb sees no USB devices at all",
                            "check that USB is available to this user/session"))
    return checks, backend


def _libusb_version(backend: Any) -> str:
    try:
        import libusb_package

        path = libusb_package.get_library_path()
        return f"libusb-package, {Path(str(path)).name}" if path else "system libusb"
    except Exception:  # pragma: no cover - informational only
        return type(backend).__module__


def find_udev_rule(dirs: Iterable[Path] = RULE_DIRS) -> Path | None:
    """The first installed udev rule file that grants access to Canon (04a9) devices."""
    for folder in dirs:
        try:
            candidates = sorted(folder.glob("*.rules"))
        except OSError:
            continue
        for path in candidates:
            if path.name == UDEV_RULES_NAME:
                return path
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "04a9" in text.lower() and ("uaccess" in text or "MODE" in text):
                return path
    return None


def check_udev(dirs: Iterable[Path] = RULE_DIRS, plat: str = sys.platform,
               euid: int | None = None) -> Check:
    """Linux: is a udev rule installed that lets this user (``euid``) open Canon cameras?"""
    key = _platform_key(plat)
    if key == "darwin":
        return Check("permissions", "info", "macOS needs no permission rule for USB cameras")
    if key == "win32":
        return Check("permissions", "info",
                     "Windows: each camera needs the WinUSB driver (install it once with Zadig)",
                     access_advice(plat))
    if key != "linux":
        return Check("permissions", "info", f"no permission check for {plat}")
    if (os.geteuid() if euid is None else euid) == 0:
        return Check("permissions", "ok", "running as root: USB access is not restricted")
    rule = find_udev_rule(dirs)
    if rule is not None:
        return Check("permissions", "ok", f"udev rule installed: {rule}")
    return Check("permissions", "warn", f"no udev rule for Canon cameras in "
                 f"{', '.join(str(d) for d in dirs)}",
                 "sudo chdkptp doctor --install-udev && sudo udevadm control --reload, then "
                 "replug the camera (`chdkptp doctor --udev` prints the rule)")


def check_device_nodes(cameras: Sequence[CameraInfo], dev_root: Path = Path("/dev/bus/usb"),
                       plat: str = sys.platform) -> list[Check]:
    """Linux: may this user read and write each camera's device node?"""
    if _platform_key(plat) != "linux" or os.geteuid() == 0:
        return []
    checks = []
    for info in cameras:
        if info.bus is None or info.address is None:
            continue
        node = dev_root / f"{info.bus:03d}" / f"{info.address:03d}"
        if not node.exists():
            continue
        if os.access(node, os.R_OK | os.W_OK):
            checks.append(Check("device access", "ok", f"{node} is readable and writable"))
        else:
            checks.append(Check("device access", "fail", f"{node}: permission denied for "
                                f"{info.model or 'camera'}", access_advice(plat)))
    return checks


def interfering_processes(proc_root: Path = Path("/proc"), plat: str = sys.platform,
                          names: Sequence[str] | None = None) -> list[str]:
    """Names of running programs known to grab PTP cameras on ``plat``."""
    key = _platform_key(plat)
    wanted = tuple(INTERFERING.get(key, ()) if names is None else names)
    if not wanted:
        return []
    found: set[str] = set()
    if key == "linux":
        try:
            entries = list(proc_root.iterdir())
        except OSError:
            return []
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            argv0 = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
            base = argv0.rsplit("/", 1)[-1]
            if base in wanted:
                found.add(base)
    elif key == "darwin":  # pragma: no cover - needs macOS
        try:
            out = subprocess.run(["ps", "-axo", "comm="], capture_output=True, text=True,
                                 timeout=5, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        for line in out.splitlines():
            base = line.strip().rsplit("/", 1)[-1]
            if base in wanted:
                found.add(base)
    return sorted(found)


def check_interfering(proc_root: Path = Path("/proc"), plat: str = sys.platform) -> Check:
    """Programs that hold cameras: gvfs / gphoto2 monitors (Linux), ptpcamerad (macOS)."""
    key = _platform_key(plat)
    if key == "win32":
        return Check("other programs", "info",
                     "close Canon utilities and the Photos import before connecting",
                     busy_advice(plat))
    found = interfering_processes(proc_root, plat)
    if found:
        return Check("other programs", "warn", f"running: {', '.join(found)} (they may "
                     "claim the camera first)", busy_advice(plat))
    names = ", ".join(INTERFERING.get(key, ())) or "none known"
    return Check("other programs", "ok", f"none of the known camera grabbers run ({names})")


def check_cameras(ctx: Context, backend: Any) -> tuple[list[Check], list[CameraInfo]]:
    """List cameras; open a session to each readable one and report its CHDK version."""
    try:
        cameras = chdkptp.list_cameras(backend=ctx.backend() if ctx.simulated else backend)
    except ChdkPtpError as exc:
        return [Check("cameras", "fail", f"cannot list cameras: {exc}")], []
    if not cameras:
        return [Check("cameras", "warn", "no Canon PTP camera found",
                      "switch the camera on, plug in the USB cable, and start CHDK (the "
                      "camera's USB setting must be the default PTP mode)")], []
    checks = []
    for info in cameras:
        if info.access_error:
            checks.append(Check("camera", "fail", f"{info}: {info.access_error}",
                                access_advice()))
            continue
        try:
            with chdkptp.connect(info.serial, bus=info.bus, address=info.address,
                                 backend=ctx.backend() if ctx.simulated else backend) as cam:
                version = cam.chdk_version
        except ChdkPtpError as exc:
            checks.append(Check("camera", "fail", f"{info}: cannot open a session: {exc}",
                                busy_advice()))
            continue
        if version is None:
            checks.append(Check("camera", "warn", f"{info}: CHDK not detected",
                                "load CHDK on the camera (SD card with CHDK, firmware update "
                                "menu or a bootable card)"))
        else:
            checks.append(Check("camera", "ok",
                                f"{info}: CHDK protocol {version[0]}.{version[1]}"))
    return checks, cameras


def check_extras() -> list[Check]:
    """Optional extras: ``sim`` (lupa) for --sim, ``image`` (numpy, Pillow) for PNGs."""
    checks = []
    for extra, modules, use in (("sim", ("lupa",), "--sim and chdkptp.sim"),
                                ("image", ("numpy", "PIL"), "lvsnap and live-view images")):
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            checks.append(Check(f"extra [{extra}]", "info", f"not installed ({use})",
                                f"pip install 'chdkptp[{extra}]'"))
        else:
            checks.append(Check(f"extra [{extra}]", "ok", f"installed ({use})"))
    return checks


def run_checks(ctx: Context) -> list[Check]:
    """Every check, in the order they are shown."""
    checks = [check_system()]
    usb_checks, backend = check_usb_backend()
    checks += usb_checks
    checks.append(check_udev())
    checks.append(check_interfering())
    if ctx.simulated:
        checks.append(Check("simulator", "info", "--sim: cameras below are simulated"))
    cam_checks, cameras = check_cameras(ctx, backend)
    if not ctx.simulated:
        checks += check_device_nodes(cameras)
    checks += cam_checks
    checks += check_extras()
    return checks


# --- the subcommand --------------------------------------------------------------------------

_MARK = {"ok": "ok", "info": "--", "warn": "!!", "fail": "XX"}


def _doctor_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--udev", action="store_true", help="print the udev rule and exit")
    g.add_argument("--install-udev", nargs="?", const=str(UDEV_RULES_DIR), metavar="DIR",
                   help="install the udev rule (default %(const)s; needs root)")


@command("doctor", arguments=_doctor_args, group="setup",
         help="check USB access, permissions, interfering programs, cameras; print fixes")
def doctor_command(ctx: Context, args: argparse.Namespace) -> int:
    """Runs the checks (USB descriptors, /proc, udev folders; one PTP session per camera).

    Exits 0 when nothing failed (warnings allowed), 1 when a check failed.
    """
    if args.udev:
        ctx.out.emit({"rule": udev_rules(), "name": UDEV_RULES_NAME}, udev_rules().rstrip("\n"))
        return ExitCode.OK
    if args.install_udev:
        path = install_udev_rules(args.install_udev)
        ctx.out.emit({"installed": str(path)},
                     f"installed {path}\nnow run: sudo udevadm control --reload && replug the "
                     "camera")
        return ExitCode.OK
    if ctx.simulated and importlib.util.find_spec("lupa") is None:
        raise ImportError(SIM_EXTRA_HINT)
    checks = run_checks(ctx)
    failed = [c for c in checks if c.status == "fail"]
    warned = [c for c in checks if c.status == "warn"]
    if ctx.out.json:
        ctx.out.emit({"checks": checks, "failed": len(failed), "warnings": len(warned)})
    else:
        for c in checks:
            ctx.out.line(f"[{_MARK.get(c.status, '??')}] {c.name}: {c.detail}")
            if c.fix and c.status in ("warn", "fail"):
                ctx.out.line(f"     fix: {c.fix}")
        verdict = ("all good" if not failed and not warned else
                   f"{len(failed)} problem(s), {len(warned)} warning(s)")
        ctx.out.line(verdict)
    return ExitCode.ERROR if failed else ExitCode.OK

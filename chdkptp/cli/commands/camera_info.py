"""``list`` (cameras on the bus) and ``info`` (device info, CHDK version, camera status)."""

from __future__ import annotations

import argparse
from typing import Any

from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import ExitCode
from chdkptp.cli.output import format_size
from chdkptp.cli.registry import command
from chdkptp.transport.access import access_advice


@command("list", help="list Canon PTP cameras (USB descriptors; no session)", group="setup")
def list_command(ctx: Context, args: argparse.Namespace) -> int:
    """Lists cameras with ``chdkptp.list_cameras`` (descriptor reads only, no PTP operation).

    Exit 3 when no camera is found, so scripts can test for one.
    """
    cameras = ctx.list_cameras()
    rows = []
    for n, info in enumerate(cameras, 1):
        rows.append([n, info.model or "?", info.serial or "?", info.bus, info.address,
                     f"{info.vendor_id:04x}:{info.product_id:04x}",
                     _short_status(info.access_error)])
    if ctx.out.json:
        ctx.out.emit([{
            "model": i.model, "serial": i.serial, "bus": i.bus, "address": i.address,
            "vendor_id": i.vendor_id, "product_id": i.product_id,
            "access_error": i.access_error} for i in cameras])
    elif rows:
        ctx.out.table(["#", "model", "serial", "bus", "address", "usb id", "status"], rows,
                      right=("#", "bus", "address"))
        problems = sorted({i.access_error for i in cameras if i.access_error})
        for problem in problems:
            ctx.out.note(problem)
        if any(_short_status(p) == "permission denied" for p in problems):
            ctx.out.note(access_advice())
    else:
        ctx.out.note("no Canon PTP camera found (is it on, connected by USB and running "
                     "CHDK? `chdkptp doctor` checks the setup; `chdkptp --sim list` shows a "
                     "simulated one)")
    return ExitCode.OK if cameras else ExitCode.NOT_FOUND


def _short_status(access_error: str | None) -> str:
    """The status column: ``ok``, ``permission denied``, ``busy`` or ``unreadable``."""
    if not access_error:
        return "ok"
    text = access_error.lower()
    if "permission" in text or "access" in text:
        return "permission denied"
    if "busy" in text:
        return "busy"
    return "unreadable"


def _device_info(cam: Any) -> dict[str, Any]:
    di = cam.device_info
    return {
        "manufacturer": str(di.manufacturer.value),
        "model": str(di.model.value),
        "serial": str(di.serial_number.value),
        "firmware": str(di.device_version.value),
        "ptp_version": int(di.standard_version),
        "vendor_extension_id": int(di.vendor_extension_id),
        "operations": len(di.operations_supported.items),
        "transport": cam.session.transport.description,
    }


def _info_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-status", action="store_true",
                   help="only device info and CHDK version (no camera-side Lua)")


@command("info", help="device info, CHDK version and camera status", arguments=_info_args,
         aliases=("version",))
def info_command(ctx: Context, args: argparse.Namespace) -> int:
    """GetDeviceInfo and CHDK Version (read at connect), then ``Camera.status`` (one Lua
    script) unless ``--no-status``."""
    cam = ctx.camera()
    data: dict[str, Any] = _device_info(cam)
    version = cam.chdk_version
    data["chdk_protocol"] = list(version) if version else None
    status = None
    if not args.no_status and version is not None:
        status = cam.status()
        data["status"] = {
            "mode": status.mode, "battery_mv": status.battery_mv,
            "temperatures": status.temperatures, "free_space": status.free_space,
            "zoom": status.zoom, "image_count": status.image_count, "build": status.build,
        }
    if ctx.out.json:
        ctx.out.emit(data)
        return ExitCode.OK
    rows: list[list[Any]] = [
        ["model", data["model"]],
        ["manufacturer", data["manufacturer"]],
        ["serial", data["serial"] or "(none)"],
        ["firmware", data["firmware"]],
        ["connection", data["transport"]],
        ["CHDK protocol", "{}.{}".format(*version) if version else "not detected (no CHDK?)"],
    ]
    if status is not None:
        build = status.build
        if build:
            rows.append(["CHDK build", f"{build.get('version', 'CHDK')} "
                         f"{build.get('build_number', '?')} rev {build.get('build_revision', '?')}"
                         f" ({build.get('platform', '?')} {build.get('platsub', '')})".rstrip()])
        temps = ", ".join(f"{k} {v} °C" for k, v in status.temperatures.items())
        rows += [
            ["mode", status.mode],
            ["battery", f"{status.battery_mv / 1000:.2f} V"],
            ["temperatures", temps or "?"],
            ["free space", format_size(status.free_space)],
            ["zoom step", status.zoom],
            ["images taken", status.image_count],
        ]
    ctx.out.table(["field", "value"], rows, header=False)
    return ExitCode.OK

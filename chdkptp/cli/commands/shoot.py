"""Shooting and modes: ``shoot`` (exposure options, optional download), ``rec``, ``play``."""

from __future__ import annotations

import argparse
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import ExitCode
from chdkptp.cli.registry import command


def parse_number(text: str) -> float:
    """A positive number, also as a fraction (``1/100``); ``ValueError`` otherwise."""
    try:
        value = float(Fraction(text.strip()))
    except (ValueError, ZeroDivisionError) as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _shoot_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tv", type=parse_number, metavar="SECONDS",
                   help="shutter time, e.g. 1/100 or 2")
    p.add_argument("--av", type=parse_number, metavar="F", help="aperture f-number, e.g. 4.5")
    p.add_argument("--iso", type=parse_number, help="ISO speed, e.g. 200")
    p.add_argument("--tv96", type=int, help="shutter as APEX*96 (instead of --tv)")
    p.add_argument("--av96", type=int, help="aperture as APEX*96 (instead of --av)")
    p.add_argument("--sv96", type=int, help="speed as APEX*96 (instead of --iso)")
    p.add_argument("--nd", choices=("in", "out"), help="ND filter position")
    p.add_argument("--focus", type=int, metavar="MM", help="focus distance in mm")
    p.add_argument("--download", "--dl", metavar="DIR", nargs="?", const=".",
                   help="download the new image into DIR (default: current folder)")
    p.add_argument("--limit", type=float, default=30.0, metavar="SECONDS",
                   help="how long the shot may take (default 30)")


@command("shoot", arguments=_shoot_args, group="camera",
         help="take a picture (record mode is entered if needed)")
def shoot_command(ctx: Context, args: argparse.Namespace) -> int:
    """``Camera.shoot`` (camera Lua ``shoot()`` with exposure overrides); prints the camera
    path of the new image, and with ``--download`` fetches it (CHDK DownloadFile)."""
    cam = ctx.camera()
    exposure: dict[str, Any] = {
        k: getattr(args, k) for k in ("tv", "av", "iso", "tv96", "av96", "sv96", "nd", "focus")
        if getattr(args, k) is not None
    }
    with ctx.out.progress("shooting", unit="steps"):
        path = cam.shoot(timeout=args.limit, **exposure)
    data: dict[str, Any] = {"path": path}
    if args.download is not None:
        from chdkptp.cli.commands.files import download_one

        target = Path(args.download)
        if target.is_dir() or args.download.endswith(os.sep):
            target = target / path.rsplit("/", 1)[-1]
        data["downloaded"] = str(download_one(ctx, path, target))
    ctx.out.emit(data, [path] + ([f"saved {data['downloaded']}"] if "downloaded" in data
                                 else []))
    return ExitCode.OK


def _mode(ctx: Context, mode: str) -> int:
    ctx.camera().switch_mode(mode)
    ctx.out.emit({"mode": mode}, None)
    ctx.out.note(f"camera in {mode} mode")
    return ExitCode.OK


@command("rec", group="camera", help="switch to record (shooting) mode")
def rec_command(ctx: Context, args: argparse.Namespace) -> int:
    """``Camera.switch_mode("record")`` (camera Lua ``switch_mode_usb(1)``)."""
    return _mode(ctx, "record")


@command("play", group="camera", help="switch to playback mode")
def play_command(ctx: Context, args: argparse.Namespace) -> int:
    """``Camera.switch_mode("play")`` (camera Lua ``switch_mode_usb(0)``)."""
    return _mode(ctx, "play")


def _reboot_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-reconnect", action="store_true",
                   help="do not wait for the camera to come back")
    p.add_argument("--limit", type=float, default=20.0, metavar="SECONDS",
                   help="how long to wait for the camera to return (default 20)")


@command("reboot", arguments=_reboot_args, group="camera",
         help="reboot the camera and reconnect to it")
def reboot_command(ctx: Context, args: argparse.Namespace) -> int:
    """``Camera.reboot`` (camera Lua ``reboot()``), then reconnect to the same camera."""
    cam = ctx.camera()
    with ctx.out.progress("rebooting", unit="steps"):
        cam.reboot(reconnect=not args.no_reconnect, timeout=args.limit)
    if args.no_reconnect:
        ctx.disconnect()
    ctx.out.emit({"rebooted": True, "reconnected": not args.no_reconnect}, None)
    ctx.out.note("camera rebooted" + ("" if args.no_reconnect else " and reconnected"))
    return ExitCode.OK

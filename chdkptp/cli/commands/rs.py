"""Remote capture: ``rs`` (alias ``remoteshoot``) shoots and receives the images over USB."""

from __future__ import annotations

import argparse
from typing import Any

from chdkptp.capture import remote_capture
from chdkptp.cli.commands.shoot import parse_number
from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import ExitCode
from chdkptp.cli.registry import command


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _rs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dest", nargs="?", default=".",
                   help="folder for the files (default: current folder; created if missing)")
    p.add_argument("--jpg", action="store_true", help="JPEG (the default without other formats)")
    p.add_argument("--raw", action="store_true", help="CHDK raw framebuffer (.raw)")
    p.add_argument("--dng", action="store_true", help="DNG assembled from header + raw")
    p.add_argument("--craw", action="store_true", help="Canon CR2 (CHDK protocol 2.9)")
    p.add_argument("--count", type=_positive_int, default=1, help="number of shots (default 1)")
    p.add_argument("--tv", type=parse_number, metavar="SECONDS",
                   help="shutter time, e.g. 1/100 or 2")
    p.add_argument("--av", type=parse_number, metavar="F", help="aperture f-number, e.g. 4.5")
    p.add_argument("--iso", type=parse_number, help="ISO speed, e.g. 200")
    p.add_argument("--name", default="IMG_{number:04d}.{ext}", metavar="TEMPLATE",
                   help="file name template: {number} (camera image number), {ext}, {shot}, "
                        "{format} (default %(default)s)")
    p.add_argument("--lstart", type=int, metavar="ROW",
                   help="raw/dng: first sensor row to send (the rest of a DNG is 0xFF)")
    p.add_argument("--lcount", type=int, metavar="ROWS",
                   help="raw/dng: number of sensor rows (default: to the end)")
    p.add_argument("--limit", type=parse_number, metavar="SECONDS",
                   help="how long to wait for each shot's data (default 20, or 10 + 2*tv)")


@command("rs", aliases=("remoteshoot",), arguments=_rs_args, group="camera",
         help="shoot and receive the images over USB without saving to the card")
def rs_command(ctx: Context, args: argparse.Namespace) -> int:
    """``Camera.remote_capture``: camera Lua ``init_usb_capture`` + ``shoot``, CHDK
    RemoteCaptureIsReady / RemoteCaptureGetData; prints the paths written."""
    formats = [name for name in ("jpg", "raw", "dng", "craw") if getattr(args, name)]
    cam = ctx.camera()
    options: dict[str, Any] = {
        "formats": tuple(formats or ["jpg"]),
        "count": args.count,
        "name_template": args.name,
        "tv": args.tv,
        "av": args.av,
        "iso": args.iso,
        "timeout": args.limit,
    }
    if args.lstart is not None or args.lcount is not None:
        options["raw_lines"] = (args.lstart or 0, args.lcount or 0)
    with ctx.out.progress("capturing", args.count, unit="shots") as progress:
        paths = remote_capture(cam, args.dest, progress=progress.callback(), **options)
    ctx.out.emit({"paths": [str(p) for p in paths]}, [str(p) for p in paths])
    return ExitCode.OK

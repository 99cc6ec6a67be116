"""Live view: ``lvsnap`` (one frame to PNG) and ``lvdump`` (record frames to a ``.lvdump``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import ExitCode
from chdkptp.cli.output import format_size
from chdkptp.cli.registry import command
from chdkptp.liveview import live_view_frame
from chdkptp.lvdump import record

IMAGE_EXTRA_HINT = "saving PNG needs the image extra: pip install 'chdkptp[image]' (numpy, Pillow)"


def _lvsnap_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("output", nargs="?", default="liveview.png",
                   help="PNG file (default %(default)s)")
    p.add_argument("--no-overlay", action="store_true",
                   help="viewport only (without the CHDK/Canon on-screen bitmap)")
    p.add_argument("--native", action="store_true",
                   help="keep the framebuffer's size (default: the screen's aspect ratio)")


@command("lvsnap", arguments=_lvsnap_args, group="liveview",
         help="save one live-view frame as a PNG")
def lvsnap_command(ctx: Context, args: argparse.Namespace) -> int:
    """One CHDK GetDisplayData (viewport, bitmap and palette), decoded and saved as PNG."""
    try:
        import numpy  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as exc:
        raise ImportError(IMAGE_EXTRA_HINT) from exc
    overlay = not args.no_overlay
    frame = live_view_frame(ctx.camera(), viewport=True, bitmap=overlay)
    out = Path(args.output)
    image = frame.to_image(overlay=overlay, aspect=not args.native)
    image.save(out, "PNG")
    width, height = image.size
    planes = "viewport + overlay" if overlay and frame.has_bitmap else "viewport"
    size = out.stat().st_size
    data = {"path": str(out), "width": width, "height": height, "size": size,
            "live_view_version": [frame.header.version_major, frame.header.version_minor]}
    ctx.out.emit(data, f"saved {out} ({width}x{height}, {planes}, {format_size(size)})")
    return ExitCode.OK


def _lvdump_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("output", nargs="?", default="liveview.lvdump",
                   help=".lvdump file (default %(default)s)")
    p.add_argument("--count", type=int, help="number of frames (default 5 without --seconds)")
    p.add_argument("--seconds", type=float, help="record for this long")
    p.add_argument("--fps", type=float, default=None, help="frames per second (default: max)")


@command("lvdump", aliases=("dumpframes",), arguments=_lvdump_args, group="liveview",
         help="record live-view frames to a .lvdump file (plays in chdkptp's GUI)")
def lvdump_command(ctx: Context, args: argparse.Namespace) -> int:
    """CHDK GetDisplayData per frame, written to a ``.lvdump`` file.

    Flags as chdkptp's 0x1D (viewport, bitmap, palette, opacity), without the opacity plane
    for a camera older than CHDK protocol 2.7 (``lvdump.record`` picks them).
    """
    count = args.count if args.count is not None or args.seconds is not None else 5
    if count is not None and count < 0:
        raise ValueError("--count must be >= 0")
    cam = ctx.camera()
    start = time.monotonic()
    with ctx.out.progress("recording", count, unit="frames"):
        frames = record(cam, args.output, count=count, duration=args.seconds, fps=args.fps)
    elapsed = time.monotonic() - start
    size = Path(args.output).stat().st_size
    fps = frames / elapsed if elapsed > 0 else 0.0
    ctx.out.emit({"path": args.output, "frames": frames, "size": size, "seconds": elapsed},
                 f"saved {frames} frames to {args.output} ({format_size(size)}, "
                 f"{fps:.1f} fps)")
    return ExitCode.OK

"""``python -m chdkptp.demo`` (``make demo``): a full session against a simulated camera.

What belongs here: the first-run tour.  It creates one simulated PowerShot (``chdkptp.sim``,
imported lazily: the demo is an L6 entry point like the CLI) and runs the real ``chdkptp``
subcommands against it in one connection — list, info, Lua returning a table, shoot, download
the image, one live-view frame as PNG — printing each command line, its output and where the
files went (``./demo-output/`` by default, which is gitignored).
"""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

__all__ = ["main"]

LUA_TABLE = (
    "return {battery_mv=get_vbatt(), zoom={step=get_zoom(), steps=get_zoom_steps()}, "
    "tick_ms=get_tick_count(), primes={2, 3, 5, 7}}"
)


class _Indented:
    """A text stream that indents what the commands print and remembers the lines."""

    def __init__(self, target: TextIO, prefix: str = "    ") -> None:
        self.target = target
        self.prefix = prefix
        self.lines: list[str] = []
        self._at_start = True

    def write(self, text: str) -> int:
        for part in text.splitlines(keepends=True):
            if self._at_start:
                self.target.write(self.prefix)
            self.target.write(part.rstrip(" \n") + ("\n" if part.endswith("\n") else ""))
            self._at_start = part.endswith("\n")
            if self._at_start:
                self.lines.append(part.rstrip())
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return False


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KiB"


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the demo; returns 0 when every step worked (1 otherwise, 7 without lupa)."""
    parser = argparse.ArgumentParser(prog="python -m chdkptp.demo", description=__doc__)
    parser.add_argument("--out", default="demo-output",
                        help="folder for the downloaded image and the PNG (default %(default)s)")
    opts = parser.parse_args(argv)
    out_stream = stdout or sys.stdout

    def say(text: str = "") -> None:
        out_stream.write(text + "\n")
        out_stream.flush()

    if importlib.util.find_spec("lupa") is None:
        say("The demo runs a simulated camera, which needs the sim extra: "
            "pip install 'chdkptp[sim]' (it adds lupa).")
        return 7
    from chdkptp.cli.app import build_parser, run_line
    from chdkptp.cli.context import Context
    from chdkptp.cli.output import Output

    out_dir = Path(opts.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    shown_dir = str(out_dir) + "/"
    cli = build_parser()
    indented = _Indented(out_stream)
    stream = cast(TextIO, indented)
    output = Output(stdout=stream, stderr=stream, quiet=False)
    options = cli.parse_args(["--sim", "list"])
    have_png = all(importlib.util.find_spec(m) is not None for m in ("numpy", "PIL"))

    say("chdkptp demo: a whole session against a simulated Canon PowerShot running CHDK.")
    say("No camera needed. The commands below run in one connection, as in")
    say("`chdkptp --sim shell`; with a real camera, leave out --sim.")
    say(f"Files go to {shown_dir}")
    started = time.monotonic()
    done = 0
    with Context(options, output) as ctx:

        def step(title: str, args: list[str]) -> bool:
            say("")
            say(f"# {title}")
            say("chdkptp> " + shlex.join(args))
            code = run_line(ctx, args, cli)
            if code != 0:
                say(f"demo step failed (exit code {code})")
            return code == 0

        for title, args in (
            ("find cameras on the (simulated) USB bus", ["list"]),
            ("device info, CHDK version and status", ["info"]),
            ("run Lua on the camera; the table comes back as data", ["luar", LUA_TABLE]),
            ("shoot one picture with exposure overrides",
             ["shoot", "--tv", "1/100", "--iso", "200"]),
        ):
            if not step(title, args):
                return 1
            done += 1
        shot = next((ln.strip() for ln in reversed(indented.lines)
                     if ln.strip().startswith("A/")), "A/DCIM/100CANON/IMG_0001.JPG")
        if not step("download the new image", ["download", shot, shown_dir]):
            return 1
        done += 1
        png = out_dir / "liveview.png"
        if have_png:
            if not step("save one live-view frame as PNG", ["lvsnap", str(png)]):
                return 1
            done += 1
        else:
            say("")
            say("(skipped lvsnap: PNG output needs pip install 'chdkptp[image]')")
    elapsed = time.monotonic() - started
    image = out_dir / shot.rsplit("/", 1)[-1]
    say("")
    say(f"Done: {done} commands in {elapsed:.1f} s. Files:")
    for path in (image, png):
        if path.exists():
            say(f"    {path}  ({_size(path)})")
    say("Next: `chdkptp --help`, `chdkptp --sim shell`; with a camera: `chdkptp doctor`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

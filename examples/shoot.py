"""Shoot one picture with optional exposure settings and print the new file's camera path.

    python examples/shoot.py --tv 0.004 --av 5.6 --iso 200
    python examples/shoot.py --sim --tv 0.01
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import chdkptp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tv", type=float, help="shutter time in seconds")
    parser.add_argument("--av", type=float, help="aperture f-number")
    parser.add_argument("--iso", type=float, help="ISO speed")
    parser.add_argument("--nd", choices=["in", "out"], help="ND filter")
    parser.add_argument("--focus", type=int, help="focus distance in mm")
    parser.add_argument("--play", action="store_true", help="switch back to play mode after")
    parser.add_argument("--sim", action="store_true", help="use a simulated camera")
    args = parser.parse_args(argv)
    backend: Any = None
    if args.sim:
        from chdkptp import sim

        backend = sim.SimulatedBackend([sim.SimulatedCamera(time_scale=10.0)])
    with chdkptp.connect(backend=backend) as cam:
        cam.switch_mode("record")
        path = cam.shoot(tv=args.tv, av=args.av, iso=args.iso, nd=args.nd, focus=args.focus)
        print(path)
        if args.play:
            cam.switch_mode("play")
    return 0


if __name__ == "__main__":
    sys.exit(main())

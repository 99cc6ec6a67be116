"""Run Lua on the camera and print what it returns (and the messages it sends).

    python examples/run_lua.py "return get_vbatt(), get_buildinfo()"
    python examples/run_lua.py --sim "write_usb_msg('hi') return {1, 2, x = 3}"
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import chdkptp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("code", help="Lua source to run on the camera")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait")
    parser.add_argument("--kill", action="store_true", help="replace a running script")
    parser.add_argument("--sim", action="store_true", help="use a simulated camera")
    args = parser.parse_args(argv)
    backend: Any = None
    if args.sim:
        from chdkptp import sim

        backend = sim.SimulatedBackend([sim.SimulatedCamera()])
    with chdkptp.connect(backend=backend) as cam:
        try:
            value = cam.run_lua(args.code, timeout=args.timeout, kill_running=args.kill,
                                on_message=lambda msg: print(f"message: {msg.value!r}"))
        except chdkptp.ScriptError as exc:
            print(exc, file=sys.stderr)  # e.g. "runtime error at line 2: boom"
            return 1
        print(repr(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""List the Canon PTP cameras on USB (bus, address, ids, serial, model).

    python examples/list_cameras.py          # real cameras
    python examples/list_cameras.py --sim    # two simulated cameras instead
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import chdkptp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", action="store_true", help="use simulated cameras")
    args = parser.parse_args(argv)
    backend: Any = None
    if args.sim:
        from chdkptp import sim

        backend = sim.SimulatedBackend([
            sim.SimulatedCamera(serial="SIM00001", model="PowerShot SX160 IS"),
            sim.SimulatedCamera(serial="SIM00002", model="PowerShot G12"),
        ])
    cameras = chdkptp.list_cameras(backend=backend)
    if not cameras:
        print("no camera found")
        return 1
    for cam in cameras:
        print(f"bus {cam.bus} address {cam.address}  {cam.vendor_id:04x}:{cam.product_id:04x}  "
              f"serial {cam.serial}  {cam.model}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

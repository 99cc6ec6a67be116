"""Connect to a camera and print its PTP DeviceInfo and CHDK protocol version.

    python examples/device_info.py [--serial S] [--model M]
    python examples/device_info.py --sim
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import chdkptp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serial", help="USB serial number of the camera")
    parser.add_argument("--model", help="part of the model name, e.g. SX160")
    parser.add_argument("--sim", action="store_true", help="use a simulated camera")
    args = parser.parse_args(argv)
    backend: Any = None
    if args.sim:
        from chdkptp import sim

        backend = sim.SimulatedBackend([sim.SimulatedCamera()])
    with chdkptp.connect(args.serial, model=args.model, backend=backend) as cam:
        info = cam.device_info
        print(f"manufacturer:   {info.manufacturer.value}")
        print(f"model:          {info.model.value}")
        print(f"device version: {info.device_version.value}")
        print(f"serial:         {info.serial_number.value}")
        ops = ", ".join(f"{op:#06x}" for op in info.operations_supported.items)
        print(f"operations:     {ops}")
        if cam.chdk_version is None:
            print("CHDK:           not detected")
        else:
            print(f"CHDK protocol:  {cam.chdk_version[0]}.{cam.chdk_version[1]}")
            status = cam.status()
            print(f"mode:           {status.mode}")
            print(f"battery:        {status.battery_mv} mV")
            print(f"CHDK build:     {status.build.get('build_number')} "
                  f"({status.build.get('platform')} {status.build.get('platsub')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The simulated camera: virtual PowerShots running CHDK behind a real pyusb backend.

Public API (design §4)::

    from chdkptp import sim
    cam = sim.SimulatedCamera(serial="SIM00001", model="PowerShot SX160 IS", card_dir=None)
    backend = sim.SimulatedBackend([cam])      # pass as backend= to chdkptp or pyusb
    cam.faults.busy_responses = 2              # fault knobs (sim.Faults)

The pytest fixtures ``sim_camera``, ``sim_backend`` and ``sim_connect`` come from
:mod:`chdkptp.sim.pytest_plugin` (registered as a pytest plugin by the package).  Names are
imported lazily, so ``sim.Faults`` works without lupa installed; the Lua runtime loads with
``SimulatedCamera``.  Nothing in chdkptp's library layers imports this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chdkptp.sim.camera import SimulatedCamera
    from chdkptp.sim.card import VirtualCard
    from chdkptp.sim.faults import Faults, StaleMessage
    from chdkptp.sim.ptpip import PtpipServer, serve_ptpip
    from chdkptp.sim.usb import SimulatedBackend

__all__ = [
    "Faults",
    "PtpipServer",
    "SimulatedBackend",
    "SimulatedCamera",
    "StaleMessage",
    "VirtualCard",
    "serve_ptpip",
]

_WHERE = {
    "Faults": "chdkptp.sim.faults",
    "StaleMessage": "chdkptp.sim.faults",
    "SimulatedBackend": "chdkptp.sim.usb",
    "SimulatedCamera": "chdkptp.sim.camera",
    "VirtualCard": "chdkptp.sim.card",
    "PtpipServer": "chdkptp.sim.ptpip",
    "serve_ptpip": "chdkptp.sim.ptpip",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'chdkptp.sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

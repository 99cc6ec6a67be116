"""The simulated-camera fixtures of the client and file suites: thin aliases of the shipped
pytest plugin (``chdkptp.sim.pytest_plugin``), so the fixtures users get are the ones tested.

What belongs here: ``sim`` (= ``sim_camera``), ``backend`` (= ``sim_backend``) and ``cam``
(= ``sim_connect``), plus the plugin's fixture functions themselves, re-exported so the suites
work even where the plugin's entry point is not installed.  SimulatedCamera keyword arguments
go through the plugin's marker, ``@pytest.mark.sim_camera(...)`` (the only marker name).
tests/client/conftest.py and tests/files/conftest.py import these names; tests/ptpip/conftest.py
uses ``sim`` with a PTP/IP ``cam``.
"""

from __future__ import annotations

from typing import Any

import pytest

from chdkptp.camera import Camera
from chdkptp.sim import SimulatedBackend, SimulatedCamera
from chdkptp.sim.pytest_plugin import pytest_configure as _plugin_configure
from chdkptp.sim.pytest_plugin import sim_backend, sim_camera, sim_connect

__all__ = [
    "backend",
    "cam",
    "register_markers",
    "sim",
    "sim_backend",
    "sim_camera",
    "sim_connect",
]


def register_markers(config: pytest.Config) -> None:
    """Register the plugin's ``sim_camera`` marker (call from a conftest's
    ``pytest_configure``; harmless when the installed plugin already did)."""
    _plugin_configure(config)


@pytest.fixture
def sim(sim_camera: SimulatedCamera) -> SimulatedCamera:
    """The plugin's ``sim_camera`` (options: ``@pytest.mark.sim_camera(...)``)."""
    return sim_camera


@pytest.fixture
def backend(sim_backend: SimulatedBackend) -> SimulatedBackend:
    """The plugin's ``sim_backend``: a simulated pyusb backend with ``sim`` plugged in."""
    return sim_backend


@pytest.fixture
def cam(sim_connect: Any) -> Camera:
    """The plugin's ``sim_connect``: a client camera connected through ``backend``."""
    assert isinstance(sim_connect, Camera)
    return sim_connect

"""pytest fixtures for testing rig code against a simulated camera.

Installed as a pytest plugin (entry point ``chdkptp_sim``), so any project that has chdkptp
with the ``sim`` extra can use:

* ``sim_camera`` – a fresh :class:`~chdkptp.sim.SimulatedCamera` (temporary card, closed at
  teardown).  Options through a marker:
  ``@pytest.mark.sim_camera(chdk_version=(2, 5), model="PowerShot G12")``.
* ``sim_backend`` – a :class:`~chdkptp.sim.SimulatedBackend` serving ``sim_camera``; pass it as
  ``backend=`` to ``chdkptp.list_cameras`` / ``chdkptp.connect`` or to pyusb.
* ``sim_connect`` – a connected ``chdkptp`` camera (``chdkptp.connect(backend=sim_backend)``),
  closed at teardown.

Imports happen inside the fixtures, so loading the plugin costs nothing in projects that do
not use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from chdkptp.sim.camera import SimulatedCamera
    from chdkptp.sim.usb import SimulatedBackend

__all__ = ["sim_backend", "sim_camera", "sim_connect"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``sim_camera`` marker (keyword arguments for SimulatedCamera)."""
    config.addinivalue_line(
        "markers", "sim_camera(**kwargs): keyword arguments for the sim_camera fixture"
    )


@pytest.fixture
def sim_camera(request: pytest.FixtureRequest) -> Iterator[SimulatedCamera]:
    """A simulated PowerShot with CHDK 2.9 and a temporary card; closed afterwards."""
    from chdkptp.sim.camera import SimulatedCamera

    kwargs: dict[str, Any] = {}
    marker = request.node.get_closest_marker("sim_camera")
    if marker is not None:
        kwargs.update(marker.kwargs)
    camera = SimulatedCamera(**kwargs)
    try:
        yield camera
    finally:
        camera.close()


@pytest.fixture
def sim_backend(sim_camera: SimulatedCamera) -> SimulatedBackend:
    """A pyusb backend with ``sim_camera`` plugged in."""
    from chdkptp.sim.usb import SimulatedBackend

    return SimulatedBackend([sim_camera])


@pytest.fixture
def sim_connect(sim_backend: SimulatedBackend) -> Iterator[Any]:
    """``chdkptp.connect(backend=sim_backend)``: a connected camera, closed afterwards."""
    # The simulator never depends on the library layers; this test-facing entry point is the
    # one documented exemption (tests/layering.py SIM_FACADE_IMPORTERS): it may import the
    # facade's connect, inside the fixture only.
    from chdkptp import connect

    camera = connect(backend=sim_backend)
    try:
        yield camera
    finally:
        camera.close()

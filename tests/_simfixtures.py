"""Shared simulated-camera fixtures for the client and file suites.

What belongs here: the ``sim`` / ``backend`` / ``cam`` fixtures (one SimulatedCamera with a
private temporary card, a SimulatedBackend with it plugged in, a connected client Camera) and
the ``simcam`` marker that passes SimulatedCamera keyword arguments.  tests/client/conftest.py
and tests/files/conftest.py import these names, so pytest sees the same fixture functions in
both directories.  tests/ptpip keeps its own ``sim`` (same marker) with a PTP/IP ``cam``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chdkptp.camera import Camera, connect
from chdkptp.sim import SimulatedBackend, SimulatedCamera

__all__ = ["SIMCAM_MARKER", "backend", "cam", "register_markers", "sim"]

SIMCAM_MARKER = "simcam(**kwargs): SimulatedCamera keyword arguments"


def register_markers(config: pytest.Config) -> None:
    """Register the ``simcam`` marker (call from a conftest's ``pytest_configure``)."""
    config.addinivalue_line("markers", SIMCAM_MARKER)


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Iterator[SimulatedCamera]:
    """One simulated camera with a private temporary card; keyword arguments through
    ``@pytest.mark.simcam(...)``.  Closed (card removed) after the test."""
    kwargs: dict[str, Any] = {}
    marker = request.node.get_closest_marker("simcam")
    if marker is not None:
        kwargs.update(marker.kwargs)
    camera = SimulatedCamera(**kwargs)
    yield camera
    camera.close()


@pytest.fixture
def backend(sim: SimulatedCamera) -> SimulatedBackend:
    """A simulated pyusb backend with ``sim`` plugged in."""
    return SimulatedBackend([sim])


@pytest.fixture
def cam(backend: SimulatedBackend) -> Iterator[Camera]:
    """A client camera connected through ``backend``; closed after the test."""
    camera = connect(backend=backend)
    yield camera
    camera.close()

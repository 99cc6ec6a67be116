"""Fixtures for the client tests: simulated cameras behind the simulated pyusb backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chdkptp.camera import Camera, connect
from chdkptp.sim import SimulatedBackend, SimulatedCamera


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Iterator[SimulatedCamera]:
    """One simulated camera; keyword arguments through ``@pytest.mark.simcam(...)``."""
    kwargs: dict[str, Any] = {}
    marker = request.node.get_closest_marker("simcam")
    if marker is not None:
        kwargs.update(marker.kwargs)
    camera = SimulatedCamera(**kwargs)
    yield camera
    camera.close()


@pytest.fixture
def backend(sim: SimulatedCamera) -> SimulatedBackend:
    """A backend with ``sim`` plugged in."""
    return SimulatedBackend([sim])


@pytest.fixture
def cam(backend: SimulatedBackend) -> Iterator[Camera]:
    """A connected client camera; closed after the test."""
    camera = connect(backend=backend)
    yield camera
    camera.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "simcam(**kwargs): SimulatedCamera keyword arguments")

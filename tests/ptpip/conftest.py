"""Fixtures for the PTP/IP tests: a simulated camera served over loopback TCP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chdkptp.sim import PtpipServer, SimulatedCamera, serve_ptpip


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
def server(sim: SimulatedCamera) -> Iterator[PtpipServer]:
    """``sim`` served over PTP/IP on a free loopback port (short init timeout for tests)."""
    with serve_ptpip(sim, init_timeout=1.0) as srv:
        yield srv


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "simcam(**kwargs): SimulatedCamera keyword arguments")

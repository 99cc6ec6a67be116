"""Fixtures for the PTP/IP tests: a simulated camera served over loopback TCP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chdkptp.camera import Camera, connect
from chdkptp.sim import PtpipServer, SimulatedCamera, serve_ptpip


@pytest.fixture(autouse=True)
def _config_home(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the client's persisted GUID out of the real user config folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "xdg-config"))


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


@pytest.fixture
def cam(server: PtpipServer) -> Iterator[Camera]:
    """A client camera connected to ``sim`` over PTP/IP (the USB tests' ``cam``, on TCP)."""
    camera = connect(host=server.host, port=server.port)
    yield camera
    camera.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "simcam(**kwargs): SimulatedCamera keyword arguments")

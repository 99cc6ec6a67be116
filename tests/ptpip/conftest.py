"""Fixtures for the PTP/IP tests: a simulated camera served over loopback TCP.

``sim`` is the shipped plugin's ``sim_camera`` (marker ``sim_camera``, as in tests/client);
``cam`` here connects over PTP/IP instead of USB, so the client suites imported by
test_e2e_*.py run unchanged on TCP.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chdkptp.camera import Camera, connect
from chdkptp.sim import PtpipServer, SimulatedCamera, serve_ptpip
from tests._simfixtures import register_markers, sim_camera

__all__ = ["cam", "server", "sim", "sim_camera"]


@pytest.fixture(autouse=True)
def _config_home(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the client's persisted GUID out of the real user config folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "xdg-config"))


@pytest.fixture
def sim(sim_camera: SimulatedCamera) -> SimulatedCamera:
    """The shipped plugin's ``sim_camera`` (options: ``@pytest.mark.sim_camera(...)``)."""
    return sim_camera


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
    register_markers(config)

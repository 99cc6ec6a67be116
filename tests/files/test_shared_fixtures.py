"""The client and file suites share one definition of the simulated-camera fixtures."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest

from chdkptp.camera import Camera
from chdkptp.sim import SimulatedBackend, SimulatedCamera


def test_client_and_files_use_the_same_fixture_functions() -> None:
    shared = importlib.import_module("tests._simfixtures")
    plugin = importlib.import_module("chdkptp.sim.pytest_plugin")
    for name in ("sim_camera", "sim_backend", "sim_connect"):
        assert getattr(shared, name) is getattr(plugin, name), name  # the shipped fixtures
    for suite in ("tests.client.conftest", "tests.files.conftest"):
        conftest = importlib.import_module(suite)
        for name in ("sim", "backend", "cam", "sim_camera", "sim_backend", "sim_connect"):
            assert getattr(conftest, name) is getattr(shared, name), (suite, name)
    ptpip = importlib.import_module("tests.ptpip.conftest")
    assert ptpip.sim_camera is plugin.sim_camera


@pytest.mark.sim_camera(serial="SIMFILE7", model="PowerShot G12")
def test_file_suite_honours_the_sim_camera_marker(sim: SimulatedCamera, backend: SimulatedBackend,
                                              cam: Camera, put: Callable[..., Path],
                                              tmp_path: Path) -> None:
    assert (sim.serial, sim.model) == ("SIMFILE7", "PowerShot G12")
    assert backend.location(sim) is not None
    assert cam.serial == "SIMFILE7" and "G12" in cam.model
    put("A/DCIM/100CANON/IMG_0001.JPG", b"abc")
    out = cam.download("A/DCIM/100CANON/IMG_0001.JPG", tmp_path / "a.jpg")
    assert out is not None and out.read_bytes() == b"abc"

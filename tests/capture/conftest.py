"""Fixtures for the remote-capture tests: the shipped simulator fixtures (``sim``, ``backend``,
``cam``, marker ``sim_camera``) and ``produced``, which records the files each simulated shot
hands to remote capture (format bit → bytes), so tests compare against the camera's data."""

from __future__ import annotations

from typing import Any

import pytest

from chdkptp.sim import SimulatedCamera
from tests._simfixtures import (
    backend,
    cam,
    register_markers,
    sim,
    sim_backend,
    sim_camera,
    sim_connect,
)

__all__ = ["backend", "cam", "produced", "sim", "sim_backend", "sim_camera", "sim_connect"]


def pytest_configure(config: pytest.Config) -> None:
    register_markers(config)


@pytest.fixture
def produced(sim: SimulatedCamera, monkeypatch: pytest.MonkeyPatch) -> dict[int, dict[int, bytes]]:
    """Image number → {capture bit: whole file} for every shot the simulated camera takes."""
    shots: dict[int, dict[int, bytes]] = {}
    rc = sim.state.remote_capture
    original = rc.on_shot

    def record(image_number: int, files: dict[int, bytes], **kwargs: Any) -> None:
        shots[image_number] = dict(files)
        original(image_number, files, **kwargs)

    monkeypatch.setattr(rc, "on_shot", record)
    return shots

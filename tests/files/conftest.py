"""Fixtures for the file tests: ``put`` (write a file onto the simulated card); ``sim``,
``backend``, ``cam`` (aliases of the shipped plugin's fixtures) and its ``sim_camera`` marker
come from tests/_simfixtures.py."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

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

__all__ = ["backend", "cam", "put", "sim", "sim_backend", "sim_camera", "sim_connect"]


def pytest_configure(config: pytest.Config) -> None:
    register_markers(config)


@pytest.fixture
def put(sim: SimulatedCamera) -> Callable[..., Path]:
    """``put("A/DCIM/100CANON/IMG_0001.JPG", data, mtime=...)``: write a file onto the card."""

    def write(camera_path: str, data: bytes = b"x", *, mtime: int | None = None) -> Path:
        local = sim.card.to_local(camera_path)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
        if mtime is not None:
            os.utime(local, (mtime, mtime))
        return local

    return write

"""Fixtures for the file tests: a simulated camera with a temporary card, a connected client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chdkptp.camera import Camera, connect
from chdkptp.sim import SimulatedBackend, SimulatedCamera


@pytest.fixture
def sim() -> Iterator[SimulatedCamera]:
    """One simulated camera with a private temporary card."""
    camera = SimulatedCamera()
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


@pytest.fixture
def put(sim: SimulatedCamera) -> Callable[..., Path]:
    """``put("A/DCIM/100CANON/IMG_0001.JPG", data, mtime=...)``: write a file onto the card."""

    def write(camera_path: str, data: bytes = b"x", *, mtime: int | None = None) -> Path:
        local = sim.card.to_local(camera_path)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
        if mtime is not None:
            import os

            os.utime(local, (mtime, mtime))
        return local

    return write

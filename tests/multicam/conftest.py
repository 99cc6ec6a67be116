"""Fixtures for the camera-group tests: a rig of three simulated cameras on one bus, each
with its own serial, clock offset and USB latency, and a ``CameraGroup`` connected to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chdkptp import CameraGroup
from chdkptp.sim import SimulatedBackend, SimulatedCamera

#: serial -> camera clock offset (ms): far apart, as counters that started at power-on.
OFFSETS = {"RIG0001": 0, "RIG0002": 3_600_000, "RIG0003": 86_400_000}


@pytest.fixture
def rig() -> Iterator[dict[str, SimulatedCamera]]:
    """Three simulated cameras (serial -> camera) with different clocks and latencies."""
    cams = {
        serial: SimulatedCamera(serial=serial, clock_offset_ms=offset, latency_ms=0.5 + i,
                                jitter_ms=0.5, seed=i)
        for i, (serial, offset) in enumerate(OFFSETS.items())
    }
    try:
        yield cams
    finally:
        for cam in cams.values():
            cam.close()


@pytest.fixture
def bus(rig: dict[str, SimulatedCamera]) -> SimulatedBackend:
    """The simulated USB bus with the rig plugged in."""
    return SimulatedBackend(rig.values())


@pytest.fixture
def group(bus: SimulatedBackend, rig: dict[str, SimulatedCamera]) -> Iterator[CameraGroup]:
    """A group connected to every rig camera; afterwards, no camera saw storage enumeration."""
    with CameraGroup.connect_all(backend=bus) as g:
        yield g
    assert {s: c.storage_enumeration_count for s, c in rig.items()} == dict.fromkeys(rig, 0)

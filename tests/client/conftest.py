"""Fixtures for the client tests: simulated cameras behind the simulated pyusb backend
(``sim``, ``backend``, ``cam``: aliases of the shipped plugin's fixtures, and its
``sim_camera`` marker, all through tests/_simfixtures.py)."""

from __future__ import annotations

import pytest

from tests._simfixtures import (
    backend,
    cam,
    register_markers,
    sim,
    sim_backend,
    sim_camera,
    sim_connect,
)

__all__ = ["backend", "cam", "sim", "sim_backend", "sim_camera", "sim_connect"]


def pytest_configure(config: pytest.Config) -> None:
    register_markers(config)

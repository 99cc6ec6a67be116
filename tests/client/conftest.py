"""Fixtures for the client tests: simulated cameras behind the simulated pyusb backend
(``sim``, ``backend``, ``cam`` and the ``simcam`` marker come from tests/_simfixtures.py)."""

from __future__ import annotations

import pytest

from tests._simfixtures import backend, cam, register_markers, sim

__all__ = ["backend", "cam", "sim"]


def pytest_configure(config: pytest.Config) -> None:
    register_markers(config)

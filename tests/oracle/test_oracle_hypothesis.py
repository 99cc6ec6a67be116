"""Hypothesis drives the same differential check as ``test_oracle.py`` with its own inputs.

Inputs are arbitrary short byte strings and golden vectors with Hypothesis-chosen byte edits,
truncations and appended bytes; a disagreement is shrunk to a minimal example. The seeded
generator in ``test_oracle.py`` gives every struct 1,000 inputs; this adds 100 more per
top-level struct from a different source (nested structs are parsed inside them).
"""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_oracle import FUZZ_TYPES, SEEDS, check_one, official

pytestmark = pytest.mark.oracle

__all__ = ["official"]  # the module-scoped fixture, shared with test_oracle.py


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few byte edits, then maybe cut short or extended."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if data and draw(st.booleans()):
        del data[draw(st.integers(0, len(data) - 1)) :]
    data += draw(st.binary(max_size=8))
    return bytes(data)


def inputs(type_name: str) -> st.SearchStrategy[bytes]:
    seeds = SEEDS.get(type_name)
    raw = st.binary(max_size=96)
    return st.one_of(raw, mutated(seeds)) if seeds else raw


@pytest.mark.parametrize("type_name", [t for t in FUZZ_TYPES if "/" not in t])
def test_hypothesis_inputs_agree(official: dict[str, ModuleType], type_name: str) -> None:
    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=inputs(type_name))
    def agree(data: bytes) -> None:
        check_one(type_name, official, data)

    agree()

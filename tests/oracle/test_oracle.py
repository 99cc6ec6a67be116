"""Our generated parsers against the official Kaitai Struct compiler's Python output.

For every golden vector and for at least 1,000 generated inputs per top-level struct (and per
nested struct that has vectors), both parsers must give the same tree, attribute by attribute
(enums by int value, lazy instances read, nested structs and lists), or both must fail, and
they must consume the same number of bytes. Whenever both succeed, the bytes our ``to_bytes()``
builds must parse, with the official output, back to our object.

The compiler runs under node (``tests/oracle/ksc.py``); without node/npm these tests are
skipped, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import enum
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from . import diff, ksc
from .inputs import generate

pytestmark = pytest.mark.oracle

VECTORS = ksc.SPEC / "vectors"
GENERATED_PER_TYPE = 1000


def load_vectors() -> list[tuple[str, str, bytes]]:
    """(type, name, bytes) of every golden vector."""
    found = []
    for path in sorted(VECTORS.glob("*.yaml")):
        for vec in yaml.safe_load(path.read_text(encoding="utf-8")):
            found.append((vec["type"], vec["name"], bytes.fromhex("".join(vec["hex"].split()))))
    return found


def spec_types() -> dict[str, dict[str, Any]]:
    """Every type with a layout, as ``file`` or ``file/nested``, with its ksy body."""
    found: dict[str, dict[str, Any]] = {}

    def walk(name: str, body: dict[str, Any]) -> None:
        if body.get("seq") or body.get("instances"):
            found[name] = body
        for sub, sub_body in (body.get("types") or {}).items():
            walk(f"{name}/{sub}", sub_body)

    for path in ksc.ksy_files():
        walk(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


VECTOR_LIST = load_vectors()
TYPES = spec_types()
FUZZ_TYPES = sorted({t for t in TYPES if "/" not in t} | {t for t, _n, _d in VECTOR_LIST})
SEEDS: dict[str, list[bytes]] = {}
for _type, _name, _data in VECTOR_LIST:
    SEEDS.setdefault(_type, []).append(_data)


@pytest.fixture(scope="module")
def official() -> dict[str, ModuleType]:
    """The official compiler's Python output, compiled (or cached) and imported."""
    ksc.require_node()
    try:
        return ksc.load_python()
    except ksc.KscUnavailable as exc:
        ksc.skip_or_fail(str(exc))


def check_one(type_name: str, official: dict[str, ModuleType], data: bytes) -> str:
    """Parse ``data`` with both; assert agreement; return the outcome for statistics."""
    ours_cls = diff.resolve(None, type_name)
    ksc_cls = diff.resolve(official, type_name)
    ours_obj, ours = diff.parse_ours(ours_cls, data)
    ksc_consumed, theirs = diff.parse_ksc(ksc_cls, data)
    where = diff.first_difference(ours, theirs)
    assert where is None, f"{type_name} {data.hex(' ')}: ours vs official differ at {where}"
    if ours_obj is None:
        return "both failed"
    assert diff.consumed_ours(ours_cls, data) == ksc_consumed, (
        f"{type_name} {data.hex(' ')}: consumed lengths differ"
    )
    if diff.has_failure(ours):
        return "both ok, same attributes failed"
    built = ours_obj.to_bytes()
    _obj, rebuilt = diff.parse_ksc(ksc_cls, built)
    where = diff.first_difference(diff.ours_tree(ours_obj), rebuilt)
    assert where is None, (
        f"{type_name} {data.hex(' ')}: official parse of our to_bytes() {built.hex(' ')} "
        f"differs at {where}"
    )
    return "both ok"


def test_field_lists_match_the_specs() -> None:
    """Our classes list exactly the spec's seq ids and instance ids, in spec order."""
    for type_name, body in TYPES.items():
        cls = diff.resolve(None, type_name)
        assert list(cls._seq_fields) == [a["id"] for a in body.get("seq") or []], type_name
        assert list(cls._instance_fields) == list(body.get("instances") or {}), type_name


def test_every_struct_is_fuzzed_and_every_vector_type_exists() -> None:
    assert {t for t in TYPES if "/" not in t} <= set(FUZZ_TYPES)
    assert {t for t, _n, _d in VECTOR_LIST} <= set(TYPES)
    assert len(FUZZ_TYPES) >= 10


def test_enums_match(official: dict[str, ModuleType]) -> None:
    """Every enum of the official output has the same members (UPPER names) and values as ours."""
    checked = 0
    for name, module in official.items():
        ours_top = getattr(diff.ours_module(name), ksc.camel(name))
        top = getattr(module, ksc.camel(name))
        for attr, value in vars(top).items():
            if isinstance(value, type) and issubclass(value, enum.Enum):
                theirs = {m.name.upper(): int(m.value) for m in value}
                ours = {m.name: int(m.value) for m in getattr(ours_top, attr)}
                assert ours == theirs, f"{name}.{attr}"
                checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("type_name", "name", "data"), VECTOR_LIST, ids=[f"{t}:{n}" for t, n, _d in VECTOR_LIST]
)
def test_vector_agrees(
    official: dict[str, ModuleType], type_name: str, name: str, data: bytes
) -> None:
    assert check_one(type_name, official, data).startswith("both ok"), name


@pytest.mark.parametrize("type_name", FUZZ_TYPES)
def test_generated_inputs_agree(official: dict[str, ModuleType], type_name: str) -> None:
    outcomes = Counter(
        check_one(type_name, official, data)
        for data in generate(type_name, SEEDS.get(type_name, []), GENERATED_PER_TYPE, seed=1)
    )
    assert sum(outcomes.values()) >= GENERATED_PER_TYPE
    # the inputs must exercise both sides of every parser
    assert outcomes["both ok"] >= 50, outcomes
    assert outcomes["both failed"] + outcomes["both ok, same attributes failed"] >= 50, outcomes


def test_skip_or_fail_without_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without node on PATH the oracle skips, but under CI it fails."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        ksc.require_node()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        ksc.require_node()

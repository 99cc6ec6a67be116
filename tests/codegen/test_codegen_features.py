"""The Kaitai subset beyond what the real specs use, through tests/codegen/fixtures."""

from __future__ import annotations

import importlib
import math
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen.__main__ import main
from tests.codegen._vectors import forget_package, import_generated

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE = "codegen_features_pkg"


@pytest.fixture(scope="module")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("features") / "featurespkg"
    assert main(["--spec", str(FIXTURES), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def features(generated_dir: Path) -> Iterator[Any]:
    import_generated(generated_dir, PACKAGE)
    try:
        yield importlib.import_module(f"{PACKAGE}.features")
    finally:
        forget_package(PACKAGE)


def sample(f: Any, version: int = 2) -> Any:
    return f.Features(
        version=version, kind=1, flags=5, big=-2, ratio=1.5, name="abc", tag=b"xy",
        extra=9 if version >= 2 else None, body=f.Features.Record(code=0x1234, rest=b"zz"),
        points=[f.Point(x=1, y=-1), f.Point(x=-128, y=127)], label="ab", trailer=[1, -1],
    )  # fmt: skip


EXPECTED_V2 = bytes.fromhex(
    "4654 02 01 0500 fffe 0000c03f 61626300 78792c 09000000 0400 1234 7a7a"
    " 02 01ff 807f 61622020 0100 ffff"
)


def test_build_and_parse(features: Any) -> None:
    obj = sample(features)
    data = obj.to_bytes()
    assert data == EXPECTED_V2
    assert obj.len_body == 4 and obj.num_points == 2  # derived by to_bytes
    back = features.Features.from_bytes(data)
    assert back == obj
    codes = importlib.import_module(f"{PACKAGE}.feature_codes")
    assert back.kind is codes.Kind.ALPHA and back.kind.since == "1.0"
    assert codes.Kind.BETA.weight == 7 and codes.Kind.ALPHA.weight is None
    assert back.flags == codes.ModeFlags.FAST | codes.ModeFlags.LOUD
    assert back.big == -2 and math.isclose(back.ratio, 1.5)
    assert back.label == "ab"  # pad-right stripped
    assert back.is_v2 is True and back.twice_points == 4  # value instances
    assert isinstance(back.points[0], features.Features.Point)
    assert features.Point is features.Features.Point  # module-level alias of nested types


def test_conditional_field_absent(features: Any) -> None:
    obj = sample(features, version=1)
    data = obj.to_bytes()
    assert len(data) == len(EXPECTED_V2) - 4
    back = features.Features.from_bytes(data)
    assert back.extra is None and back.is_v2 is False
    assert back == obj


def test_conditional_field_required_when_condition_holds(features: Any) -> None:
    obj = sample(features)
    obj.extra = None
    with pytest.raises(ValueError, match="extra: required"):
        obj.to_bytes()


def test_decode_errors_name_the_field(features: Any) -> None:
    from_bytes = features.Features.from_bytes
    runtime = importlib.import_module(f"{PACKAGE}._runtime")
    err = runtime.SpecDecodeError
    cases = {
        b"XY" + EXPECTED_V2[2:]: "features.magic",
        EXPECTED_V2[:2] + b"\x03" + EXPECTED_V2[3:]: "features.version",
        EXPECTED_V2[:14]: "features.name",  # no NUL before the end
        EXPECTED_V2[:18]: "features.tag",  # terminator ',' missing
        EXPECTED_V2[:23] + b"\xff\x00" + EXPECTED_V2[25:]: "features.len_body",
        EXPECTED_V2[:33]: "features.num_points",
        EXPECTED_V2[:-1]: "features.trailer",  # half an s2 left at the end
    }
    for data, field in cases.items():
        with pytest.raises(err) as info:
            from_bytes(data)
            pytest.fail(f"no error for {field}")
        assert info.value.field == field, (data.hex(), str(info.value))
        assert isinstance(info.value, ValueError)


def test_write_errors_are_value_errors(features: Any) -> None:
    obj = sample(features)
    obj.label = "too long"
    with pytest.raises(ValueError, match="label"):
        obj.to_bytes()
    obj = sample(features)
    obj.points = [features.Point(x=1, y=2)] * 300  # num_points is a u1
    with pytest.raises(ValueError, match=r"^features\.num_points: 300 does not fit its type \(B\)"):
        obj.to_bytes()
    obj = sample(features)
    obj.points = [features.Point(x=1, y=2), features.Point(x=1, y=200)]  # s1
    with pytest.raises(ValueError, match=r"^features\.points\[1\]\.y: 200 does not fit"):
        obj.to_bytes()
    obj = sample(features)
    obj.body.code = -1  # u2be
    with pytest.raises(ValueError, match=r"^features\.body\.code: -1 does not fit"):
        obj.to_bytes()


def test_fixture_output_is_lint_and_type_clean(generated_dir: Path) -> None:
    """Whatever the generator emits is ruff-clean and mypy --strict clean as generated."""
    bindir = Path(sys.executable).parent
    ruff = shutil.which("ruff", path=str(bindir))
    if ruff is None:
        pytest.skip("ruff not installed")
    ignore = "E501,N801,N802,N815,RUF012,UP"  # the per-file ignores pyproject has for generated/
    root = Path(__file__).resolve().parents[2]
    lint = subprocess.run(
        [ruff, "check", "--no-cache", "--config", str(root / "pyproject.toml"),
         "--extend-ignore", ignore, str(generated_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr
    types = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null",
         "--ignore-missing-imports", generated_dir.name],
        cwd=generated_dir.parent, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert types.returncode == 0, types.stdout + types.stderr

"""Spec validation errors name the file, the path inside it and the problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codegen.__main__ import main
from codegen.errors import SpecError
from codegen.loader import load_spec_dir
from codegen.render import generate

GOOD = """\
meta:
  id: t
  endian: le
doc: A test spec.
seq:
  - id: num
    type: u1
  - id: value
    size: num
enums:
  color:
    1:
      id: red
      doc: Red.
    2:
      id: green
      doc: Green.
"""


def check(tmp_path: Path, text: str, name: str = "t") -> SpecError:
    (tmp_path / f"{name}.ksy").write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        generate(load_spec_dir(tmp_path))
    return info.value


def test_good_fixture_generates(tmp_path: Path) -> None:
    (tmp_path / "t.ksy").write_text(GOOD, encoding="utf-8")
    files = generate(load_spec_dir(tmp_path))
    assert "t.py" in files and "class Color(IntEnum):" in files["t.py"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("seq:", "seqq:", "spec/t.ksy: seqq: unknown key 'seqq'"),
        ("    size: num", "    sise: num", "spec/t.ksy: seq.value.sise: unknown key 'sise'"),
        ("doc: A test spec.\n", "", "spec/t.ksy: doc: missing"),
        ("      doc: Red.\n", "", "spec/t.ksy: enums.color.1.doc: missing"),
        (
            "    2:\n      id: green",
            "    0x1:\n      id: green",
            "spec/t.ksy: enums.color.1: duplicate key",
        ),
        ("      id: green", "      id: red", "spec/t.ksy: enums.color.2.id: duplicate id 'red'"),
        (
            "    1:\n      id: red\n      doc: Red.",
            "    1: red",
            "spec/t.ksy: enums.color.1: missing doc",
        ),
        (
            "    size: num",
            "    size: nmu",
            "spec/t.ksy: seq.value.size: 'nmu' is not a field defined before this one",
        ),
        (
            "    size: num",
            "    size: num +",
            "spec/t.ksy: seq.value.size: unexpected end of expression",
        ),
        ("    type: u1", "    type: u3", "spec/t.ksy: seq.num.type: unknown type 'u3'"),
        ("  id: t\n", "  id: other\n", "spec/t.ksy: meta.id: 'other' must equal the file name 't'"),
        (
            "  endian: le\n",
            "  endian: le\n  imports: [nothere]\n",
            "spec/t.ksy: meta.imports[0]: 'nothere' is not a spec",
        ),
        ("  - id: value", "  - id: class", "spec/t.ksy: seq.class.id: 'class' is a Python keyword"),
        ("  - id: value", "  - id: num", "spec/t.ksy: seq.num.id: duplicate field id 'num'"),
        (
            "    type: u1",
            "    type: u1\n    enum: colour",
            "spec/t.ksy: seq.num.enum: unknown enum 'colour'",
        ),
        (
            "    type: u1",
            "    type: u1\n    repeat: until",
            "spec/t.ksy: seq.num.repeat: unsupported repeat 'until'",
        ),
        (
            "    size: num",
            "    size: num\n    size-eos: true",
            "spec/t.ksy: seq.value: 'size' and 'size-eos' exclude each other",
        ),
        (
            "      id: red",
            "      id: red\n      -name: x",
            "spec/t.ksy: enums.color.1.-name: unusable metadata key name",
        ),
        (
            "      id: red",
            "      id: red\n      -bit-length: 3",
            "spec/t.ksy: enums.color.1.-bit-length: unusable metadata key name",
        ),
        (
            "      id: red",
            "      id: red\n      -flag: [1]",
            "spec/t.ksy: enums.color.1.-flag: metadata values must be str or int",
        ),
    ],
)
def test_error_names_file_and_path(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    err = check(tmp_path, GOOD.replace(old, new, 1))
    assert str(err).startswith(message), str(err)


def test_enum_reference_in_expression_is_checked(tmp_path: Path) -> None:
    text = GOOD.replace("    size: num", "    size: num\n    if: num == color::blue")
    err = check(tmp_path, text)
    assert str(err) == "spec/t.ksy: seq.value.if: enum color has no member 'blue'"


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    err = check(tmp_path, "meta:\n  id: t\n doc: [\n")
    assert str(err).startswith("spec/t.ksy: line ")
    assert "invalid YAML" in str(err)


def test_cli_prints_error_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.ksy").write_text(GOOD.replace("seq:", "seqq:"), encoding="utf-8")
    assert main(["--spec", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "spec/t.ksy: seqq: unknown key 'seqq'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_import_cycle_is_reported(tmp_path: Path) -> None:
    for a, b in (("a", "b"), ("b", "a")):
        (tmp_path / f"{a}.ksy").write_text(
            f"meta:\n  id: {a}\n  imports: [{b}]\ndoc: Cycle.\n", encoding="utf-8"
        )
    with pytest.raises(SpecError, match="import cycle"):
        generate(load_spec_dir(tmp_path))


def test_missing_spec_dir(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load_spec_dir(tmp_path / "nope")

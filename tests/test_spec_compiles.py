"""The specs in spec/: style rules, code-table metadata, golden vectors, and the official compiler.

Three groups of checks:

* mechanical `.ksy` style rules (engineering notes §4) and the project metadata on enum entries;
* the format of ``spec/vectors/*.yaml`` and the fact-sheet byte examples they must contain;
* the official Kaitai Struct compiler (npm ``kaitai-struct-compiler`` 0.11.0, driven by
  ``codegen/ksc/compile.js``) compiles every spec to python, java, go, cpp_stl and javascript,
  and its Python output decodes every vector to exactly the listed fields.

The compiler checks need node and npm. Without them they are skipped, except under CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.oracle import ksc as oracle_ksc

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"
VECTORS = SPEC / "vectors"
HARNESS = oracle_ksc.HARNESS
TARGETS = oracle_ksc.TARGETS

KSY_FILES = sorted(SPEC.glob("*.ksy"))
VECTOR_FILES = sorted(VECTORS.glob("*.yaml"))

# The files docs/internals.md names; more may exist.
REQUIRED_SPECS = {
    "ptp_codes", "chdk_codes", "usb_codes", "ptp_types", "ptp_container_header", "ptp_container",
    "ptp_params", "ptp_event", "ptp_device_info", "chdk_upload_file", "chdk_lv_frame",
}

TOP_ORDER = ["meta", "doc", "doc-ref", "to-string", "params", "seq", "instances", "types", "enums"]
META_ORDER = ["id", "title", "application", "file-extension", "xref", "tags", "license",
              "ks-version", "imports", "encoding", "endian", "bit-endian"]
ATTR_ORDER = ["id", "-orig-id", "pos", "size", "size-eos", "type", "enum", "terminator",
              "encoding", "process", "valid", "contents", "repeat", "repeat-expr",
              "repeat-until", "if", "doc", "doc-ref"]
ENTRY_KEYS = {"id", "-orig-id", "doc", "doc-ref"}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
PY_KEYWORDS = {"and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
               "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
               "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
               "while", "with", "yield", "match", "case", "print", "exec"}


def load_ksy(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: top level is not a mapping"
    return data


SPECS = {p.stem: load_ksy(p) for p in KSY_FILES}


def ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def in_order(keys: list[str], order: list[str]) -> bool:
    known = [k for k in keys if k in order]
    return known == sorted(known, key=order.index)


def walk_types(spec: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (spec path, type body) for the top-level type and every nested type."""
    yield path, spec
    for name, body in (spec.get("types") or {}).items():
        yield from walk_types(body, f"{path}/types/{name}")


def enum_entries(spec: dict[str, Any]) -> Iterator[tuple[str, str, int, Any]]:
    for _tpath, body in walk_types(spec, ""):
        for enum_name, entries in (body.get("enums") or {}).items():
            for value, entry in entries.items():
                yield _tpath, enum_name, value, entry


# --------------------------------------------------------------------------- style rules


def test_required_specs_exist() -> None:
    assert set(SPECS) >= REQUIRED_SPECS, sorted(REQUIRED_SPECS - set(SPECS))


@pytest.mark.parametrize("path", KSY_FILES, ids=ids(KSY_FILES))
def test_formatting(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not text.startswith("---"), "no document marker"
    assert "\t" not in text, "no tabs"
    assert text.endswith("\n") and not text.endswith("\n\n")
    for number, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0, f"line {number}: indent is not a multiple of 2"
        assert line == line.rstrip(), f"line {number}: trailing whitespace"
        stripped = line.lstrip(" ")
        if stripped.startswith("- ") and ":" in stripped and not stripped.startswith("- id:"):
            # list items of mappings start with `- id:` (imports are plain strings)
            pytest.fail(f"line {number}: a list item mapping must start with `- id:`")


@pytest.mark.parametrize("path", KSY_FILES, ids=ids(KSY_FILES))
def test_meta_and_key_order(path: Path) -> None:
    spec = SPECS[path.stem]
    meta = spec["meta"]
    assert meta["id"] == path.stem, "meta.id must equal the file name"
    assert meta.get("endian") == "le", "PTP over USB is little-endian"
    assert meta.get("license") == "MIT"
    assert in_order(list(spec), TOP_ORDER), f"top-level key order: {list(spec)}"
    assert set(spec) <= set(TOP_ORDER), set(spec) - set(TOP_ORDER)
    assert in_order(list(meta), META_ORDER), f"meta key order: {list(meta)}"
    assert set(meta) <= set(META_ORDER)
    assert spec.get("doc") and spec.get("doc-ref"), "the file needs doc and doc-ref"
    for imp in meta.get("imports", []):
        assert (SPEC / f"{imp}.ksy").is_file(), f"import {imp!r} is not a .ksy file in spec/"


@pytest.mark.parametrize("path", KSY_FILES, ids=ids(KSY_FILES))
def test_attributes(path: Path) -> None:
    spec = SPECS[path.stem]
    for tpath, body in walk_types(spec, path.stem):
        if tpath != path.stem:
            assert body.get("doc") or body.get("doc-ref"), f"{tpath}: type needs doc or doc-ref"
        attrs = [(f"{tpath}/seq/{i}", a) for i, a in enumerate(body.get("seq") or [])]
        attrs += [(f"{tpath}/instances/{k}", {"id": k, **v})
                  for k, v in (body.get("instances") or {}).items()]
        seen: set[str] = set()
        for apath, attr in attrs:
            assert SNAKE.match(attr["id"]), f"{apath}: id {attr['id']!r} is not lower_snake"
            assert attr["id"] not in seen, f"{apath}: duplicate id"
            seen.add(attr["id"])
            assert attr.get("doc") and attr.get("doc-ref"), f"{apath}: needs doc and doc-ref"
            assert in_order(list(attr), ATTR_ORDER), f"{apath}: key order {list(attr)}"
            unknown = {k for k in attr if not k.startswith("-")} - set(ATTR_ORDER)
            assert not unknown, f"{apath}: keys outside the subset: {unknown}"
            enc = attr.get("encoding")
            if enc is not None:
                assert enc in {"UTF-16LE", "ASCII", "UTF-8"}, f"{apath}: encoding {enc!r}"
            for key, value in attr.items():
                if key.startswith("-"):
                    assert isinstance(value, (str, int)), f"{apath}/{key}: str or int only"


@pytest.mark.parametrize("path", KSY_FILES, ids=ids(KSY_FILES))
def test_enum_entries_are_verbose(path: Path) -> None:
    spec = SPECS[path.stem]
    for tpath, enum_name, value, entry in enum_entries(spec):
        where = f"{path.stem}{tpath}/enums/{enum_name}/{value}"
        assert SNAKE.match(enum_name), f"{where}: enum name is not lower_snake"
        assert isinstance(value, int) and value >= 0, f"{where}: key must be an integer"
        assert isinstance(entry, dict), f"{where}: entries must be verbose mappings"
        assert SNAKE.match(entry["id"]), f"{where}: id {entry['id']!r} is not lower_snake"
        assert entry["id"] not in PY_KEYWORDS, f"{where}: id is a Python keyword"
        assert entry.get("doc") and entry.get("doc-ref"), f"{where}: needs doc and doc-ref"
        for key, val in entry.items():
            assert key in ENTRY_KEYS or key.startswith("-"), f"{where}: key {key!r}"
            if key.startswith("-"):
                assert isinstance(val, (str, int)), f"{where}/{key}: str or int only"
        if enum_name.endswith("_flags") and value:
            assert value & (value - 1) == 0, f"{where}: a flag must be a single bit"
    for tpath, body in walk_types(spec, path.stem):
        for enum_name, entries in (body.get("enums") or {}).items():
            names = [e["id"] for e in entries.values()]
            assert len(names) == len(set(names)), f"{tpath}/enums/{enum_name}: duplicate ids"


def enum(spec: str, name: str) -> dict[int, dict[str, Any]]:
    result: dict[int, dict[str, Any]] = SPECS[spec]["enums"][name]
    return result


def test_code_table_metadata() -> None:
    ops = enum("ptp_codes", "operation_code")
    trap = {v for v, e in ops.items() if e.get("-storage-enumeration") == 1}
    assert trap == set(range(0x1004, 0x100C)) | {0x101B}
    assert ops[0x1001]["id"] == "get_device_info" and ops[0x9999]["id"] == "chdk"

    categories = {"ok", "error", "busy", "not_supported", "invalid_parameter", "session",
                  "transaction", "storage", "object"}
    responses = enum("ptp_codes", "response_code")
    assert set(responses) == set(range(0x2000, 0x2021))
    assert all(e["-category"] in categories for e in responses.values())
    assert responses[0x2001]["-category"] == "ok"
    assert responses[0x2019]["-category"] == "busy"
    assert responses[0x201E]["id"] == "session_already_open"

    commands = enum("chdk_codes", "chdk_command")
    assert set(commands) == set(range(15))
    for value, entry in commands.items():
        assert entry["-data-phase"] in {"none", "in", "out"}, value
        assert re.fullmatch(r"\d+\.\d+", entry["-since"]), value
        assert entry["-params-in"] and entry["-params-out"], value
    phases = {e["id"]: e["-data-phase"] for e in commands.values()}
    assert phases["execute_script"] == "out" and phases["read_script_msg"] == "in"
    assert phases["script_status"] == "none"
    assert commands[13]["-since"] == "2.5"

    products = enum("usb_codes", "canon_product_id")
    assert products[0x325A]["-model"] == "PowerShot SX160 IS"
    assert all(isinstance(e["-model"], str) and e["-model"] for e in products.values())
    assert list(enum("usb_codes", "usb_vendor_id")) == [0x04A9]


# --------------------------------------------------------------------------- vectors


def load_vectors(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, list) and data, f"{path.name}: a non-empty list"
    return data


def vector_hex(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def resolve_type(type_name: str) -> tuple[str, list[str]]:
    """``file/nested/...`` -> (file, nested type path), checked against the specs."""
    file, *nested = type_name.split("/")
    assert file in SPECS, f"unknown spec {file!r}"
    body = SPECS[file]
    for name in nested:
        body = (body.get("types") or {})[name]
    return file, nested


def type_body(type_name: str) -> dict[str, Any]:
    file, nested = resolve_type(type_name)
    body = SPECS[file]
    for name in nested:
        body = body["types"][name]
    return body


ALL_VECTORS = [(p.stem, v) for p in VECTOR_FILES for v in load_vectors(p)]


def test_every_struct_spec_has_vectors() -> None:
    with_layout = {name for name, spec in SPECS.items() if spec.get("seq") or spec.get("types")}
    covered = {p.stem for p in VECTOR_FILES}
    assert with_layout <= covered, sorted(with_layout - covered)
    assert covered <= set(SPECS), sorted(covered - set(SPECS))


@pytest.mark.parametrize("path", VECTOR_FILES, ids=ids(VECTOR_FILES))
def test_vector_format(path: Path) -> None:
    names = set()
    for vec in load_vectors(path):
        keys = {"name", "type", "provenance", "hex", "fields"}
        assert keys <= set(vec) <= keys | {"decode_only"}, vec.get("name")
        assert vec.get("decode_only", True) is True, f"{vec['name']}: decode_only is true or absent"
        assert SNAKE.match(vec["name"]) and vec["name"] not in names, vec["name"]
        names.add(vec["name"])
        file, _nested = resolve_type(vec["type"])
        assert file == path.stem, f"{vec['name']}: type from another spec"
        assert isinstance(vec["provenance"], str) and len(vec["provenance"]) > 10
        assert re.fullmatch(r"([0-9a-f]{2}( [0-9a-f]{2})*)?", vec["hex"]), vec["name"]
        body = type_body(vec["type"])
        expected = {a["id"] for a in body.get("seq") or []} | set(body.get("instances") or {})
        assert set(vec["fields"]) == expected, f"{vec['name']}: fields must list every attribute"


FACT_SHEET_EXAMPLES = {
    # fact sheet §7, verbatim
    ("ptp_container", "open_session_command"): "10 00 00 00 01 00 02 10 00 00 00 00 01 00 00 00",
    ("ptp_container", "script_status_command"): "10 00 00 00 01 00 99 99 9c 00 00 00 08 00 00 00",
    ("ptp_container", "script_status_response"): "10 00 00 00 03 00 01 20 9c 00 00 00 00 00 00 00",
    ("ptp_container", "execute_script_command"):
        "14 00 00 00 01 00 99 99 9d 00 00 00 07 00 00 00 00 00 00 00",
    ("usb_device_status", "status_ok_capture"): "04 00 01 20",
    ("usb_cancel_request", "cancel_tid_5"): "01 40 05 00 00 00",
    ("ptp_types", "string_hi"): "03 48 00 69 00 00 00",
    ("ptp_params", "read_script_msg_response_params"):
        "02 00 00 00 02 00 00 00 0c 00 00 00 04 00 00 00",
}


def test_fact_sheet_examples_are_vectors() -> None:
    by_key = {(file, v["name"]): v["hex"] for file, v in ALL_VECTORS}
    for key, hex_text in FACT_SHEET_EXAMPLES.items():
        assert by_key.get(key) == hex_text, key
    container_types = {v["fields"]["header"]["container_type"]
                       for file, v in ALL_VECTORS if file == "ptp_container"}
    assert {1, 2, 3, 4} <= container_types


# --------------------------------------------------------------------------- official compiler


# Install, compile and import helpers are shared with tests/oracle/ and bench/parse.py.
require_node = oracle_ksc.require_node


@pytest.fixture(scope="session")
def ksc_install() -> str:
    """Install the harness' npm packages into .cache/ksc once (npm ci from the lock file)."""
    require_node()
    try:
        return oracle_ksc.ensure_installed()
    except oracle_ksc.KscUnavailable as exc:
        oracle_ksc.skip_or_fail(str(exc))


@pytest.fixture(scope="session")
def ksc_outputs(ksc_install: str) -> dict[str, Any]:
    """Compile every spec for every target (one node process per target, in parallel; cached)."""
    compiled = oracle_ksc.compile_targets(TARGETS)
    dirs = {target: result.out for target, result in compiled.items()}
    results = {target: (result.returncode, result.log) for target, result in compiled.items()}
    return {"dirs": dirs, "results": results}


@pytest.mark.oracle
@pytest.mark.parametrize("target", TARGETS)
def test_ksc_compiles(ksc_outputs: dict[str, Any], target: str) -> None:
    code, log = ksc_outputs["results"][target]
    assert code == 0, f"ksc failed for {target}:\n{log}"
    produced = [p for p in ksc_outputs["dirs"][target].rglob("*") if p.is_file()]
    assert len(produced) >= len(KSY_FILES), [p.name for p in produced]
    if target == "python":
        for name in SPECS:
            assert (ksc_outputs["dirs"][target] / f"{name}.py").is_file(), name


@pytest.mark.oracle
def test_ksc_python_output_is_valid_python(ksc_outputs: dict[str, Any]) -> None:
    for path in sorted(ksc_outputs["dirs"]["python"].glob("*.py")):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


@pytest.mark.oracle
def test_harness_reports_errors(ksc_install: str, tmp_path: Path) -> None:
    node, _npm = require_node()
    bad = tmp_path / "broken_spec.ksy"
    bad.write_text("meta:\n  id: broken_spec\n  endian: le\nseq:\n  - id: x\n    type: u3\n")
    result = subprocess.run(
        [node, str(HARNESS / "compile.js"), "python", str(tmp_path / "out"), str(bad)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "KSC_NODE_MODULES": ksc_install},
    )
    assert result.returncode == 1
    assert "broken_spec.ksy" in result.stderr and "u3" in result.stderr


@pytest.fixture(scope="session")
def ksc_python(ksc_outputs: dict[str, Any]) -> dict[str, Any]:
    """Import the official compiler's Python output (absolute imports: folder on sys.path)."""
    code, log = ksc_outputs["results"]["python"]
    assert code == 0, log
    return oracle_ksc.import_python(ksc_outputs["dirs"]["python"])


camel = oracle_ksc.camel


def compare(where: str, expected: Any, actual: Any) -> None:
    if isinstance(expected, dict) and set(expected) == {"hex"}:
        assert actual == vector_hex(expected["hex"]), where
    elif isinstance(expected, dict):
        assert actual is not None, f"{where}: missing"
        for key, value in expected.items():
            compare(f"{where}.{key}", value, getattr(actual, key, None))
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            compare(f"{where}[{i}]", e, a)
    elif expected is None:
        assert actual is None, f"{where}: expected absent, got {actual!r}"
    elif isinstance(expected, (bool, str)):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    else:
        assert isinstance(expected, int)
        assert int(actual) == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("file", "vec"), ALL_VECTORS, ids=[f"{f}/{v['name']}" for f, v in ALL_VECTORS]
)
def test_ksc_decodes_vector(ksc_python: dict[str, Any], file: str, vec: dict[str, Any]) -> None:
    from kaitaistruct import KaitaiStream

    _file, nested = resolve_type(vec["type"])
    cls = getattr(ksc_python[file], camel(file))
    for name in nested:
        cls = getattr(cls, camel(name))
    data = vector_hex(vec["hex"])
    obj = cls(KaitaiStream(io.BytesIO(data)))
    compare(vec["name"], vec["fields"], obj)
    if not type_body(vec["type"]).get("instances"):
        assert obj._io.is_eof(), f"{vec['name']}: trailing bytes not described by the fields"

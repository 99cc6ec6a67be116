"""Parent/root links, ``_io`` expressions, repeat-eos of user types and pos instances
(tests/codegen/fixtures/tree.ksy, generated on its own so that links are enabled)."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen.__main__ import main
from tests.codegen._vectors import forget_package, import_generated

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE = "codegen_tree_pkg"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    spec = tmp_path_factory.mktemp("treespec")
    shutil.copy(FIXTURES / "tree.ksy", spec / "tree.ksy")
    out = tmp_path_factory.mktemp("tree") / "treepkg"
    assert main(["--spec", str(spec), "--out", str(out)]) == 0
    import_generated(out, PACKAGE)
    try:
        yield importlib.import_module(f"{PACKAGE}.tree")
    finally:
        forget_package(PACKAGE)


def test_parse_with_links(tree: Any) -> None:
    data = bytes.fromhex("02 00 aaaa 02 0102 07 02 00 09 02")
    obj = tree.Tree.from_bytes(data)
    assert obj.head == b"\xaa\xaa"
    assert [(i.data, i.flag, i.root_count) for i in obj.items] == [(b"\x01\x02", 7, 2), (b"", 9, 2)]
    assert obj.items[0]._parent is obj and obj.items[1]._root is obj
    assert obj.note is None and obj.has_many is True
    assert obj.to_bytes() == data


def test_parent_condition_false(tree: Any) -> None:
    data = bytes.fromhex("01 00 bbbb 01 05 01")
    obj = tree.Tree.from_bytes(data)
    assert obj.items[0].flag is None and obj.has_many is False
    assert obj.to_bytes() == data


def test_io_size_and_valid_against_root(tree: Any) -> None:
    assert tree.Tree.from_bytes(bytes.fromhex("00 00")).head == b""
    err = importlib.import_module(f"{PACKAGE}._runtime").SpecDecodeError
    with pytest.raises(err) as info:
        tree.Tree.from_bytes(bytes.fromhex("01 00 cccc 00 05"))
    assert info.value.field == "tree.items[0].root_count"


def test_pos_instance(tree: Any) -> None:
    data = bytes.fromhex("01 02 1234 00 01")
    obj = tree.Tree.from_bytes(data)
    assert obj.note == 0x1234
    built = tree.Tree(count=1, ofs_note=6, head=b"\x00\x00", note=0xBEEF)
    built.items = [tree.Tree.Item(data=b"", root_count=1)]
    assert built.to_bytes() == bytes.fromhex("01 06 0000 00 01 beef")

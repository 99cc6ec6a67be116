"""The Kaitai expression subset: parsing, translation, inversion."""

from __future__ import annotations

import pytest

from codegen import expr as ex


def py(text: str, io: bool = False) -> str:
    node = ex.parse(text)
    ctx = ex.Context(
        "self", lambda parts: "::".join(parts), ("start", "pos", "end") if io else None
    )
    return ex.strip_parens(ex.to_python(node, ctx))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("num_chars * 2", "self.num_chars * 2"),
        ("header.len_container - 12", "self.header.len_container - 12"),
        ("(len_container - 12) / 4", "(self.len_container - 12) // 4"),
        ("a + b * c", "self.a + (self.b * self.c)"),
        ("a == 1 and not b or c", "((self.a == 1) and (not self.b)) or self.c"),
        ("a < 2 ? 0x100 : 3", "0x100 if (self.a < 2) else 3"),
        ("-a", "-self.a"),
        ("x.size + y.length", "len(self.x) + len(self.y)"),
        ("a & 0xff | b << 2", "(self.a & 255) | (self.b << 2)"),
        ("true", "True"),
    ],
)
def test_translate(text: str, code: str) -> None:
    assert py(text) == code


def test_io_only_in_parse_context() -> None:
    assert py("_io.size - 4", io=True) == "(end - start) - 4"
    assert py("_io.eof", io=True) == "pos >= end"
    with pytest.raises(ex.ExprError):
        py("_io.size")


@pytest.mark.parametrize("text", ["a +", "(a", "a ? b", "1 2", "a.$", "::x"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ex.ExprError):
        ex.parse(text)


@pytest.mark.parametrize(
    ("text", "path", "inverse"),
    [
        ("num_chars * 2", ("num_chars",), "(n // 2)"),
        ("header.len_container - 12", ("header", "len_container"), "(n + 12)"),
        ("(len_container - 12) / 4", ("len_container",), "((n * 4) + 12)"),
        ("4 + len", ("len",), "(n - 4)"),
        ("len_name", ("len_name",), "n"),
    ],
)
def test_invert(text: str, path: tuple[str, ...], inverse: str) -> None:
    assert ex.invert(ex.parse(text), "n") == (path, inverse)


@pytest.mark.parametrize("text", ["a * b", "_io.size - 1", "a ? 1 : 2", "12", "8 / a"])
def test_not_invertible(text: str) -> None:
    assert ex.invert(ex.parse(text), "n") is None


def test_names_and_negate() -> None:
    assert ex.names(ex.parse("header.ofs + x * 2")) == [("header", "ofs"), ("x",)]
    assert ex.negate(ex.parse("a != 0")) == ex.parse("a == 0")
    assert ex.negate(ex.parse("not a")) == ex.parse("a")

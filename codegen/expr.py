"""Kaitai expression subset: parsing, translation to Python, and inversion for length fields.

Supported: integer/boolean literals, names (``_root``, ``_parent``, ``_io``), attribute access,
``enum::member`` (optionally ``file::enum::member``), unary ``-``/``not``/``~``, the binary
operators ``* / % + - << >> & ^ | < <= > >= == != and or``, ``?:``, and the methods/properties
``.size``, ``.length``, ``.to_i``, ``_io.size``, ``_io.pos``, ``_io.eof``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .errors import CodegenError


class ExprError(CodegenError):
    """An expression cannot be parsed or translated (re-raised as a SpecError with its path)."""


@dataclass(frozen=True)
class Int:
    """Integer literal."""

    value: int


@dataclass(frozen=True)
class Bool:
    """Boolean literal."""

    value: bool


@dataclass(frozen=True)
class Name:
    """A bare name: a field, ``_root``, ``_parent`` or ``_io``."""

    id: str


@dataclass(frozen=True)
class Attr:
    """``obj.name`` (a nested field, or ``.size`` / ``.length`` / ``.to_i``)."""

    obj: Node
    name: str


@dataclass(frozen=True)
class EnumRef:
    """``enum::member`` before resolution."""

    parts: tuple[str, ...]


@dataclass(frozen=True)
class PyConst:
    """An already-resolved Python expression (enum member references after validation)."""

    code: str


@dataclass(frozen=True)
class Unary:
    """Unary ``-``, ``~`` or ``not``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Bin:
    """Binary operator."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Cond:
    """``cond ? then : other``."""

    cond: Node
    then: Node
    other: Node


Node = Int | Bool | Name | Attr | EnumRef | PyConst | Unary | Bin | Cond

_TOKEN = re.compile(
    r"\s*(?:(?P<num>0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>::|<<|>>|<=|>=|==|!=|[-+*/%&|^~<>?:().]))"
)

# Binary operators by precedence level (lowest first), as in the Kaitai expression language.
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("or",),
    ("and",),
    ("==", "!=", "<", "<=", ">", ">="),
    ("|",),
    ("^",),
    ("&",),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ExprError(f"cannot parse expression {text!r} at offset {pos}")
        kind = m.lastgroup
        assert kind is not None
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise ExprError(f"unexpected end of expression {self.text!r}")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        _, got = self.take()
        if got != value:
            raise ExprError(f"expected {value!r}, got {got!r} in {self.text!r}")

    def parse(self) -> Node:
        node = self.ternary()
        if self.i != len(self.tokens):
            raise ExprError(f"unexpected {self.tokens[self.i][1]!r} in {self.text!r}")
        return node

    def ternary(self) -> Node:
        cond = self.binary(0)
        if self.peek() == "?":
            self.take()
            then = self.ternary()
            self.expect(":")
            other = self.ternary()
            return Cond(cond, then, other)
        return cond

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.not_() if _LEVELS[level] == ("and",) else self.binary(level + 1)
        while self.peek() in _LEVELS[level]:
            _, op = self.take()
            right = self.not_() if _LEVELS[level] == ("and",) else self.binary(level + 1)
            left = Bin(op, left, right)
        return left

    def not_(self) -> Node:
        if self.peek() == "not":
            self.take()
            return Unary("not", self.not_())
        return self.binary(2)

    def unary(self) -> Node:
        if self.peek() in ("-", "~"):
            _, op = self.take()
            return Unary(op, self.unary())
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while self.peek() == ".":
            self.take()
            kind, name = self.take()
            if kind != "name":
                raise ExprError(f"expected a name after '.', got {name!r} in {self.text!r}")
            node = Attr(node, name)
        return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Int(int(value.replace("_", ""), 0))
        if kind == "name":
            if value in ("true", "false"):
                return Bool(value == "true")
            if self.peek() == "::":
                parts = [value]
                while self.peek() == "::":
                    self.take()
                    k, part = self.take()
                    if k != "name":
                        raise ExprError(f"bad enum reference in {self.text!r}")
                    parts.append(part)
                return EnumRef(tuple(parts))
            return Name(value)
        if value == "(":
            node = self.ternary()
            self.expect(")")
            return node
        raise ExprError(f"unexpected {value!r} in {self.text!r}")


def parse(text: str | int | bool) -> Node:
    """Parse a Kaitai expression (YAML may already have turned it into an int or bool)."""
    if isinstance(text, bool):
        return Bool(text)
    if isinstance(text, int):
        return Int(text)
    if not isinstance(text, str):
        raise ExprError(f"expected an expression, got {type(text).__name__}")
    return _Parser(text).parse()


def names(node: Node) -> list[tuple[str, ...]]:
    """Reference paths used by an expression: ``header.len_container`` gives
    ``('header', 'len_container')``."""
    path = ref_path(node)
    if path is not None:
        return [path]
    if isinstance(node, Attr):
        return names(node.obj)
    if isinstance(node, Unary):
        return names(node.operand)
    if isinstance(node, Bin):
        return names(node.left) + names(node.right)
    if isinstance(node, Cond):
        return names(node.cond) + names(node.then) + names(node.other)
    return []


def ref_path(node: Node) -> tuple[str, ...] | None:
    """The dotted field path if the node is a plain reference (no method, no ``_io``)."""
    if isinstance(node, Name):
        return None if node.id == "_io" else (node.id,)
    if isinstance(node, Attr) and node.name not in ("size", "length", "to_i"):
        inner = ref_path(node.obj)
        return None if inner is None else (*inner, node.name)
    return None


_PY_OPS = {"/": "//", "and": "and", "or": "or"}


@dataclass(frozen=True)
class Context:
    """How names translate: ``self_expr`` is the object holding the fields; ``io`` is the
    (start, pos, end) local names when translating inside a parse method, else None."""

    self_expr: str
    resolve_enum: Callable[[tuple[str, ...]], str]
    io: tuple[str, str, str] | None = None
    ref_hook: Callable[[tuple[str, ...], str], str] | None = None


def to_python(node: Node, ctx: Context) -> str:
    """Translate to a Python expression string (fully parenthesised where needed)."""
    path = ref_path(node)
    if path is not None and path[0] == "_root":
        path = None
    if path is not None and ctx.ref_hook is not None:
        code = f"{ctx.self_expr}.{'.'.join(path)}"
        return ctx.ref_hook(path, code)
    return _to_python(node, ctx)


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def negate(node: Node) -> Node:
    """``not node``, flipping a comparison instead of wrapping it."""
    if isinstance(node, Bin) and node.op in _NEGATED:
        return Bin(_NEGATED[node.op], node.left, node.right)
    if isinstance(node, Unary) and node.op == "not":
        return node.operand
    return Unary("not", node)


def _to_python(node: Node, ctx: Context) -> str:
    if isinstance(node, Int):
        return str(node.value) if node.value < 256 else hex(node.value)
    if isinstance(node, Bool):
        return "True" if node.value else "False"
    if isinstance(node, Name):
        if node.id == "_io":
            raise ExprError("bare _io is not supported")
        if node.id == "_root":
            return f"_runtime.root({ctx.self_expr})"
        return f"{ctx.self_expr}.{node.id}"
    if isinstance(node, EnumRef):
        return ctx.resolve_enum(node.parts)
    if isinstance(node, PyConst):
        return node.code
    if isinstance(node, Attr):
        if isinstance(node.obj, Name) and node.obj.id == "_io":
            if ctx.io is None:
                raise ExprError(f"_io.{node.name} is only supported in seq/size/if expressions")
            start, pos, end = ctx.io
            if node.name == "size":
                return f"({end} - {start})"
            if node.name == "pos":
                return f"({pos} - {start})"
            if node.name == "eof":
                return f"({pos} >= {end})"
            raise ExprError(f"unsupported _io.{node.name}")
        inner = to_python(node.obj, ctx)
        if node.name in ("size", "length"):
            return f"len({inner})"
        if node.name == "to_i":
            return f"int({inner})"
        return f"{inner}.{node.name}"
    if isinstance(node, Unary):
        inner = to_python(node.operand, ctx)
        return f"(not {inner})" if node.op == "not" else f"({node.op}{inner})"
    if isinstance(node, Bin):
        op = _PY_OPS.get(node.op, node.op)
        return f"({to_python(node.left, ctx)} {op} {to_python(node.right, ctx)})"
    if isinstance(node, Cond):
        return (
            f"({to_python(node.then, ctx)} if {to_python(node.cond, ctx)} "
            f"else {to_python(node.other, ctx)})"
        )
    raise ExprError(f"unsupported expression node {node!r}")


def uses_io(node: Node) -> bool:
    """True when the expression reads ``_io`` (only meaningful while parsing)."""
    if isinstance(node, Name):
        return node.id == "_io"
    if isinstance(node, Attr):
        return uses_io(node.obj)
    if isinstance(node, Unary):
        return uses_io(node.operand)
    if isinstance(node, Bin):
        return uses_io(node.left) or uses_io(node.right)
    if isinstance(node, Cond):
        return uses_io(node.cond) or uses_io(node.then) or uses_io(node.other)
    return False


def rewrite_enums(node: Node, resolve: Callable[[tuple[str, ...]], str]) -> Node:
    """Replace every ``EnumRef`` by a :class:`PyConst` holding its Python spelling."""
    if isinstance(node, EnumRef):
        return PyConst(resolve(node.parts))
    if isinstance(node, Attr):
        return Attr(rewrite_enums(node.obj, resolve), node.name)
    if isinstance(node, Unary):
        return Unary(node.op, rewrite_enums(node.operand, resolve))
    if isinstance(node, Bin):
        return Bin(node.op, rewrite_enums(node.left, resolve), rewrite_enums(node.right, resolve))
    if isinstance(node, Cond):
        return Cond(
            rewrite_enums(node.cond, resolve),
            rewrite_enums(node.then, resolve),
            rewrite_enums(node.other, resolve),
        )
    return node


def strip_parens(code: str) -> str:
    """Drop one pair of redundant outer parentheses (cosmetic)."""
    if code.startswith("(") and code.endswith(")"):
        depth = 0
        for i, ch in enumerate(code):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i != len(code) - 1:
                return code
        return code[1:-1]
    return code


def infer_type(node: Node) -> str:
    """A coarse Python type for an expression: ``bool``, ``int`` or ``Any``."""
    if isinstance(node, Bool) or (isinstance(node, Unary) and node.op == "not"):
        return "bool"
    if isinstance(node, Bin) and node.op in ("==", "!=", "<", "<=", ">", ">=", "and", "or"):
        return "bool"
    if isinstance(node, Int):
        return "int"
    if isinstance(node, Bin | Unary):
        return "int"
    if isinstance(node, Attr) and node.name in ("size", "length", "to_i"):
        return "int"
    return "Any"


def invert(node: Node, target: str) -> tuple[tuple[str, ...], str] | None:
    """Solve ``node == target`` for the single field it references.

    Returns (field path, Python expression of ``target``) or None when the expression is not a
    chain of ``+ - *`` (and ``/``) with integer constants around one reference.
    """
    path = ref_path(node)
    if path is not None:
        return path, target
    if isinstance(node, Bin) and node.op in ("+", "-", "*", "/"):
        left_const = isinstance(node.left, Int)
        right_const = isinstance(node.right, Int)
        if right_const and not left_const:
            k = node.right.value  # type: ignore[union-attr]
            inner = {
                "+": f"{target} - {k}",
                "-": f"{target} + {k}",
                "*": f"{target} // {k}",
                "/": f"{target} * {k}",
            }[node.op]
            return invert(node.left, f"({inner})")
        if left_const and not right_const:
            k = node.left.value  # type: ignore[union-attr]
            inner_opt = {
                "+": f"{target} - {k}",
                "-": f"{k} - {target}",
                "*": f"{target} // {k}",
            }.get(node.op)
            if inner_opt is None:
                return None
            return invert(node.right, f"({inner_opt})")
    return None

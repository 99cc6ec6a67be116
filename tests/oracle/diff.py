"""Parse one input with our generated class and with the official compiler's class, as plain trees.

A tree is built from ints (enums become their int value), strings, bytes, None, lists and
dicts (one per struct: seq fields then instances, in spec order). An attribute whose reading
fails (a lazy instance pointing outside the data, say) becomes a ``Failed`` leaf, so the two
parsers must agree attribute by attribute, failures included. A whole parse that fails is
``FAILED``.

"Agree on failure": ours must raise ``SpecDecodeError`` and nothing else (anything else is a bug
and propagates); the official output may raise ``EOFError`` (``EndOfStreamError``),
``KaitaiStructError`` (validation), ``UnicodeDecodeError`` or another ``ValueError``.
"""

from __future__ import annotations

import enum
import importlib
import io
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import kaitaistruct
from kaitaistruct import KaitaiStream, KaitaiStruct

from chdkptp._generated._runtime import SpecDecodeError

from .ksc import camel

KSC_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    kaitaistruct.KaitaiStructError,
    UnicodeDecodeError,
    ValueError,
)


@dataclass(frozen=True)
class Failed:
    """A parse (or one attribute of it) that raised."""

    def __repr__(self) -> str:
        return "<failed>"


FAILED = Failed()


def ours_module(name: str) -> ModuleType:
    """``chdkptp._generated.<name>``."""
    return importlib.import_module(f"chdkptp._generated.{name}")


def resolve(modules: dict[str, ModuleType] | None, type_name: str) -> Any:
    """The class for ``file`` or ``file/nested/...``: ours if ``modules`` is None, else ksc's."""
    file, *nested = type_name.split("/")
    module = ours_module(file) if modules is None else modules[file]
    cls = getattr(module, camel(file))
    for name in nested:
        cls = getattr(cls, camel(name))
    return cls


def ours_class_for(ksc_obj: KaitaiStruct) -> Any:
    """Our class with the same module name and qualified name as an official-output object."""
    cls: Any = ours_module(type(ksc_obj).__module__)
    for part in type(ksc_obj).__qualname__.split("."):
        cls = getattr(cls, part)
    return cls


def leaf(value: Any) -> Any:
    """Normalise a non-struct value: enums to int, lists element-wise."""
    if isinstance(value, list):
        return [leaf(v) for v in value]
    if isinstance(value, enum.Enum):
        return int(value.value)
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, KaitaiStruct):
        raise TypeError("structs are handled by the tree builders")
    raise TypeError(f"unexpected value {value!r}")


def ours_tree(obj: Any) -> Any:
    """Tree of one of our parsed objects (reads every lazy instance)."""
    if isinstance(obj, list):
        return [ours_tree(v) for v in obj]
    if not isinstance(obj, KaitaiStruct):
        return leaf(obj)
    tree: dict[str, Any] = {}
    for name in (*obj._seq_fields, *obj._instance_fields):
        try:
            value = getattr(obj, name)
        except SpecDecodeError:
            tree[name] = FAILED
            continue
        tree[name] = ours_tree(value)
    return tree


def ksc_tree(obj: Any) -> Any:
    """Tree of an official-output object, with the attribute names our class lists.

    Also checks the object sets no public attribute outside that list.
    """
    if isinstance(obj, list):
        return [ksc_tree(v) for v in obj]
    if not isinstance(obj, KaitaiStruct):
        return leaf(obj)
    cls = ours_class_for(obj)
    names = (*cls._seq_fields, *cls._instance_fields)
    extra = {k for k in vars(obj) if not k.startswith("_")} - set(cls._seq_fields)
    assert not extra, f"{type(obj).__qualname__}: official output has fields {extra} we lack"
    tree: dict[str, Any] = {}
    for name in names:
        try:
            value = getattr(obj, name)
        except AttributeError:
            # a seq field whose `if:` was false is never set by the official output
            value = None
        except KSC_ERRORS:
            tree[name] = FAILED
            continue
        tree[name] = ksc_tree(value)
    return tree


def parse_ours(cls: Any, data: bytes) -> tuple[Any, Any]:
    """(object or None, tree or FAILED) from ``cls.from_bytes``."""
    try:
        obj = cls.from_bytes(data)
    except SpecDecodeError:
        return None, FAILED
    return obj, ours_tree(obj)


def parse_ksc(cls: Any, data: bytes) -> tuple[int | None, Any]:
    """(bytes consumed or None, tree or FAILED) from the official
    ``cls(KaitaiStream(BytesIO(data)))``.

    The position is taken before the tree reads the lazy instances: the official output does
    not restore the stream position when an instance fails.
    """
    try:
        obj = cls(KaitaiStream(io.BytesIO(data)))
    except KSC_ERRORS:
        return None, FAILED
    consumed = int(obj._io.pos())
    return consumed, ksc_tree(obj)


def consumed_ours(cls: Any, data: bytes) -> int:
    """Bytes our class consumes through the Kaitai stream API (the stream position after it)."""
    obj = cls(KaitaiStream(io.BytesIO(data)))
    return int(obj._io.pos())


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two trees differ (``path: a != b``), or None if equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a.keys() | b.keys():
            if key not in a or key not in b:
                return f"{path}.{key}: present in only one"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if type(a) is not type(b) or a != b:
        return f"{path or '<root>'}: {a!r} != {b!r}"
    return None


def has_failure(tree: Any) -> bool:
    """True if any attribute in the tree failed."""
    if tree is FAILED:
        return True
    if isinstance(tree, dict):
        return any(has_failure(v) for v in tree.values())
    if isinstance(tree, list):
        return any(has_failure(v) for v in tree)
    return False

"""The validated spec model: files, types, attributes and enums, built from raw ``.ksy`` data.

Everything the templates need is resolved here (Python names, type and enum references,
parsed expressions); anything outside the supported Kaitai subset is a :class:`SpecError`
naming the file and the path inside it.
"""

from __future__ import annotations

import enum
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from . import expr as ex
from .errors import SpecError

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_PRIM = re.compile(
    r"^(?P<kind>[us])(?P<size>[1248])(?P<endian>le|be)?$"
    r"|^f(?P<fsize>[48])(?P<fendian>le|be)?$"
)

# Metadata property names that would shadow enum/int behaviour.
_RESERVED_PROPS = {"name", "value", "coerce", *dir(enum.IntFlag), *dir(int)}

TOP_KEYS = {"meta", "doc", "doc-ref", "to-string", "seq", "instances", "types", "enums"}
META_KEYS = {
    "id", "title", "application", "file-extension", "xref", "tags", "license",
    "ks-version", "imports", "encoding", "endian", "bit-endian",
}  # fmt: skip
TYPE_KEYS = {"meta", "doc", "doc-ref", "to-string", "seq", "instances", "types", "enums"}
ATTR_KEYS = {
    "id", "size", "size-eos", "type", "enum", "terminator", "include", "consume",
    "eos-error", "pad-right", "encoding", "contents", "valid", "repeat", "repeat-expr",
    "if", "doc", "doc-ref",
}  # fmt: skip
INSTANCE_KEYS = (ATTR_KEYS - {"id"}) | {"pos", "value"}
ENUM_ENTRY_KEYS = {"id", "doc", "doc-ref"}
VALID_KEYS = {"eq", "min", "max", "any-of"}


def camel(name: str) -> str:
    """Kaitai's class naming: ``operation_code`` → ``OperationCode``, ``type_1`` → ``Type1``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


@dataclass
class EnumMember:
    """One enum entry: value, ksy id, Python name, doc and ``-`` metadata."""

    value: int
    id: str
    py_name: str
    doc: str
    meta: dict[str, str | int]


@dataclass
class EnumDef:
    """One ``enums:`` entry of a spec."""

    id: str
    py_name: str
    is_flags: bool
    doc: str
    members: list[EnumMember]
    meta_keys: list[str]
    owner: TypeDef | None = None


@dataclass
class EnumUse:
    """A reference to an enum class (module = meta.id of its spec)."""

    module: str  # meta.id of the file that defines it
    py_name: str


@dataclass
class TypeUse:
    """A reference to a struct class (module = meta.id of its spec)."""

    module: str
    qualname: str  # e.g. "PtpTypes.PtpString"
    typedef: TypeDef


@dataclass
class Attr:
    """One seq attribute or instance, with its kind and parsed expressions."""

    id: str
    path: str  # spec path for error messages
    is_instance: bool
    kind: str  # "int" | "float" | "bytes" | "str" | "user" | "value"
    prim: str | None = None  # struct code with size, e.g. "I" (u4) — endianness on the type
    prim_size: int = 0
    endian: str = "<"
    enum: EnumUse | None = None
    user: TypeUse | None = None
    size: ex.Node | None = None
    size_eos: bool = False
    terminator: int | None = None
    include_term: bool = False
    consume_term: bool = True
    eos_error: bool = True
    pad_right: int | None = None
    encoding: str | None = None
    contents: bytes | None = None
    valid_eq: ex.Node | None = None
    valid_min: ex.Node | None = None
    valid_max: ex.Node | None = None
    valid_any_of: list[ex.Node] | None = None
    repeat: str | None = None  # None | "eos" | "expr"
    repeat_expr: ex.Node | None = None
    cond: ex.Node | None = None
    doc: str | None = None
    pos: ex.Node | None = None
    value: ex.Node | None = None


@dataclass
class TypeDef:
    """A struct type: the top-level type of a spec or a nested ``types:`` entry."""

    id: str
    py_name: str
    qualname: str
    spec_path: str  # "" for the top-level type, else "types.x.types.y"
    error_prefix: str  # the first component of decode-error field paths
    doc: str
    parent: TypeDef | None
    seq: list[Attr] = field(default_factory=list)
    instances: list[Attr] = field(default_factory=list)
    types: list[TypeDef] = field(default_factory=list)
    enums: list[EnumDef] = field(default_factory=list)


@dataclass
class SpecFile:
    """One validated ``.ksy`` file."""

    file: str  # display name, "spec/x.ksy"
    id: str
    doc: str
    imports: list[str]
    endian: str
    encoding: str | None
    root: TypeDef
    all_enums: list[EnumDef] = field(default_factory=list)
    all_types: list[TypeDef] = field(default_factory=list)  # nested, depth-first
    raw: dict[str, Any] = field(default_factory=dict)


def _check_duplicates(file: str, node: Any, path: str) -> None:
    """Report the first duplicate mapping key anywhere in the raw tree."""
    if isinstance(node, dict):
        dups = getattr(node, "duplicates", [])
        if dups:
            raise SpecError(file, _join(path, _key_str(dups[0])), "duplicate key")
        for key, value in node.items():
            _check_duplicates(file, value, _join(path, _key_str(key)))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _check_duplicates(file, item, f"{path}[{i}]")


def _key_str(key: Any) -> str:
    if isinstance(key, bool):
        return str(key).lower()
    if isinstance(key, int):
        return hex(key) if key >= 16 else str(key)
    return str(key)


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


class _Builder:
    """Builds one :class:`SpecFile`; ``modules`` maps meta.id → raw data of every spec."""

    def __init__(
        self, file: str, raw: Any, all_raw: dict[str, Any], foreign: dict[str, SpecFile]
    ) -> None:
        self.file = file
        self.foreign_specs = foreign
        self.raw = raw
        self.all_raw = all_raw
        self.endian = "<"
        self.encoding: str | None = None
        self.module = ""
        self.imports: list[str] = []

    def err(self, path: str, problem: str) -> SpecError:
        return SpecError(self.file, path or "(top)", problem)

    def check_keys(self, node: Any, allowed: set[str], path: str) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise self.err(path, f"expected a mapping, got {type(node).__name__}")
        for key in node:
            if not isinstance(key, str):
                raise self.err(_join(path, _key_str(key)), "keys must be strings here")
            if key.startswith("-"):
                continue
            if key not in allowed:
                raise self.err(
                    _join(path, key),
                    f"unknown key {key!r} (supported: {', '.join(sorted(allowed))})",
                )
        return node

    def text(self, node: dict[str, Any], key: str, path: str, required: bool) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                raise self.err(
                    _join(path, key),
                    "missing (every file, type and enum entry needs a doc)"
                    if key == "doc"
                    else "missing",
                )
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.err(_join(path, key), "must be a non-empty string")
        return value.strip()

    def ident(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _SNAKE.match(value):
            raise self.err(path, f"{value!r} is not a lower_snake identifier")
        if keyword.iskeyword(value) or value in ("self", "cls"):
            raise self.err(path, f"{value!r} is a Python keyword; rename it")
        return value

    # -- files ---------------------------------------------------------------------------

    def build(self, stem: str) -> SpecFile:
        _check_duplicates(self.file, self.raw, "")
        top = self.check_keys(self.raw, TOP_KEYS, "")
        meta = self.check_keys(top.get("meta"), META_KEYS, "meta")
        module = self.ident(meta.get("id"), "meta.id")
        if module != stem:
            raise self.err("meta.id", f"{module!r} must equal the file name {stem!r}")
        self.module = module
        endian = meta.get("endian", "le")
        if endian not in ("le", "be"):
            raise self.err("meta.endian", "must be 'le' or 'be'")
        self.endian = "<" if endian == "le" else ">"
        enc = meta.get("encoding")
        if enc is not None and not isinstance(enc, str):
            raise self.err("meta.encoding", "must be a string")
        self.encoding = enc
        imports = meta.get("imports", [])
        if not isinstance(imports, list):
            raise self.err("meta.imports", "must be a list")
        for i, name in enumerate(imports):
            if not isinstance(name, str) or name not in self.all_raw:
                raise self.err(f"meta.imports[{i}]", f"{name!r} is not a spec in this directory")
        self.imports = sorted(set(imports))
        doc = self.text(top, "doc", "", True)
        assert doc is not None
        root = TypeDef(
            id=module, py_name=camel(module), qualname=camel(module), spec_path="",
            error_prefix=module, doc=doc, parent=None,
        )  # fmt: skip
        spec = SpecFile(
            file=self.file, id=module, doc=doc, imports=self.imports, endian=self.endian,
            encoding=enc, root=root, raw=top,
        )  # fmt: skip
        self.declare_types(root, top, "")
        self.fill_type(root, top, "", spec)
        return spec

    def declare_types(self, td: TypeDef, node: dict[str, Any], path: str) -> None:
        """First pass: nested types and enums (so references can point forward)."""
        types = node.get("types", {})
        if not isinstance(types, dict):
            raise self.err(_join(path, "types"), "must be a mapping")
        for name, body in types.items():
            tpath = _join(path, f"types.{name}")
            self.ident(name, tpath)
            body = self.check_keys(body, TYPE_KEYS - {"meta"}, tpath)
            doc = self.text(body, "doc", tpath, True)
            assert doc is not None
            child = TypeDef(
                id=name, py_name=camel(name), qualname=f"{td.qualname}.{camel(name)}",
                spec_path=tpath, error_prefix=name, doc=doc, parent=td,
            )  # fmt: skip
            td.types.append(child)
            self.declare_types(child, body, tpath)
        enums = node.get("enums", {})
        if not isinstance(enums, dict):
            raise self.err(_join(path, "enums"), "must be a mapping")
        for name, body in enums.items():
            td.enums.append(self.enum(name, body, _join(path, f"enums.{name}"), td))

    def enum(self, name: Any, body: Any, path: str, owner: TypeDef) -> EnumDef:
        self.ident(name, path)
        if not isinstance(body, dict) or not body:
            raise self.err(path, "an enum must be a non-empty mapping of value: entry")
        members: list[EnumMember] = []
        seen_ids: dict[str, int] = {}
        meta_keys: set[str] = set()
        for value, entry in body.items():
            epath = f"{path}.{_key_str(value)}"
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.err(epath, "enum keys must be integers")
            if isinstance(entry, str):
                raise self.err(epath, "missing doc: use the verbose form {id: ..., doc: ...}")
            entry = self.check_keys(entry, ENUM_ENTRY_KEYS, epath)
            mid = self.ident(entry.get("id"), f"{epath}.id")
            if mid in seen_ids:
                raise self.err(
                    f"{epath}.id", f"duplicate id {mid!r} (also {_key_str(seen_ids[mid])})"
                )
            seen_ids[mid] = value
            doc = self.text(entry, "doc", epath, True)
            assert doc is not None
            meta: dict[str, str | int] = {}
            for key, mval in entry.items():
                if key.startswith("-"):
                    if isinstance(mval, bool) or not isinstance(mval, str | int):
                        raise self.err(f"{epath}.{key}", "metadata values must be str or int")
                    prop = key[1:].replace("-", "_")
                    if not _SNAKE.match(prop) or prop in _RESERVED_PROPS:
                        raise self.err(f"{epath}.{key}", "unusable metadata key name")
                    meta[prop] = mval
                    meta_keys.add(prop)
            members.append(EnumMember(value, mid, mid.upper(), doc, meta))
        is_flags = name.endswith("_flags")
        if is_flags and any(m.value < 0 for m in members):
            raise self.err(path, "flag values must not be negative")
        members.sort(key=lambda m: m.value)
        return EnumDef(
            id=name, py_name=camel(name), is_flags=is_flags,
            doc=f"Values of ``{name}`` in {self.file}.", members=members,
            meta_keys=sorted(meta_keys), owner=owner,
        )  # fmt: skip

    def fill_type(self, td: TypeDef, node: dict[str, Any], path: str, spec: SpecFile) -> None:
        spec.all_types.append(td)
        spec.all_enums.extend(td.enums)
        seq = node.get("seq", [])
        if not isinstance(seq, list):
            raise self.err(_join(path, "seq"), "must be a list")
        ids: set[str] = set()
        for i, raw_attr in enumerate(seq):
            apath = _join(path, f"seq[{i}]")
            if isinstance(raw_attr, dict) and isinstance(raw_attr.get("id"), str):
                apath = _join(path, f"seq.{raw_attr['id']}")
            attr = self.attr(raw_attr, apath, td, False, ids)
            td.seq.append(attr)
            ids.add(attr.id)
        instances = node.get("instances", {})
        if not isinstance(instances, dict):
            raise self.err(_join(path, "instances"), "must be a mapping")
        inst_ids = set(instances)
        for name, raw_attr in instances.items():
            apath = _join(path, f"instances.{name}")
            self.ident(name, apath)
            if name in ids:
                raise self.err(apath, f"{name!r} is also a seq field")
            if not isinstance(raw_attr, dict):
                raise self.err(apath, "expected a mapping")
            body = dict(raw_attr)
            body["id"] = name
            attr = self.attr(body, apath, td, True, ids | inst_ids)
            td.instances.append(attr)
        for child in td.types:
            body = node["types"][child.id]
            self.fill_type(child, body, child.spec_path, spec)

    # -- attributes ------------------------------------------------------------------------

    def expr(self, value: Any, path: str, td: TypeDef, known: set[str]) -> ex.Node:
        try:
            node = ex.parse(value)
        except ex.ExprError as exc:
            raise self.err(path, str(exc)) from exc
        for ref in ex.names(node):
            if ref[0] in ("_root", "_parent", "_io"):
                continue
            if ref[0] not in known:
                raise self.err(path, f"{ref[0]!r} is not a field defined before this one")
        return ex.rewrite_enums(node, lambda parts: self.python_enum_ref(parts, path, td))

    def python_enum_ref(self, parts: tuple[str, ...], path: str, td: TypeDef) -> str:
        """``enum::member`` → ``EnumClass.MEMBER`` (checks that both exist)."""
        use = self.find_enum(parts[:-1], path, td)
        member = parts[-1]
        enum_def = self.enum_def(use, td)
        if enum_def is not None and not any(m.id == member for m in enum_def.members):
            raise self.err(path, f"enum {'::'.join(parts[:-1])} has no member {member!r}")
        prefix = "" if use.module == self.module else f"{use.module}."
        return f"{prefix}{use.py_name}.{member.upper()}"

    def enum_def(self, use: EnumUse, td: TypeDef) -> EnumDef | None:
        if use.module == self.module:
            scope: TypeDef | None = td
            while scope is not None:
                for e in scope.enums:
                    if e.py_name == use.py_name:
                        return e
                scope = scope.parent
            return None
        spec = self.foreign_specs[use.module]
        for enum_def in spec.root.enums:
            if enum_def.py_name == use.py_name:
                return enum_def
        return None

    def find_enum(self, parts: tuple[str, ...], path: str, td: TypeDef) -> EnumUse:
        if len(parts) == 1:
            scope: TypeDef | None = td
            while scope is not None:
                for e in scope.enums:
                    if e.id == parts[0]:
                        return EnumUse(self.module, e.py_name)
                scope = scope.parent
            raise self.err(path, f"unknown enum {parts[0]!r}")
        if len(parts) == 2:
            module, name = parts
            if module not in self.imports:
                raise self.err(path, f"{module!r} is not in meta.imports")
            if not any(e.id == name for e in self.foreign_specs[module].root.enums):
                raise self.err(path, f"spec {module!r} has no top-level enum {name!r}")
            return EnumUse(module, camel(name))
        raise self.err(path, f"unsupported enum reference {'::'.join(parts)!r}")

    def find_type(self, name: str, path: str, td: TypeDef) -> TypeUse:
        parts = name.split("::")
        if len(parts) == 1:
            scope: TypeDef | None = td
            while scope is not None:
                if scope.id == name and scope.parent is None:
                    return TypeUse(self.module, scope.qualname, scope)
                for t in scope.types:
                    if t.id == name:
                        return TypeUse(self.module, t.qualname, t)
                scope = scope.parent
            if name in self.imports:
                return _resolve_foreign(self, name, ())
            raise self.err(path, f"unknown type {name!r}")
        module = parts[0]
        if module not in self.imports:
            if module == self.module:
                scope = td
                while scope.parent is not None:
                    scope = scope.parent
                return self.find_nested(scope, tuple(parts[1:]), path, self.module)
            raise self.err(path, f"{module!r} is not in meta.imports")
        return _resolve_foreign(self, module, tuple(parts[1:]))

    def find_nested(self, root: TypeDef, parts: tuple[str, ...], path: str, module: str) -> TypeUse:
        cur = root
        for part in parts:
            nxt = [t for t in cur.types if t.id == part]
            if not nxt:
                raise self.err(path, f"{module}::{'::'.join(parts)} does not exist")
            cur = nxt[0]
        return TypeUse(module, cur.qualname, cur)

    def attr(self, raw: Any, path: str, td: TypeDef, is_instance: bool, known: set[str]) -> Attr:
        node = self.check_keys(raw, INSTANCE_KEYS | {"id"} if is_instance else ATTR_KEYS, path)
        aid = self.ident(node.get("id"), _join(path, "id"))
        if not is_instance and aid in known:
            raise self.err(_join(path, "id"), f"duplicate field id {aid!r}")
        a = Attr(id=aid, path=path, is_instance=is_instance, kind="bytes")
        a.doc = self.text(node, "doc", path, False)
        # Expressions may refer to this attribute's earlier siblings (and instances).
        here = set(known)
        if "value" in node:
            extra = set(node) - {"id", "value", "doc", "doc-ref", "if", "enum"}
            extra = {k for k in extra if not k.startswith("-")}
            if extra:
                raise self.err(path, f"a value instance cannot have {sorted(extra)}")
            a.kind = "value"
            a.value = self.expr(node["value"], _join(path, "value"), td, here)
            if "if" in node:
                a.cond = self.expr(node["if"], _join(path, "if"), td, here)
            return a
        if "pos" in node:
            a.pos = self.expr(node["pos"], _join(path, "pos"), td, here)
        elif is_instance:
            raise self.err(path, "an instance needs 'pos' or 'value'")
        if "if" in node:
            a.cond = self.expr(node["if"], _join(path, "if"), td, here)
        typ = node.get("type")
        if "size" in node and node.get("size-eos"):
            raise self.err(path, "'size' and 'size-eos' exclude each other")
        if "size" in node:
            a.size = self.expr(node["size"], _join(path, "size"), td, here)
        a.size_eos = bool(node.get("size-eos", False))
        if "contents" in node:
            if typ is not None or "size" in node:
                raise self.err(path, "'contents' cannot be combined with type or size")
            a.contents = self.contents(node["contents"], _join(path, "contents"))
            a.kind = "bytes"
        elif typ is None:
            a.kind = "bytes"
            if a.size is None and not a.size_eos and "terminator" not in node:
                raise self.err(path, "raw bytes need 'size', 'size-eos' or 'terminator'")
        elif not isinstance(typ, str):
            raise self.err(_join(path, "type"), "switch types are not supported; use a string")
        elif typ in ("str", "strz"):
            a.kind = "str"
            enc = node.get("encoding", self.encoding)
            if not isinstance(enc, str):
                raise self.err(_join(path, "encoding"), "a string needs an encoding")
            try:
                "".encode(enc)
            except LookupError as exc:
                raise self.err(_join(path, "encoding"), f"unknown encoding {enc!r}") from exc
            a.encoding = enc
            if typ == "strz":
                a.terminator = 0
            if a.size is None and not a.size_eos and typ == "str" and "terminator" not in node:
                raise self.err(path, "a str needs 'size', 'size-eos' or 'terminator'")
        else:
            m = _PRIM.match(typ)
            if m:
                a.kind = "int" if m.group("kind") else "float"
                size = int(m.group("size") or m.group("fsize"))
                endian = m.group("endian") or m.group("fendian")
                a.endian = self.endian if endian is None else ("<" if endian == "le" else ">")
                a.prim_size = size
                if a.kind == "float":
                    a.prim = {4: "f", 8: "d"}[size]
                else:
                    code = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
                    a.prim = code.upper() if m.group("kind") == "u" else code
                if a.size is not None or a.size_eos:
                    raise self.err(path, "a numeric type cannot have a size")
            else:
                a.kind = "user"
                a.user = self.find_type(typ, _join(path, "type"), td)
        if "terminator" in node:
            term = node["terminator"]
            if isinstance(term, bool) or not isinstance(term, int) or not 0 <= term <= 255:
                raise self.err(_join(path, "terminator"), "must be a byte value 0..255")
            if a.kind not in ("bytes", "str"):
                raise self.err(_join(path, "terminator"), "only bytes and strings take one")
            a.terminator = term
        for key, attr_name in (("include", "include_term"), ("consume", "consume_term"),
                               ("eos-error", "eos_error")):  # fmt: skip
            if key in node:
                if not isinstance(node[key], bool):
                    raise self.err(_join(path, key), "must be true or false")
                setattr(a, attr_name, node[key])
        if "pad-right" in node:
            pad = node["pad-right"]
            if isinstance(pad, bool) or not isinstance(pad, int) or not 0 <= pad <= 255:
                raise self.err(_join(path, "pad-right"), "must be a byte value 0..255")
            a.pad_right = pad
        if "enum" in node:
            if a.kind != "int":
                raise self.err(_join(path, "enum"), "only integer fields take an enum")
            ename = node["enum"]
            if not isinstance(ename, str):
                raise self.err(_join(path, "enum"), "must be an enum name")
            a.enum = self.find_enum(tuple(ename.split("::")), _join(path, "enum"), td)
        if "valid" in node:
            self.valid(a, node["valid"], _join(path, "valid"), td, here | {aid})
        rep = node.get("repeat")
        if rep is not None:
            if rep not in ("eos", "expr"):
                raise self.err(
                    _join(path, "repeat"), f"unsupported repeat {rep!r} (supported: eos, expr)"
                )
            a.repeat = rep
            if rep == "expr":
                if "repeat-expr" not in node:
                    raise self.err(path, "repeat: expr needs 'repeat-expr'")
                a.repeat_expr = self.expr(node["repeat-expr"], _join(path, "repeat-expr"), td, here)
            if a.kind not in ("int", "float", "user"):
                raise self.err(_join(path, "repeat"), "only numbers and user types repeat")
        elif "repeat-expr" in node:
            raise self.err(_join(path, "repeat-expr"), "needs 'repeat: expr'")
        if a.kind == "user" and a.terminator is not None:
            raise self.err(path, "terminator on a user type is not supported")
        return a

    def valid(self, a: Attr, raw: Any, path: str, td: TypeDef, known: set[str]) -> None:
        if a.kind not in ("int", "float", "bytes", "str") or a.repeat:
            raise self.err(path, "'valid' is supported on single numbers, bytes and strings")
        if not isinstance(raw, dict):
            a.valid_eq = self.expr(raw, path, td, known)
            return
        self.check_keys(raw, VALID_KEYS, path)
        if "eq" in raw:
            a.valid_eq = self.expr(raw["eq"], f"{path}.eq", td, known)
        if "min" in raw:
            a.valid_min = self.expr(raw["min"], f"{path}.min", td, known)
        if "max" in raw:
            a.valid_max = self.expr(raw["max"], f"{path}.max", td, known)
        if "any-of" in raw:
            if not isinstance(raw["any-of"], list) or not raw["any-of"]:
                raise self.err(f"{path}.any-of", "must be a non-empty list")
            a.valid_any_of = [
                self.expr(v, f"{path}.any-of[{i}]", td, known) for i, v in enumerate(raw["any-of"])
            ]

    def contents(self, raw: Any, path: str) -> bytes:
        items = raw if isinstance(raw, list) else [raw]
        out = bytearray()
        for item in items:
            if isinstance(item, bool):
                raise self.err(path, "contents items must be byte values or strings")
            if isinstance(item, int):
                if not 0 <= item <= 255:
                    raise self.err(path, f"{item} is not a byte value")
                out.append(item)
            elif isinstance(item, str):
                out += item.encode("utf-8")
            else:
                raise self.err(path, "contents items must be byte values or strings")
        if not out:
            raise self.err(path, "contents must not be empty")
        return bytes(out)


def _resolve_foreign(builder: _Builder, module: str, parts: tuple[str, ...]) -> TypeUse:
    """A type defined in an imported spec (its top-level type, or a nested one)."""
    spec = builder.foreign_specs.get(module)
    if spec is None:
        raise builder.err("meta.imports", f"spec {module!r} must be built before its importers")
    return builder.find_nested(spec.root, parts, "type", module)


def build_all(raw_specs: dict[str, Any]) -> list[SpecFile]:
    """Validate and build every spec (imports first); returns them sorted by meta.id."""
    built: dict[str, SpecFile] = {}
    visiting: list[str] = []

    def visit(stem: str) -> SpecFile:
        if stem in built:
            return built[stem]
        file = f"spec/{stem}.ksy"
        if stem in visiting:
            raise SpecError(file, "meta.imports", f"import cycle: {' -> '.join([*visiting, stem])}")
        raw = raw_specs[stem]
        visiting.append(stem)
        meta = raw.get("meta") if isinstance(raw, dict) else None
        imports = meta.get("imports", []) if isinstance(meta, dict) else []
        foreign: dict[str, SpecFile] = {}
        if isinstance(imports, list):
            for name in imports:
                if isinstance(name, str) and name in raw_specs:
                    foreign[name] = visit(name)
        builder = _Builder(file, raw, raw_specs, foreign)
        spec = builder.build(stem)
        visiting.pop()
        built[stem] = spec
        return spec

    for stem in sorted(raw_specs):
        visit(stem)
    return [built[k] for k in sorted(built)]

"""From the model to Python statements: parse, write and constructor code for every struct type.

The templates lay out modules and classes; this module decides the statements inside methods
(fixed-field runs become one ``struct`` call, lengths are checked before slicing, ``to_bytes``
derives count and length fields from the data they describe).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from . import expr as ex
from .errors import SpecError
from .model import Attr, EnumDef, SpecFile, TypeDef

_PARSE_CTX_IO = ("start", "pos", "end")

# Encodings decoded by calling their ``codecs`` function directly, and their code unit width.
_DIRECT_DECODERS = {
    "utf-16-le": "utf_16_le_decode",
    "utf-16-be": "utf_16_be_decode",
    "utf-32-le": "utf_32_le_decode",
    "utf-32-be": "utf_32_be_decode",
}
_UNIT_WIDTH = {"utf-16-le": 2, "utf-16-be": 2, "utf-32-le": 4, "utf-32-be": 4}


@dataclass
class Prop:
    """A property (instance) of a generated class."""

    name: str
    type: str
    doc: str
    body: list[str]
    reader: list[str] = field(default_factory=list)


@dataclass
class InitParam:
    """A keyword parameter of a generated ``__init__`` and its assignment."""

    name: str
    type: str
    default: str
    assign: str


@dataclass
class ClassPlan:
    """Everything the class template needs for one struct type."""

    name: str
    qualname: str
    spec_id: str
    error_prefix: str
    doc: str
    annotations: list[tuple[str, str]]
    seq_fields: list[str]
    instance_fields: list[str]
    params: list[InitParam]
    parse_body: list[str]
    from_bytes_body: list[str]
    write_body: list[str]
    props: list[Prop]
    nested: list[ClassPlan]
    enum_aliases: list[str]
    needs_buf: bool
    fixed_size: int | None
    derived: list[str] = field(default_factory=list)
    pack_formats: str = "()"
    structs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class EnumPlan:
    """Everything the enum template needs for one enum."""

    name: str
    base: str
    doc: str
    members: list[tuple[str, str, list[str]]]  # (NAME, value literal, doc lines)
    meta_keys: list[str]
    meta_table: list[tuple[str, str]]  # (value literal, dict literal)


_POS = re.compile(r"\bpos\b")
_POS_UPDATE = re.compile(r"pos (\+=|=) [\w +*-]+")  # plain arithmetic, no call


def _drop_last_pos_update(lines: list[str]) -> list[str]:
    """Without the last top-level ``pos`` assignment when nothing after it reads ``pos``
    (``from_bytes`` does not need the final position)."""
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if _POS_UPDATE.fullmatch(line):
            return lines[:i] + lines[i + 1 :]
        if _POS.search(line):
            return lines
    return lines


def q(value: str | bytes) -> str:
    """A double-quoted Python literal for a str or bytes value."""
    r = repr(value)
    prefix = "b" if isinstance(value, bytes) else ""
    body = r[len(prefix) + 1 : -1]
    if r[len(prefix)] == "'":
        body = body.replace("\\'", "'").replace('"', '\\"')
    return f'{prefix}"{body}"'


def _lit(value: int) -> str:
    return str(value) if -256 < value < 256 else (hex(value) if value >= 0 else f"-{hex(-value)}")


def plan_enum(e: EnumDef) -> EnumPlan:
    """Members (sorted by value), docs and the metadata table of one enum."""
    members = [(m.py_name, _lit(m.value), _doc_lines(m.doc)) for m in e.members]
    table: list[tuple[str, str]] = []
    for m in e.members:
        if m.meta:
            items = ", ".join(
                f"{q(k)}: {q(v) if isinstance(v, str) else _lit(v)}"
                for k, v in sorted(m.meta.items())
            )
            table.append((_lit(m.value), "{" + items + "}"))
    return EnumPlan(
        name=e.py_name, base="IntFlag" if e.is_flags else "IntEnum", doc=e.doc,
        members=members, meta_keys=e.meta_keys, meta_table=table,
    )  # fmt: skip


def _doc_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]


def docstring(text: str) -> list[str]:
    """Lines of a docstring body (escaped), without the quotes."""
    lines = _doc_lines(text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"'))
    return lines or [""]


class _Planner:
    """Plans one spec file; keeps the module-level ``struct.Struct`` constants."""

    def __init__(self, spec: SpecFile, use_links: bool) -> None:
        self.spec = spec
        self.use_links = use_links
        self.structs: list[tuple[str, str]] = []
        self.arrays: list[tuple[str, str]] = []
        self.uses_struct = False
        self.uses_any = False
        self.counter = 0
        self.current: TypeDef | None = None
        self.coercers: dict[str, str] = {}
        self.decoders: dict[str, str] = {}
        self.members_maps: dict[str, tuple[str, str]] = {}
        self.class_aliases: dict[str, str] = {}
        # Fields of the current parse method already held in locals (path → local name).
        self.known_locals: dict[tuple[str, ...], str] = {}
        self.locals_ok = False
        # The object whose fields the statements being planned fill ("self", or a child
        # object while a leaf child struct is parsed inline).
        self.obj_name = "self"
        self.derived: list[str] = []
        # Planning the body of from_bytes (end == len(buf)); pos still a known constant.
        self.top = False
        self.const_pos: int | None = None

    def err(self, path: str, problem: str) -> SpecError:
        return SpecError(self.spec.file, path, problem)

    def array_cache(self, fmt: str) -> str:
        """Module-level alias of the shared count → ``struct.Struct`` cache for ``fmt``."""
        for name, existing in self.arrays:
            if existing == fmt:
                return name
        name = f"_A{len(self.arrays)}"
        self.arrays.append((name, fmt))
        self.uses_struct = True
        return name

    def struct_const(self, fmt: str) -> str:
        for name, existing in self.structs:
            if existing == fmt:
                return name
        name = f"_S{len(self.structs)}"
        self.structs.append((name, fmt))
        self.uses_struct = True
        return name

    # -- names and types -----------------------------------------------------------------

    def enum_class(self, a: Attr) -> str:
        assert a.enum is not None
        if a.enum.module == self.spec.id:
            return a.enum.py_name
        return f"{a.enum.module}.{a.enum.py_name}"

    def field_name(self, a: Attr) -> str:
        """``type_id.field`` for messages of write-side errors."""
        owner = self.current.error_prefix if self.current is not None else self.spec.id
        return f"{owner}.{a.id}"

    def links(self, obj: str) -> list[str]:
        """``_parent``/``_root`` of a child object: set only when some spec's expressions use
        them (otherwise they stay None, and no reference cycle keeps big payloads alive)."""
        if not self.use_links:
            return []
        return [f"{obj}._parent = self", f"{obj}._root = _runtime.root(self)"]

    def new_alias(self, cls: str) -> str:
        """A module-level alias for a class the parse code instantiates (one name lookup
        instead of a chain of attribute lookups); same-module top-level classes stay as is."""
        if "." not in cls:
            return cls
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.split(".")[-1]).lower()
        prefix = cls.split(".")[0] + "_" if cls.split(".")[0][0].islower() else ""
        name = f"_cls_{prefix}{snake}"
        self.class_aliases[name] = cls
        return name

    def coercer(self, a: Attr) -> str:
        """Module-level alias of ``Enum.coerce`` (a bound method: cheaper per call)."""
        cls = self.enum_class(a)
        assert a.enum is not None
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", a.enum.py_name).lower()
        prefix = "" if a.enum.module == self.spec.id else f"{a.enum.module}_"
        name = f"_coerce_{prefix}{snake}"
        self.coercers[name] = cls
        return name

    def user_class(self, a: Attr) -> str:
        assert a.user is not None
        if a.user.module == self.spec.id:
            return a.user.qualname
        return f"{a.user.module}.{a.user.qualname}"

    def base_type(self, a: Attr) -> str:
        if a.kind == "int":
            return self.enum_class(a) if a.enum else "int"
        if a.kind == "float":
            return "float"
        if a.kind == "str":
            return "str"
        if a.kind == "user":
            return self.user_class(a)
        if a.kind == "value":
            assert a.value is not None
            t = ex.infer_type(a.value)
            if t == "Any":
                self.uses_any = True
            return t
        return "bytes"

    def field_type(self, a: Attr) -> str:
        t = self.base_type(a)
        if a.repeat:
            t = f"list[{t}]"
        if a.cond is not None or a.pos is not None:
            t = f"{t} | None"
        return t

    def ctx(self, parse: bool, td: TypeDef | None) -> ex.Context:
        def no_enum(parts: tuple[str, ...]) -> str:  # pragma: no cover - rewritten in model
            raise ex.ExprError(f"unresolved enum {'::'.join(parts)}")

        def hook(path: tuple[str, ...], code: str) -> str:
            if parse and path in self.known_locals:
                return self.known_locals[path]
            if td is not None and self.is_optional(td, path):
                return f"_runtime.present({code}, {q('.'.join(path))})"
            return code

        return ex.Context(self.obj_name, no_enum, _PARSE_CTX_IO if parse else None, hook)

    def is_optional(self, td: TypeDef, path: tuple[str, ...]) -> bool:
        """True when a referenced field may be None (``if`` fields, ``pos`` instances)."""
        cur: TypeDef | None = td
        for i, part in enumerate(path):
            if cur is None:
                return False
            found = [a for a in (*cur.seq, *cur.instances) if a.id == part]
            if not found:
                return False
            a = found[0]
            if a.cond is not None or a.pos is not None:
                return True
            if i < len(path) - 1:
                cur = a.user.typedef if a.kind == "user" and a.user and not a.repeat else None
        return False

    def py(self, node: ex.Node, a: Attr, parse: bool, key: str, negate: bool = False) -> str:
        try:
            if negate:
                node = ex.negate(node)
            return ex.strip_parens(ex.to_python(node, self.ctx(parse, self.current)))
        except ex.ExprError as exc:
            raise self.err(f"{a.path}.{key}", str(exc)) from exc

    # -- struct types ----------------------------------------------------------------------

    def plan_type(self, td: TypeDef) -> ClassPlan:
        nested = [self.plan_type(t) for t in td.types]
        self.current = td
        self.derived = []
        annotations = [(a.id, self.field_type(a)) for a in td.seq]
        for a in td.instances:
            annotations.append((f"_m_{a.id}", self.field_type(a)))
        has_pos = any(a.pos is not None for a in td.instances)
        plan = ClassPlan(
            name=td.py_name, qualname=td.qualname, spec_id=td.id,
            error_prefix=td.error_prefix, doc=td.doc, annotations=annotations,
            seq_fields=[a.id for a in td.seq],
            instance_fields=[a.id for a in td.instances if a.pos is not None],
            params=[self.init_param(a) for a in td.seq]
            + [self.init_param(a) for a in td.instances if a.pos is not None],
            parse_body=self.parse_body(td, has_pos),
            from_bytes_body=self.parse_body(td, has_pos, top=True),
            write_body=self.write_body(td),
            props=[self.instance_prop(td, a) for a in td.instances],
            nested=nested,
            enum_aliases=[e.py_name for e in td.enums],
            needs_buf=has_pos,
            fixed_size=self.fixed_size(td),
        )  # fmt: skip
        plan.derived = list(self.derived)
        formats = [
            f"({q(a.id)}, {q(a.endian + (a.prim or ''))})"
            for a in td.seq
            if a.kind in ("int", "float") and not a.repeat
        ]
        plan.pack_formats = f"({formats[0]},)" if len(formats) == 1 else f"({', '.join(formats)})"
        return plan

    def fixed_size(self, td: TypeDef) -> int | None:
        total = 0
        for a in td.seq:
            if a.kind not in ("int", "float") or a.repeat or a.cond is not None:
                return None
            total += a.prim_size
        return total if td.seq else None

    def min_size(self, td: TypeDef) -> int:
        total = 0
        for a in td.seq:
            if a.cond is not None or a.repeat:
                continue
            if a.kind in ("int", "float"):
                total += a.prim_size
            elif a.contents is not None:
                total += len(a.contents)
            elif a.kind == "user" and a.user is not None and a.size is None and not a.size_eos:
                total += self.min_size(a.user.typedef)
        return total

    def init_param(self, a: Attr) -> InitParam:
        t = self.field_type(a)
        target = f"self.{a.id}" if not a.is_instance else f"self._m_{a.id}"
        optional = a.cond is not None or a.pos is not None
        if optional:
            assign = f"{target} = {a.id}"
            if a.enum and not a.repeat:
                cls = self.enum_class(a)
                assign = f"{target} = None if {a.id} is None else {cls}.coerce({a.id})"
            ptype = t if not a.enum else f"{self.enum_class(a)} | int | None"
            return InitParam(a.id, ptype, "None", assign)
        if a.repeat:
            conv = f"{a.id}"
            if a.enum:
                conv = f"[{self.enum_class(a)}.coerce(v) for v in {a.id}]"
            elif a.kind == "user":
                conv = f"list({a.id})"
            else:
                conv = f"list({a.id})"
            return InitParam(
                a.id, f"{t} | None", "None", f"{target} = [] if {a.id} is None else {conv}"
            )
        if a.kind == "user":
            cls = self.user_class(a)
            return InitParam(
                a.id, f"{t} | None", "None", f"{target} = {cls}() if {a.id} is None else {a.id}"
            )
        if a.kind == "int":
            default = "0"
            if isinstance(a.valid_eq, ex.Int):
                default = _lit(a.valid_eq.value)
            elif isinstance(a.valid_min, ex.Int) and a.valid_min.value > 0:
                default = _lit(a.valid_min.value)
            if a.enum:
                cls = self.enum_class(a)
                return InitParam(a.id, f"{cls} | int", default, f"{target} = {cls}.coerce({a.id})")
            return InitParam(a.id, "int", default, f"{target} = {a.id}")
        if a.kind == "float":
            return InitParam(a.id, "float", "0.0", f"{target} = {a.id}")
        if a.kind == "str":
            return InitParam(a.id, "str", '""', f"{target} = {a.id}")
        default = repr(a.contents) if a.contents is not None else 'b""'
        return InitParam(a.id, "bytes", default, f"{target} = bytes({a.id})")

    # -- parsing -----------------------------------------------------------------------------

    def parse_body(self, td: TypeDef, has_pos: bool, top: bool = False) -> list[str]:
        """The statements of ``_parse`` (ending in ``return pos``), or with ``top`` those of
        ``from_bytes`` (no return): there ``pos`` starts at 0 and ``end == len(buf)``, so the
        reads before the first variable-length field use constant offsets and a short buffer
        is detected by ``struct.error``/``IndexError`` instead of a length test per run."""
        self.known_locals = {}
        self.locals_ok = True
        lines: list[str] = []
        uses_start = has_pos or any(
            ex.uses_io(n) for a in td.seq for n in (a.size, a.cond, a.repeat_expr) if n is not None
        )
        uses_io = uses_start or any(
            ex.uses_io(n)
            for a in td.seq
            for n in (a.valid_eq, a.valid_min, a.valid_max, *(a.valid_any_of or []))
            if n is not None
        )
        self.top = top
        self.const_pos = 0 if top and not uses_io else None
        if top and self.const_pos is None:
            lines.append("pos = 0")
        try:
            if uses_start:
                lines.append("start = pos")
            if has_pos:
                lines += ["self._buf = buf", "self._io_start = start", "self._io_end = end"]
            lines += self.seq_reads(td, "self")
        finally:
            self.top, self.const_pos = False, None
        if not top:
            lines.append("return pos")
        else:
            lines = _drop_last_pos_update(lines)
        return lines

    def flush_pos(self) -> list[str]:
        """Give ``pos`` its value while it is still a known constant (the next read needs it)."""
        if self.const_pos is None:
            return []
        value, self.const_pos = self.const_pos, None
        return [f"pos = {value}"]

    def seq_reads(self, td: TypeDef, obj: str) -> list[str]:
        """Statements reading every seq field of ``td`` into ``obj`` (fixed runs grouped)."""
        lines: list[str] = []
        run: list[Attr] = []
        for a in td.seq:
            if a.kind in ("int", "float") and not a.repeat and a.cond is None:
                run.append(a)
                continue
            if run:
                lines += self.read_run(run, obj)
                run = []
            lines += self.read_attr(a, f"{obj}.{a.id}", td)
        if run:
            lines += self.read_run(run, obj)
        return lines

    def leaf_inlinable(self, a: Attr) -> bool:
        """A child struct without child structs, instances or ``_io``/``_parent``/``_root``
        use (PTP strings and arrays): its reads are planned straight into the parent."""
        if a.kind != "user" or a.user is None or a.repeat or a.size is not None or a.size_eos:
            return False
        td = a.user.typedef
        if td.instances or not td.seq or self.use_links:
            return False
        for c in td.seq:
            if c.kind in ("user", "value"):
                return False
            for node in (c.size, c.cond, c.repeat_expr):
                if node is not None and ex.uses_io(node):
                    return False
        return True

    def read_leaf_inline(self, a: Attr, target: str) -> list[str]:
        assert a.user is not None
        child = a.user.typedef
        cls = self.user_class(a)
        obj = f"_o_{a.id}"
        saved = (self.obj_name, self.known_locals, self.locals_ok, self.current)
        self.obj_name, self.known_locals, self.locals_ok, self.current = obj, {}, True, child
        try:
            body = self.seq_reads(child, obj)
        finally:
            self.obj_name, self.known_locals, self.locals_ok, self.current = saved
        return [
            f"{obj} = _new({self.new_alias(cls)})",
            "try:",
            *["    " + line for line in body],
            "except _runtime.SpecDecodeError as exc:",
            f"    exc.add_prefix({q(a.id)})",
            "    raise",
            f"{target} = {obj}",
        ]

    def read_run(self, run: list[Attr], obj: str = "self", prefix: str = "") -> list[str]:
        """One length check and one ``struct`` unpack for a run of fixed-size numbers, stored
        on ``obj``; error fields get ``prefix`` (used when a child struct is inlined)."""
        endian = run[0].endian
        fmt = endian + "".join(a.prim or "" for a in run)
        if any(a.endian != endian for a in run if a.prim_size > 1):
            # Mixed endianness: split the run.
            out: list[str] = []
            cur: list[Attr] = []
            for a in run:
                if cur and a.prim_size > 1 and cur[-1].prim_size > 1 and a.endian != cur[-1].endian:
                    out += self.read_run(cur, obj, prefix)
                    cur = []
                cur.append(a)
            return out + self.read_run(cur, obj, prefix)
        size = sum(a.prim_size for a in run)
        layout: list[str] = []
        off = 0
        for a in run:
            off += a.prim_size
            layout.append(f"({off}, {q(prefix + a.id)})")
        targets = []
        post: list[str] = []
        local = prefix.replace(".", "_")
        path_prefix = tuple(p for p in prefix.split(".") if p)
        for a in run:
            v = f"_v_{local}{a.id}"
            targets.append(v)
            if a.enum:
                members, coerce = self.enum_maps(a)
                post += [
                    "try:",
                    f"    {obj}.{a.id} = {members}[{v}]",
                    "except KeyError:",
                    f"    {obj}.{a.id} = {coerce}({v})",
                ]
            else:
                post.append(f"{obj}.{a.id} = {v}")
                if self.locals_ok:
                    key = (*path_prefix, a.id)
                    self.known_locals[key] = v
        at = self.at()
        short = f"_runtime.short_read(({', '.join(layout)},), {self.left()})"
        if len(run) == 1 and run[0].prim == "B":
            read, failure = f"{targets[0]} = buf[{at}]", "IndexError"
        else:
            const = self.struct_const(fmt)
            lhs = ", ".join(targets) + ("," if len(targets) == 1 else "")
            args = "buf" if at == "0" else f"buf, {at}"
            read, failure = f"({lhs}) = {const}.unpack_from({args})", "struct.error"
        if self.top:
            # end == len(buf): the read itself fails exactly when the run does not fit.
            lines = ["try:", f"    {read}", f"except {failure}:", f"    raise {short} from None"]
        else:
            lines = [f"if end - pos < {size}:", f"    raise {short}", read]
        lines += post
        if self.const_pos is None:
            lines.append(f"pos += {size}")
        else:
            self.const_pos += size
        for a in run:
            checked = f"{obj}.{a.id}" if a.enum else f"_v_{local}{a.id}"
            lines += self.valid_checks(a, checked, prefix)
        return lines

    def enum_maps(self, a: Attr) -> tuple[str, str]:
        """(module-level alias of the enum's value→member dict, coercer) for inline lookups."""
        coerce = self.coercer(a)
        assert a.enum is not None
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", a.enum.py_name).upper()
        module = "" if a.enum.module == self.spec.id else f"{a.enum.module}."
        name = coerce.replace("_coerce_", "_members_", 1)
        self.members_maps[name] = (f"{module}_MEMBERS_{snake}", self.enum_class(a))
        return name, coerce

    def inlinable(self, a: Attr) -> bool:
        """A child struct that is one fixed run with literal-only checks: parsed in place."""
        if a.kind != "user" or a.user is None or a.repeat or a.size is not None or a.size_eos:
            return False
        td = a.user.typedef
        if td.instances or not td.seq:
            return False
        for c in td.seq:
            if c.kind not in ("int", "float") or c.repeat or c.cond is not None:
                return False
            for node in (c.valid_eq, c.valid_min, c.valid_max, *(c.valid_any_of or [])):
                if node is not None and not isinstance(node, ex.Int):
                    return False
        return True

    def valid_checks(self, a: Attr, target: str, prefix: str = "") -> list[str]:
        checks: list[tuple[str, str]] = []
        if a.valid_eq is not None:
            v = self.py(a.valid_eq, a, True, "valid")
            checks.append((f"{target} != {v}", f"must be {v}"))
        if a.valid_min is not None:
            v = self.py(a.valid_min, a, True, "valid.min")
            checks.append((f"{target} < {v}", f"must be >= {v}"))
        if a.valid_max is not None:
            v = self.py(a.valid_max, a, True, "valid.max")
            checks.append((f"{target} > {v}", f"must be <= {v}"))
        if a.valid_any_of is not None:
            vs = [self.py(v, a, True, "valid.any-of") for v in a.valid_any_of]
            listed = ", ".join(vs)
            checks.append((f"{target} not in ({listed},)", f"must be one of {listed}"))
        lines: list[str] = []
        for cond, msg in checks:
            lines += [
                f"if {cond}:",
                f'    raise _runtime.SpecDecodeError({q(prefix + a.id)}, f"{{{target}!r}} {msg}")',
            ]
        return lines

    def blame(self, a: Attr, node: ex.Node) -> str:
        """The field a bad length or count is blamed on: its single source field, else itself."""
        refs = [r for r in ex.names(node) if r[0] not in ("_root", "_parent", "_io")]
        if len(refs) == 1:
            return ".".join(refs[0])
        return a.id

    def read_attr(self, a: Attr, target: str, td: TypeDef) -> list[str]:
        if (
            a.cond is None
            and not a.repeat
            and (
                (a.kind == "user" and self.inlinable(a))
                or (a.kind in ("bytes", "str") and a.size is not None and a.contents is None)
            )
        ):
            # A fixed run or a sized byte/text field: planned against a constant pos.
            return self.read_attr_no_cond(a, target, td)
        flushed = self.flush_pos()
        return flushed + self.read_attr_flushed(a, target, td)

    def read_attr_flushed(self, a: Attr, target: str, td: TypeDef) -> list[str]:
        if a.cond is not None or a.repeat:
            # Locals assigned in a branch or loop may be unbound afterwards: do not reuse them.
            saved, self.locals_ok = self.locals_ok, False
            body = self.read_attr_no_cond(a, target, td)
            self.locals_ok = saved
        else:
            body = self.read_attr_no_cond(a, target, td)
        if a.cond is not None:
            cond = self.py(a.cond, a, True, "if")
            return [f"if {cond}:", *["    " + line for line in body], "else:",
                    f"    {target} = None"]  # fmt: skip
        return body

    def sized(self, a: Attr, local: str) -> list[str]:
        """Compute ``_n_<id>`` = byte length of the field and check it fits; sets ``local``."""
        assert a.size is not None
        size = self.py(a.size, a, True, "size")
        blame = self.blame(a, a.size)
        left = self.left()
        return [
            f"{local} = {size}",
            f"if {local} < 0 or {local} > {left}:",
            f'    raise _runtime.SpecDecodeError({q(blame)}, f"{a.id} needs {{{local}}} bytes, '
            f'{{{left}}} left")',
        ]

    def at(self) -> str:
        """The current position: ``pos``, or the constant it would hold."""
        return "pos" if self.const_pos is None else str(self.const_pos)

    def left(self) -> str:
        """Bytes left from the current position to ``end``."""
        if self.const_pos is None:
            return "end - pos"
        return f"end - {self.const_pos}" if self.const_pos else "end"

    def term_bytes(self, a: Attr) -> bytes:
        assert a.terminator is not None
        width = 1
        if a.kind == "str" and a.encoding is not None and a.terminator == 0:
            name = codecs.lookup(a.encoding).name
            width = 2 if "16" in name else 4 if "32" in name else 1
        return bytes([a.terminator]) * width

    def read_single(self, a: Attr, target: str, td: TypeDef) -> list[str]:
        n = f"_n_{a.id}"
        raw = f"_r_{a.id}"
        if a.kind in ("int", "float"):
            const = self.struct_const(a.endian + (a.prim or ""))
            lines = [
                f"if end - pos < {a.prim_size}:",
                f"    raise _runtime.short_read((({a.prim_size}, {q(a.id)}),), end - pos)",
            ]
            if a.enum:
                lines.append(f"({raw},) = {const}.unpack_from(buf, pos)")
                lines.append(f"{target} = {self.coercer(a)}({raw})")
            else:
                lines.append(f"({target},) = {const}.unpack_from(buf, pos)")
            lines.append(f"pos += {a.prim_size}")
            return lines + self.valid_checks(a, target)
        if a.contents is not None:
            k = len(a.contents)
            return [
                f"if buf[pos : pos + {k}] != {q(a.contents)}:",
                f'    raise _runtime.SpecDecodeError({q(a.id)}, f"expected {a.contents.hex()}, '
                f'got {{buf[pos : pos + {k}].hex()}}")',
                f"{target} = {q(a.contents)}",
                f"pos += {k}",
            ]
        if a.kind == "user" and self.leaf_inlinable(a) and not self.inlinable(a):
            return self.read_leaf_inline(a, target)
        if a.kind == "user" and self.inlinable(a):
            assert a.user is not None
            cls = self.user_class(a)
            obj = f"_o_{a.id}"
            lines = [
                f"{obj} = _new({self.new_alias(cls)})",
                *self.links(obj),
            ]
            lines += self.read_run(a.user.typedef.seq, obj, f"{a.id}.")
            lines.append(f"{target} = {obj}")
            return lines
        if a.kind == "user":
            cls = self.user_class(a)
            obj = f"_o_{a.id}"
            lines = [
                f"{obj} = _new({self.new_alias(cls)})",
            ]
            lines += self.links(obj)
            if a.size is not None:
                lines += self.sized(a, n)
                call = f"{obj}._parse(buf, pos, pos + {n})"
                after = f"pos += {n}"
            elif a.size_eos:
                call = f"{obj}._parse(buf, pos, end)"
                after = "pos = end"
            else:
                call = None
                after = ""
            lines.append("try:")
            lines.append(f"    {call}" if call else f"    pos = {obj}._parse(buf, pos, end)")
            lines += [
                "except _runtime.SpecDecodeError as exc:",
                f"    exc.add_prefix({q(a.id)})",
                "    raise",
            ]
            if after:
                lines.append(after)
            lines.append(f"{target} = {obj}")
            return lines
        # bytes and strings
        lines = []
        if a.size is not None or a.size_eos:
            if a.size is not None:
                lines += self.sized(a, n)
                at = self.at()
                part = f"buf[{at} : {at} + {n}]" if at != "0" else f"buf[:{n}]"
                lines.append(f"{raw} = {part}")
                lines.append(f"pos += {n}" if at == "pos" else f"pos = {at} + {n}")
                self.const_pos = None
            else:
                lines.append(f"{raw} = buf[pos:end]")
                lines.append("pos = end")
            if a.pad_right is not None:
                lines.append(f"{raw} = {raw}.rstrip({q(bytes([a.pad_right]))})")
            if self.decode_first(a):
                return lines + self.decode_then_cut(a, raw, target) + self.valid_checks(a, target)
            if a.terminator is not None:
                lines += self.inline_terminate(a, raw)
        else:
            assert a.terminator is not None
            term = self.term_bytes(a)
            i = f"_i_{a.id}"
            lines.append(f"{i} = _runtime.find_term(buf, {q(term)}, pos, end)")
            lines.append(f"if {i} < 0:")
            if a.eos_error:
                lines.append(
                    f'    raise _runtime.SpecDecodeError({q(a.id)}, "terminator not found")'
                )
            else:
                lines.append(f"    {i} = end")
                lines.append(f"    {raw} = buf[pos:end]")
                lines.append("    pos = end")
                lines.append("else:")
                lines += ["    " + x for x in self.term_slice(a, i, raw, len(term))]
            if a.eos_error:
                lines += self.term_slice(a, i, raw, len(term))
        if a.kind == "str":
            enc = codecs.lookup(a.encoding or "ascii").name
            lines += [
                "try:",
                f"    {target} = {self.decode_call(enc, raw)}",
                "except UnicodeDecodeError as exc:",
                f"    raise _runtime.SpecDecodeError({q(a.id)}, "
                f'f"invalid {enc}: {{exc.reason}}") from exc',
            ]
        else:
            lines.append(f"{target} = {raw}")
        return lines + self.valid_checks(a, target)

    def decoder(self, enc: str) -> str | None:
        """Module-level alias of the ``codecs`` function decoding ``enc`` (UTF-16/32 only:
        ``bytes.decode`` has fast paths for ASCII and UTF-8, not for these), or None."""
        func = _DIRECT_DECODERS.get(enc)
        if func is None:
            return None
        name = f"_decode_{func.removesuffix('_decode')}"
        self.decoders[name] = func
        return name

    def decode_call(self, enc: str, raw: str) -> str:
        """An expression decoding bytes ``raw`` (strict, whole input) to ``str``."""
        func = self.decoder(enc)
        if func is None:
            return f"{raw}.decode({q(enc)})"
        return f"{func}({raw}, None, True)[0]"

    def decode_first(self, a: Attr) -> bool:
        """A sized NUL-terminated UTF-16/32 string: decode the whole region, then cut at the
        first NUL character (same result as cutting first whenever the region decodes; if
        it does not, the generated code falls back to cutting first)."""
        if a.kind != "str" or a.terminator != 0 or a.include_term or a.pad_right is not None:
            return False
        enc = codecs.lookup(a.encoding or "ascii").name
        return enc in _DIRECT_DECODERS and len(self.term_bytes(a)) == _UNIT_WIDTH[enc]

    def decode_then_cut(self, a: Attr, raw: str, target: str) -> list[str]:
        enc = codecs.lookup(a.encoding or "ascii").name
        s = f"_s_{a.id}"
        i = f"_t_{a.id}"
        return [
            "try:",
            f"    {s} = {self.decode_call(enc, raw)}",
            f'    {i} = {s}.find("\\x00")',
            f"    if {i} >= 0:",
            f"        {s} = {s}[:{i}]",
            "except UnicodeDecodeError:",
            f"    {s} = _runtime.decode_terminated({raw}, {q(self.term_bytes(a))}, {q(enc)}, "
            f"{q(a.id)})",
            f"{target} = {s}",
        ]

    def inline_terminate(self, a: Attr, raw: str) -> list[str]:
        """Cut ``raw`` at the first terminator (aligned to its width), Kaitai ``size`` +
        ``terminator`` semantics: no terminator means the whole region."""
        term = self.term_bytes(a)
        width = len(term)
        i = f"_t_{a.id}"
        stop = f"{i} + {width}" if a.include_term else i
        lines = [f"{i} = {raw}.find({q(term)})"]
        if width > 1:
            lines += [
                f"while {i} > 0 and {i} % {width}:",
                f"    {i} = {raw}.find({q(term)}, {i} + 1)",
            ]
        lines += [f"if {i} >= 0:", f"    {raw} = {raw}[:{stop}]"]
        return lines

    def term_slice(self, a: Attr, i: str, raw: str, width: int) -> list[str]:
        stop = f"{i} + {width}" if a.include_term else i
        after = f"{i} + {width}" if a.consume_term else i
        return [f"{raw} = buf[pos:{stop}]", f"pos = {after}"]

    def read_repeat(self, a: Attr, target: str, td: TypeDef) -> list[str]:
        n = f"_n_{a.id}"
        lines: list[str] = []
        item = self.base_type(a)
        if a.kind in ("int", "float"):
            size = a.prim_size
            if a.repeat == "expr":
                assert a.repeat_expr is not None
                count = self.py(a.repeat_expr, a, True, "repeat-expr")
                blame = self.blame(a, a.repeat_expr)
                lines += [
                    f"{n} = {count}",
                    f"if {n} < 0 or {n} * {size} > end - pos:",
                    f'    raise _runtime.SpecDecodeError({q(blame)}, f"{a.id}: {{{n}}} items of '
                    f'{size} bytes do not fit in {{end - pos}} bytes")',
                ]
            else:
                lines += [
                    f"{n}, _rem_{a.id} = divmod(end - pos, {size})",
                    f"if _rem_{a.id}:",
                    f'    raise _runtime.SpecDecodeError({q(a.id)}, f"{{_rem_{a.id}}} trailing '
                    f'bytes do not make a whole item")',
                ]
            if a.prim == "B":
                raw_items = f"buf[pos : pos + {n}]"
            else:
                # One dict lookup for a compiled struct.Struct of this count (formatting a
                # format string per array costs more than the unpack of a short array).
                fmt = a.endian + (a.prim or "")
                cache = self.array_cache(fmt)
                compiled = f"_c_{a.id}"
                lines += [
                    f"{compiled} = {cache}.get({n})",
                    f"if {compiled} is None:",
                    f"    {compiled} = _runtime.array_struct({q(fmt)}, {n})",
                ]
                raw_items = f"{compiled}.unpack_from(buf, pos)"
            if a.enum:
                values = f"[{self.coercer(a)}(v) for v in {raw_items}]"
            else:
                values = f"list({raw_items})"
            lines.append(f"{target} = {values}")
            lines.append(f"pos += {n} * {size}" if size > 1 else f"pos += {n}")
            return lines
        # user types
        assert a.user is not None
        cls = self.user_class(a)
        items = f"_items_{a.id}"
        obj = f"_o_{a.id}"
        lines.append(f"{items}: list[{item}] = []")
        inner_size = ""
        if a.size is not None:
            size_code = self.py(a.size, a, True, "size")
            inner_size = size_code
        parse_item = [
            f"{obj} = _new({self.new_alias(cls)})",
        ]
        parse_item += self.links(obj)
        if inner_size:
            parse_item += [
                f"{n}_item = {inner_size}",
                f"if {n}_item < 0 or {n}_item > end - pos:",
                f'    raise _runtime.SpecDecodeError({q(a.id)}, "item size out of range")',
                "try:",
                f"    {obj}._parse(buf, pos, pos + {n}_item)",
            ]
            advance = f"pos += {n}_item"
        else:
            parse_item += ["try:", f"    {obj}_end = {obj}._parse(buf, pos, end)"]
            advance = ""
        parse_item += [
            "except _runtime.SpecDecodeError as exc:",
            f'    exc.add_prefix(f"{a.id}[{{len({items})}}]")',
            "    raise",
        ]
        if a.repeat == "expr":
            assert a.repeat_expr is not None
            count = self.py(a.repeat_expr, a, True, "repeat-expr")
            blame = self.blame(a, a.repeat_expr)
            min_item = max(1, self.min_size(a.user.typedef))
            lines += [
                f"{n} = {count}",
                f"if {n} < 0 or {n} * {min_item} > end - pos:",
                f'    raise _runtime.SpecDecodeError({q(blame)}, f"{a.id}: {{{n}}} items cannot '
                f'fit in {{end - pos}} bytes")',
                f"for _ in range({n}):",
            ]
            body = list(parse_item)
            if advance:
                body.append(advance)
            else:
                body.append(f"pos = {obj}_end")
            body.append(f"{items}.append({obj})")
            lines += ["    " + x for x in body]
        else:
            lines.append("while pos < end:")
            body = list(parse_item)
            if advance:
                body.append(advance)
            else:
                body += [
                    f"if {obj}_end <= pos:",
                    f'    raise _runtime.SpecDecodeError({q(a.id)}, "an item consumed no bytes")',
                    f"pos = {obj}_end",
                ]
            body.append(f"{items}.append({obj})")
            lines += ["    " + x for x in body]
        lines.append(f"{target} = {items}")
        return lines

    # -- instances ---------------------------------------------------------------------------

    def instance_prop(self, td: TypeDef, a: Attr) -> Prop:
        self.known_locals = {}
        self.locals_ok = False
        t = self.field_type(a)
        doc = a.doc or f"The ``{a.id}`` instance."
        if a.kind == "value":
            assert a.value is not None
            body = []
            value = self.py(a.value, a, False, "value")
            if a.cond is not None:
                cond = self.py(a.cond, a, False, "if", negate=True)
                body += [f"if {cond}:", "    return None"]
                t = f"{t} | None"
            body.append(f"return {value}")
            return Prop(a.id, t, doc, body)
        assert a.pos is not None
        m = f"_m_{a.id}"
        read = [
            "buf = self._buf",
            "if buf is None:",
            "    return None",
        ]
        if a.cond is not None:
            cond = self.py(a.cond, a, False, "if", negate=True)
            read += [f"if {cond}:", "    return None"]
        pos_code = self.py(a.pos, a, False, "pos")
        inner = [
            "start = self._io_start",
            "end = self._io_end",
            f"pos = start + {pos_code}",
            "if pos < start or pos > end:",
            f"    raise _runtime.SpecDecodeError({q(self.blame(a, a.pos))}, "
            f'f"{a.id} at {{pos - start}} is outside the {{end - start}} bytes of data")',
        ]
        local = f"_v_{a.id}"
        if a.kind in ("int", "float") and not a.repeat and not a.enum:
            read.append(f"{local}: {self.base_type(a)}")
        inner += self.read_attr_no_cond(a, local, td)
        read += ["try:", *["    " + x for x in inner]]
        read += [
            "except _runtime.SpecDecodeError as exc:",
            f"    exc.add_prefix({q(td.error_prefix)})",
            "    raise",
            f"return {local}",
        ]
        body = [
            f"if {q(m)} not in self.__dict__:",
            f"    self.{m} = self._read_{a.id}()",
            f"return self.{m}",
        ]
        return Prop(a.id, t, doc, body, read)

    def read_attr_no_cond(self, a: Attr, target: str, td: TypeDef) -> list[str]:
        if a.repeat:
            return self.read_repeat(a, target, td)
        return self.read_single(a, target, td)

    # -- writing -----------------------------------------------------------------------------

    def write_body(self, td: TypeDef) -> list[str]:
        lines: list[str] = []
        if any(a.pos is not None for a in td.instances):
            lines.append("start = len(out)")
        derive: list[str] = []
        pre: dict[str, str] = {}
        seq_ids = {a.id: a for a in td.seq}
        for a in td.seq:
            if a.repeat == "expr" and a.repeat_expr is not None:
                self.add_derivation(a, a.repeat_expr, f"len(self.{a.id})", seq_ids, derive)
            elif a.size is not None and not a.repeat and not ex.uses_io(a.size):
                length = self.payload_length(a, pre, derive)
                if length is not None:
                    self.add_derivation(a, a.size, length, seq_ids, derive)
        lines += derive
        run: list[Attr] = []
        for a in td.seq:
            if a.kind in ("int", "float") and not a.repeat and a.cond is None:
                run.append(a)
                continue
            if run:
                lines += self.write_run(run)
                run = []
            lines += self.write_attr(a, pre)
        if run:
            lines += self.write_run(run)
        for a in td.instances:
            if a.pos is None:
                continue
            pos_code = self.py(a.pos, a, False, "pos")
            v = f"_w_{a.id}"
            lines += [
                f"{v} = self.{a.id}",
                f"if {v} is not None:",
                f"    _at = start + {pos_code}",
                "    if _at < start or _at - len(out) > _runtime.MAX_GAP:",
                f'        raise ValueError(f"{self.field_name(a)}: position {{_at - start}} '
                f'is out of range")',
                "    if len(out) < _at:",
                "        out += bytes(_at - len(out))",
                "    _part = bytearray()",
            ]
            for x in self.write_value(a, v, "_part"):
                lines.append("    " + x)
            lines.append("    out[_at : _at + len(_part)] = _part")
        return lines or ["pass"]

    def payload_length(self, a: Attr, pre: dict[str, str], derive: list[str]) -> str | None:
        """Code for the byte length of a sized field's data (serialising user types once)."""
        if a.cond is not None:
            return None
        if a.kind == "bytes":
            extra = ""
            if a.terminator is not None and not a.include_term:
                extra = f" + ({len(self.term_bytes(a))} if self.{a.id} else 0)"
            return f"len(self.{a.id}){extra}"
        if a.kind == "str":
            enc = codecs.lookup(a.encoding or "ascii").name
            b = f"_b_{a.id}"
            derive.append(f"{b} = self.{a.id}.encode({q(enc)})")
            if a.terminator is not None and not a.include_term:
                term = self.term_bytes(a)
                derive += [f"if {b}:", f"    {b} += {q(term)}"]
            pre[a.id] = b
            return f"len({b})"
        if a.kind == "user":
            b = f"_b_{a.id}"
            derive += self.links(f"self.{a.id}")
            derive.append(f"{b} = _runtime.serialise(self.{a.id})")
            pre[a.id] = b
            return f"len({b})"
        return None

    def add_derivation(
        self, a: Attr, node: ex.Node, length: str, seq: dict[str, Attr], out: list[str]
    ) -> None:
        inv = ex.invert(node, length)
        if inv is None:
            return
        path, value = inv
        if path[0] not in seq:
            return
        head = seq[path[0]]
        if len(path) == 1 and not (head.kind == "int" and not head.repeat and head.cond is None):
            return
        if len(path) > 1 and (head.kind != "user" or head.repeat or head.cond is not None):
            return
        out.append(f"self.{'.'.join(path)} = {ex.strip_parens(value)}")
        self.derived.append(".".join(path))

    def write_run(self, run: list[Attr]) -> list[str]:
        endian = run[0].endian
        if any(a.endian != endian for a in run if a.prim_size > 1):
            out: list[str] = []
            for a in run:
                out += self.write_run([a])
            return out
        fmt = endian + "".join(a.prim or "" for a in run)
        const = self.struct_const(fmt)
        args = ", ".join(f"self.{a.id}" for a in run)
        return [f"out += {const}.pack({args})"]

    def write_attr(self, a: Attr, pre: dict[str, str]) -> list[str]:
        target = f"self.{a.id}"
        body = self.write_value(a, target, "out", pre.get(a.id))
        if a.cond is not None:
            cond = self.py(a.cond, a, False, "if") if not ex.uses_io(a.cond) else None
            if cond is None:
                return [f"if {target} is not None:", *["    " + x for x in body]]
            return [
                f"if {cond}:",
                f"    if {target} is None:",
                f'        raise ValueError("{self.field_name(a)}: required when '
                f'{cond.replace(chr(34), chr(39))}")',
                *["    " + x for x in body],
            ]
        return body

    def write_value(self, a: Attr, v: str, out: str, pre: str | None = None) -> list[str]:
        """Statements appending value ``v`` of attribute ``a`` to bytearray ``out``."""
        if a.repeat:
            if a.kind in ("int", "float"):
                if a.prim == "B":
                    return [f"{out} += bytes({v})"]
                self.uses_struct = True
                return [f'{out} += struct.pack(f"{a.endian}{{len({v})}}{a.prim}", *{v})']
            return [
                f"for _item in {v}:",
                *["    " + x for x in self.links("_item")],
                f"    _item._write({out})",
            ]
        if a.kind in ("int", "float"):
            const = self.struct_const(a.endian + (a.prim or ""))
            return [f"{out} += {const}.pack({v})"]
        if a.contents is not None:
            return [f"{out} += {q(a.contents)}"]
        if a.kind == "user":
            data = pre if pre is not None else None
            if data is None and a.size is None:
                return [*self.links(v), f"{v}._write({out})"]
            if data is None:
                data = f"_runtime.serialise({v})"
            return self.write_bytes(a, data, out)
        if a.kind == "str":
            if pre is not None:
                return self.write_bytes(a, pre, out)
            enc = codecs.lookup(a.encoding or "ascii").name
            data = f"{v}.encode({q(enc)})"
            if a.terminator is not None and not a.include_term:
                term = self.term_bytes(a)
                if a.size is None and not a.size_eos:
                    data = f"{data} + {q(term)}"
                else:
                    data = f'({data} + {q(term)} if {v} else b"")'
            return self.write_bytes(a, data, out)
        data = v
        if a.terminator is not None and not a.include_term:
            term = self.term_bytes(a)
            if a.size is None and not a.size_eos:
                data = f"{v} + {q(term)}"
            else:
                data = f'({v} + {q(term)} if {v} else b"")'
        return self.write_bytes(a, data, out)

    def write_bytes(self, a: Attr, data: str, out: str) -> list[str]:
        if a.size is None or ex.uses_io(a.size):
            return [f"{out} += {data}"]
        size = self.py(a.size, a, False, "size")
        pad = a.pad_right if a.pad_right is not None else 0
        d = f"_d_{a.id}"
        n = f"_k_{a.id}"
        return [
            f"{d} = {data}",
            f"{n} = {size}",
            f"if len({d}) > {n}:",
            f'    raise ValueError(f"{self.field_name(a)}: {{len({d})}} bytes do not fit in '
            f'size {{{n}}}")',
            f"{out} += {d}",
            f"if len({d}) < {n}:",
            f"    {out} += {q(bytes([pad]))} * ({n} - len({d}))",
        ]


@dataclass
class ModulePlan:
    """Everything the module template needs for one spec file."""

    spec: SpecFile
    enums: list[EnumPlan]
    root: ClassPlan | None
    structs: list[tuple[str, str]]
    imports_stdlib: list[str]
    imports_local: list[str]
    aliases: list[tuple[str, str]]
    coercers: list[tuple[str, str]] = field(default_factory=list)
    members_maps: list[tuple[str, tuple[str, str]]] = field(default_factory=list)
    class_aliases: list[tuple[str, str]] = field(default_factory=list)
    arrays: list[tuple[str, str]] = field(default_factory=list)
    decoders: list[tuple[str, str]] = field(default_factory=list)


def uses_links(specs: list[SpecFile]) -> bool:
    """True when any expression in any spec reads ``_parent`` or ``_root``."""
    for spec in specs:
        for td in spec.all_types:
            for a in (*td.seq, *td.instances):
                nodes = [a.size, a.cond, a.repeat_expr, a.pos, a.value, a.valid_eq, a.valid_min,
                         a.valid_max, *(a.valid_any_of or [])]  # fmt: skip
                for node in nodes:
                    if node is not None and any(
                        r[0] in ("_parent", "_root") for r in ex.names(node)
                    ):
                        return True
    return False


def plan_module(spec: SpecFile, use_links: bool = False) -> ModulePlan:
    """Plan one generated module (enums, the class tree, imports, module-level aliases)."""
    planner = _Planner(spec, use_links)
    root = planner.plan_type(spec.root)
    enums = [plan_enum(e) for e in spec.all_enums]
    names = [e.name for e in enums]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[0]
        raise SpecError(spec.file, "enums", f"two enums become the same class {dup!r}")
    aliases: list[tuple[str, str]] = []
    taken = set(names) | {root.name}

    def walk(plan: ClassPlan) -> None:
        for child in plan.nested:
            if child.name not in taken:
                aliases.append((child.name, child.qualname))
                taken.add(child.name)
            walk(child)

    walk(root)
    stdlib: list[str] = []
    if planner.uses_struct:
        stdlib.append("import struct")
    enum_bases = sorted({e.base for e in enums})
    if enum_bases:
        stdlib.append(f"from enum import {', '.join(enum_bases)}")
    typing = ["Any"]
    stdlib.append(f"from typing import {', '.join(typing)}")
    local = sorted({"_runtime", *spec.imports})
    return ModulePlan(
        spec=spec, enums=enums, root=root, structs=planner.structs,
        imports_stdlib=stdlib, imports_local=local, aliases=aliases,
        coercers=sorted(planner.coercers.items()),
        members_maps=sorted(planner.members_maps.items()),
        class_aliases=sorted(planner.class_aliases.items()),
        arrays=planner.arrays,
        decoders=sorted(planner.decoders.items()),
    )  # fmt: skip

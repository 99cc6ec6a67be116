"""Rendering: Jinja2 templates (StrictUndefined) turn module plans into Python source text.

Output is deterministic (sorted, no timestamps or absolute paths) and already formatted: the
generator normalises blank lines and trailing whitespace itself.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import jinja2

from .model import SpecFile, build_all
from .plan import ClassPlan, EnumPlan, ModulePlan, plan_module, q, uses_links

TEMPLATES = Path(__file__).parent / "templates"
RUNTIME_NAME = "_runtime.py"


def pytuple(items: list[str]) -> str:
    """A tuple literal of strings: ``()``, ``("a",)``, ``("a", "b")``."""
    if len(items) == 1:
        return f"({q(items[0])},)"
    return "(" + ", ".join(q(i) for i in items) + ")"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["q"] = q
    env.filters["pytuple"] = pytuple
    return env


def docblock(text: str, indent: str) -> str:
    """A complete docstring literal for ``text`` at the given indentation."""
    safe = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = [line.rstrip() for line in safe.strip().splitlines()] or [""]
    if lines[0].endswith('"'):
        lines[0] += " "
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    body = "\n".join(f"{indent}{line}" if line else "" for line in lines[1:])
    return f'"""{lines[0]}\n{body}\n{indent}"""'


def _enum_name_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


class Renderer:
    """Renders every module of one spec set."""

    def __init__(self) -> None:
        self.env = _env()

    def enum(self, e: EnumPlan) -> str:
        """One enum class (plus its value map and metadata table)."""
        snake = _enum_name_snake(e.name)
        return self.env.get_template("enum.py.j2").render(
            e=e, members_map=f"_MEMBERS_{snake}", meta_map=f"_META_{snake}"
        )

    def klass(self, c: ClassPlan) -> str:
        """One struct class, nested classes included."""
        nested = [self.klass(n).rstrip("\n") for n in c.nested]
        props = [
            {
                "name": p.name,
                "type": p.type,
                "doc": docblock(p.doc, "        "),
                "body": p.body,
                "reader": p.reader,
            }
            for p in c.props
        ]
        text = self.env.get_template("class.py.j2").render(
            c=c, doc=docblock(c.doc, "    "), nested=nested, props=props
        )
        return text.rstrip("\n")

    def module(self, plan: ModulePlan, all_modules: list[str]) -> str:
        """One generated module for a spec file."""
        enums = [self.enum(e).rstrip("\n") for e in plan.enums]
        root = self.klass(plan.root) if plan.root is not None else ""
        coercers = ["_new = _runtime.new"] if "_new(" in root else []
        coercers += [f"{n} = codecs.{f}" for n, f in plan.decoders]
        coercers += [f"{n} = {c}.coerce" for n, c in plan.coercers]
        coercers += [f"{n}: dict[int, {cls}] = {m}" for n, (m, cls) in plan.members_maps]
        tail = [f"{n} = {q}" for n, q in plan.aliases]
        tail += [f"{n} = {c}" for n, c in plan.class_aliases]
        body = "\n".join([*enums, *coercers, root, *tail])
        used, tokens = code_names(body)
        stdlib = []
        if "codecs" in used:
            stdlib.append("import codecs")
        if "struct" in used or plan.structs or plan.arrays:
            stdlib.append("import struct")
        bases = sorted({e.base for e in plan.enums})
        if bases:
            stdlib.append(f"from enum import {', '.join(bases)}")
        if "Any" in tokens:
            stdlib.append("from typing import Any")
        local_mods = ["_runtime"] + [m for m in all_modules if m != plan.spec.id and m in used]
        local = [f"from . import {', '.join(sorted(local_mods))}"]
        if "KaitaiStruct" in tokens:
            local.append("from ._runtime import KaitaiStream, KaitaiStruct")
        text = self.env.get_template("module.py.j2").render(
            spec=plan.spec,
            module_doc=docblock(plan.spec.doc, ""),
            imports_stdlib=stdlib,
            imports_local=local,
            structs=plan.structs,
            arrays=plan.arrays,
            enums=enums,
            coercers=coercers,
            root=root,
            aliases=[*plan.aliases, *plan.class_aliases],
        )
        return normalise(text)

    def runtime(self) -> str:
        """``_runtime.py`` (shared helpers, from its template)."""
        return normalise(self.env.get_template("_runtime.py.j2").render())

    def package_init(self, specs: list[SpecFile]) -> str:
        """``__init__.py`` listing the modules."""
        lines = [
            "# Code generated by codegen from spec/*.ksy; DO NOT EDIT.",
            '"""Generated protocol tables and parsers (one module per spec file):',
            "",
        ]
        for spec in specs:
            title = spec.raw.get("meta", {}).get("title") or spec.id
            lines.append(f"- ``{spec.id}``: {title}")
        lines.append('"""')
        return normalise("\n".join(lines) + "\n")


def code_names(code: str) -> tuple[set[str], set[str]]:
    """(names used as ``name.attr``, all names) in code; strings and comments are not code."""
    dotted: set[str] = set()
    names: set[str] = set()
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME:
            continue
        names.add(tok.string)
        after_dot = i > 0 and tokens[i - 1].string == "."
        if not after_dot and i + 1 < len(tokens) and tokens[i + 1].string == ".":
            dotted.add(tok.string)
    return dotted, names


def normalise(text: str) -> str:
    """Strip trailing whitespace, collapse 3+ blank lines to 2, end with one newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    blanks = 0
    for line in lines:
        if not line:
            blanks += 1
            if blanks > 2:
                continue
        else:
            blanks = 0
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def generate(raw_specs: dict[str, object]) -> dict[str, str]:
    """All output files (name → text) for the given raw specs (from ``loader``)."""
    specs = build_all(raw_specs)
    renderer = Renderer()
    files: dict[str, str] = {
        "__init__.py": renderer.package_init(specs),
        RUNTIME_NAME: renderer.runtime(),
    }
    links = uses_links(specs)
    for spec in specs:
        files[f"{spec.id}.py"] = renderer.module(plan_module(spec, links), [s.id for s in specs])
    return dict(sorted(files.items()))

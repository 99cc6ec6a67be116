"""Layering check: which part of chdkptp may import what (design §2, docs/internals.md).

Run as ``python -m tests.layering`` (``make lint`` does) or through ``tests/test_layering.py``.
It reads every module's imports with :mod:`ast` (nothing is imported or executed) and reports
each import that crosses a layer boundary the wrong way, as ``file:line: message``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Layer of each first-party module prefix (longest prefix wins).
LAYERS: dict[str, int] = {
    "chdkptp._generated": 0,
    "chdkptp.errors": 1,
    "chdkptp.ptp": 2,
    "chdkptp.lua": 2,
    "chdkptp.script": 2,
    "chdkptp.transport": 3,
    "chdkptp.discovery": 5,
    "chdkptp.session": 4,
    "chdkptp.camera": 5,
    "chdkptp.chdk": 5,
    "chdkptp.files": 5,
    "chdkptp.liveview": 5,
    "chdkptp.capture": 5,
    "chdkptp.multicam": 6,
    "chdkptp.cli": 6,
    "chdkptp.demo": 6,
    "chdkptp": 6,  # the package facade re-exports the public API
}

# Third-party / stdlib modules a layer may NOT use (sans-IO layers stay free of I/O).
FORBIDDEN_EXTERNAL: dict[int, set[str]] = {
    0: {"usb", "libusb_package", "socket", "threading", "time", "lupa", "numpy", "PIL"},
    1: {"usb", "libusb_package", "socket", "threading", "time", "lupa", "kaitaistruct"},
    2: {"usb", "libusb_package", "socket", "threading", "time", "lupa", "select", "asyncio"},
}
# The one exemption from "nothing imports the simulator": the command line's ``--sim`` and the
# first-run demo ARE simulator front ends (L6 entry points).  They may import chdkptp.sim, but
# only lazily, inside a function body (so ``import chdkptp.cli`` never loads the simulator and
# works without lupa).  A module-level import from them is still a violation; L0-L5 stay strict.
SIM_LAZY_IMPORTERS = ("chdkptp.cli", "chdkptp.demo")
# The mirror-image exemption: the shipped pytest plugin is a test-facing entry point (like the
# CLI's --sim) whose ``sim_connect`` fixture hands out a connected camera, so it may reach the
# package facade's ``connect`` -- only that, and only inside a function body.  The rest of the
# simulator stays at L0-L2.
SIM_FACADE_IMPORTERS = ("chdkptp.sim.pytest_plugin",)
SIM_FACADE_TARGETS = frozenset({"chdkptp", "chdkptp.connect"})
# Calls that import a module named by a string; a constant ``"chdkptp..."`` argument counts as
# an import of that module (so ``importlib.import_module`` cannot hide a layer violation).
STRING_IMPORT_CALLS = frozenset({"import_module", "__import__"})

ALLOWED_EXTERNAL_L0 = {
    "kaitaistruct",
    "codecs",
    "enum",
    "struct",
    "typing",
    "collections",
    "dataclasses",
    "__future__",
    "io",
    "functools",
    "itertools",
    "sys",
    "os",
    "collections.abc",
    "typing_extensions",
}


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}: {self.message}"


def module_name(path: Path) -> str:
    """Dotted module name of a source file (generated/ maps to chdkptp._generated)."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "generated":
        parts = ["chdkptp", "_generated", *parts[1:]]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    """Layer number of a first-party module, ``None`` for the simulator or non-chdkptp."""
    if module == "chdkptp.sim" or module.startswith("chdkptp.sim."):
        return None
    best: tuple[int, int] | None = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > best[0]
        ):
            best = (len(prefix), layer)
    return None if best is None else best[1]


def string_import(node: ast.AST) -> str | None:
    """The module of ``importlib.import_module("x")`` / ``import_module("x")`` /
    ``__import__("x")`` with a constant string, else None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    first = node.args[0]
    if name in STRING_IMPORT_CALLS and isinstance(first, ast.Constant) and isinstance(
        first.value, str
    ):
        return first.value
    return None


def imports_of(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative ones resolved; string
    imports (``importlib.import_module("chdkptp.x")``) included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    for node in ast.walk(tree):
        named = string_import(node)
        if isinstance(node, ast.Call) and named is not None:
            yield node.lineno, named
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from chdkptp import sim` imports a submodule
                yield node.lineno, f"{target}.{alias.name}"


def function_level_import_lines(path: Path) -> set[int]:
    """Line numbers of the imports that sit inside a function body (lazy imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)) or (
                    isinstance(inner, ast.Call) and string_import(inner)
                ):
                    lines.add(inner.lineno)
    return lines


def _is_lazy_sim_importer(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in SIM_LAZY_IMPORTERS)


def check_file(path: Path, module: str | None = None) -> list[Violation]:
    """Layering violations of one file (``module`` overrides the name derived from the path)."""
    module = module or module_name(path)
    found: list[Violation] = []
    if module.startswith("codegen"):
        for line, target in imports_of(path, module):
            if target == "chdkptp" or target.startswith("chdkptp."):
                found.append(Violation(path, line, f"codegen must not import {target}"))
        return found
    own_is_sim = module == "chdkptp.sim" or module.startswith("chdkptp.sim.")
    own_layer = layer_of(module)
    facade_importer = module in SIM_FACADE_IMPORTERS
    lazy_lines = (function_level_import_lines(path)
                  if _is_lazy_sim_importer(module) or facade_importer else set())
    for line, target in imports_of(path, module):
        top = target.split(".")[0]
        if top == "codegen":
            found.append(Violation(path, line, f"{module} must not import the dev-only generator"))
            continue
        if top != "chdkptp":
            if own_layer is not None and top in FORBIDDEN_EXTERNAL.get(own_layer, set()):
                found.append(Violation(path, line, f"L{own_layer} module {module} imports {top}"))
            allowed_l0 = top in ALLOWED_EXTERNAL_L0 or target in ALLOWED_EXTERNAL_L0
            if own_layer == 0 and not allowed_l0:
                found.append(Violation(path, line, f"generated code imports {target}"))
            continue
        target_is_sim = target == "chdkptp.sim" or target.startswith("chdkptp.sim.")
        if target_is_sim:
            if not own_is_sim and line not in lazy_lines:
                hint = (" at module level (import it inside the function that needs it)"
                        if _is_lazy_sim_importer(module) else "")
                found.append(
                    Violation(path, line, f"{module} imports the simulator ({target}){hint}")
                )
            continue
        target_layer = layer_of(target)
        if target_layer is None:
            continue
        if own_is_sim:
            if facade_importer and target in SIM_FACADE_TARGETS and line in lazy_lines:
                continue
            if target_layer > 2:
                found.append(
                    Violation(path, line, f"simulator imports L{target_layer} module {target}")
                )
            continue
        if own_layer is not None and target_layer > own_layer:
            found.append(
                Violation(
                    path, line, f"L{own_layer} module {module} imports L{target_layer} {target}"
                )
            )
    return found


def source_files() -> list[Path]:
    files: list[Path] = []
    for folder in ("chdkptp", "generated", "codegen"):
        base = ROOT / folder
        if base.is_dir():
            for path in sorted(base.rglob("*.py")):
                if "_generated" not in path.relative_to(ROOT).parts:
                    files.append(path)
    return files


def check_all() -> list[Violation]:
    violations: list[Violation] = []
    for path in source_files():
        violations.extend(check_file(path))
    return violations


def main() -> int:
    violations = check_all()
    for violation in violations:
        print(violation)
    files = len(source_files())
    if violations:
        print(f"layering: {len(violations)} violation(s) in {files} files")
        return 1
    print(f"layering: ok ({files} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

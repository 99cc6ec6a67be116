"""The official Kaitai Struct compiler as a test oracle: install, compile, import its Python output.

One implementation shared by ``tests/test_spec_compiles.py``, ``tests/oracle/`` and
``bench/parse.py``. The npm package ``kaitai-struct-compiler`` (pinned by
``codegen/ksc/package-lock.json``) is installed with ``npm ci`` into the git-ignored
``.cache/ksc``; ``codegen/ksc/compile.js`` drives its programmatic API. Successful compiles are
cached under ``.cache/ksc-out/<digest>/<target>``, keyed by the compiler version, the harness and
the bytes of every ``spec/*.ksy``, so a second run (or a second test module) reuses them.

Nothing here imports pytest at module level; ``skip_or_fail()`` and ``require_node()`` are
the only pytest-aware helpers.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import NoReturn

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec"
HARNESS = ROOT / "codegen" / "ksc"
KSC_CACHE = ROOT / ".cache" / "ksc"
OUT_CACHE = ROOT / ".cache" / "ksc-out"
KSC_VERSION = "0.11.0"
TARGETS = ("python", "java", "go", "cpp_stl", "javascript")


class KscUnavailable(RuntimeError):
    """node/npm are missing or the compiler could not be installed."""


def ksy_files() -> list[Path]:
    """Every spec, sorted by name."""
    return sorted(SPEC.glob("*.ksy"))


def node_tools() -> tuple[str, str] | None:
    """Paths of ``node`` and ``npm``, or None if either is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    return (node, npm) if node and npm else None


def skip_or_fail(reason: str) -> NoReturn:
    """For tests: skip with ``reason``, but fail under CI (``CI=true``); never returns."""
    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"the official Kaitai compiler is required under CI: {reason}")
    pytest.skip(f"the official Kaitai compiler is unavailable: {reason}")


def require_node() -> tuple[str, str]:
    """``node_tools()`` for tests: skip without node/npm, but fail under CI (``CI=true``)."""
    tools = node_tools()
    if tools is None:
        skip_or_fail("node/npm not installed")
    return tools


def installed_version() -> str | None:
    """Version of the compiler installed in ``.cache/ksc``, or None (js-yaml missing counts)."""
    package = KSC_CACHE / "node_modules" / "kaitai-struct-compiler" / "package.json"
    if not package.is_file() or not (KSC_CACHE / "node_modules" / "js-yaml").is_dir():
        return None
    version = json.loads(package.read_text(encoding="utf-8")).get("version")
    return str(version) if version is not None else None


def ensure_installed() -> str:
    """Install the harness' npm packages into ``.cache/ksc`` once (``npm ci`` from the lock file).

    Returns the folder to pass as ``KSC_NODE_MODULES``; raises ``KscUnavailable``.
    """
    tools = node_tools()
    if tools is None:
        raise KscUnavailable("node/npm not installed")
    _node, npm = tools
    if installed_version() != KSC_VERSION:
        KSC_CACHE.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(HARNESS / name, KSC_CACHE / name)
        result = subprocess.run(
            [npm, "ci", "--prefix", str(KSC_CACHE), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise KscUnavailable(f"npm ci failed:\n{result.stdout}\n{result.stderr}")
    if installed_version() != KSC_VERSION:
        raise KscUnavailable(f"expected kaitai-struct-compiler {KSC_VERSION} in {KSC_CACHE}")
    return str(KSC_CACHE)


def specs_digest(files: list[Path] | None = None) -> str:
    """Cache key: compiler version, harness script and every spec's name and bytes."""
    h = hashlib.sha256(KSC_VERSION.encode())
    h.update((HARNESS / "compile.js").read_bytes())
    for path in files if files is not None else ksy_files():
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class CompileResult:
    """One target's compile: exit status, combined log, output folder."""

    target: str
    returncode: int
    log: str
    out: Path


def compile_targets(targets: tuple[str, ...] = TARGETS) -> dict[str, CompileResult]:
    """Compile every spec for each target (one node process per target, in parallel).

    Successful outputs are cached; a failed target is compiled again on the next call.
    Raises ``KscUnavailable`` without node/npm.
    """
    modules = ensure_installed()
    node, _npm = node_tools() or ("node", "npm")
    files = ksy_files()
    base = OUT_CACHE / specs_digest(files)
    results: dict[str, CompileResult] = {}
    procs = {}
    for target in targets:
        done = base / target
        if (done / ".ok").is_file():
            results[target] = CompileResult(target, 0, "(cached)", done)
            continue
        base.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{target}-", dir=base))
        procs[target] = (
            work,
            subprocess.Popen(
                [node, str(HARNESS / "compile.js"), target, str(work), *map(str, files)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "KSC_NODE_MODULES": modules},
            ),
        )
    for target, (work, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        log = stdout + stderr
        if proc.returncode != 0:
            results[target] = CompileResult(target, proc.returncode, log, work)
            continue
        (work / ".ok").write_text(log, encoding="utf-8")
        done = base / target
        try:
            work.rename(done)
        except OSError:  # another process finished the same target first
            shutil.rmtree(work, ignore_errors=True)
        results[target] = CompileResult(target, 0, log, done)
    _prune(keep=base)
    return {t: results[t] for t in targets}


def _prune(keep: Path, limit: int = 8) -> None:
    """Drop the oldest cached outputs beyond ``limit`` (each spec edit makes a new digest)."""
    if not OUT_CACHE.is_dir():
        return
    others = sorted(
        (p for p in OUT_CACHE.iterdir() if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in others[limit - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def import_python(folder: Path) -> dict[str, ModuleType]:
    """Import the official compiler's Python output from ``folder``, one module per spec.

    Its modules use absolute imports (``import ptp_types``), so the folder goes on ``sys.path``
    for the import only; afterwards the names are taken out of ``sys.modules`` again (the modules
    keep their references to each other), leaving the interpreter as it was.
    """
    names = [p.stem for p in sorted(folder.glob("*.py"))]
    saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    sys.path.insert(0, str(folder))
    try:
        return {n: importlib.import_module(n) for n in names}
    finally:
        sys.path.remove(str(folder))
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)


def load_python() -> dict[str, ModuleType]:
    """Compile (or reuse the cached) Python output and import it; raises ``KscUnavailable``."""
    result = compile_targets(("python",))["python"]
    if result.returncode != 0:
        raise KscUnavailable(f"ksc failed for python:\n{result.log}")
    return import_python(result.out)


def camel(name: str) -> str:
    """ksc's class name for a ksy id: ``ptp_device_info`` -> ``PtpDeviceInfo``."""
    return "".join(part.capitalize() for part in name.split("_"))

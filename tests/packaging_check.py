"""Packaging proof: a built wheel and the editable install both import ``chdkptp._generated``.

Run as ``python -m tests.packaging_check`` (``make wheel-check``) or through
``tests/test_packaging.py``.  The wheel is built without network access (``--no-isolation``)
into a temporary folder, unpacked, and imported by a child interpreter whose path holds only
the unpacked wheel ahead of site-packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def declared_packages() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["tool"]["setuptools"]["packages"])


def package_dirs_on_disk() -> list[str]:
    found = ["chdkptp._generated"] if (ROOT / "generated" / "__init__.py").exists() else []
    for init in sorted((ROOT / "chdkptp").rglob("__init__.py")):
        rel = init.parent.relative_to(ROOT)
        if "_generated" in rel.parts:
            continue
        found.append(".".join(rel.parts))
    return found


def build_wheel(out: Path) -> Path:
    """Build the wheel into ``out`` (a stale setuptools ``build/`` folder is removed first)."""
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    wheels = sorted(out.glob("chdkptp-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel in {out}, found {wheels}")
    return wheels[0]


def wheel_problems(wheel: Path) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    problems: list[str] = []
    if any(n.startswith("generated/") for n in names):
        problems.append("wheel has a top-level 'generated' folder")
    for src in sorted((ROOT / "generated").glob("*.py")):
        if f"chdkptp/_generated/{src.name}" not in names:
            problems.append(f"wheel lacks chdkptp/_generated/{src.name}")
    for lua in sorted((ROOT / "chdkptp").rglob("*.lua")):
        rel = lua.relative_to(ROOT).as_posix()
        if rel not in names:
            problems.append(f"wheel lacks package data {rel}")
    if "chdkptp/py.typed" not in names:
        problems.append("wheel lacks chdkptp/py.typed")
    return problems


IMPORT_PROBE = (
    "import importlib, pkgutil, chdkptp, chdkptp._generated as g\n"
    "mods = [m.name for m in pkgutil.iter_modules(g.__path__)]\n"
    "[importlib.import_module('chdkptp._generated.' + m) for m in mods]\n"
    "print(chdkptp.__file__); print(g.__file__); print(len(mods))\n"
)


def import_from(path_entry: Path | None, cwd: Path) -> list[str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if path_entry is not None:
        env["PYTHONPATH"] = str(path_entry)
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        check=True,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )
    return out.stdout.split()


def main() -> int:
    problems: list[str] = []
    missing = sorted(set(package_dirs_on_disk()) - set(declared_packages()))
    problems += [f"package {p} is missing from pyproject's package list" for p in missing]
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        wheel = build_wheel(tmpdir / "dist")
        problems += wheel_problems(wheel)
        unpacked = tmpdir / "unpacked"
        zipfile.ZipFile(wheel).extractall(unpacked)
        pkg_file, gen_file, count = import_from(unpacked, tmpdir)
        if not pkg_file.startswith(str(unpacked)) or not gen_file.startswith(str(unpacked)):
            problems.append(f"wheel import resolved outside the wheel: {pkg_file}, {gen_file}")
        print(f"wheel {wheel.name}: imports chdkptp._generated ({count} modules) from the wheel")
        pkg_file, gen_file, count = import_from(None, tmpdir)
        if not gen_file.startswith(str(ROOT)):
            problems.append(f"editable install resolved chdkptp._generated to {gen_file}")
        print(f"editable install: imports chdkptp._generated ({count} modules) from {ROOT}")
    for problem in problems:
        print("packaging:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures for the command-line tests: run ``chdkptp`` in-process or as a subprocess.

In-process runs call :func:`chdkptp.cli.main` with the arguments and capture stdout/stderr;
``--sim-card`` with a per-test folder keeps the simulated card between invocations (each
invocation creates its own simulated camera, like a user running the command twice).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chdkptp.cli import main

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    """What one ``chdkptp`` run produced."""

    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@pytest.fixture
def card(tmp_path: Path) -> Path:
    """A folder used as the simulated camera's card for the whole test."""
    path = tmp_path / "card"
    path.mkdir()
    return path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], card: Path) -> Runner:
    """``cli("info", "--json")``: run against the simulated camera on ``card`` in-process.

    ``sim=False`` runs without ``--sim-card`` (the real, empty USB bus of this machine).
    """

    def run(*argv: str, sim: bool = True) -> Result:
        capsys.readouterr()
        args = (["--sim-card", str(card)] if sim else []) + list(argv)
        code = main(args)
        captured = capsys.readouterr()
        return Result(int(code), captured.out, captured.err)

    return run


def run_subprocess(argv: Sequence[str], *, module: str = "chdkptp", stdin: str | None = None,
                   cwd: Path | None = None, env: dict[str, Any] | None = None) -> Result:
    """``python -m chdkptp ARGS`` in a child process (the package from this checkout)."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    environment.update(env or {})
    proc = subprocess.run([sys.executable, "-m", module, *argv], input=stdin,
                          capture_output=True, text=True, cwd=cwd, env=environment,
                          timeout=120, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr)

"""Under CI a skipped test or module fails the run (tests/conftest.py); locally it stays a skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SKIPPING = """
import pytest

def test_skips():
    pytest.skip("a tool is missing")

@pytest.mark.skipif(True, reason="root may open any node")
def test_allowed_skip():
    pass

def test_passes():
    assert 1 + 1 == 2
"""

MODULE_SKIP = """
import pytest

pytest.importorskip("no_such_module_for_the_ci_policy_test")

def test_never_runs():
    pass
"""


def run(tmp_path: Path, files: dict[str, str], *, ci: bool) -> subprocess.CompletedProcess[str]:
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:chdkptp_sim",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )


@pytest.mark.parametrize("ci", [True, False])
def test_skipped_test(tmp_path: Path, ci: bool) -> None:
    result = run(tmp_path, {"test_skipping.py": SKIPPING}, ci=ci)
    out = result.stdout + result.stderr
    if ci:
        assert result.returncode == 1, out
        assert "skipped under CI" in out and "1 failed, 1 passed, 1 skipped" in out
    else:
        assert result.returncode == 0, out
        assert "1 passed, 2 skipped" in out


@pytest.mark.parametrize("ci", [True, False])
def test_skipped_module(tmp_path: Path, ci: bool) -> None:
    result = run(
        tmp_path, {"test_module.py": MODULE_SKIP, "test_ok.py": "def test_ok():\n    pass\n"}, ci=ci
    )
    out = result.stdout + result.stderr
    assert result.returncode == (1 if ci else 0), out
    assert ("module skipped under CI" in out) == ci

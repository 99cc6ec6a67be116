"""The README's Python quickstart and CLI examples stay true: run them on the simulator."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from chdkptp import sim
from chdkptp.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_quickstart_runs_on_the_simulator(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("PIL")
    (code,) = re.findall(r"```python\n(.*?)```", section("Python quickstart"), re.S)
    assert len(code.strip().splitlines()) <= 15
    # The one change: the simulated bus instead of the machine's USB (as the README says).
    code = code.replace("list_cameras()", "list_cameras(backend=backend)")
    code = code.replace("connect()", "connect(backend=backend)")
    camera = sim.SimulatedCamera()
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README quickstart", "exec"),
                 {"backend": sim.SimulatedBackend([camera])})
    finally:
        camera.close()
    lines = out.getvalue().splitlines()
    assert "Canon PowerShot SX160 IS (2, 9)" in lines
    assert "[1, 4, 9]" in lines
    assert (tmp_path / "IMG_0001.JPG").is_file()
    assert (tmp_path / "lv.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_examples_parse() -> None:
    block = re.findall(r"```sh\n(.*?)```", section("Command line"), re.S)[0]
    parser = build_parser()
    seen = 0
    for line in block.splitlines():
        for part in line.split("#", 1)[0].split(";"):
            words = shlex.split(part.split("|", 1)[0])
            if not words:
                continue
            assert words[0] == "chdkptp", line
            args = [w for w in words[1:] if w not in ("[--delete]", "[--dry-run]")]
            parsed = parser.parse_args(args)
            assert parsed._command is not None, line
            seen += 1
    assert seen >= 20

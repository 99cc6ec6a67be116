"""``python -m chdkptp`` and ``python -m chdkptp.demo`` as real child processes: exit codes,
stdout/stderr separation, ``--json``, the missing-extra message, and the first-run demo."""

from __future__ import annotations

import json
from pathlib import Path

from chdkptp.cli import ExitCode
from tests.cli.conftest import run_subprocess


def test_json_session_across_processes(tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    base = ["--sim-card", str(card), "--json"]
    res = run_subprocess([*base, "luar", "return {n=get_vbatt() > 0, list={1, 2}}"])
    assert res.code == 0, res.err
    assert json.loads(res.out)["result"] == {"n": True, "list": [1, 2]}
    res = run_subprocess([*base, "shoot"])
    assert res.code == 0, res.err
    path = json.loads(res.out)["path"]
    res = run_subprocess([*base, "download", path, str(tmp_path)])  # a second process
    assert res.code == 0, res.err
    got = Path(json.loads(res.out)["local"])
    assert got.read_bytes() == (card / "DCIM" / "100CANON" / got.name).read_bytes()


def test_exit_codes_in_a_child_process(tmp_path: Path) -> None:
    res = run_subprocess(["--sim", "luar", "error('boom')"])
    assert res.code == ExitCode.SCRIPT
    assert res.out == "" and res.err.startswith("chdkptp: error: ") and "boom" in res.err
    res = run_subprocess(["--sim", "--model", "nothing-like-it", "info"])
    assert res.code == ExitCode.NOT_FOUND
    res = run_subprocess(["--sim", "nonsense"])
    assert res.code == ExitCode.USAGE
    res = run_subprocess(["--sim", "luar", "-"], stdin="return 'from stdin'")
    assert (res.code, res.out) == (0, '"from stdin"\n')


def test_sim_without_lupa_says_how_to_install(tmp_path: Path) -> None:
    # The machine without the sim extra: an import hook makes lupa unimportable.
    hook = tmp_path / "sitecustomize.py"
    hook.write_text("import sys\nsys.modules['lupa'] = None\n")
    res = run_subprocess(["--sim", "info"], env={"PYTHONPATH": str(tmp_path)})
    assert res.code == ExitCode.UNSUPPORTED
    assert "pip install 'chdkptp[sim]'" in res.err
    assert res.err.count("\n") == 1


def test_shell_from_a_pipe() -> None:
    res = run_subprocess(["--sim", "shell"], stdin="= return 40 + 2\nls A/\nquit\n")
    assert res.code == 0, res.err
    assert res.out.splitlines()[0] == "42"
    assert "DCIM/" in res.out


def test_demo(tmp_path: Path) -> None:
    res = run_subprocess(["--out", "out"], module="chdkptp.demo", cwd=tmp_path)
    assert res.code == 0, res.out + res.err
    out = res.out
    for command in ("chdkptp> list", "chdkptp> info", "chdkptp> luar", "chdkptp> shoot",
                    "chdkptp> download", "chdkptp> lvsnap"):
        assert command in out, command
    assert "primes={2, 3, 5, 7}" in out
    assert "Done: 6 commands" in out
    image = tmp_path / "out" / "IMG_0001.JPG"
    assert image.read_bytes()[:2] == b"\xff\xd8"
    assert (tmp_path / "out" / "liveview.png").read_bytes()[:4] == b"\x89PNG"
    assert max(len(line) for line in out.splitlines() if not line.startswith("chdkptp>")) < 100

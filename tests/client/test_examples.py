"""Every example runs against the simulator (``--sim``) and prints what it promises."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    old = sys.argv
    sys.argv = [name, "--sim", *args]
    try:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_cameras(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run("list_cameras.py", capsys=capsys)
    assert code == 0
    assert "SIM00001" in out and "SIM00002" in out and "G12" in out


def test_device_info(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run("device_info.py", capsys=capsys)
    assert code == 0
    assert "PowerShot SX160 IS" in out
    assert "CHDK protocol:  2.9" in out


def test_run_lua(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run("run_lua.py", "write_usb_msg('hi') return {1, 2, x = 3}", capsys=capsys)
    assert code == 0
    assert "message: 'hi'" in out
    assert "{1: 1, 2: 2, 'x': 3}" in out


def test_run_lua_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run("run_lua.py", "\nerror('x')", capsys=capsys)
    assert code == 1
    assert "runtime error at line 2: x" in err and ":2:" not in err


def test_shoot(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run("shoot.py", "--tv", "0.01", "--iso", "200", "--play", capsys=capsys)
    assert code == 0
    assert out.strip() == "A/DCIM/100CANON/IMG_0001.JPG"

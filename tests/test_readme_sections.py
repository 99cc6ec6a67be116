"""The README's simulator and PTP/IP examples stay true: run them on the simulator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import chdkptp
from chdkptp import sim
from chdkptp.errors import DeviceBusy

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(title: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def test_simulator_example_runs() -> None:
    rig_code, fixture_code = python_blocks("The simulated camera")
    namespace: dict[str, Any] = {}
    exec(compile(rig_code, "README simulator example", "exec"), namespace)
    cams, rig = namespace["cams"], namespace["rig"]
    try:
        assert [c.serial for c in rig] == ["SIM00001", "SIM00002"]
        with pytest.raises(DeviceBusy):  # the busy fault set in the example fires once
            rig[0].run_lua("return 1")
        assert rig[0].run_lua("return 1") == 1
        assert cams[0].storage_enumeration_count == 0
    finally:
        for cam in rig:
            cam.close()
        for camera in cams:
            camera.close()
    assert "def test_my_rig_shoots(sim_connect)" in fixture_code


def test_fixture_example_runs(sim_connect: Any) -> None:
    (_, fixture_code) = python_blocks("The simulated camera")
    namespace: dict[str, Any] = {}
    exec(compile(fixture_code, "README fixture example", "exec"), namespace)
    namespace["test_my_rig_shoots"](sim_connect)


def test_ptpip_example_runs_on_loopback() -> None:
    (code,) = python_blocks("Wi-Fi cameras (PTP/IP)")
    # The first two lines need a real Wi-Fi camera; the rest is the simulator on loopback.
    local = "\n".join(
        line for line in code.splitlines() if "192.168." not in line and "get_vbatt" not in line
    )
    exec(compile(local, "README PTP/IP example", "exec"), {"chdkptp": chdkptp, "sim": sim})

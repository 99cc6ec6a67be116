"""The README's CameraGroup example runs, on the three simulated rig cameras."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from chdkptp.sim import SimulatedBackend
from tests.multicam.conftest import OFFSETS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_group_example_runs(bus: SimulatedBackend, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Many cameras (`CameraGroup`)")
    end = text.index("\n## ", start + 1)
    (code,) = re.findall(r"```python\n(.*?)```", text[start:end], re.S)
    assert "CameraGroup.connect_all()" in code
    code = code.replace("CameraGroup.connect_all()", "CameraGroup.connect_all(backend=bus)")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"bus": bus, "print": lambda *a: None}
    exec(compile(code, "README group example", "exec"), namespace)
    assert set(namespace["shot"].paths) == set(OFFSETS)
    for serial in OFFSETS:
        assert (tmp_path / "scans" / serial / "100CANON" / "IMG_0001.JPG").is_file()

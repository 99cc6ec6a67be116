"""The layering rules hold for the whole tree, and the checker really catches violations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import layering


def test_tree_respects_layers() -> None:
    violations = layering.check_all()
    assert violations == [], "\n".join(str(v) for v in violations)


@pytest.mark.parametrize(
    ("module", "source", "needle"),
    [
        ("chdkptp.ptp.containers", "import usb.core\n", "imports usb"),
        ("chdkptp.ptp.containers", "import time\n", "imports time"),
        ("chdkptp.lua", "from chdkptp import session\n", "imports L4"),
        ("chdkptp.session", "from chdkptp.camera import Camera\n", "imports L5"),
        ("chdkptp.camera", "from chdkptp.sim import SimulatedCamera\n", "simulator"),
        ("chdkptp.sim.responder", "from chdkptp.session import Session\n", "simulator imports L4"),
        ("chdkptp._generated.ptp_codes", "import numpy\n", "imports numpy"),
        ("chdkptp.transport.usb", "from ..camera import Camera\n", "imports L5"),
        ("codegen.render", "import chdkptp.errors\n", "codegen must not import"),
        ("chdkptp.camera", "import codegen\n", "dev-only generator"),
        ("chdkptp.sim.responder", "import importlib\nimportlib.import_module('chdkptp.session')\n",
         "simulator imports L4"),
        ("chdkptp.lua", "def f():\n    return __import__('chdkptp.camera')\n", "imports L5"),
        ("chdkptp.sim.pytest_plugin", "from chdkptp import connect\n", "simulator imports L6"),
        ("chdkptp.sim.pytest_plugin", "def f():\n    from chdkptp.camera import Camera\n",
         "simulator imports L5"),
        ("chdkptp.sim.state", "def f():\n    from chdkptp import connect\n",
         "simulator imports L6"),
    ],
)
def test_checker_catches(tmp_path: Path, module: str, source: str, needle: str) -> None:
    is_pkg = module.count(".") == 0
    path = tmp_path / ("__init__.py" if is_pkg else "mod.py")
    path.write_text(source, encoding="utf-8")
    found = layering.check_file(path, module)
    assert any(needle in v.message for v in found), found


def test_checker_allows_downward_imports(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text(
        "from chdkptp.errors import ChdkError\nfrom chdkptp._generated import ptp_codes\n"
        "import struct\n",
        encoding="utf-8",
    )
    assert layering.check_file(path, "chdkptp.ptp.containers") == []


def test_sim_plugin_may_reach_connect_lazily(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from chdkptp import connect\n", encoding="utf-8")
    assert layering.check_file(path, "chdkptp.sim.pytest_plugin") == []

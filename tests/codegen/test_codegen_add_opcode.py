"""Adding an opcode is one line in the spec and a regeneration."""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import sys
from pathlib import Path

from codegen.__main__ import main
from tests.codegen._vectors import SPEC


def test_add_opcode_one_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(SPEC, spec)
    ksy = spec / "ptp_codes.ksy"
    lines = ksy.read_text(encoding="utf-8").splitlines(keepends=True)
    at = lines.index("  operation_code:\n") + 1
    lines.insert(at, '    0x9876: {id: canon_test_op, doc: "Added by a test.", -category: test}\n')
    ksy.write_text("".join(lines), encoding="utf-8")

    out = tmp_path / "pkg"
    assert main(["--spec", str(spec), "--out", str(out)]) == 0
    package = "added_opcode_pkg"
    init = importlib.util.spec_from_file_location(
        package, out / "__init__.py", submodule_search_locations=[str(out)]
    )
    assert init is not None and init.loader is not None
    module = importlib.util.module_from_spec(init)
    sys.modules[package] = module
    try:
        init.loader.exec_module(module)
        codes = importlib.import_module(f"{package}.ptp_codes")
        member = codes.OperationCode.CANON_TEST_OP
        assert member == 0x9876
        assert codes.OperationCode(0x9876) is member
        assert member.category == "test"
        assert codes.PtpCodes.OperationCode.CANON_TEST_OP is member
        assert codes.OperationCode.GET_DEVICE_INFO == 0x1001  # the rest is unchanged
    finally:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]

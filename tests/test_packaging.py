"""A built wheel and the editable install both ship generated/ as chdkptp._generated."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests import packaging_check


def test_every_package_directory_is_declared() -> None:
    missing = set(packaging_check.package_dirs_on_disk()) - set(packaging_check.declared_packages())
    assert not missing, f"add to pyproject [tool.setuptools] packages: {sorted(missing)}"


def test_wheel_and_editable_import_generated(tmp_path: Path) -> None:
    wheel = packaging_check.build_wheel(tmp_path / "dist")
    assert packaging_check.wheel_problems(wheel) == []
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    pkg_file, gen_file, count = packaging_check.import_from(unpacked, tmp_path)
    assert pkg_file.startswith(str(unpacked))
    assert gen_file.startswith(str(unpacked))
    assert int(count) >= 1
    _, gen_file, _ = packaging_check.import_from(None, tmp_path)
    assert gen_file.startswith(str(packaging_check.ROOT))

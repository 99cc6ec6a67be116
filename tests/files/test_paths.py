"""Camera path rules and local-path safety (pure functions, no camera)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chdkptp.files import MAX_PATH_LENGTH, camera_path, check_camera_path, safe_local_path


@pytest.mark.parametrize(
    ("given_path", "expected"),
    [
        ("A/DCIM/100CANON/IMG_0001.JPG", "A/DCIM/100CANON/IMG_0001.JPG"),
        ("DCIM/X", "A/DCIM/X"),
        ("/DCIM/X", "A/DCIM/X"),
        ("a/DCIM//X/", "A/DCIM/X"),
        ("A/./DCIM", "A/DCIM"),
        ("A", "A/"),
        ("A/", "A/"),
        ("/", "A/"),
        ('A/x"]]\n\\y', 'A/x"]]\n\\y'),  # carried as is: Lua gets it through lua.dumps
    ],
)
def test_camera_path_normalises(given_path: str, expected: str) -> None:
    assert camera_path(given_path) == expected


@pytest.mark.parametrize("bad", ["", "A/x\x00y", "A/../x", "DCIM/../../etc"])
def test_camera_path_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        camera_path(bad)


def test_camera_path_type() -> None:
    with pytest.raises(TypeError):
        camera_path(b"A/DCIM")  # type: ignore[arg-type]


def test_check_83_and_length() -> None:
    assert check_camera_path("CHDK/SCRIPTS/TEST.LUA") == "A/CHDK/SCRIPTS/TEST.LUA"
    with pytest.raises(ValueError, match=r"8\.3"):
        check_camera_path("A/CHDK/longername.lua")
    with pytest.raises(ValueError, match=r"8\.3"):
        check_camera_path("A/X.LUAX")
    with pytest.raises(ValueError, match=r"8\.3"):
        check_camera_path("A/a b.txt")
    long = "A/" + "/".join(["ABCDEFGH"] * 4)  # 8.3-clean but 37 bytes
    assert len(long) > MAX_PATH_LENGTH
    with pytest.raises(ValueError, match=str(MAX_PATH_LENGTH)):
        check_camera_path(long)
    assert check_camera_path(long, max_length=None) == long
    assert check_camera_path("A/long name.text", names_83=False) == "A/long name.text"
    with pytest.raises(ValueError, match="root"):
        check_camera_path("A/")


@pytest.mark.parametrize(
    "hostile",
    ["../x", "../../x", "a/../../x", "/etc/passwd", "\\\\server\\x", "C:x", "c:/x", "x\x00y",
     "a\\..\\..\\x", "", ".", "a//b", "a/./b", "x:stream"],
)
def test_safe_local_path_refuses(tmp_path: Path, hostile: str) -> None:
    with pytest.raises(ValueError):
        safe_local_path(tmp_path, hostile)


def test_safe_local_path_symlink_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "link")
    with pytest.raises(ValueError, match="leaves"):
        safe_local_path(dest, "link/x.jpg")
    assert safe_local_path(dest, "sub/x.jpg") == dest / "sub" / "x.jpg"


@given(st.text(min_size=1, max_size=40))
def test_safe_local_path_never_leaves(name: str) -> None:
    root = Path("/tmp/chdkptp-files-hyp-root")
    try:
        target = safe_local_path(root, name)
    except ValueError:
        return
    resolved = Path(os.path.normpath(target))
    assert resolved == root or root in resolved.parents

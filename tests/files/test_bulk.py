"""Bulk copies on the simulated camera: download_tree, upload_tree, download_images."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from chdkptp import files
from chdkptp._generated.ptp_codes import OperationCode
from chdkptp.camera import Camera
from chdkptp.errors import ChdkError, RemoteProtocolError
from chdkptp.sim import SimulatedCamera

Put = Callable[..., Path]
T0 = 1_700_000_000


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def card_tree(put: Put) -> dict[str, bytes]:
    content = {
        "A.TXT": b"a" * 10,
        "B.JPG": b"b" * 20,
        "SUB/C.JPG": b"c" * 30,
        "SUB/DEEP/D.JPG": b"d" * 40,
    }
    for rel, data in content.items():
        put(f"A/TREE/{rel}", data, mtime=T0)
    return content


# --- download_tree ----------------------------------------------------------------------------


def test_download_tree_all(cam: Camera, card_tree: dict[str, bytes], tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    plan = cam.download_tree("A/TREE", tmp_path / "out",
                             progress=lambda d, t: calls.append((d, t)))
    assert _tree(tmp_path / "out") == card_tree
    assert {t.action for t in plan} == {"downloaded"}
    assert calls[-1] == (100, 100)
    assert int((tmp_path / "out" / "SUB" / "C.JPG").stat().st_mtime) == T0


def test_download_tree_filters(cam: Camera, card_tree: dict[str, bytes], tmp_path: Path) -> None:
    cam.download_tree("A/TREE", tmp_path / "jpg", match="*.jpg")
    assert set(_tree(tmp_path / "jpg")) == {"B.JPG", "SUB/C.JPG", "SUB/DEEP/D.JPG"}
    cam.download_tree("A/TREE", tmp_path / "shallow", max_depth=1)
    assert set(_tree(tmp_path / "shallow")) == {"A.TXT", "B.JPG", "SUB/C.JPG"}
    cam.download_tree("A/TREE", tmp_path / "big", match=lambda e: e.size >= 30)
    assert set(_tree(tmp_path / "big")) == {"SUB/C.JPG", "SUB/DEEP/D.JPG"}


def test_download_tree_overwrite_and_dry_run(cam: Camera, card_tree: dict[str, bytes],
                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = cam.download_tree("A/TREE", out, dry_run=True)
    assert [t.action for t in plan] == ["planned"] * 4
    assert not out.exists()
    out.mkdir()
    (out / "A.TXT").write_bytes(b"local")
    plan = cam.download_tree("A/TREE", out)
    assert {t.local.name: t.action for t in plan}["A.TXT"] == "skipped"
    assert (out / "A.TXT").read_bytes() == b"local"
    cam.download_tree("A/TREE", out, overwrite=True)
    assert (out / "A.TXT").read_bytes() == card_tree["A.TXT"]


def test_download_tree_missing(cam: Camera, tmp_path: Path) -> None:
    with pytest.raises(ChdkError):
        cam.download_tree("A/NOPE", tmp_path / "x")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("name", ["..\\..\\evil.JPG", "C:evil.JPG", "x\\y.JPG"])
def test_download_tree_refuses_hostile_camera_names(cam: Camera, put: Put, sim: SimulatedCamera,
                                                   tmp_path: Path, name: str) -> None:
    """Names legal on the simulated card's disk but unsafe on the host: error, nothing written
    (the good file listed before it is not written either)."""
    put("A/EVIL/AAA.JPG", b"fine")
    (sim.card.root / "EVIL" / name).write_bytes(b"evil")  # to_local refuses such names
    with pytest.raises(RemoteProtocolError, match="unsafe"):
        cam.download_tree("A/EVIL", tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("rel", ["../../x", "/etc/passwd", "a/../../x", "x\x00y", "", 7,
                                 "C:/x", "a//b"])
def test_camera_names_are_checked(rel: object) -> None:
    """What a hostile camera could put in a listing entry never passes."""
    with pytest.raises(RemoteProtocolError):
        files._checked_rel(rel, "a test listing")


# --- upload_tree ------------------------------------------------------------------------------


def _local_tree(root: Path) -> None:
    (root / "SUB" / "DEEP").mkdir(parents=True)
    (root / "ONE.LUA").write_bytes(b"1")
    (root / "SUB" / "TWO.LUA").write_bytes(b"22")
    (root / "SUB" / "DEEP" / "THREE.TXT").write_bytes(b"333")


def test_upload_tree(cam: Camera, sim: SimulatedCamera, tmp_path: Path) -> None:
    _local_tree(tmp_path)
    plan = cam.upload_tree(tmp_path, "A/UP")
    assert sorted(t.remote.path for t in plan) == [
        "A/UP/ONE.LUA", "A/UP/SUB/DEEP/THREE.TXT", "A/UP/SUB/TWO.LUA"]
    assert _tree(sim.card.to_local("A/UP")) == _tree(tmp_path)
    lua_only = cam.upload_tree(tmp_path, "A/UP2", match="*.lua", max_depth=1)
    assert sorted(t.remote.path for t in lua_only) == ["A/UP2/ONE.LUA", "A/UP2/SUB/TWO.LUA"]
    assert sim.card.to_local("A/UP2/SUB/TWO.LUA").read_bytes() == b"22"


def test_upload_tree_checks_everything_first(cam: Camera, sim: SimulatedCamera,
                                            tmp_path: Path) -> None:
    _local_tree(tmp_path)
    (tmp_path / "SUB" / "not an 8.3 name.txt").write_bytes(b"x")
    before = len(sim.operations_log)
    with pytest.raises(ValueError, match=r"8\.3"):
        cam.upload_tree(tmp_path, "A/UP")
    assert len(sim.operations_log) == before
    assert not sim.card.to_local("A/UP").exists()
    with pytest.raises(ValueError, match=r"8\.3"):
        cam.upload_tree(tmp_path, "A/UP", dry_run=True)
    with pytest.raises(ValueError):
        cam.upload_tree(tmp_path / "ONE.LUA", "A/UP")


def test_upload_tree_dry_run(cam: Camera, sim: SimulatedCamera, tmp_path: Path) -> None:
    _local_tree(tmp_path)
    plan = cam.upload_tree(tmp_path, "A/UP", dry_run=True)
    assert len(plan) == 3 and {t.action for t in plan} == {"planned"}
    assert not sim.card.to_local("A/UP").exists()


# --- download_images --------------------------------------------------------------------------


@pytest.fixture
def shots(put: Put) -> list[str]:
    """Five shots over two folders; shots 2 and 5 also have a raw file; plus non-images."""
    paths = []
    for n in range(1, 6):
        folder = "100CANON" if n <= 3 else "101CANON"
        p = f"A/DCIM/{folder}/IMG_{n:04d}.JPG"
        put(p, f"jpeg {n}".encode(), mtime=T0 + n * 100)
        paths.append(p)
        if n in (2, 5):
            raw = f"A/DCIM/{folder}/CRW_{n:04d}.DNG"
            put(raw, f"raw {n}".encode(), mtime=T0 + n * 100)
            paths.append(raw)
    put("A/DCIM/CANONMSC/M0100.CTG", b"index")
    put("A/DCIM/100CANON/NOTES.TXT", b"not an image")
    return paths


def _names(plan: list[files.Transfer]) -> list[str]:
    return sorted(t.remote.name for t in plan)


def test_download_images_all(cam: Camera, shots: list[str], tmp_path: Path) -> None:
    plan = cam.download_images(tmp_path)
    assert len(plan) == 7
    assert _tree(tmp_path)["100CANON/IMG_0001.JPG"] == b"jpeg 1"
    assert _tree(tmp_path)["101CANON/CRW_0005.DNG"] == b"raw 5"
    assert "100CANON/NOTES.TXT" not in _tree(tmp_path)


def test_download_images_selection(cam: Camera, shots: list[str], tmp_path: Path) -> None:
    last = cam.download_images(tmp_path, last=2, dry_run=True)
    assert _names(last) == ["CRW_0005.DNG", "IMG_0004.JPG", "IMG_0005.JPG"]
    assert _names(cam.download_images(tmp_path, numbers=range(1, 3), dry_run=True)) == [
        "CRW_0002.DNG", "IMG_0001.JPG", "IMG_0002.JPG"]
    since = cam.download_images(tmp_path, since=T0 + 400, dry_run=True)
    assert _names(since) == ["CRW_0005.DNG", "IMG_0004.JPG", "IMG_0005.JPG"]
    since_dt = cam.download_images(tmp_path, since=datetime.fromtimestamp(T0 + 500),
                                   match="*.dng", dry_run=True)
    assert _names(since_dt) == ["CRW_0005.DNG"]
    assert cam.download_images(tmp_path, last=0, dry_run=True) == []
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        cam.download_images(tmp_path, last=-1)


def test_download_images_template(cam: Camera, shots: list[str], tmp_path: Path) -> None:
    plan = cam.download_images(tmp_path, numbers=[3],
                               name_template="{serial}/{date}/{stem}-{number:05d}.{ext}")
    day = datetime.fromtimestamp(T0 + 300).strftime("%Y%m%d")
    assert [t.local for t in plan] == [tmp_path / cam.serial / day / "IMG_0003-00003.JPG"]
    assert plan[0].local.read_bytes() == b"jpeg 3"


@pytest.mark.parametrize("template", ["../{name}", "/tmp/{name}", "{subdir}/../../{name}",
                                      "{nope}", "{name}\x00", "flat"])
def test_download_images_bad_template(cam: Camera, shots: list[str], tmp_path: Path,
                                      template: str) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(ValueError):
        cam.download_images(dest, name_template=template)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_download_images_delete_after(cam: Camera, shots: list[str], sim: SimulatedCamera,
                                      tmp_path: Path) -> None:
    plan = cam.download_images(tmp_path, last=1, delete_after=True)
    assert _names(plan) == ["CRW_0005.DNG", "IMG_0005.JPG"]
    assert not sim.card.to_local("A/DCIM/101CANON/IMG_0005.JPG").exists()
    assert not sim.card.to_local("A/DCIM/101CANON/CRW_0005.DNG").exists()
    assert sim.card.to_local("A/DCIM/101CANON/IMG_0004.JPG").exists()
    assert _tree(tmp_path)["101CANON/IMG_0005.JPG"] == b"jpeg 5"
    # skipped (already here, complete) files are deleted too; others stay
    again = cam.download_images(tmp_path, numbers=[4], delete_after=True, dry_run=True)
    assert [t.action for t in again] == ["planned"]
    assert sim.card.to_local("A/DCIM/101CANON/IMG_0004.JPG").exists()


def test_download_images_skips_existing(cam: Camera, shots: list[str], tmp_path: Path) -> None:
    first = cam.download_images(tmp_path, numbers=[1])
    assert [t.action for t in first] == ["downloaded"]
    second = cam.download_images(tmp_path, numbers=[1])
    assert [t.action for t in second] == ["skipped"]


def test_download_images_with_a_shot(cam: Camera, tmp_path: Path) -> None:
    """End to end with the simulator's own shooting (valid JPEG written by the camera)."""
    path = cam.shoot()
    plan = cam.download_images(tmp_path, last=1)
    assert [t.remote.path for t in plan] == [path]
    assert plan[0].local.read_bytes()[:2] == b"\xff\xd8"
    assert os.path.getsize(plan[0].local) == plan[0].remote.size


def test_no_storage_enumeration(cam: Camera, shots: list[str], sim: SimulatedCamera,
                                tmp_path: Path) -> None:
    cam.download_images(tmp_path)
    cam.download_tree("A/DCIM", tmp_path / "tree")
    cam.upload_tree(tmp_path / "tree", "A/COPY", check_names=False, max_path=None)
    assert sim.storage_enumeration_count == 0
    assert all(op in (OperationCode.CHDK, OperationCode.GET_DEVICE_INFO,
                      OperationCode.OPEN_SESSION, OperationCode.CLOSE_SESSION)
               for op, _ in sim.operations_log)

"""Single-file operations on the simulated camera: stat, listdir, walk, mkdir, remove,
download, upload, hostile paths, link failures."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from chdkptp import files
from chdkptp._generated.ptp_codes import OperationCode
from chdkptp.camera import Camera
from chdkptp.errors import (
    ChdkError,
    ChdkPtpError,
    DeviceDisconnectedError,
    RemoteProtocolError,
    ScriptError,
)
from chdkptp.files import RemoteEntry
from chdkptp.sim import SimulatedCamera

Put = Callable[..., Path]
MTIME = 1_600_000_000


def _chdk_ops(sim: SimulatedCamera) -> int:
    return sum(1 for op, _ in sim.operations_log if op == OperationCode.CHDK)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


# --- stat / listdir / walk ------------------------------------------------------------------


def test_stat_file_and_dir(cam: Camera, put: Put) -> None:
    put("A/DCIM/100CANON/IMG_0001.JPG", b"j" * 1234, mtime=MTIME)
    entry = cam.stat("DCIM/100CANON/IMG_0001.JPG")
    assert entry == RemoteEntry("IMG_0001.JPG", "A/DCIM/100CANON/IMG_0001.JPG", 1234, MTIME,
                                False)
    folder = cam.stat("A/DCIM/100CANON")
    assert folder.is_dir and folder.size == 0 and folder.name == "100CANON"
    assert cam.stat("A/").is_dir


def test_stat_missing(cam: Camera) -> None:
    with pytest.raises(ChdkError) as info:
        cam.stat("A/NOPE.TXT")
    assert info.value.path == "A/NOPE.TXT"  # type: ignore[attr-defined]
    assert not isinstance(info.value, ScriptError)


def test_listdir(cam: Camera, put: Put) -> None:
    put("A/STUFF/B.TXT", b"bb", mtime=MTIME)
    put("A/STUFF/A.TXT", b"a", mtime=MTIME + 1)
    put("A/STUFF/SUB/C.TXT", b"ccc")
    entries = cam.listdir("A/STUFF")
    assert [(e.name, e.size, e.is_dir) for e in entries] == [
        ("A.TXT", 1, False), ("B.TXT", 2, False), ("SUB", 0, True)]
    assert entries[0].mtime == MTIME + 1
    assert entries[0].path == "A/STUFF/A.TXT"
    assert cam.listdir("A/STUFF/SUB")[0].path == "A/STUFF/SUB/C.TXT"


def test_listdir_errors(cam: Camera, put: Put) -> None:
    put("A/F.TXT")
    with pytest.raises(ChdkError, match="not a directory"):
        cam.listdir("A/F.TXT")
    with pytest.raises(ChdkError):
        cam.listdir("A/MISSING")


def test_listdir_many_batches(cam: Camera, sim: SimulatedCamera) -> None:
    """More entries than 15 queue slots x 64 per message: the host drains while it lists."""
    folder = sim.card.to_local("A/MANY")
    folder.mkdir()
    for i in range(1100):
        (folder / f"F{i:04d}.DAT").write_bytes(b"x" * (i % 7))
    entries = cam.listdir("A/MANY")
    assert len(entries) == 1100
    assert [e.name for e in entries] == [f"F{i:04d}.DAT" for i in range(1100)]
    assert all(e.size == i % 7 for i, e in enumerate(entries))


def test_walk(cam: Camera, put: Put) -> None:
    put("A/W/ONE.TXT")
    put("A/W/X/TWO.TXT")
    put("A/W/X/Y/THREE.TXT")
    put("A/W/Z/FOUR.TXT")
    seen = [(d, [e.name for e in ds], [e.name for e in fs]) for d, ds, fs in cam.walk("A/W")]
    assert seen == [
        ("A/W", ["X", "Z"], ["ONE.TXT"]),
        ("A/W/X", ["Y"], ["TWO.TXT"]),
        ("A/W/X/Y", [], ["THREE.TXT"]),
        ("A/W/Z", [], ["FOUR.TXT"]),
    ]
    shallow = [(d, [e.name for e in fs]) for d, _ds, fs in cam.walk("A/W", max_depth=0)]
    assert shallow == [("A/W", ["ONE.TXT"]), ("A/W/X", []), ("A/W/Z", [])]
    with pytest.raises(ValueError):
        list(cam.walk("A/W", max_depth=-1))


# --- mkdir / remove ---------------------------------------------------------------------------


def test_mkdir_with_parents(cam: Camera, sim: SimulatedCamera) -> None:
    assert cam.mkdir("A/RIG/SET1/RAW") == 3
    assert sim.card.to_local("A/RIG/SET1/RAW").is_dir()
    assert cam.mkdir("A/RIG/SET1") == 0
    assert cam.mkdir(["A/RIG/SET2", "A/RIG/SET3"]) == 2


def test_mkdir_over_a_file(cam: Camera, put: Put) -> None:
    put("A/FILE.TXT")
    with pytest.raises(ChdkError, match="not a directory"):
        cam.mkdir("A/FILE.TXT/SUB")


def test_mkdir_rules_checked_before_sending(cam: Camera, sim: SimulatedCamera) -> None:
    before = _chdk_ops(sim)
    with pytest.raises(ValueError, match=r"8\.3"):
        cam.mkdir("A/a directory with a long name")
    with pytest.raises(ValueError, match="32"):
        cam.mkdir("A/ABCDEFGH/ABCDEFGH/ABCDEFGH/ABCDEFGH")
    assert _chdk_ops(sim) == before


def test_remove(cam: Camera, put: Put, sim: SimulatedCamera) -> None:
    put("A/TRASH/A.TXT")
    put("A/TRASH/SUB/B.TXT")
    with pytest.raises(ChdkError):
        cam.remove("A/TRASH")  # not empty
    assert cam.remove("A/TRASH/A.TXT") == 1
    assert not sim.card.to_local("A/TRASH/A.TXT").exists()
    with pytest.raises(ChdkError):
        cam.remove("A/TRASH/A.TXT")
    assert cam.remove("A/TRASH/A.TXT", missing_ok=True) == 0
    assert cam.remove("A/TRASH", recursive=True) == 3
    assert not sim.card.to_local("A/TRASH").exists()
    with pytest.raises(ValueError, match="root"):
        cam.remove("A/")
    assert cam.remove([]) == 0


# --- hostile remote paths --------------------------------------------------------------------


HOSTILE = ['A/q"uote', "A/back\\slash", "A/new\nline", "A/br]]ack", "A/x]]..[[y", "A/'single",
           "A/end\\", 'A/]]"\n\\\'']


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_paths_never_break_the_lua(cam: Camera, sim: SimulatedCamera, path: str) -> None:
    """Missing paths are reported as missing and new ones are created under exactly their
    name: the Lua carrying them always compiled."""
    for call in (cam.stat, cam.listdir, cam.remove):
        with pytest.raises(ChdkError) as info:
            call(path)
        assert not isinstance(info.value, ScriptError)
    try:
        created = cam.mkdir(path + "/SUB", check_names=False, max_path=None)
    except ChdkError as exc:  # the simulated card refuses backslashes
        assert not isinstance(exc, ScriptError)
        assert "\\" in path
    else:
        assert created == 2
        assert sim.card.to_local(path + "/SUB").is_dir()
        assert cam.stat(path).is_dir
        assert cam.remove(path, recursive=True) == 2


def test_hostile_name_round_trips(cam: Camera, put: Put) -> None:
    """A file whose name holds a quote, ]] and a newline is found by exactly that name."""
    name = 'A/q"]]\nz'
    put(name, b"12345")
    entry = cam.stat(name)
    assert entry.size == 5 and entry.name == 'q"]]\nz'
    assert [e.name for e in cam.listdir("A/") if e.name.startswith("q")] == ['q"]]\nz']
    assert cam.remove(name) == 1


def test_nul_refused(cam: Camera, sim: SimulatedCamera) -> None:
    before = _chdk_ops(sim)
    for call in (cam.stat, cam.listdir, cam.remove):
        with pytest.raises(ValueError, match="NUL"):
            call("A/x\x00y")
    assert _chdk_ops(sim) == before


# --- download ---------------------------------------------------------------------------------


def test_download_to_path_dir_and_file(cam: Camera, put: Put, tmp_path: Path) -> None:
    data = os.urandom(100_000)
    put("A/DCIM/100CANON/IMG_0007.JPG", data, mtime=MTIME)
    out = cam.download("A/DCIM/100CANON/IMG_0007.JPG", tmp_path / "x.jpg")
    assert out == tmp_path / "x.jpg" and out.read_bytes() == data
    assert int(out.stat().st_mtime) == MTIME
    if os.name == "posix":  # an ordinary new file's mode, not a temp file's 0600
        umask = os.umask(0)
        os.umask(umask)
        assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    into_dir = cam.download("A/DCIM/100CANON/IMG_0007.JPG", tmp_path)
    assert into_dir == tmp_path / "IMG_0007.JPG" and into_dir.read_bytes() == data
    buf = io.BytesIO()
    assert cam.download("A/DCIM/100CANON/IMG_0007.JPG", buf) is None
    assert buf.getvalue() == data
    fresh = cam.download("A/DCIM/100CANON/IMG_0007.JPG", tmp_path / "y.jpg", keep_mtime=False)
    assert fresh is not None and int(fresh.stat().st_mtime) != MTIME


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_downloaded_files_get_the_new_file_mode(cam: Camera, put: Put, tmp_path: Path,
                                                umask: int) -> None:
    """Downloads land with 0666 & ~umask (what ``open(..., "w")`` gives), not the 0600 of a
    private temporary file; single files and trees alike."""
    put("A/DCIM/100CANON/IMG_0001.JPG", b"jpeg" * 100)
    put("A/DCIM/100CANON/IMG_0002.JPG", b"more" * 100)
    old = os.umask(umask)
    try:
        one = cam.download("A/DCIM/100CANON/IMG_0001.JPG", tmp_path / "one.jpg")
        tree = cam.download_tree("A/DCIM", tmp_path / "tree")
        reference = tmp_path / "reference"
        reference.write_bytes(b"")
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert reference.stat().st_mode & 0o777 == expected
    assert one is not None and one.stat().st_mode & 0o777 == expected
    assert len(tree) == 2
    for item in tree:
        assert item.local.stat().st_mode & 0o777 == expected, item.local
    assert _leftovers(tmp_path) == []
    assert _leftovers(tmp_path) == []


def test_download_progress(cam: Camera, put: Put, tmp_path: Path) -> None:
    put("A/BIG.BIN", b"z" * 3_000_000)
    calls: list[tuple[int, int]] = []
    cam.download("A/BIG.BIN", tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (3_000_000, 3_000_000)
    assert all(t == 3_000_000 for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_download_errors(cam: Camera, put: Put, tmp_path: Path) -> None:
    put("A/DIR/F.TXT", b"f")
    with pytest.raises(ChdkError):
        cam.download("A/DIR/MISSING.TXT", tmp_path / "m.txt")
    assert not (tmp_path / "m.txt").exists()
    with pytest.raises(ChdkError, match="directory"):
        cam.download("A/DIR", tmp_path / "d")
    (tmp_path / "f.txt").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        cam.download("A/DIR/F.TXT", tmp_path / "f.txt", overwrite=False)
    assert (tmp_path / "f.txt").read_bytes() == b"old"
    cam.download("A/DIR/F.TXT", tmp_path / "f.txt")
    assert (tmp_path / "f.txt").read_bytes() == b"f"
    assert _leftovers(tmp_path) == []


def test_size_mismatch_leaves_nothing(cam: Camera, put: Put, tmp_path: Path) -> None:
    """The byte count must match the size the camera reported; else no file."""
    put("A/S.BIN", b"s" * 5000)
    wrong = RemoteEntry("S.BIN", "A/S.BIN", 4999, MTIME, False)
    with pytest.raises(RemoteProtocolError, match="5000"):
        files._download_to(cam, wrong, tmp_path / "s.bin", keep_mtime=True, progress=None,
                           timeout=None)
    assert list(tmp_path.iterdir()) == []


def test_disconnect_mid_download(cam: Camera, put: Put, sim: SimulatedCamera,
                                 tmp_path: Path) -> None:
    data = os.urandom(12 << 20)
    put("A/DCIM/100CANON/MVI_0001.MOV", data)
    sim.faults.disconnect_after_bytes = 5 << 20
    target = tmp_path / "clip.mov"
    with pytest.raises(DeviceDisconnectedError):
        cam.download("A/DCIM/100CANON/MVI_0001.MOV", target)
    assert list(tmp_path.iterdir()) == []  # no partial file, no temp file
    sim.replug()
    cam.reconnect(timeout=5.0)
    out = cam.download("A/DCIM/100CANON/MVI_0001.MOV", target)
    assert out is not None
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_truncated_data_phase(cam: Camera, put: Put, sim: SimulatedCamera,
                              tmp_path: Path) -> None:
    """The DownloadFile data phase stops early: typed error, no file, camera usable after."""
    put("A/T.BIN", b"t" * 200_000)
    entry = cam.stat("A/T.BIN")
    sim.faults.truncate_data_in = 50_000  # fires on the next data phase: DownloadFile's
    with pytest.raises(ChdkPtpError):
        files._download_to(cam, entry, tmp_path / "t.bin", keep_mtime=True, progress=None,
                           timeout=0.5)
    assert list(tmp_path.iterdir()) == []
    out = cam.download("A/T.BIN", tmp_path / "t.bin")
    assert out is not None and out.read_bytes() == b"t" * 200_000


# --- upload -----------------------------------------------------------------------------------


def test_upload_file_and_dir_target(cam: Camera, sim: SimulatedCamera, tmp_path: Path) -> None:
    src = tmp_path / "TEST.LUA"
    src.write_bytes(b"print('hi')\n" * 1000)
    assert cam.upload(src, "A/CHDK/SCRIPTS/RUN.LUA") == "A/CHDK/SCRIPTS/RUN.LUA"
    assert sim.card.to_local("A/CHDK/SCRIPTS/RUN.LUA").read_bytes() == src.read_bytes()
    assert cam.upload(src, "A/CHDK/SCRIPTS/") == "A/CHDK/SCRIPTS/TEST.LUA"
    assert sim.card.to_local("A/CHDK/SCRIPTS/TEST.LUA").read_bytes() == src.read_bytes()


def test_upload_streams_large_file_with_progress(cam: Camera, sim: SimulatedCamera,
                                                 tmp_path: Path) -> None:
    data = os.urandom(6_000_000)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    calls: list[tuple[int, int]] = []
    cam.upload(src, "A/BIG.BIN", progress=lambda d, t: calls.append((d, t)))
    assert sim.card.to_local("A/BIG.BIN").read_bytes() == data
    assert calls[-1] == (6_000_000, 6_000_000) and len(calls) > 1


def test_upload_from_file_object(cam: Camera, sim: SimulatedCamera) -> None:
    buf = io.BytesIO(b"skip" + b"payload")
    buf.seek(4)
    assert cam.upload(buf, "A/P.BIN") == "A/P.BIN"
    assert sim.card.to_local("A/P.BIN").read_bytes() == b"payload"
    with pytest.raises(ValueError):
        cam.upload(io.BytesIO(b"x"), "A/CHDK/")


def test_upload_keep_mtime(cam: Camera, sim: SimulatedCamera, tmp_path: Path) -> None:
    src = tmp_path / "M.TXT"
    src.write_bytes(b"m")
    os.utime(src, (MTIME, MTIME))
    cam.upload(src, "A/M.TXT", keep_mtime=True)
    assert int(sim.card.to_local("A/M.TXT").stat().st_mtime) == MTIME
    assert cam.stat("A/M.TXT").mtime == MTIME


def test_upload_rules_checked_before_sending(cam: Camera, sim: SimulatedCamera,
                                             tmp_path: Path) -> None:
    src = tmp_path / "x"
    src.write_bytes(b"x")
    before = _chdk_ops(sim)
    with pytest.raises(ValueError, match=r"8\.3"):
        cam.upload(src, "A/CHDK/SCRIPTS/my long script.lua")
    with pytest.raises(ValueError, match="32"):
        cam.upload(src, "A/CHDK/SCRIPTS/SUBDIR/SUBDIR2/X.LUA")
    with pytest.raises(ValueError, match="NUL"):
        cam.upload(src, "A/X\x00.LUA")
    assert _chdk_ops(sim) == before
    assert cam.upload(src, "A/long name.txt", check_names=False) == "A/long name.txt"
    assert sim.card.to_local("A/long name.txt").read_bytes() == b"x"


def test_upload_into_missing_directory(cam: Camera, tmp_path: Path) -> None:
    src = tmp_path / "x"
    src.write_bytes(b"x")
    with pytest.raises(ChdkError, match="could not write"):
        cam.upload(src, "A/NODIR/X.TXT")
    # the session is fine afterwards
    assert cam.upload(src, "A/X.TXT") == "A/X.TXT"


def test_large_upload_into_missing_directory(cam: Camera, sim: SimulatedCamera,
                                             tmp_path: Path) -> None:
    """A streamed (large) UploadFile the camera cannot open: error, session still fine."""
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(5_000_000))
    with pytest.raises(ChdkError, match="could not write"):
        cam.upload(src, "A/NODIR/BIG.BIN")
    assert cam.upload(src, "A/BIG.BIN") == "A/BIG.BIN"
    assert sim.card.to_local("A/BIG.BIN").read_bytes() == src.read_bytes()


def test_disconnect_mid_upload(cam: Camera, sim: SimulatedCamera, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    data = os.urandom(9_000_000)
    src.write_bytes(data)
    sim.faults.disconnect_after_bytes = 4_000_000
    with pytest.raises(DeviceDisconnectedError):
        cam.upload(src, "A/BIG.BIN")
    sim.replug()
    cam.reconnect(timeout=5.0)
    cam.upload(src, "A/BIG.BIN")
    assert sim.card.to_local("A/BIG.BIN").read_bytes() == data


def test_empty_file_both_ways(cam: Camera, sim: SimulatedCamera, tmp_path: Path) -> None:
    empty = tmp_path / "EMPTY.TXT"
    empty.write_bytes(b"")
    assert cam.upload(empty, "A/EMPTY.TXT") == "A/EMPTY.TXT"
    assert sim.card.to_local("A/EMPTY.TXT").read_bytes() == b""
    out = cam.download("A/EMPTY.TXT", tmp_path / "back.txt")
    assert out is not None and out.read_bytes() == b""


def test_downloads_from_two_threads(cam: Camera, put: Put, tmp_path: Path) -> None:
    """TempData + DownloadFile run under the session lock: threads never swap names."""
    import threading

    blobs = {f"A/T/F{i}.BIN": os.urandom(200_000 + i) for i in range(6)}
    for path, data in blobs.items():
        put(path, data)
    errors: list[BaseException] = []

    def worker(paths: list[str]) -> None:
        try:
            for p in paths:
                cam.download(p, tmp_path / p.rsplit("/", 1)[1])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    names = sorted(blobs)
    threads = [threading.Thread(target=worker, args=(names[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    for path, data in blobs.items():
        assert (tmp_path / path.rsplit("/", 1)[1]).read_bytes() == data


def test_upload_remote_as_pure_posix_path(cam: Camera, sim: SimulatedCamera,
                                          tmp_path: Path) -> None:
    from pathlib import PurePosixPath

    src = tmp_path / "UP.TXT"
    src.write_bytes(b"posix path")
    assert cam.upload(src, PurePosixPath("A/UP.TXT")) == "A/UP.TXT"
    assert sim.card.to_local("A/UP.TXT").read_bytes() == b"posix path"
    with pytest.raises(TypeError, match="remote"):
        cam.upload(src, 42)  # type: ignore[arg-type]

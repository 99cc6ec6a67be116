"""Remote capture (chdkptp.capture) against the simulated camera: JPEG chunks reassembled by
offset, several shots, RAW and DNG, protocol gating, mode switch, faults and clean-up."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from chdkptp import capture
from chdkptp._generated.chdk_codes import CaptureFormatFlags, ChdkCommand
from chdkptp.camera import Camera, connect
from chdkptp.errors import (
    DeviceError,
    RemoteCaptureError,
    UnsupportedProtocolError,
)
from chdkptp.sim import SimulatedCamera, serve_ptpip
from chdkptp.sim.remotecap import SEQUENTIAL, hook_chunks

JPG = int(CaptureFormatFlags.JPG)
RAW = int(CaptureFormatFlags.RAW)
DNGHDR = int(CaptureFormatFlags.DNGHDR)
THUMB = 128 * 96 * 3


def _swap(data: bytes) -> bytes:
    out = bytearray(len(data))
    out[0::2] = data[1::2]
    out[1::2] = data[0::2]
    return bytes(out)


def _leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir()) if dest.exists() else []


def _get_data_calls(sim: SimulatedCamera) -> int:
    return sum(
        1 for op, params in sim.operations_log
        if params and params[0] == int(ChdkCommand.REMOTE_CAPTURE_GET_DATA)
    )


def test_jpeg_reassembled_from_out_of_order_chunks(
    cam: Camera, sim: SimulatedCamera, produced: dict[int, dict[int, bytes]], tmp_path: Path
) -> None:
    assert sim.state.mode == "play"
    paths = cam.remote_capture(tmp_path)
    assert len(paths) == 1 and len(produced) == 1
    number, files = next(iter(produced.items()))
    jpeg = files[JPG]
    assert paths[0] == tmp_path / f"IMG_{number:04d}.jpg"
    # the simulated hook sends the body first at a non-zero offset, the header last at 0
    chunks = hook_chunks(jpeg)
    assert chunks[0][1] > 0 and chunks[-1][1] == 0 and chunks[1][1] == SEQUENTIAL
    data = paths[0].read_bytes()
    assert data == jpeg
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    assert _get_data_calls(sim) == len(chunks)
    assert _leftovers(tmp_path) == [paths[0].name]
    assert sim.state.mode == "record"  # switched from play mode
    assert sim.state.remote_capture.target == 0  # cleaned up: init_usb_capture(0)
    assert sim.storage_enumeration_count == 0


def test_several_shots_with_exposure(
    cam: Camera, sim: SimulatedCamera, produced: dict[int, dict[int, bytes]], tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    paths = cam.remote_capture(tmp_path / "new", count=3, tv=1 / 100, iso=200,
                               name_template="shot{shot}_{number}.{ext}",
                               progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    numbers = sorted(produced)
    assert len(numbers) == 3
    assert [p.name for p in paths] == [f"shot{i}_{n}.jpg" for i, n in enumerate(numbers)]
    for path, number in zip(paths, numbers, strict=True):
        assert path.read_bytes() == produced[number][JPG]
    assert len({p.read_bytes() for p in paths}) == 3
    shots = sim.state.shots[-3:]
    assert all(s.remote for s in shots)
    assert {s.exposure["tv96"] for s in shots} == {round(96 * 6.643856)}  # log2(100)
    assert {s.exposure["sv96"] for s in shots} == {round(96 * 6.0)}  # log2(200/3.125)
    assert sim.storage_enumeration_count == 0


def test_raw_and_dng(
    cam: Camera, sim: SimulatedCamera, produced: dict[int, dict[int, bytes]], tmp_path: Path
) -> None:
    paths = cam.remote_capture(tmp_path, formats=("jpg", "raw", "dng"))
    files = next(iter(produced.values()))
    by_ext = {p.suffix: p for p in paths}
    assert sorted(by_ext) == [".dng", ".jpg", ".raw"]
    assert by_ext[".jpg"].read_bytes() == files[JPG]
    raw = files[RAW]
    assert by_ext[".raw"].read_bytes() == raw
    dng = by_ext[".dng"].read_bytes()
    header = files[DNGHDR]
    assert dng[:4] == b"II*\x00" and struct.unpack_from("<I", dng, 4)[0] == 8
    assert dng[: len(header)] == header
    thumb_at = len(header) + (-len(header) % 4)
    assert len(dng) == thumb_at + THUMB + len(raw)
    assert dng[thumb_at + THUMB:] == _swap(raw)  # byte pairs swapped
    thumb = dng[thumb_at:thumb_at + THUMB]  # a preview made from the raw data
    assert len(set(thumb)) > 8
    assert thumb[: 128 * 3] != thumb[-128 * 3:]  # the sim's raw has bands down the frame
    assert dng[thumb_at + THUMB:] != raw
    # the header's IFD0 strip offset points at the thumbnail
    (entries,) = struct.unpack_from("<H", dng, 8)
    tags = {struct.unpack_from("<HHII", dng, 10 + 12 * i)[0]:
            struct.unpack_from("<HHII", dng, 10 + 12 * i)[3] for i in range(entries)}
    assert tags[0x0111] == thumb_at and tags[0x0100] == 128 and tags[0x0101] == 96
    assert _leftovers(tmp_path) == sorted(p.name for p in paths)
    assert sim.storage_enumeration_count == 0


def test_dng_only(cam: Camera, produced: dict[int, dict[int, bytes]], tmp_path: Path) -> None:
    (path,) = cam.remote_capture(tmp_path, formats="dng")
    files = next(iter(produced.values()))
    assert set(files) == {RAW, DNGHDR}
    assert path.suffix == ".dng" and path.read_bytes().endswith(_swap(files[RAW]))
    assert _leftovers(tmp_path) == [path.name]


@pytest.mark.sim_camera(chdk_version=(2, 4))
def test_protocol_2_4_is_refused(cam: Camera, sim: SimulatedCamera, tmp_path: Path) -> None:
    before = len(sim.operations_log)
    with pytest.raises(UnsupportedProtocolError):
        cam.remote_capture(tmp_path / "out")
    assert len(sim.operations_log) == before  # nothing was sent
    assert not (tmp_path / "out").exists()


@pytest.mark.sim_camera(chdk_version=(2, 8))
def test_craw_needs_2_9(cam: Camera, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedProtocolError):
        cam.remote_capture(tmp_path, formats=("craw",))


def test_refused_setup_then_capture_works(
    cam: Camera, sim: SimulatedCamera, tmp_path: Path
) -> None:
    sim.state.remote_capture.raw_possible = False
    with pytest.raises(RemoteCaptureError, match="set-up failed"):
        cam.remote_capture(tmp_path, formats=("raw",))
    assert _leftovers(tmp_path) == []
    sim.state.remote_capture.raw_possible = True
    assert [p.suffix for p in cam.remote_capture(tmp_path, formats=("raw",))] == [".raw"]


def test_refused_chunk_stops_script_and_cleans_up(
    cam: Camera, sim: SimulatedCamera, produced: dict[int, dict[int, bytes]],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    rc = sim.state.remote_capture
    original = rc.get_data
    calls: list[int] = []

    def fail_second(bit: int) -> Any:
        calls.append(bit)
        if len(calls) == 2:  # mid-file: the camera refuses (GeneralError) and resets
            rc.init(0, record_mode=True)
            return None
        return original(bit)

    monkeypatch.setattr(rc, "get_data", fail_second)
    with pytest.raises(RemoteCaptureError, match="refused"):
        cam.remote_capture(tmp_path, count=2)
    assert _leftovers(tmp_path) == []
    assert rc.target == 0
    assert not cam.script_status().running
    monkeypatch.setattr(rc, "get_data", original)
    (path,) = cam.remote_capture(tmp_path)
    assert path.read_bytes() == produced[max(produced)][JPG]
    assert sim.storage_enumeration_count == 0


def test_disconnect_mid_transfer_leaves_no_file(
    cam: Camera, sim: SimulatedCamera, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rc = sim.state.remote_capture
    original = rc.on_shot

    def then_unplug(image_number: int, files: dict[int, bytes]) -> None:
        original(image_number, files)
        sim.faults.disconnect_after_bytes = 400  # inside the GetData sequence

    monkeypatch.setattr(rc, "on_shot", then_unplug)
    with pytest.raises(DeviceError):
        cam.remote_capture(tmp_path)
    assert _get_data_calls(sim) >= 1  # it broke off inside the chunk sequence
    assert _leftovers(tmp_path) == []


def test_no_data_in_time_is_remote_capture_error(
    cam: Camera, sim: SimulatedCamera, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the shot never reaches remote capture and the 1 s exposure outlasts the host's limit
    monkeypatch.setattr(sim.state.remote_capture, "on_shot", lambda n, files: None)
    with pytest.raises(RemoteCaptureError, match="no capture data within"):
        cam.remote_capture(tmp_path, tv=1, timeout=0.3)
    assert _leftovers(tmp_path) == []
    assert sim.state.remote_capture.target == 0
    assert not cam.script_status().running  # stopped ('stop', then killed), cleaned up


def test_camera_timeout_notset_is_remote_capture_error(
    cam: Camera, sim: SimulatedCamera, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rc = sim.state.remote_capture
    original = rc.on_shot

    def then_time_out(image_number: int, files: dict[int, bytes]) -> None:
        original(image_number, files)
        sim.clock.advance(rc.timeout_ms + 1)  # the camera cancels capture (NOTSET)

    monkeypatch.setattr(rc, "on_shot", then_time_out)
    with pytest.raises(RemoteCaptureError, match="cancelled") as info:
        cam.remote_capture(tmp_path, capture_timeout_ms=500)
    assert getattr(info.value, "status", None) == int(CaptureFormatFlags.NOTSET)
    assert rc.timeout_ms == 500
    assert _leftovers(tmp_path) == []
    monkeypatch.setattr(rc, "on_shot", original)
    assert [p.suffix for p in cam.remote_capture(tmp_path)] == [".jpg"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"formats": ("gif",)}, ValueError),
        ({"formats": ()}, ValueError),
        ({"formats": ("jpg", "jpg")}, ValueError),
        ({"count": 0}, ValueError),
        ({"tv": -1}, ValueError),
        ({"iso": "100"}, TypeError),
        ({"timeout": 0}, ValueError),
        ({"name_template": "../{number}.{ext}"}, ValueError),
        ({"name_template": "{nope}.{ext}"}, ValueError),
    ],
)
def test_bad_arguments(cam: Camera, sim: SimulatedCamera, tmp_path: Path,
                       kwargs: dict[str, Any], error: type[Exception]) -> None:
    before = len(sim.operations_log)
    with pytest.raises(error):
        capture.remote_capture(cam, tmp_path, **kwargs)
    assert len(sim.operations_log) == before


def test_craw_on_2_9(
    cam: Camera, sim: SimulatedCamera, produced: dict[int, dict[int, bytes]], tmp_path: Path
) -> None:
    craw = int(CaptureFormatFlags.CRAW)
    # the Canon image format must write CR2 (set on the camera; not switched by us)
    sim.state.remote_capture.canon_formats |= craw
    paths = cam.remote_capture(tmp_path, formats=("jpg", "craw"))
    files = next(iter(produced.values()))
    assert [p.suffix for p in paths] == [".jpg", ".cr2"]
    assert paths[1].read_bytes() == files[craw]
    assert paths[0].read_bytes() == files[JPG]


def test_thumbnail_black_when_header_unreadable() -> None:
    black = bytes(THUMB)
    assert capture._thumbnail(b"MM\x00*" + bytes(60), bytes(1000)) == black
    assert capture._thumbnail(b"II*\x00\x08\x00\x00\x00\x00", bytes(1000)) == black  # no IFD


def test_over_ptpip(
    sim: SimulatedCamera, produced: dict[int, dict[int, bytes]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # the host GUID file
    with serve_ptpip(sim, init_timeout=1.0) as server, \
            connect(host="127.0.0.1", port=server.port) as wifi:
        paths = wifi.remote_capture(tmp_path / "out", formats=("jpg", "dng"))
    files = next(iter(produced.values()))
    assert paths[0].read_bytes() == files[JPG]
    assert paths[1].read_bytes().endswith(_swap(files[RAW]))
    assert sim.storage_enumeration_count == 0


def test_raw_line_range_and_padded_dng(
    cam: Camera, sim: SimulatedCamera, produced: dict[int, dict[int, bytes]], tmp_path: Path
) -> None:
    raw_path, dng_path = cam.remote_capture(tmp_path, formats=("raw", "dng"),
                                            raw_lines=(10, 20))
    full = next(iter(produced.values()))[RAW]
    row = len(full) // sim.state.remote_capture.raw_height
    part = full[10 * row:30 * row]
    assert raw_path.read_bytes() == part
    dng = dng_path.read_bytes()
    strip = dng[len(dng) - len(full):]
    assert strip == b"\xff" * (10 * row) + _swap(part) + b"\xff" * (len(full) - 30 * row)
    # count 0: to the end of the frame
    (raw_path,) = cam.remote_capture(tmp_path, formats="raw", raw_lines=(100, 0))
    full = produced[max(produced)][RAW]
    assert raw_path.read_bytes() == full[100 * row:]


@pytest.mark.parametrize("lines", [(1,), (-1, 2), (1, 2.0), [1, 2]])
def test_bad_raw_lines(cam: Camera, tmp_path: Path, lines: Any) -> None:
    with pytest.raises(ValueError, match="raw_lines"):
        cam.remote_capture(tmp_path, formats="raw", raw_lines=lines)
    with pytest.raises(ValueError, match="raw or dng"):
        cam.remote_capture(tmp_path, raw_lines=(0, 1))

"""``.lvdump`` files: byte layout (fact sheet §3.6), round trips, damage, recording from the
simulated camera, playback pacing with an injected clock."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest

import chdkptp
from chdkptp import sim
from chdkptp._generated.chdk_codes import ChdkCommand, LiveViewFlags
from chdkptp._generated.chdk_lvdump import ChdkLvdump
from chdkptp._generated.ptp_codes import OperationCode
from chdkptp.errors import RemoteProtocolError, UnsupportedProtocolError
from chdkptp.liveview import LiveFrame
from chdkptp.lvdump import LvDumpReader, LvDumpWriter, play, read_frames, record
from tests.test_liveview import Plane, build

HEADER = b"chlv" + struct.pack("<III", 8, 1, 0)  # fact sheet §3.6, spelled out independently


def frames_for_test() -> list[bytes]:
    return [
        build(1, vp=Plane(0, 16, 16, 2, seed=1)),
        build(2, vp=Plane(2, 8, 8, 3, seed=2), bm=Plane(2, 8, 8, 3), bmo=Plane(4, 8, 8, 3)),
        build(1, palette_type=3, palette=bytes(1024), bm=Plane(1, 12, 10, 2)),
    ]


def chdkptp_style_dump(payloads: list[bytes]) -> bytes:
    """A dump laid out by hand exactly as the fact sheet describes chdkptp's writer."""
    out = bytearray(HEADER)
    for p in payloads:
        out += struct.pack("<I", len(p)) + p
    return bytes(out)


def test_writer_layout_is_chdkptp_format(tmp_path: Path) -> None:
    payloads = frames_for_test()
    path = tmp_path / "a.lvdump"
    with LvDumpWriter(path) as w:
        w.write(LiveFrame.from_bytes(payloads[0]))
        w.write(payloads[1])
        w.write(bytearray(payloads[2]))
    assert w.frames == 3
    data = path.read_bytes()
    assert data == chdkptp_style_dump(payloads)
    assert w.bytes_written == len(data)
    # the generated parser agrees
    parsed = ChdkLvdump.from_bytes(data)
    assert [r.frame for r in parsed.records] == payloads
    assert (parsed.header.version_major, parsed.header.version_minor) == (1, 0)


def test_reader_reads_chdkptp_dumps() -> None:
    payloads = frames_for_test()
    reader = LvDumpReader(io.BytesIO(chdkptp_style_dump(payloads)))
    assert reader.version == (1, 0)
    frames = list(reader)
    assert [f.payload for f in frames] == payloads
    assert reader.frames == 3
    assert np.array_equal(frames[0].viewport_rgb(), LiveFrame(payloads[0]).viewport_rgb())


def test_empty_dump_and_longer_header() -> None:
    assert list(LvDumpReader(io.BytesIO(HEADER))) == []
    later = b"chlv" + struct.pack("<IIII", 12, 1, 3, 0xDEADBEEF) + struct.pack("<I", 2) + b"ab"
    reader = LvDumpReader(io.BytesIO(later))
    assert reader.version == (1, 3)
    assert list(reader.payloads()) == [b"ab"]


def test_round_trip_through_file_objects() -> None:
    buf = io.BytesIO()
    with LvDumpWriter(buf) as w:
        for p in frames_for_test():
            w.write(p)
    assert not buf.closed  # borrowed file objects stay open
    buf.seek(0)
    assert [f.payload for f in read_frames(buf)] == frames_for_test()


@pytest.mark.parametrize(
    "data",
    [b"", b"chl", b"CHLV" + HEADER[4:], b"chlv" + struct.pack("<III", 7, 1, 0), HEADER[:15]],
)
def test_not_a_dump(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        LvDumpReader(io.BytesIO(data))


def test_unknown_major_version() -> None:
    with pytest.raises(UnsupportedProtocolError) as err:
        LvDumpReader(io.BytesIO(b"chlv" + struct.pack("<III", 8, 2, 0)))
    assert err.value.version == (2, 0)


def test_cut_short_header_rest() -> None:
    with pytest.raises(RemoteProtocolError, match="header"):
        LvDumpReader(io.BytesIO(b"chlv" + struct.pack("<III", 20, 1, 0) + b"xx"))


@pytest.mark.parametrize("cut", [1, 3, 4, 10])
def test_truncated_last_record(cut: int, caplog: pytest.LogCaptureFixture) -> None:
    payloads = frames_for_test()
    data = chdkptp_style_dump(payloads)
    last_len = 4 + len(payloads[-1])
    damaged = data[: len(data) - last_len + cut]
    with pytest.raises(RemoteProtocolError, match="record 3"):
        list(LvDumpReader(io.BytesIO(damaged)))
    frames = read_frames(io.BytesIO(damaged), allow_truncated=True)
    assert [f.payload for f in frames] == payloads[:2]
    assert "cut short" in caplog.text


def test_garbage_frame_in_dump_raises_protocol_error() -> None:
    data = chdkptp_style_dump([b"\x02\x00\x00\x00junk"])
    with pytest.raises(RemoteProtocolError):
        list(LvDumpReader(io.BytesIO(data)))
    assert list(LvDumpReader(io.BytesIO(data)).payloads()) == [b"\x02\x00\x00\x00junk"]


def test_reader_closes_owned_file_on_bad_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.lvdump"
    path.write_bytes(b"nope" * 10)
    with pytest.raises(RemoteProtocolError):
        LvDumpReader(path)
    path.unlink()  # would fail on Windows if still open; harmless elsewhere


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def test_play_paces_frames() -> None:
    clock = FakeClock()
    data = chdkptp_style_dump(frames_for_test())
    got = []
    for frame in play(io.BytesIO(data), fps=4, clock=clock, sleep=clock.sleep):
        got.append(frame)
        clock.now += 0.05  # the consumer takes 50 ms per frame
    assert len(got) == 3
    assert clock.slept == pytest.approx([0.2, 0.2])
    assert len(list(play(io.BytesIO(data)))) == 3


def test_record_from_simulated_camera_and_play_back(tmp_path: Path) -> None:
    cam = sim.SimulatedCamera(display="yuv422")
    backend = sim.SimulatedBackend([cam])
    path = tmp_path / "rec.lvdump"
    with chdkptp.connect(backend=backend) as conn:
        n = record(conn, path, count=3)
        assert n == 3
        clock = FakeClock()
        n2 = record(
            conn, tmp_path / "d.lvdump", duration=0.25, clock=clock, sleep=clock.sleep, fps=10
        )
        assert n2 == 3  # frames at t = 0, 0.1, 0.2; stopped once 0.25 s had passed
    frames = read_frames(path)
    assert len(frames) == 3
    for f in frames:
        assert f.version == (2, 2) and f.has_viewport and f.has_bitmap and f.has_opacity
        assert f.viewport_rgb().shape == (480, 640, 3)
        assert f.composite().shape == (480, 640, 3)
    raw = path.read_bytes()
    assert raw[:16] == HEADER
    assert ChdkLvdump.from_bytes(raw).records[0].frame == frames[0].payload


def test_record_arguments() -> None:
    with pytest.raises(ValueError):
        record(object(), io.BytesIO())
    with pytest.raises(ValueError):
        record(object(), io.BytesIO(), count=-1)


def _display_data_flags(cam: sim.SimulatedCamera) -> list[int]:
    """p2 (the LV_TFR_* flags) of every CHDK GetDisplayData the camera received."""
    return [
        params[1]
        for op, params in cam.operations_log
        if op == OperationCode.CHDK and params[:1] == (ChdkCommand.GET_DISPLAY_DATA,)
    ]


@pytest.mark.parametrize(
    ("chdk_version", "opacity"), [((2, 5), False), ((2, 6), False), ((2, 7), True), ((2, 9), True)]
)
def test_record_asks_for_opacity_only_from_protocol_2_7(
    tmp_path: Path, chdk_version: tuple[int, int], opacity: bool
) -> None:
    cam = sim.SimulatedCamera(chdk_version=chdk_version)
    with chdkptp.connect(backend=sim.SimulatedBackend([cam])) as conn:
        assert record(conn, tmp_path / "v.lvdump", count=2) == 2
    sent = _display_data_flags(cam)
    assert len(sent) == 2
    base = LiveViewFlags.VIEWPORT | LiveViewFlags.BITMAP | LiveViewFlags.PALETTE
    assert all(f == (base | LiveViewFlags.BITMAP_OPACITY if opacity else base) for f in sent)
    assert all(bool(f & LiveViewFlags.BITMAP_OPACITY) is opacity for f in sent)
    assert len(read_frames(tmp_path / "v.lvdump")) == 2


def test_record_explicit_flags_are_sent_as_given(tmp_path: Path) -> None:
    cam = sim.SimulatedCamera(chdk_version=(2, 5))
    with chdkptp.connect(backend=sim.SimulatedBackend([cam])) as conn:
        record(conn, io.BytesIO(), count=1, flags=LiveViewFlags.VIEWPORT)
    assert _display_data_flags(cam) == [int(LiveViewFlags.VIEWPORT)]

"""Simulated remote capture: init rules, type order, out-of-order JPEG chunks, resets, timeout."""

from __future__ import annotations

import pytest

from chdkptp._generated.chdk_codes import CaptureFormatFlags as F
from chdkptp.sim import images
from chdkptp.sim.clock import SimClock
from chdkptp.sim.remotecap import (
    DEFAULT_TIMEOUT_MS,
    JPEG_HEADER_CHUNK,
    JPEG_MAX_CHUNK,
    SEQUENTIAL,
    RemoteCapture,
    hook_chunks,
)

JPG, RAW, DNGHDR, CRAW, NOTSET = int(F.JPG), int(F.RAW), int(F.DNGHDR), int(F.CRAW), int(F.NOTSET)


@pytest.fixture
def rc() -> RemoteCapture:
    # a slowed-down clock: real time hardly moves it, tests step it with advance()
    return RemoteCapture(SimClock(time_scale=1e-6))


def _drain(rc: RemoteCapture, bit: int) -> list[tuple[bytes, bool, int]]:
    chunks = []
    while True:
        got = rc.get_data(bit)
        assert got is not None
        chunks.append(got)
        if not got[1]:
            return chunks


def _assemble(chunks: list[tuple[bytes, bool, int]]) -> bytes:
    """Write chunks into a file the way chdkptp does: seek to the offset unless SEQUENTIAL."""
    buf = bytearray()
    pos = 0
    for data, _more, offset in chunks:
        if offset != SEQUENTIAL:
            pos = offset
        if len(buf) < pos + len(data):
            buf.extend(b"\0" * (pos + len(data) - len(buf)))
        buf[pos : pos + len(data)] = data
        pos += len(data)
    return bytes(buf)


def test_not_set_up_is_notset(rc: RemoteCapture) -> None:
    assert rc.is_ready() == (NOTSET, 0)
    assert rc.target == 0
    assert rc.support_mask == JPG | RAW | DNGHDR | CRAW


def test_init_success_and_idle(rc: RemoteCapture) -> None:
    assert rc.init(JPG, record_mode=True)
    assert rc.target == JPG
    assert rc.is_ready() == (0, 0)
    assert not rc.pending


@pytest.mark.parametrize(
    ("mask", "start", "count", "why"),
    [
        (JPG, 0, 0, "play"),
        (0x20, 0, 0, "unknown bit"),
        (RAW, 0, 0, "raw impossible"),
        (CRAW, 0, 0, "canon format"),
        (RAW, 3000, 0, "start past end"),
        (RAW, 2990, 20, "range past end"),
        (RAW, -1, 0, "negative"),
        (RAW, 0, -5, "negative count"),
    ],
)
def test_init_failures_reset(
    rc: RemoteCapture, mask: int, start: int, count: int, why: str
) -> None:
    assert rc.init(JPG | DNGHDR, record_mode=True)
    if why == "raw impossible":
        rc.raw_possible = False
    ok = rc.init(mask, start, count, record_mode=why != "play")
    assert not ok
    assert rc.target == 0
    assert rc.is_ready() == (NOTSET, 0)


def test_unsupported_by_camera(rc: RemoteCapture) -> None:
    rc.support_mask = JPG
    assert not rc.init(JPG | RAW, record_mode=True)
    assert rc.init(JPG, record_mode=True)


def test_craw_needs_canon_format(rc: RemoteCapture) -> None:
    rc.canon_formats = JPG | CRAW
    assert rc.init(CRAW, record_mode=True)
    rc.canon_formats = CRAW
    assert not rc.init(JPG, record_mode=True)


def test_mask_zero_clears(rc: RemoteCapture) -> None:
    assert rc.init(JPG, record_mode=True)
    assert rc.init(0, record_mode=True)
    assert rc.target == 0
    assert rc.is_ready() == (NOTSET, 0)


def test_jpeg_chunks_are_out_of_order_and_reassemble(rc: RemoteCapture) -> None:
    jpeg = images.make_jpeg(320, 240, seed=9, pad_to=200_000)
    assert rc.init(JPG, record_mode=True)
    rc.on_shot(439, {JPG: jpeg, RAW: b"ignored: not targeted"})
    assert rc.pending
    assert rc.is_ready() == (JPG, 439)
    chunks = _drain(rc, JPG)
    assert len(chunks) >= 3
    first, *middle, last = chunks
    assert first[2] not in (0, SEQUENTIAL)  # body first, at its real offset
    assert all(c[2] == SEQUENTIAL for c in middle)
    assert last[2] == 0 and not last[1]  # the header, last, at offset 0
    assert last[0].startswith(b"\xff\xd8\xff\xe1")
    assert all(c[1] for c in chunks[:-1])
    assert _assemble(chunks) == jpeg
    # a client that ignores offsets writes a corrupt file
    assert b"".join(c[0] for c in chunks) != jpeg
    assert rc.is_ready() == (0, 0)
    assert not rc.pending
    assert rc.target == JPG  # capture stays set up for the next shot


def test_camera_sized_jpeg_chunks_look_like_the_real_capture() -> None:
    size = 3_579_515  # the SX160 IS file of the real capture
    data = images.make_jpeg(320, 240, seed=1, pad_to=size)[:size]
    chunks = hook_chunks(data)
    sizes = [len(c) for c, _ in chunks]
    assert sizes[-1] == JPEG_HEADER_CHUNK and chunks[-1][1] == 0
    assert chunks[0][1] == JPEG_HEADER_CHUNK
    assert len(chunks) == 5
    assert max(sizes) <= JPEG_MAX_CHUNK
    assert all(n % 512 == 0 for n in sizes[:-2])  # whole blocks but the last body chunk
    assert sum(sizes) == size


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5, 100, 4097])
def test_hook_chunks_cover_the_file(size: int) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    chunks = [(c, True, o) for c, o in hook_chunks(data)]
    assert _assemble(chunks) == data


def test_type_order_dng_header_raw_jpeg(rc: RemoteCapture) -> None:
    rc.raw_height = 120
    raw = images.make_chdk_raw(160, 120, 12, seed=1)
    hdr = images.dng_header(160, 120)
    jpeg = images.make_jpeg(64, 48, seed=1)
    assert rc.init(JPG | RAW | DNGHDR, record_mode=True)
    rc.on_shot(7, {JPG: jpeg, RAW: raw, DNGHDR: hdr})
    assert rc.is_ready() == (DNGHDR, 7)
    assert rc.get_data(DNGHDR) == (hdr, False, SEQUENTIAL)
    assert rc.is_ready() == (RAW, 7)
    assert rc.get_data(RAW) == (raw, False, SEQUENTIAL)
    assert rc.is_ready() == (JPG, 7)
    assert _assemble(_drain(rc, JPG)) == jpeg
    assert rc.is_ready() == (0, 0)


def test_raw_line_range(rc: RemoteCapture) -> None:
    rc.raw_height = 120
    raw = images.make_chdk_raw(160, 120, 12, seed=1)
    row = 160 * 12 // 8
    assert rc.init(RAW, 10, 20, record_mode=True)
    rc.on_shot(1, {RAW: raw})
    assert rc.get_data(RAW) == (raw[10 * row : 30 * row], False, SEQUENTIAL)
    assert rc.init(RAW, 100, 0, record_mode=True)  # 0 lines = to the end
    rc.on_shot(2, {RAW: raw})
    got = rc.get_data(RAW)
    assert got is not None and got[0] == raw[100 * row :]


def test_wrong_type_resets_capture(rc: RemoteCapture) -> None:
    assert rc.init(JPG | DNGHDR, record_mode=True)
    rc.on_shot(3, {JPG: images.make_jpeg(16, 16, seed=0), DNGHDR: b"hdr"})
    assert rc.get_data(JPG) is None  # DNG header is the one available
    assert rc.target == 0
    assert rc.is_ready() == (NOTSET, 0)
    assert not rc.pending


def test_get_data_when_nothing_ready_resets(rc: RemoteCapture) -> None:
    assert rc.init(JPG, record_mode=True)
    assert rc.get_data(JPG) is None
    assert rc.target == 0


def test_shot_without_target_is_ignored(rc: RemoteCapture) -> None:
    rc.on_shot(1, {JPG: b"\xff\xd8\xff\xd9"})
    assert rc.is_ready() == (NOTSET, 0)
    assert rc.init(JPG, record_mode=True)
    rc.on_shot(2, {RAW: b"not targeted"})
    assert rc.is_ready() == (0, 0)


def test_shots_queue_in_order(rc: RemoteCapture) -> None:
    a, b = images.make_jpeg(16, 16, seed=1), images.make_jpeg(16, 16, seed=2)
    assert rc.init(JPG, record_mode=True)
    rc.on_shot(10, {JPG: a})
    rc.on_shot(11, {JPG: b})
    assert rc.is_ready() == (JPG, 10)
    assert _assemble(_drain(rc, JPG)) == a
    assert rc.is_ready() == (JPG, 11)
    assert _assemble(_drain(rc, JPG)) == b


def test_timeout_cancels(rc: RemoteCapture) -> None:
    assert rc.init(JPG | DNGHDR, record_mode=True)
    rc.set_timeout(1000)
    assert rc.timeout_ms == 1000
    rc.on_shot(5, {JPG: images.make_jpeg(16, 16, seed=0), DNGHDR: b"hdr"})
    rc.clock.advance(900)
    assert rc.is_ready() == (DNGHDR, 5)
    assert rc.get_data(DNGHDR) == (b"hdr", False, SEQUENTIAL)
    rc.clock.advance(900)  # the JPEG's own timer started when it became available
    assert rc.is_ready() == (JPG, 5)
    rc.clock.advance(200)
    assert rc.is_ready() == (NOTSET, 0)
    assert rc.target == 0
    assert rc.get_data(JPG) is None


def test_timeout_default(rc: RemoteCapture) -> None:
    assert rc.timeout_ms == DEFAULT_TIMEOUT_MS == 30_000
    rc.set_timeout(5)
    rc.set_timeout(0)
    assert rc.timeout_ms == 30_000
    rc.set_timeout(-3)
    assert rc.timeout_ms == 30_000

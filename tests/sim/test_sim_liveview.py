"""Simulated live view: frame layout (lv 2.0–2.2), planes, palettes and the moving pattern.

Frames are decoded here with a small independent decoder written from the fact sheet (§3.3
layout, §3.4 YUV groups, §3.5 palettes); it does not use the generated parser or the library.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest

from chdkptp._generated.chdk_codes import FramebufferType, LiveViewFlags, PaletteType
from chdkptp.sim.clock import SimClock
from chdkptp.sim.liveview import (
    BOX_TOP,
    LiveViewSource,
    bitmap_colour,
    bitmap_pattern,
    palette_bytes,
    viewport_pattern,
)

VP, BM, PAL, BMO = (
    int(LiveViewFlags.VIEWPORT),
    int(LiveViewFlags.BITMAP),
    int(LiveViewFlags.PALETTE),
    int(LiveViewFlags.BITMAP_OPACITY),
)
ALL = VP | BM | PAL | BMO


@dataclass
class Desc:
    fb_type: int
    data_start: int
    buffer_width: int
    visible_width: int
    visible_height: int
    margins: tuple[int, int, int, int]


@dataclass
class Frame:
    major: int
    minor: int
    aspect: int
    palette_type: int
    palette_start: int
    vp: Desc
    bm: Desc
    bmo: Desc | None
    raw: bytes


def parse(data: bytes) -> Frame:
    major, minor, aspect, ptype, pstart, vp_at, bm_at = struct.unpack_from("<7i", data, 0)
    bmo_at = struct.unpack_from("<i", data, 28)[0] if minor >= 2 else 0

    def desc(at: int) -> Desc:
        v = struct.unpack_from("<9i", data, at)
        return Desc(v[0], v[1], v[2], v[3], v[4], (v[5], v[6], v[7], v[8]))

    return Frame(
        major,
        minor,
        aspect,
        ptype,
        pstart,
        desc(vp_at),
        desc(bm_at),
        desc(bmo_at) if bmo_at else None,
        data,
    )


def _s8(b: int) -> int:
    return b - 256 if b > 127 else b


def yuv_at(frame: Frame, d: Desc, x: int, y: int) -> tuple[int, int, int]:
    """(Y, U, V) of pixel (x, y) of a YUV plane, U/V as signed chroma."""
    if d.fb_type == FramebufferType.YUV8:
        at = d.data_start + y * d.buffer_width * 12 // 8 + (x // 4) * 6
        u, y0, v, y1, y2, y3 = frame.raw[at : at + 6]
        return (y0, y1, y2, y3)[x % 4], _s8(u), _s8(v)
    at = d.data_start + y * d.buffer_width * 2 + (x // 2) * 4
    u, y0, v, y1 = frame.raw[at : at + 4]
    if d.fb_type == FramebufferType.YUV8B:
        return (y0, y1)[x % 2], u - 128, v - 128
    assert d.fb_type == FramebufferType.YUV8C
    return (y0, y1)[x % 2], _s8(u), _s8(v)


def rgb(y: int, u: int, v: int) -> tuple[int, int, int]:
    """Fact sheet §3.4 integer conversion."""

    def clip(n: int) -> int:
        return max(0, min(255, n))

    return (
        clip(((y << 12) + v * 5743 + 2048) >> 12),
        clip(((y << 12) - u * 1411 - v * 2925 + 2048) >> 12),
        clip(((y << 12) + u * 7258 + 2048) >> 12),
    )


def _source(display: str = "yuv411", **kw: object) -> LiveViewSource:
    # a clock real time hardly moves; tests step it with advance()
    return LiveViewSource(SimClock(time_scale=1e-6), display=display, **kw)  # type: ignore[arg-type]


def test_lv21_viewport_only_matches_the_real_camera_layout() -> None:
    data = _source().frame(VP)
    assert len(data) == 259300  # the real SX160 IS frame size
    assert struct.unpack_from("<7i", data, 0) == (2, 1, 0, 3, 0, 28, 64)
    assert struct.unpack_from("<9i", data, 28) == (0, 100, 720, 720, 240, 0, 0, 0, 0)
    assert struct.unpack_from("<9i", data, 64) == (1, 0, 960, 720, 240, 0, 0, 0, 0)


def test_descriptors_present_without_data() -> None:
    f = parse(_source().frame(0))
    assert len(f.raw) == 100
    assert f.vp.data_start == 0 and f.bm.data_start == 0 and f.palette_start == 0
    f = parse(_source("yuv422").frame(0x02 | 0x40))  # unknown bits are ignored
    assert len(f.raw) == 32 + 3 * 36
    assert f.bmo is not None and f.bmo.data_start == 0


def test_lv21_everything() -> None:
    f = parse(_source().frame(ALL))
    assert (f.major, f.minor, f.palette_type) == (2, 1, PaletteType.TYPE_3)
    assert f.bmo is None  # no opacity plane before Digic 6 / lv 2.2
    # order: palette, viewport, bitmap; offsets from byte 0
    assert f.palette_start == 100
    assert f.vp.data_start == 100 + 1024
    assert f.bm.data_start == f.vp.data_start + 720 * 240 * 3 // 2
    assert len(f.raw) == f.bm.data_start + 960 * 240
    assert f.bm.fb_type == FramebufferType.PAL8


def test_lv22_on_old_display_has_32_byte_header() -> None:
    f = parse(_source(lv_version=(2, 2)).frame(VP | BMO))
    assert f.minor == 2
    assert struct.unpack_from("<8i", f.raw, 0)[5:] == (32, 68, 0)
    assert f.vp.data_start == 104
    assert len(f.raw) == 104 + 720 * 240 * 3 // 2


def test_lv20_layout() -> None:
    f = parse(_source(lv_version=(2, 0)).frame(VP))
    assert f.minor == 0
    assert f.vp.data_start == 100


@pytest.mark.parametrize("display", ["yuv411", "yuv422", "yuv422c"])
def test_viewport_decodes_to_the_pattern(display: str) -> None:
    src = _source(display, seed=3)
    src.clock.advance(1234)
    t = src.clock.now_ms()
    f = parse(src.frame(VP))
    d = f.vp
    for y in range(0, d.visible_height, 7):
        for x in range(0, d.visible_width, 5):
            assert yuv_at(f, d, x, y) == viewport_pattern(x, y, t, 3), (x, y)


def test_yuv411_every_pixel_of_one_frame() -> None:
    src = _source()
    f = parse(src.frame(VP))
    t = src.clock.now_ms()
    d = f.vp
    bad = [
        (x, y)
        for y in range(d.visible_height)
        for x in range(d.visible_width)
        if yuv_at(f, d, x, y) != viewport_pattern(x, y, t, 0)
    ]
    assert bad == []


def test_chroma_signedness_per_type() -> None:
    # the pattern has negative U somewhere; each encoding must give it back with its sign
    for display, fb in (
        ("yuv411", FramebufferType.YUV8),
        ("yuv422", FramebufferType.YUV8B),
        ("yuv422c", FramebufferType.YUV8C),
    ):
        f = parse(_source(display).frame(VP))
        assert f.vp.fb_type == fb
        us = {yuv_at(f, f.vp, x, 0)[1] for x in range(0, 256, 4)}
        assert min(us) < 0 < max(us)
    f = parse(_source().frame(VP))
    y, u, v = yuv_at(f, f.vp, 0, 0)
    assert (u, v) == (0, 0)
    assert rgb(y, u, v) == (y, y, y)  # the first bar is grey


def test_pattern_moves_with_the_clock() -> None:
    src = _source()
    a = src.frame(VP)
    src.clock.advance(10)
    b = src.frame(VP)
    assert a != b
    fa, fb = parse(a), parse(b)
    # 10 ms later the picture has moved 4 px to the left
    for x in range(0, 700, 13):
        assert yuv_at(fb, fb.vp, x, 5) == yuv_at(fa, fa.vp, x + 4, 5)
    src.clock.advance(30)  # and after 40 ms one row up
    fc = parse(src.frame(VP))
    for y in range(0, 230, 9):
        assert yuv_at(fc, fc.vp, 100, y)[0] == yuv_at(fa, fa.vp, 100 + 16, y + 1)[0]


def test_pal8_bitmap_and_palette_type_3() -> None:
    src = _source()
    src.clock.advance(500)
    t = src.clock.now_ms()
    f = parse(src.frame(BM | PAL))
    d = f.bm
    pal = f.raw[f.palette_start : f.palette_start + 1024]

    def index(x: int, y: int) -> int:
        return f.raw[d.data_start + y * d.buffer_width + x]

    for y in (0, 1, 2, BOX_TOP, BOX_TOP + 10, 239):
        for x in range(0, d.buffer_width, 3):
            assert index(x, y) == bitmap_pattern(x, y, t, 720, 240), (x, y)
    assert index(0, 0) == 1 and index(100, 50) == 0 and index(800, 0) == 0
    assert 2 in {index(x, BOX_TOP) for x in range(720)}
    # type 3: V, U, Y, A; index 0 transparent, index 1 opaque white
    v, u, y, a = pal[4:8]
    assert (_s8(v), _s8(u), y, a & 3) == (0, 0, 235, 3)
    assert pal[3] & 3 == 0
    assert rgb(y, _s8(u), _s8(v)) == (235, 235, 235)


def test_digic6_bitmap_and_opacity() -> None:
    src = _source("yuv422")
    t = src.clock.now_ms()
    f = parse(src.frame(ALL))
    assert (f.minor, f.palette_type, f.palette_start) == (2, 0, 0)  # no palette on Digic 6
    assert f.bmo is not None
    assert f.vp.data_start == 32 + 3 * 36
    assert f.bm.data_start == f.vp.data_start + 640 * 480 * 2
    assert f.bmo.data_start == f.bm.data_start + 640 * 480 * 2
    assert len(f.raw) == f.bmo.data_start + 640 * 480
    assert (f.bm.fb_type, f.bmo.fb_type) == (FramebufferType.YUV8B, FramebufferType.OPACITY8)
    for y in (0, 50, BOX_TOP + 3, 479):
        for x in range(0, 640, 2):
            idx = bitmap_pattern(x, y, t, 640, 480)
            alpha = f.raw[f.bmo.data_start + y * 640 + x]
            group = f.raw[
                f.bm.data_start + y * 1280 + x * 2 : f.bm.data_start + y * 1280 + x * 2 + 4
            ]
            if idx == 0:
                assert alpha == 0
                assert struct.unpack("<I", group)[0] == 0x00800080  # transparent marker
            else:
                assert alpha == 255
                assert yuv_at(f, f.bm, x, y) == bitmap_colour(idx)[:3]


@pytest.mark.parametrize(
    ("ptype", "count", "white"),
    [
        (1, 16, (255, 235, 0, 0)),  # A, Y, U, V
        (2, 16, (255, 235, 0, 0)),
        (3, 256, (0, 0, 235, 3)),  # V, U, Y, A
        (4, 16, (0, 0, 235, 3)),
        (5, 256, (0, 0, 235, 0x30)),  # alpha in bits 4-5
    ],
)
def test_palette_layouts(ptype: int, count: int, white: tuple[int, int, int, int]) -> None:
    pal = palette_bytes(ptype)
    assert len(pal) == count * 4
    assert tuple(pal[4:8]) == white
    assert pal[:4] == b"\0\0\0\0"
    f = parse(_source(palette_type=ptype).frame(PAL))
    assert f.palette_type == ptype
    assert f.raw[f.palette_start :] == pal
    # red (index 2) has negative U stored as a two's-complement byte
    entry = pal[8:12]
    u = entry[2] if ptype in (1, 2) else entry[1]
    assert _s8(u) == bitmap_colour(2)[1] < 0


def test_palette_type_0_sends_nothing() -> None:
    assert palette_bytes(0) == b""
    f = parse(_source(palette_type=0).frame(PAL | VP))
    assert f.palette_type == 0 and f.palette_start == 0 and f.vp.data_start == 100


@pytest.mark.parametrize(
    ("display", "kw"),
    [
        ("vga", {}),
        ("yuv411", {"lv_version": (1, 0)}),
        ("yuv411", {"lv_version": (3, 0)}),
        ("yuv422", {"lv_version": (2, 1)}),
        ("yuv411", {"lv_version": (2, 0), "palette_type": 4}),
        ("yuv422", {"palette_type": 3}),
        ("yuv411", {"palette_type": 9}),
    ],
)
def test_bad_configuration(display: str, kw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _source(display, **kw)


@pytest.mark.parametrize(("display", "flags"), [("yuv411", ALL), ("yuv422", ALL), ("yuv411", VP)])
def test_generated_parser_agrees_with_the_independent_one(display: str, flags: int) -> None:
    from chdkptp._generated.chdk_lv_frame import ChdkLvFrame

    data = _source(display).frame(flags)
    ours = parse(data)
    gen = ChdkLvFrame.from_bytes(data)
    assert gen.header.palette_type == ours.palette_type
    assert gen.header.ofs_palette == ours.palette_start
    assert gen.vp_desc is not None and gen.vp_desc.ofs_data == ours.vp.data_start
    assert gen.bm_desc is not None and gen.bm_desc.buffer_width == ours.bm.buffer_width
    if ours.bmo is None:
        assert gen.bmo_desc is None
    else:
        assert gen.bmo_desc is not None and gen.bmo_desc.ofs_data == ours.bmo.data_start

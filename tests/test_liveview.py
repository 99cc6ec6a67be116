"""Live-view decoding (chdkptp.liveview.LiveFrame) against an independent reference.

Frames are built here with ``struct`` from the fact sheet (§3.3 layout) and decoded by a
plain-Python per-pixel reference written from §3.4 / §3.5 in this file; the library's
vectorised decoders must agree bit for bit.  The real frame from ../shared is checked at
pixels computed straight from its bytes.
"""

from __future__ import annotations

import contextlib
import random
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chdkptp._generated.chdk_codes import FramebufferType, LcdAspectRatio, PaletteType
from chdkptp.errors import ChdkPtpError, RemoteProtocolError, UnsupportedProtocolError
from chdkptp.liveview import LiveFrame, palette_rgba, request_flags, yuv_to_rgb

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "samples"
SAMPLE = SAMPLE / "ImageFramePacket.bin"

YUV8, PAL8, YUV8B, YUV8C, OPACITY8 = 0, 1, 2, 3, 4


# --------------------------------------------------------------------------------------------
# reference maths, straight from the fact sheet


def clip(v: int) -> int:
    return max(0, min(255, v))


def ref_pixel(y: int, u: int, v: int) -> tuple[int, int, int]:
    r = clip(((y << 12) + v * 5743 + 2048) >> 12)
    g = clip(((y << 12) - u * 1411 - v * 2925 + 2048) >> 12)
    b = clip(((y << 12) + u * 7258 + 2048) >> 12)
    return r, g, b


def s8(b: int) -> int:
    return b - 256 if b > 127 else b


def stride_of(fb_type: int, bw: int) -> int:
    return {YUV8: bw * 12 // 8, YUV8B: bw * 2, YUV8C: bw * 2}.get(fb_type, bw)


def ref_yuv(data: bytes, ofs: int, fb_type: int, bw: int, vw: int, vh: int, skip: bool):
    out = []
    stride = stride_of(fb_type, bw)
    for r in range(vh):
        row = []
        p = ofs + r * stride
        x = 0
        while x < vw:
            if fb_type == YUV8:
                u, v = s8(data[p]), s8(data[p + 2])
                ys = (
                    [data[p + 1], data[p + 3]]
                    if skip
                    else [data[p + 1], data[p + 3], data[p + 4], data[p + 5]]
                )
                x, p = x + 4, p + 6
            else:
                if fb_type == YUV8B:
                    u, v = data[p] - 128, data[p + 2] - 128
                else:
                    u, v = s8(data[p]), s8(data[p + 2])
                ys = [data[p + 1]] if skip else [data[p + 1], data[p + 3]]
                x, p = x + 2, p + 4
            row.extend(ref_pixel(y, u, v) for y in ys)
        out.append(row[: vw // 2 if skip else vw])
    return np.array(out, dtype=np.uint8).reshape(vh, vw // 2 if skip else vw, 3)


A540 = bytes.fromhex(
    "00000000ffe00000ff60ee62ffb900007f000000ff7ea1b3ffccb85eff5f0000"
    "ff94c55dff8a50b0ff4b3dd47f2800007f007be2ff300000ff690000ff000000"
)
ALPHA2 = [128, 171, 214, 255]


def ref_palette_colour(ptype: int, pal: bytes | None, p: int) -> tuple[int, int, int, int]:
    if pal is None or ptype not in (1, 2, 3, 4, 5):
        ptype, pal = 1, A540
    if ptype in (3, 5):
        if p == 0:
            return (0, 0, 0, 0)
        v, u, y, a = s8(pal[4 * p]), s8(pal[4 * p + 1]), pal[4 * p + 2], pal[4 * p + 3]
        alpha = ALPHA2[a & 3] if ptype == 3 else ALPHA2[(a >> 4) & 3]
        return (*ref_pixel(y, u, v), alpha)
    if ptype == 4 and p == 0:
        return (0, 0, 0, 0)
    lo, hi = p & 15, p >> 4

    def entry(i: int) -> tuple[int, int, int, int]:  # -> a, y, u, v
        e = pal[4 * i : 4 * i + 4]
        if ptype == 4:
            return e[3], e[2], s8(e[1]), s8(e[0])
        return e[0], e[1], s8(e[2]), s8(e[3])

    a1, y1, u1, v1 = entry(lo)
    a2, y2, u2, v2 = entry(hi)
    a = (a1 + a2) // 2
    y = min(255, y1 + y2)
    u = max(-128, min(127, u1 + u2))
    v = max(-128, min(127, v1 + v2))
    if ptype == 1:
        if lo == 0:
            u = v = 0
        return (*ref_pixel(y, u, v), a)
    return (*ref_pixel(y, u, v), ALPHA2[a & 3])


# --------------------------------------------------------------------------------------------
# building frames


class Plane:
    def __init__(
        self,
        fb_type: int,
        bw: int,
        vw: int,
        vh: int,
        margins=(0, 0, 0, 0),
        *,
        data: bytes | None = None,
        send: bool = True,
        seed: int = 1,
    ) -> None:
        self.fb_type, self.bw, self.vw, self.vh, self.margins = fb_type, bw, vw, vh, margins
        size = stride_of(fb_type, bw) * vh
        if data is None and send:
            data = random.Random(seed).randbytes(size)
        self.data = data if send else None


def build(
    minor: int = 1,
    *,
    aspect: int = 0,
    palette_type: int = 0,
    palette: bytes | None = None,
    vp: Plane | None = None,
    bm: Plane | None = None,
    bmo: Plane | None = None,
    gap: int = 3,
    major: int = 2,
) -> bytes:
    """A frame laid out like CHDK's, with ``gap`` junk bytes before each block (so data
    offsets are not aligned)."""
    head = 32 if minor >= 2 else 28
    descs = [d for d in (vp, bm, bmo) if d is not None]
    pos = head
    desc_at = {}
    for d in (vp, bm, bmo):
        if d is not None:
            desc_at[id(d)] = pos
            pos += 36
    blobs = bytearray()
    pal_at = 0
    if palette is not None:
        pos += gap
        blobs += b"\xee" * gap
        pal_at = pos
        blobs += palette
        pos += len(palette)
    data_at = {}
    for d in descs:
        if d.data is not None:
            pos += gap
            blobs += b"\xee" * gap
            data_at[id(d)] = pos
            blobs += d.data
            pos += len(d.data)
    fields = [
        major,
        minor,
        aspect,
        palette_type,
        pal_at,
        desc_at.get(id(vp), 0) if vp else 0,
        desc_at.get(id(bm), 0) if bm else 0,
    ]
    if minor >= 2:
        fields.append(desc_at.get(id(bmo), 0) if bmo else 0)
    out = bytearray(struct.pack(f"<{len(fields)}i", *fields))
    for d in descs:
        out += struct.pack("<9i", d.fb_type, data_at.get(id(d), 0), d.bw, d.vw, d.vh, *d.margins)
    return bytes(out + blobs)


# --------------------------------------------------------------------------------------------
# the maths


def test_yuv_to_rgb_matches_formula_everywhere() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        y, u, v = rng.randrange(256), rng.randrange(-128, 128), rng.randrange(-128, 128)
        assert yuv_to_rgb(y, u, v) == ref_pixel(y, u, v)
    assert yuv_to_rgb(0, -128, -128) == ref_pixel(0, -128, -128)
    assert yuv_to_rgb(255, 127, 127) == ref_pixel(255, 127, 127)


def test_every_yuv_triple_through_the_vectorised_path() -> None:
    """All 256 Y x 65536 (U, V) pairs would be slow; every (U, V) byte pair with 4 luma
    values each covers every chroma offset table entry and both clip ends."""
    uv = np.arange(65536)
    u_b, v_b = uv >> 8, uv & 0xFF
    ys = np.array([0, 1, 128, 255], dtype=np.uint8)
    groups = np.empty((65536, 6), dtype=np.uint8)
    groups[:, 0], groups[:, 2] = u_b, v_b
    groups[:, 1], groups[:, 3], groups[:, 4], groups[:, 5] = ys
    width = 256 * 4
    plane = groups.reshape(256, 256 * 6).tobytes()
    frame = LiveFrame.from_bytes(build(vp=Plane(YUV8, width, width, 256, data=plane)))
    got = frame.viewport_rgb()
    # reference from numpy integer maths written out per channel (arithmetic shift = floor)
    u = np.where(u_b > 127, u_b - 256, u_b).reshape(256, 256, 1)
    v = np.where(v_b > 127, v_b - 256, v_b).reshape(256, 256, 1)
    y = ys.astype(np.int64).reshape(1, 1, 4)
    want = np.stack(
        [
            np.clip(((y << 12) + v * 5743 + 2048) >> 12, 0, 255),
            np.clip(((y << 12) - u * 1411 - v * 2925 + 2048) >> 12, 0, 255),
            np.clip(((y << 12) + u * 7258 + 2048) >> 12, 0, 255),
        ],
        axis=-1,
    ).reshape(256, width, 3)
    assert np.array_equal(got, want)
    # spot checks against the scalar reference
    for row, col in [(0, 0), (255, 1023), (128, 513), (17, 70)]:
        grp = groups[row * 256 + col // 4]
        yv = int(grp[[1, 3, 4, 5][col % 4]])
        assert tuple(got[row, col]) == ref_pixel(yv, s8(int(grp[0])), s8(int(grp[2])))


# --------------------------------------------------------------------------------------------
# viewports, every type, odd geometry


GEOMETRIES = [
    # (buffer_width, visible_width, visible_height, margins)
    (720, 720, 24, (0, 0, 0, 0)),
    (736, 704, 10, (8, 4, 24, 6)),  # stride > visible, margins
    (40, 38, 5, (-2, 1, 4, -1)),  # visible width not a group multiple, negative margins
    (12, 12, 3, (0, 0, 0, 0)),
    (9, 9, 2, (1, 1, 1, 1)),  # last group wider than the stride: generic path
    (8, 0, 3, (0, 0, 0, 0)),  # empty rows
]


@pytest.mark.parametrize("fb_type", [YUV8, YUV8B, YUV8C])
@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("skip", [False, True])
def test_viewport_matches_reference(fb_type: int, geometry, skip: bool) -> None:
    bw, vw, vh, margins = geometry
    if fb_type != YUV8 and bw % 2:
        bw += 1
    minor = 2 if fb_type != YUV8 else 1
    plane = Plane(fb_type, bw, vw, vh, margins, seed=bw * 7 + vw)
    # pad so a last group wider than the stride stays inside the payload
    payload = build(minor, vp=plane) + b"\x00" * 8
    frame = LiveFrame.from_bytes(payload)
    got = frame.viewport_rgb(skip)
    assert got.dtype == np.uint8 and got.flags.c_contiguous
    want = ref_yuv(payload, frame.viewport.data_offset, fb_type, bw, vw, vh, skip)
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def test_viewport_margins_canvas() -> None:
    margins = (6, 2, 10, 4)
    frame = LiveFrame.from_bytes(build(vp=Plane(YUV8, 24, 20, 5, margins)))
    full = frame.viewport_rgb(margins=True)
    assert full.shape == (2 + 5 + 4, 6 + 20 + 10, 3)
    assert np.array_equal(full[2:7, 6:26], frame.viewport_rgb())
    assert not full[:2].any() and not full[7:].any() and not full[:, :6].any()
    half = frame.viewport_rgb(skip=True, margins=True)
    assert half.shape == (11, 18, 3)
    assert np.array_equal(half[2:7, 3:13], frame.viewport_rgb(skip=True))


def test_negative_margins_crop() -> None:
    frame = LiveFrame.from_bytes(build(vp=Plane(YUV8, 16, 16, 4, (-4, -1, 0, 0))))
    full = frame.viewport_rgb(margins=True)
    assert full.shape == (3, 12, 3)
    assert np.array_equal(full, frame.viewport_rgb()[1:, 4:])


def test_display_size_and_aspect() -> None:
    for aspect, ratio in [(0, 4 / 3), (1, 16 / 9), (2, 3 / 2), (7, 4 / 3)]:
        frame = LiveFrame.from_bytes(build(2, aspect=aspect, vp=Plane(YUV8, 720, 720, 2)))
        assert frame.aspect == pytest.approx(ratio)
        assert frame.display_size() == (360, round(360 / ratio))
        assert frame.display_size(1) == (720, round(720 / ratio))
    assert LiveFrame.from_bytes(build(aspect=1, vp=Plane(YUV8, 8, 8, 1))).lcd_aspect_ratio == (
        LcdAspectRatio.ASPECT_16_9
    )


# --------------------------------------------------------------------------------------------
# bitmaps and palettes


def palette_bytes_for(ptype: int, seed: int) -> bytes:
    n = 256 if ptype in (3, 5) else 16
    return random.Random(seed).randbytes(4 * n)


@pytest.mark.parametrize("ptype", [1, 2, 3, 4, 5])
def test_palette_tables_match_reference(ptype: int) -> None:
    for seed in range(3):
        pal = palette_bytes_for(ptype, seed * 11 + ptype)
        got = palette_rgba(ptype, pal)
        assert got == [ref_palette_colour(ptype, pal, p) for p in range(256)]


def test_missing_or_unknown_palette_uses_the_a540_default() -> None:
    want = [ref_palette_colour(1, A540, p) for p in range(256)]
    assert palette_rgba(0, None) == want
    assert palette_rgba(3, None) == want
    assert palette_rgba(9, b"\x00" * 1024) == want
    with pytest.raises(RemoteProtocolError):
        palette_rgba(3, b"\x00" * 100)


@pytest.mark.parametrize("ptype", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("skip", [False, True])
def test_pal8_bitmap_every_palette_type(ptype: int, skip: bool) -> None:
    pal = palette_bytes_for(ptype, 3) if ptype else None
    bm = Plane(PAL8, 40, 34, 6, (3, 1, 3, 1), seed=ptype)
    payload = build(
        1, palette_type=ptype, palette=pal, bm=bm, vp=Plane(YUV8, 40, 40, 6, send=False)
    )
    frame = LiveFrame.from_bytes(payload)
    assert not frame.has_viewport and frame.has_bitmap
    assert frame.palette_type == PaletteType.coerce(ptype)
    got = frame.bitmap_rgba(skip)
    ofs = frame.bitmap.data_offset
    cols = range(0, 34 - 1, 2) if skip else range(34)
    want = np.array(
        [
            [ref_palette_colour(ptype, pal, payload[ofs + r * 40 + c]) for c in cols]
            for r in range(6)
        ],
        dtype=np.uint8,
    )
    assert np.array_equal(got, want)


@pytest.mark.parametrize("with_opacity", [False, True])
@pytest.mark.parametrize("skip", [False, True])
def test_digic6_bitmap_alpha(with_opacity: bool, skip: bool) -> None:
    bw, vw, vh = 20, 18, 4
    data = bytearray(random.Random(9).randbytes(bw * 2 * vh))
    data[0:4] = b"\x80\x00\x80\x00"  # a transparent group (pixels 0 and 1 of row 0)
    data[bw * 2 + 8 : bw * 2 + 12] = b"\x80\x00\x80\x00"  # row 1, pixels 4 and 5
    opacity = random.Random(4).randbytes(bw * vh)
    bm = Plane(YUV8B, bw, vw, vh, data=bytes(data))
    bmo = (
        Plane(OPACITY8, bw, vw, vh, data=opacity)
        if with_opacity
        else Plane(OPACITY8, bw, vw, vh, send=False)
    )
    payload = build(2, bm=bm, bmo=bmo, vp=Plane(YUV8B, bw, vw, vh, send=False))
    frame = LiveFrame.from_bytes(payload)
    got = frame.bitmap_rgba(skip)
    rgb = ref_yuv(payload, frame.bitmap.data_offset, YUV8B, bw, vw, vh, skip)
    assert np.array_equal(got[..., :3], rgb)
    xs = list(range(0, vw - 1, 2)) if skip else list(range(vw))
    for r in range(vh):
        for i, x in enumerate(xs):
            if with_opacity:
                want = opacity[r * bw + x]
            else:
                g = bytes(data[r * bw * 2 + (x // 2) * 4 : r * bw * 2 + (x // 2) * 4 + 4])
                want = 0 if g == b"\x80\x00\x80\x00" else 255
            assert got[r, i, 3] == want, (r, x)


def test_composite_blends_bitmap_over_scaled_viewport() -> None:
    # viewport 8x2 visible on a 10x4 screen; bitmap 20x8 screen (2x scale both ways)
    vp = Plane(YUV8, 8, 8, 2, (1, 1, 1, 1), seed=3)
    pal = bytearray(1024)
    pal[4 * 7 : 4 * 8] = bytes((0, 0, 200, 3))  # index 7: grey, opaque (alpha lut 255)
    pal[4 * 9 : 4 * 10] = bytes((0, 0, 100, 0))  # index 9: alpha 128
    bm_data = bytearray(20 * 8)
    bm_data[0] = 7
    bm_data[20 * 3 + 5] = 9
    bm = Plane(PAL8, 20, 20, 8, data=bytes(bm_data))
    frame = LiveFrame.from_bytes(build(1, palette_type=3, palette=bytes(pal), vp=vp, bm=bm))
    out = frame.composite()
    assert out.shape == (8, 20, 3)
    screen = frame.viewport_rgb(margins=True)  # 4 x 10
    grey = ref_pixel(200, 0, 0)
    assert tuple(out[0, 0]) == grey  # opaque overlay pixel
    half = ref_pixel(100, 0, 0)
    under = screen[3 // 2, 5 // 2].astype(int)
    want = tuple((np.array(half) * 128 + under * 127 + 127) // 255)
    assert tuple(out[3, 5]) == want
    # transparent elsewhere: the nearest viewport screen pixel
    for y, x in [(2, 2), (7, 19), (5, 11), (0, 1)]:
        if (y, x) != (0, 0):
            assert tuple(out[y, x]) == tuple(screen[y // 2, x // 2])
    assert frame.composite(size=(10, 4)).shape == (4, 10, 3)


def test_composite_without_viewport_is_bitmap_over_black() -> None:
    pal = bytearray(1024)
    pal[4:8] = bytes((0, 0, 255, 3))
    bm = Plane(PAL8, 4, 4, 2, data=bytes([1, 0, 0, 1, 0, 0, 0, 0]))
    frame = LiveFrame.from_bytes(build(1, palette_type=3, palette=bytes(pal), bm=bm))
    out = frame.composite()
    assert tuple(out[0, 0]) == ref_pixel(255, 0, 0) and not out[1].any()


def test_to_image_and_png(tmp_path: Path) -> None:
    from PIL import Image

    frame = LiveFrame.from_bytes(build(2, vp=Plane(YUV8C, 32, 30, 6, (2, 0, 0, 2))))
    img = frame.to_image(skip=True)
    assert img.mode == "RGB" and img.size == (16, 8)
    assert np.array_equal(np.asarray(img), frame.viewport_rgb(True, margins=True))
    path = tmp_path / "f.png"
    frame.save_png(path)
    with Image.open(path) as back:
        assert back.format == "PNG"
        assert np.array_equal(np.asarray(back), frame.viewport_rgb(margins=True))
    tall = frame.to_image(aspect=True)
    assert tall.size == (32, 24)


# --------------------------------------------------------------------------------------------
# the real frame


@pytest.mark.skipif(not SAMPLE.exists(), reason="../shared reference sample not present")
def test_real_sx160_frame() -> None:
    raw = SAMPLE.read_bytes()
    length = struct.unpack_from("<I", raw)[0]
    payload = raw[12:length]
    frame = LiveFrame.from_bytes(payload)
    assert frame.version == (2, 1)
    assert frame.palette_type == PaletteType.TYPE_3 and frame.palette is None
    assert frame.has_viewport and not frame.has_bitmap
    assert frame.viewport.fb_type == FramebufferType.YUV8 and frame.viewport.data_offset == 100
    rgb = frame.viewport_rgb()
    assert rgb.shape == (240, 720, 3)
    half = frame.viewport_rgb(skip=True)
    assert half.shape == (240, 360, 3)

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        g = 100 + y * 1080 + (x // 4) * 6
        u = payload[g] - 256 if payload[g] > 127 else payload[g]
        v = payload[g + 2] - 256 if payload[g + 2] > 127 else payload[g + 2]
        luma = payload[g + (1, 3, 4, 5)[x % 4]]
        return (
            max(0, min(255, ((luma << 12) + v * 5743 + 2048) >> 12)),
            max(0, min(255, ((luma << 12) - u * 1411 - v * 2925 + 2048) >> 12)),
            max(0, min(255, ((luma << 12) + u * 7258 + 2048) >> 12)),
        )

    for x, y in [(0, 0), (1, 0), (2, 0), (3, 0), (719, 239), (200, 100), (358, 171), (601, 33)]:
        assert tuple(int(c) for c in rgb[y, x]) == pixel(x, y), (x, y)
        if x % 4 < 2:
            assert tuple(half[y, (x // 4) * 2 + x % 4]) == pixel(x, y)
    # the whole image against the scalar reference (every pixel)
    assert np.array_equal(rgb, ref_yuv(payload, 100, YUV8, 720, 720, 240, False))
    # a bright monitor above, dark keyboard below
    assert rgb[:60].mean() > rgb[150:].mean() + 40


# --------------------------------------------------------------------------------------------
# errors


def test_unknown_major_version_is_unsupported() -> None:
    for major in (1, 3, -1, 0x7FFFFFFF):
        payload = build(vp=Plane(YUV8, 8, 8, 1), major=major)
        with pytest.raises(UnsupportedProtocolError) as err:
            LiveFrame.from_bytes(payload)
        assert err.value.version[0] == major


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x02\x00\x00", struct.pack("<7i", 2, 1, 0, 0, 0, 28, 64)[:20]],
)
def test_truncated_header(payload: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        LiveFrame.from_bytes(payload)


def test_bad_descriptors_and_planes() -> None:
    good = build(vp=Plane(YUV8, 16, 16, 4))
    # descriptor offset beyond the end
    bad = bytearray(good)
    struct.pack_into("<i", bad, 20, len(good) + 10)
    with pytest.raises(RemoteProtocolError, match="vp_desc"):
        LiveFrame.from_bytes(bytes(bad))
    # data offset pointing so the plane runs past the end
    bad = bytearray(good)
    struct.pack_into("<i", bad, 28 + 4, len(good) - 10)
    with pytest.raises(RemoteProtocolError, match="viewport"):
        LiveFrame.from_bytes(bytes(bad))
    # truncated payload
    with pytest.raises(RemoteProtocolError):
        LiveFrame.from_bytes(good[:-1])
    # visible width wider than the buffer
    bad = bytearray(good)
    struct.pack_into("<i", bad, 28 + 12, 17)
    with pytest.raises(RemoteProtocolError, match="buffer_width"):
        LiveFrame.from_bytes(bytes(bad))
    # negative sizes
    bad = bytearray(good)
    struct.pack_into("<i", bad, 28 + 16, -1)
    with pytest.raises(RemoteProtocolError):
        LiveFrame.from_bytes(bytes(bad))
    # negative offsets
    bad = bytearray(good)
    struct.pack_into("<i", bad, 28 + 4, -5)
    with pytest.raises(RemoteProtocolError):
        LiveFrame.from_bytes(bytes(bad))
    # palette outside the payload
    bad = bytearray(good)
    struct.pack_into("<ii", bad, 12, 3, len(good) - 100)
    with pytest.raises(RemoteProtocolError, match="palette"):
        LiveFrame.from_bytes(bytes(bad))


def test_unknown_and_misplaced_types() -> None:
    frame = LiveFrame.from_bytes(build(2, vp=Plane(7, 16, 16, 2, data=b"\x00" * 64)))
    with pytest.raises(UnsupportedProtocolError, match="unknown framebuffer type 7"):
        frame.viewport_rgb()
    frame = LiveFrame.from_bytes(build(1, vp=Plane(PAL8, 16, 16, 2)))
    with pytest.raises(RemoteProtocolError, match="PAL8"):
        frame.viewport_rgb()
    frame = LiveFrame.from_bytes(build(1, vp=Plane(YUV8B, 16, 16, 2)))
    with pytest.raises(RemoteProtocolError, match=r"2\.2"):
        frame.viewport_rgb()
    frame = LiveFrame.from_bytes(build(1, vp=Plane(YUV8, 16, 16, 2, send=False)))
    with pytest.raises(ValueError, match="no viewport"):
        frame.viewport_rgb()
    with pytest.raises(ValueError, match="no bitmap"):
        frame.bitmap_rgba()
    with pytest.raises(ValueError):
        frame.composite()


def test_opacity_must_match_bitmap() -> None:
    bm = Plane(YUV8B, 8, 8, 2)
    bmo = Plane(OPACITY8, 8, 6, 2)
    frame = LiveFrame.from_bytes(build(2, bm=bm, bmo=bmo))
    with pytest.raises(RemoteProtocolError, match="opacity"):
        frame.bitmap_rgba()


def test_absurd_margins_rejected_when_placing() -> None:
    frame = LiveFrame.from_bytes(build(vp=Plane(YUV8, 8, 8, 2, (0x7FFFFFF0, 0, 0, 0))))
    assert frame.viewport_rgb().shape == (2, 8, 3)
    with pytest.raises(RemoteProtocolError, match="screen size"):
        frame.viewport_rgb(margins=True)


def test_request_flags() -> None:
    assert request_flags() == 1
    assert request_flags(bitmap=True) == 0x0D  # version unknown: no opacity plane
    assert request_flags(bitmap=True, chdk_version=(2, 6)) == 0x0D
    assert request_flags(bitmap=True, chdk_version=(2, 7)) == 0x1D
    assert request_flags(viewport=False, bitmap=True, palette=False,
                         chdk_version=(2, 9)) == 0x14
    assert request_flags(palette=True, chdk_version=(2, 9)) == 0x09


# --------------------------------------------------------------------------------------------
# fuzzing: garbage never escapes the error tree


def _exercise(payload: bytes) -> None:
    try:
        frame = LiveFrame.from_bytes(payload)
    except ChdkPtpError:
        return
    for call in (
        lambda: frame.viewport_rgb() if frame.has_viewport else None,
        lambda: frame.viewport_rgb(True, margins=True) if frame.has_viewport else None,
        lambda: frame.bitmap_rgba() if frame.has_bitmap else None,
        lambda: frame.bitmap_rgba(True, margins=True) if frame.has_bitmap else None,
        lambda: frame.composite() if frame.has_viewport or frame.has_bitmap else None,
        lambda: frame.display_size() if frame.has_viewport else None,
        lambda: repr(frame),
    ):
        with contextlib.suppress(ChdkPtpError):
            call()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data: bytes) -> None:
    _exercise(data)
    _exercise(struct.pack("<ii", 2, 2) + data)


_BASE = build(
    2,
    palette_type=3,
    palette=bytes(1024),
    vp=Plane(YUV8, 16, 16, 3, (1, 1, 1, 1)),
    bm=Plane(YUV8B, 8, 8, 3),
    bmo=Plane(OPACITY8, 8, 8, 3),
)
_INTS = st.one_of(
    st.integers(-3, 300), st.sampled_from([-(2**31), 2**31 - 1, 0x10000, len(_BASE), 36])
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, (32 + 3 * 36) // 4 - 1), _INTS), max_size=6),
    st.integers(0, len(_BASE)),
)
def test_fuzz_mutated_fields(edits: list[tuple[int, int]], cut: int) -> None:
    frame = bytearray(_BASE)
    for word, value in edits:
        struct.pack_into("<i", frame, word * 4, value)
    _exercise(bytes(frame))
    _exercise(bytes(frame[:cut]))


# --------------------------------------------------------------------------------------------
# numpy / Pillow stay optional


def test_clear_error_without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = LiveFrame.from_bytes(build(vp=Plane(YUV8, 8, 8, 1)))
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=r"chdkptp\[image\]"):
        frame.viewport_rgb()
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"chdkptp\[image\]"):
        frame.to_image()


def test_module_imports_and_parses_without_numpy() -> None:
    payload = build(vp=Plane(YUV8, 8, 8, 1))
    code = (
        "import sys; sys.modules['numpy'] = None; sys.modules['PIL'] = None\n"
        "from chdkptp.liveview import LiveFrame\n"
        "f = LiveFrame.from_bytes(sys.stdin.buffer.read())\n"
        "print(f.viewport.visible_width)\n"
        "try:\n    f.viewport_rgb()\nexcept ImportError as e:\n    print(e)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=payload,
        capture_output=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": ""},
        timeout=60,
        check=True,
    ).stdout.decode()
    assert out.splitlines()[0] == "8"
    assert "pip install 'chdkptp[image]'" in out


def test_decoding_from_several_threads() -> None:
    """The fast path reuses per-thread work arrays: threads must not see each other's."""
    from concurrent.futures import ThreadPoolExecutor

    frames = [LiveFrame.from_bytes(build(vp=Plane(YUV8, 64, 64, 8, seed=s))) for s in range(4)] + [
        LiveFrame.from_bytes(build(2, vp=Plane(YUV8B, 64, 64, 8, seed=s))) for s in range(4)
    ]
    want = [f.viewport_rgb() for f in frames]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            got = list(pool.map(lambda f: f.viewport_rgb(), frames * 3))
            assert all(np.array_equal(g, w) for g, w in zip(got, want * 3, strict=True))


def test_from_bytes_accepts_buffers() -> None:
    payload = build(vp=Plane(YUV8, 8, 8, 1))
    a = LiveFrame.from_bytes(bytearray(payload)).viewport_rgb()
    b = LiveFrame.from_bytes(memoryview(payload)).viewport_rgb()
    assert np.array_equal(a, b) and "viewport YUV8 8x1" in repr(LiveFrame(payload))

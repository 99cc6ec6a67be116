"""Simulated image files: JPEG decodable by Pillow, CHDK raw packing, DNG structure."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from chdkptp.sim import images


def _jpeg(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.mark.parametrize(("w", "h"), [(640, 480), (1, 1), (17, 9), (33, 100), (320, 240)])
def test_jpeg_decodes_to_the_right_size(w: int, h: int) -> None:
    data = images.make_jpeg(w, h, seed=1)
    assert data[:2] == b"\xff\xd8"
    assert data[-2:] == b"\xff\xd9"
    assert data[2:4] == b"\xff\xe1"  # Exif first, as a Canon camera writes it
    im = _jpeg(data)
    assert im.format == "JPEG"
    assert im.size == (w, h)
    assert im.mode == "RGB"


def test_jpeg_carries_the_label() -> None:
    label = "tv96=320 sv96=603 av96=576"
    data = images.make_jpeg(64, 48, seed=0, label=label, model="PowerShot SX160 IS")
    im = _jpeg(data)
    assert im.info["comment"] == label.encode()
    exif = im.getexif()
    assert exif[0x010E] == label  # ImageDescription
    assert exif[0x010F] == "Canon"
    assert exif[0x0110] == "PowerShot SX160 IS"


def test_jpeg_label_too_long() -> None:
    with pytest.raises(ValueError):
        images.make_jpeg(8, 8, seed=0, label="x" * 70000)


@pytest.mark.parametrize(("w", "h"), [(0, 10), (10, 0), (70000, 10)])
def test_jpeg_bad_size(w: int, h: int) -> None:
    with pytest.raises(ValueError):
        images.make_jpeg(w, h, seed=0)


def test_jpeg_picture_is_colour_bars_rotated_by_seed() -> None:
    # 8 bars across; seed 0 starts with white, seed 3 with green (75 % bars)
    def first_bar(seed: int) -> tuple[int, int, int]:
        im = _jpeg(images.make_jpeg(256, 64, seed=seed)).convert("RGB")
        px = im.getpixel((4, 4))
        assert isinstance(px, tuple)
        return (int(px[0]), int(px[1]), int(px[2]))

    r, g, b = first_bar(0)
    assert min(r, g, b) > 150 and max(r, g, b) - min(r, g, b) < 12  # light grey / white
    r, g, b = first_bar(3)
    assert g > 120 and r < 60 and b < 60  # green
    # bars differ across the picture, top is brighter than bottom
    im = _jpeg(images.make_jpeg(256, 256, seed=0)).convert("L")
    assert im.getpixel((4, 4)) != im.getpixel((252, 4))
    top, bottom = im.getpixel((4, 4)), im.getpixel((4, 252))
    assert isinstance(top, int) and isinstance(bottom, int) and top > bottom


@pytest.mark.parametrize("pad_to", [10_000, 3_579_515])
def test_jpeg_pad_to_camera_size(pad_to: int) -> None:
    data = images.make_jpeg(320, 240, seed=1, pad_to=pad_to)
    assert pad_to <= len(data) < pad_to + 12
    assert _jpeg(data).size == (320, 240)


def test_jpeg_is_deterministic() -> None:
    a = images.make_jpeg(100, 80, seed=5, label="x")
    assert a == images.make_jpeg(100, 80, seed=5, label="x")
    assert a != images.make_jpeg(100, 80, seed=6, label="x")


def _unpack_msb(data: bytes, bpp: int, count: int) -> list[int]:
    value = int.from_bytes(data, "big")
    total = len(data) * 8
    return [(value >> (total - bpp * (i + 1))) & ((1 << bpp) - 1) for i in range(count)]


@pytest.mark.parametrize("bpp", [10, 12, 14, 16])
def test_chdk_raw_packing(bpp: int) -> None:
    w, h = 64, 130
    raw = images.make_chdk_raw(w, h, bpp, seed=2)
    row_bytes = w * bpp // 8
    assert len(raw) == row_bytes * h
    for y in (0, 1, 64, 129):
        row = raw[y * row_bytes : (y + 1) * row_bytes]
        # the camera holds little-endian words: swap pairs back to get MSB-first packing
        unswapped = bytes(b for i in range(0, len(row), 2) for b in (row[i + 1], row[i]))
        values = _unpack_msb(unswapped, bpp, w)
        assert values == [images.raw_pixel(x, y, w, bpp, 2) for x in range(w)]
        assert all(images.raw_black_level(bpp) <= v < (1 << bpp) for v in values)


def test_raw_12bit_byte_layout() -> None:
    # two 12-bit pixels a, b → MSB-first bytes a>>4, (a&15)<<4 | b>>8, b&255, then pairs swapped
    w = 4
    raw = images.make_chdk_raw(w, 2, 12, seed=0)
    a, b, c, d = (images.raw_pixel(x, 0, w, 12, 0) for x in range(4))
    msb = bytes([a >> 4, (a & 15) << 4 | b >> 8, b & 255, c >> 4, (c & 15) << 4 | d >> 8, d & 255])
    assert raw[:6] == bytes([msb[1], msb[0], msb[3], msb[2], msb[5], msb[4]])


@pytest.mark.parametrize(("w", "h", "bpp"), [(3, 4, 12), (10, 4, 11), (1, 4, 16), (4, 1, 12)])
def test_raw_bad_geometry(w: int, h: int, bpp: int) -> None:
    with pytest.raises(ValueError):
        images.make_chdk_raw(w, h, bpp, seed=0)


def test_swap16() -> None:
    assert images.swap16(b"\x01\x02\x03\x04") == b"\x02\x01\x04\x03"
    with pytest.raises(ValueError):
        images.swap16(b"\x01")


def _ifd(data: bytes, at: int) -> dict[int, tuple[int, int, bytes]]:
    """Independent little-endian TIFF IFD reader: tag -> (type, count, value bytes)."""
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 10: 8}
    (n,) = struct.unpack_from("<H", data, at)
    out = {}
    for i in range(n):
        tag, typ, count, word = struct.unpack_from("<HHII", data, at + 2 + 12 * i)
        size = sizes[typ] * count
        if size <= 4:
            value = data[at + 2 + 12 * i + 8 : at + 2 + 12 * i + 8 + size]
        else:
            value = data[word : word + size]
        out[tag] = (typ, count, value)
    return out


def _u(entry: tuple[int, int, bytes]) -> list[int]:
    typ, count, value = entry
    fmt = {1: "B", 3: "H", 4: "I"}[typ]
    return list(struct.unpack(f"<{count}{fmt}", value))


def test_dng_header_layout() -> None:
    hdr = images.dng_header(160, 120, 12, model="PowerShot SX160 IS")
    assert hdr[:4] == b"II*\x00"
    assert len(hdr) % 4 == 0
    (ifd0_at,) = struct.unpack_from("<I", hdr, 4)
    ifd0 = _ifd(hdr, ifd0_at)
    assert _u(ifd0[0x0100]) == [128] and _u(ifd0[0x0101]) == [96]
    assert _u(ifd0[0x0106]) == [2]  # RGB thumbnail
    assert _u(ifd0[0x0111]) == [len(hdr)]  # thumbnail right after the header
    assert _u(ifd0[0x0117]) == [128 * 96 * 3]
    assert _u(ifd0[0xC612]) == [1, 3, 0, 0]
    assert ifd0[0x0110][2] == b"PowerShot SX160 IS\x00"
    sub = _ifd(hdr, _u(ifd0[0x014A])[0])
    assert _u(sub[0x0100]) == [160] and _u(sub[0x0101]) == [120]
    assert _u(sub[0x0102]) == [12]
    assert _u(sub[0x0106]) == [32803]
    assert _u(sub[0x0111]) == [len(hdr) + images.DNG_THUMB_SIZE]
    assert _u(sub[0x0117]) == [160 * 120 * 12 // 8]
    assert _u(sub[0x828E]) == [0, 1, 1, 2]
    assert _u(sub[0xC61A]) == [images.raw_black_level(12)]
    assert _u(sub[0xC61D]) == [4095]


def test_dng_is_header_thumbnail_and_swapped_raw() -> None:
    w, h = 160, 120
    dng = images.make_dng(w, h, seed=4)
    hdr = images.dng_header(w, h)
    assert dng.startswith(hdr)
    raw = images.make_chdk_raw(w, h, 12, seed=4)
    strip = dng[len(hdr) + images.DNG_THUMB_SIZE :]
    assert strip == images.swap16(raw)
    # the assembly chdkptp does from remote-capture data gives the same file
    thumb = dng[len(hdr) : len(hdr) + images.DNG_THUMB_SIZE]
    assert hdr + thumb + images.swap16(raw) == dng
    # Pillow reads IFD0: the RGB thumbnail
    im = _jpeg(dng)
    assert im.size == (128, 96)
    assert im.mode == "RGB"
    # strip values decode to the defined pattern
    row = strip[: w * 12 // 8]
    assert _unpack_msb(row, 12, w) == [images.raw_pixel(x, 0, w, 12, 4) for x in range(w)]

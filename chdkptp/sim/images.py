"""Valid image files for the simulated camera, written in pure Python (no numpy, no Pillow).

What belongs here: the bytes of what a shot produces — a baseline JPEG (:func:`make_jpeg`),
CHDK's packed raw framebuffer (:func:`make_chdk_raw`), the DNG header CHDK sends for
``CAPTURE_DNGHDR`` (:func:`dng_header`) and a whole DNG (:func:`make_dng`).  Where files go is
``sim/card.py``'s business; how they are chunked for remote capture is ``sim/remotecap.py``'s.

The JPEG encoder is deliberately tiny: every 8×8 block is flat (only its DC coefficient is
non-zero), the AC Huffman table holds just the end-of-block symbol, and rows of MCUs that look
alike are encoded once and reused.  The picture is a set of colour bars (order rotated by
``seed``) with a vertical brightness ramp; 4:2:0 chroma like most cameras.

Raw data follows CHDK: pixels are packed MSB-first at ``bpp`` bits (as DNG wants them), then
every pair of bytes is swapped, because the camera's buffer holds little-endian 16-bit words.
A host that swaps the pairs back (chdkptp's ``reverse_bytes``) gets DNG strip data.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

__all__ = [
    "DNG_THUMB_HEIGHT",
    "DNG_THUMB_SIZE",
    "DNG_THUMB_WIDTH",
    "dng_header",
    "make_chdk_raw",
    "make_dng",
    "make_jpeg",
    "raw_black_level",
    "raw_pixel",
    "swap16",
]

# --------------------------------------------------------------------------------------------
# JPEG

#: 75 % colour bars as (Y, Cb, Cr): white, yellow, cyan, green, magenta, red, blue, black.
_BARS = (
    (180, 128, 128),
    (162, 44, 142),
    (131, 156, 44),
    (112, 72, 58),
    (84, 184, 198),
    (65, 100, 212),
    (35, 212, 114),
    (16, 128, 128),
)
#: Quantiser of every coefficient; a flat block of level L has quantised DC (L - 128) // 2.
_Q = 16
#: The standard luminance DC Huffman table (ITU T.81 table K.3): code counts per length.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_VALS = tuple(range(12))
#: AC table with a single symbol, end-of-block (0x00), coded as the 1-bit code "0".
_AC_BITS = (1,) + (0,) * 15
_AC_VALS = (0x00,)


def _huffman_codes(bits: Sequence[int], vals: Sequence[int]) -> dict[int, str]:
    """Canonical Huffman codes (as '0'/'1' strings) from a JPEG BITS/HUFFVAL pair."""
    codes: dict[int, str] = {}
    code, k = 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[vals[k]] = format(code, f"0{length}b")
            code += 1
            k += 1
        code <<= 1
    return codes


_DC_CODES = _huffman_codes(_DC_BITS, _DC_VALS)
_EOB = _huffman_codes(_AC_BITS, _AC_VALS)[0x00]


def _diff_code(diff: int) -> str:
    """Bits of one block: the DC difference (category code + magnitude bits), then EOB."""
    if diff == 0:
        return _DC_CODES[0] + _EOB
    cat = abs(diff).bit_length()
    extra = diff if diff > 0 else diff + (1 << cat) - 1
    return _DC_CODES[cat] + format(extra, f"0{cat}b") + _EOB


_DIFF_CODES = {d: _diff_code(d) for d in range(-255, 256)}


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("JPEG segment too long (label too long?)")
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _exif(label: str, model: str) -> bytes:
    """APP1 'Exif' payload: a little-endian TIFF IFD0 with ImageDescription, Make, Model."""
    entries = [
        (0x010E, (label or " ").encode("ascii", "replace") + b"\x00"),
        (0x010F, b"Canon\x00"),
        (0x0110, model.encode("ascii", "replace") + b"\x00"),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_off = 8 + ifd_size
    ifd = bytearray(struct.pack("<H", len(entries)))
    area = bytearray()
    for tag, value in entries:
        if len(value) <= 4:
            ifd += struct.pack("<HHI", tag, 2, len(value)) + value.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, 2, len(value), data_off + len(area))
            area += value
            if len(area) % 2:
                area += b"\x00"
    ifd += struct.pack("<I", 0)
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + bytes(ifd) + bytes(area)


def _dht(table_class_id: int, bits: Sequence[int], vals: Sequence[int]) -> bytes:
    return bytes([table_class_id, *bits, *vals])


def _level(value: int) -> int:
    """Quantised DC of a flat 8×8 block whose samples all equal ``value`` (0..255)."""
    return (max(0, min(255, value)) - 128) * 8 // _Q


def make_jpeg(
    width: int,
    height: int,
    *,
    seed: int,
    label: str = "",
    model: str = "Canon PowerShot (simulated)",
    pad_to: int = 0,
) -> bytes:
    """A valid baseline JPEG (SOI … EOI) of ``width`` × ``height`` pixels.

    The picture is eight colour bars, rotated by ``seed``, darkening towards the bottom.
    ``label`` (e.g. the exposure settings) is stored twice: as the Exif ImageDescription
    (ASCII) and as a COM segment (UTF-8), so tests can find it.  ``pad_to`` adds APP15
    filler segments until the file has at least that many bytes (camera-sized files for
    transfer tests).  Raises ValueError for sizes outside 1…65535 or a label too long for one
    segment.
    """
    if not (1 <= width <= 0xFFFF and 1 <= height <= 0xFFFF):
        raise ValueError(f"JPEG size {width}x{height} out of range 1..65535")
    mcus_x = (width + 15) // 16
    mcus_y = (height + 15) // 16
    bars = [_BARS[(mx * 8 // mcus_x + seed) % 8] for mx in range(mcus_x)]
    cb_row = [_level(b[1]) for b in bars]
    cr_row = [_level(b[2]) for b in bars]
    base_y = [b[0] for b in bars]

    def ramp(block_row: int) -> int:
        # 0 at the top, -48 levels at the bottom
        return -48 * block_row // max(1, 2 * mcus_y - 1)

    pieces: list[str] = []
    tail_cache: dict[tuple[int, int], str] = {}
    pred_y = pred_cb = pred_cr = 0
    for my in range(mcus_y):
        r0, r1 = ramp(2 * my), ramp(2 * my + 1)
        y0 = [_level(v + r0) for v in base_y]
        y1 = [_level(v + r1) for v in base_y]
        # first MCU of the row depends on the predictors left by the previous row
        pieces.append(
            _DIFF_CODES[y0[0] - pred_y]
            + _DIFF_CODES[0]
            + _DIFF_CODES[y1[0] - y0[0]]
            + _DIFF_CODES[0]
            + _DIFF_CODES[cb_row[0] - pred_cb]
            + _DIFF_CODES[cr_row[0] - pred_cr]
        )
        key = (r0, r1)
        cached = tail_cache.get(key)
        if cached is None:
            tail: list[str] = []
            for mx in range(1, mcus_x):
                tail.append(
                    _DIFF_CODES[y0[mx] - y1[mx - 1]]
                    + _DIFF_CODES[0]
                    + _DIFF_CODES[y1[mx] - y0[mx]]
                    + _DIFF_CODES[0]
                    + _DIFF_CODES[cb_row[mx] - cb_row[mx - 1]]
                    + _DIFF_CODES[cr_row[mx] - cr_row[mx - 1]]
                )
            cached = "".join(tail)
            tail_cache[key] = cached
        pieces.append(cached)
        pred_y, pred_cb, pred_cr = y1[-1], cb_row[-1], cr_row[-1]
    bitstring = "".join(pieces)
    bitstring += "1" * (-len(bitstring) % 8)
    scan = int(bitstring, 2).to_bytes(len(bitstring) // 8, "big").replace(b"\xff", b"\xff\x00")

    out = bytearray(b"\xff\xd8")
    out += _segment(0xE1, _exif(label, model))
    if label:
        out += _segment(0xFE, label.encode("utf-8"))
    trailer = bytearray()
    trailer += _segment(0xDB, bytes([0x00]) + bytes([_Q]) * 64)
    trailer += _segment(
        0xC0,
        struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0]),
    )
    trailer += _segment(0xC4, _dht(0x00, _DC_BITS, _DC_VALS) + _dht(0x10, _AC_BITS, _AC_VALS))
    trailer += _segment(0xDA, bytes([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]))
    trailer += scan
    trailer += b"\xff\xd9"
    missing = pad_to - len(out) - len(trailer)
    while missing > 0:
        payload = max(8, min(missing - 4, 0xFFFD))
        out += _segment(0xEF, b"SIMPAD\x00\x00" + bytes(payload - 8))
        missing -= payload + 4
    out += trailer
    return bytes(out)


# --------------------------------------------------------------------------------------------
# CHDK raw

_RAW_BPP = (10, 12, 14, 16)
#: Rows per brightness band of the raw test pattern.
RAW_BAND_ROWS = 64


def raw_black_level(bpp: int) -> int:
    """Black level the simulated sensor uses at ``bpp`` bits (12 bit → 127, like CHDK ports)."""
    return (1 << (bpp - 5)) - 1


def raw_pixel(x: int, y: int, width: int, bpp: int, seed: int) -> int:
    """Value of raw pixel (x, y) in the test pattern (Bayer RGGB, colour-scaled ramps).

    Exposed so tests can check unpacked data against the definition.
    """
    black = raw_black_level(bpp)
    span = (1 << bpp) - 1 - black
    band = (y // RAW_BAND_ROWS + seed) % 8
    colour = (y & 1) * 2 + (x & 1)  # 0 R, 1 G, 2 G, 3 B
    gain = (4, 6, 6, 3)[colour]
    level = (x * span // max(1, width)) * gain // 8 + band * span // 32
    return black + min(span, level)


def _pack_msb(values: Sequence[int], bpp: int) -> bytes:
    bits = "".join(format(v, f"0{bpp}b") for v in values)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def swap16(data: bytes) -> bytes:
    """Swap every pair of bytes (CHDK's little-endian words ↔ DNG byte order)."""
    if len(data) % 2:
        raise ValueError("swap16 needs an even number of bytes")
    src = memoryview(data)
    out = bytearray(len(data))
    out[0::2] = src[1::2]
    out[1::2] = src[0::2]
    return bytes(out)


def _check_raw_geometry(width: int, height: int, bpp: int) -> None:
    if bpp not in _RAW_BPP:
        raise ValueError(f"raw bpp must be one of {_RAW_BPP}, not {bpp}")
    if width < 2 or height < 2 or width > 0xFFFF or height > 0xFFFF:
        raise ValueError(f"raw size {width}x{height} out of range")
    if (width * bpp) % 16:
        raise ValueError(f"raw row of {width} px at {bpp} bpp is not a whole number of words")


def make_chdk_raw(width: int, height: int, bpp: int = 12, *, seed: int) -> bytes:
    """CHDK's raw framebuffer: ``width·height·bpp/8`` bytes, packed as the camera holds it.

    Pixel values are :func:`raw_pixel`. Raises ValueError for a bpp other than 10/12/14/16 or
    a row that is not a whole number of 16-bit words.
    """
    _check_raw_geometry(width, height, bpp)
    rows: dict[tuple[int, int], bytes] = {}
    out: list[bytes] = []
    for y in range(height):
        key = ((y // RAW_BAND_ROWS + seed) % 8, y & 1)
        row = rows.get(key)
        if row is None:
            row = swap16(_pack_msb([raw_pixel(x, y, width, bpp, seed) for x in range(width)], bpp))
            rows[key] = row
        out.append(row)
    return b"".join(out)


# --------------------------------------------------------------------------------------------
# DNG (TIFF) — CHDK's layout: header, 128×96 RGB thumbnail, raw strip

DNG_THUMB_WIDTH = 128
DNG_THUMB_HEIGHT = 96
DNG_THUMB_SIZE = DNG_THUMB_WIDTH * DNG_THUMB_HEIGHT * 3

_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _SRATIONAL = 1, 2, 3, 4, 5, 10
_TYPE_SIZE = {_BYTE: 1, _ASCII: 1, _SHORT: 2, _LONG: 4, _RATIONAL: 8, _SRATIONAL: 8}
_Entry = tuple[int, int, Sequence[int] | bytes]
_COLOR_MATRIX = (32404, -15371, -4985, -9692, 18760, 415, 556, -2040, 10572)


def _pack_values(typ: int, values: Sequence[int] | bytes) -> tuple[int, bytes]:
    if typ in (_BYTE, _ASCII):
        raw = bytes(values)
        return len(raw), raw
    if typ == _SHORT:
        return len(values), struct.pack(f"<{len(values)}H", *values)
    if typ == _LONG:
        return len(values), struct.pack(f"<{len(values)}I", *values)
    if typ == _RATIONAL:
        return len(values) // 2, struct.pack(f"<{len(values)}I", *values)
    return len(values) // 2, struct.pack(f"<{len(values)}i", *values)


def _ifd(entries: list[_Entry], at: int, next_ifd: int = 0) -> bytes:
    """One TIFF IFD placed at file offset ``at``, followed by its out-of-line values."""
    entries = sorted(entries, key=lambda e: e[0])
    data_at = at + 2 + 12 * len(entries) + 4
    head = bytearray(struct.pack("<H", len(entries)))
    area = bytearray()
    for tag, typ, values in entries:
        count, raw = _pack_values(typ, values)
        if len(raw) <= 4:
            head += struct.pack("<HHI", tag, typ, count) + raw.ljust(4, b"\x00")
        else:
            head += struct.pack("<HHII", tag, typ, count, data_at + len(area))
            area += raw
            if len(area) % 2:
                area += b"\x00"
    head += struct.pack("<I", next_ifd)
    return bytes(head + area)


def _dng_header_at(
    width: int, height: int, bpp: int, model: str, thumb_off: int, raw_off: int
) -> bytes:
    ascii_model = model.encode("ascii", "replace") + b"\x00"
    white = (1 << bpp) - 1
    sub_entries: list[_Entry] = [
        (0x00FE, _LONG, [0]),  # NewSubFileType: main image
        (0x0100, _LONG, [width]),
        (0x0101, _LONG, [height]),
        (0x0102, _SHORT, [bpp]),
        (0x0103, _SHORT, [1]),  # no compression
        (0x0106, _SHORT, [32803]),  # PhotometricInterpretation: CFA
        (0x0111, _LONG, [raw_off]),
        (0x0115, _SHORT, [1]),
        (0x0116, _LONG, [height]),
        (0x0117, _LONG, [width * height * bpp // 8]),
        (0x011C, _SHORT, [1]),
        (0x828D, _SHORT, [2, 2]),  # CFARepeatPatternDim
        (0x828E, _BYTE, [0, 1, 1, 2]),  # CFAPattern RGGB
        (0xC61A, _LONG, [raw_black_level(bpp)]),  # BlackLevel
        (0xC61D, _LONG, [white]),  # WhiteLevel
    ]
    ifd0_entries: list[_Entry] = [
        (0x00FE, _LONG, [1]),  # NewSubFileType: reduced-resolution (thumbnail)
        (0x0100, _LONG, [DNG_THUMB_WIDTH]),
        (0x0101, _LONG, [DNG_THUMB_HEIGHT]),
        (0x0102, _SHORT, [8, 8, 8]),
        (0x0103, _SHORT, [1]),
        (0x0106, _SHORT, [2]),  # RGB
        (0x010F, _ASCII, b"Canon\x00"),
        (0x0110, _ASCII, ascii_model),
        (0x0111, _LONG, [thumb_off]),
        (0x0112, _SHORT, [1]),
        (0x0115, _SHORT, [3]),
        (0x0116, _LONG, [DNG_THUMB_HEIGHT]),
        (0x0117, _LONG, [DNG_THUMB_SIZE]),
        (0x011C, _SHORT, [1]),
        (0x0131, _ASCII, b"CHDK (simulated)\x00"),
        (0x014A, _LONG, [0]),  # SubIFDs, patched below
        (0xC612, _BYTE, [1, 3, 0, 0]),  # DNGVersion
        (0xC613, _BYTE, [1, 1, 0, 0]),  # DNGBackwardVersion
        (0xC614, _ASCII, b"Canon " + ascii_model),  # UniqueCameraModel
        # ColorMatrix1 (XYZ -> camera), an sRGB-like matrix x10000
        (0xC621, _SRATIONAL, [v for x in _COLOR_MATRIX for v in (x, 10000)]),
        (0xC65A, _SHORT, [21]),  # CalibrationIlluminant1: D65
    ]
    ifd0_len = len(_ifd(ifd0_entries, 8))
    sub_at = 8 + ifd0_len
    sub_at += sub_at % 2
    ifd0_entries = [e if e[0] != 0x014A else (0x014A, _LONG, [sub_at]) for e in ifd0_entries]
    ifd0 = _ifd(ifd0_entries, 8)
    body = b"II*\x00" + struct.pack("<I", 8) + ifd0
    body += b"\x00" * (sub_at - len(body))
    body += _ifd(sub_entries, sub_at)
    return body + b"\x00" * (-len(body) % 4)


def dng_header(
    width: int, height: int, bpp: int = 12, *, model: str = "PowerShot (simulated)"
) -> bytes:
    """The DNG header CHDK sends for ``CAPTURE_DNGHDR`` (no thumbnail, no raw data).

    IFD0 describes a 128×96 RGB thumbnail placed right after the header (its length is a
    multiple of 4); SubIFD0 the full ``width``×``height`` CFA strip right after the thumbnail,
    ``bpp`` bits per sample, MSB-first (i.e. CHDK raw with byte pairs swapped back).
    Raises ValueError for bad raw geometry.
    """
    _check_raw_geometry(width, height, bpp)
    size = len(_dng_header_at(width, height, bpp, model, 0, 0))
    return _dng_header_at(width, height, bpp, model, size, size + DNG_THUMB_SIZE)


def _thumbnail(seed: int) -> bytes:
    row = bytearray()
    for x in range(DNG_THUMB_WIDTH):
        y, cb, cr = _BARS[(x * 8 // DNG_THUMB_WIDTH + seed) % 8]
        r = y + (1402 * (cr - 128)) // 1000
        g = y - (344 * (cb - 128) + 714 * (cr - 128)) // 1000
        b = y + (1772 * (cb - 128)) // 1000
        row += bytes(max(0, min(255, c)) for c in (r, g, b))
    return bytes(row) * DNG_THUMB_HEIGHT


def make_dng(
    width: int, height: int, *, seed: int, bpp: int = 12, model: str = "PowerShot (simulated)"
) -> bytes:
    """A whole DNG as chdkptp assembles it: header, 128×96 RGB thumbnail, raw strip.

    The strip is :func:`make_chdk_raw` with byte pairs swapped (MSB-first packing).
    Raises ValueError for bad raw geometry.
    """
    header = dng_header(width, height, bpp, model=model)
    return header + _thumbnail(seed) + swap16(make_chdk_raw(width, height, bpp, seed=seed))

"""Live view: fetching CHDK GetDisplayData frames and decoding them into images.

What belongs here: :class:`LiveFrame` (one GetDisplayData payload: header, framebuffer
descriptors, palette, planes) with exact YUV→RGB decoding of every framebuffer type, palette
conversion for every palette type, margins, overlay compositing and Pillow images;
:func:`get_frame` / :func:`live_view_frame` (one CHDK GetDisplayData transaction) and the
paced :class:`LiveView` iterator.  The ``.lvdump`` file format is in :mod:`chdkptp.lvdump`.

Parsing needs only the standard library; images need the optional ``image`` extra (numpy and
Pillow, ``pip install 'chdkptp[image]'``), imported lazily.

Errors: :class:`~chdkptp.errors.UnsupportedProtocolError` for a live-view major version other
than 2 and for framebuffer types this library does not know (a newer camera may add them);
:class:`~chdkptp.errors.RemoteProtocolError` for a payload that breaks the format (truncated,
offsets or planes outside the payload, impossible sizes, a known type in the wrong plane or
below live view 2.2).  Asking for a plane the frame does not carry is a ``ValueError``.

The colour maths (fact sheet §3.4) is ``R = clip(((Y << 12) + V*5743 + 2048) >> 12)`` and so
on.  Because ``Y << 12`` is a multiple of 4096 this equals ``clip(Y + ((V*5743 + 2048) >> 12))``
exactly, so each channel is the luma plus a chroma offset shared by the pixels of a group: the
decoder looks the three offsets up once per group (a 64 Ki-entry table indexed by the U and V
bytes) and finishes with one add and one clip-table lookup per pixel and channel.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from chdkptp._generated._runtime import SpecDecodeError
from chdkptp._generated.chdk_codes import (
    ChdkCommand,
    FramebufferType,
    LcdAspectRatio,
    LiveViewFlags,
    LiveViewVersionMajor,
    LiveViewVersionMinor,
    PaletteType,
    Yuv8bBitmapGroup,
)
from chdkptp._generated.chdk_lv_frame import ChdkLvFrame
from chdkptp.errors import RemoteProtocolError, UnsupportedProtocolError
from chdkptp.ptp.chdk import supports

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL import Image

    from chdkptp.session import Response

    U8Array = npt.NDArray[np.uint8]

__all__ = [
    "DEFAULT_FLAGS",
    "Framebuffer",
    "LiveFrame",
    "LiveView",
    "get_frame",
    "live_view_frame",
    "request_flags",
]

log = logging.getLogger(__name__)

#: Flags chdkptp's ``lvdump`` sends (0x1D): viewport, bitmap, palette and opacity.  Only for a
#: camera with CHDK protocol 2.7+; :func:`request_flags` drops the opacity bit for older ones.
DEFAULT_FLAGS = (
    LiveViewFlags.VIEWPORT
    | LiveViewFlags.BITMAP
    | LiveViewFlags.PALETTE
    | LiveViewFlags.BITMAP_OPACITY
)

_EXTRA_HINT = "pip install 'chdkptp[image]'"
_YUV_TYPES = (FramebufferType.YUV8, FramebufferType.YUV8B, FramebufferType.YUV8C)
_BITMAP_TYPES = (FramebufferType.PAL8, FramebufferType.YUV8B, FramebufferType.YUV8C)
_DIGIC6_TYPES = (FramebufferType.YUV8B, FramebufferType.YUV8C, FramebufferType.OPACITY8)
#: First live-view minor version with the Digic 6 formats and the opacity plane (2.2).
_LV_DIGIC6 = int(LiveViewVersionMinor.DIGIC6)
#: Palette types this library decodes (every known one but NONE).
_PALETTE_TYPES = frozenset(int(p) for p in PaletteType if p is not PaletteType.NONE)
#: The 4 bytes (U, Y0, V, Y1) of a Digic 6 bitmap group that counts as transparent.
_CLEAR_GROUP = tuple(int(Yuv8bBitmapGroup.TRANSPARENT).to_bytes(4, "little"))
#: Biggest screen (margins + visible) accepted when building a canvas; real screens are < 2k.
_MAX_SCREEN = 16384
#: Alpha of the 2-bit alpha palettes (types 2-5), fact sheet §3.5.
_ALPHA_LUT = (128, 171, 214, 255)
#: The A540 playback palette chdkptp uses when a frame carries none (type-1 layout A, Y, U, V).
_DEFAULT_TYPE1_PALETTE = bytes.fromhex(
    "00000000"
    "ffe00000"
    "ff60ee62"
    "ffb90000"
    "7f000000"
    "ff7ea1b3"
    "ffccb85e"
    "ff5f0000"
    "ff94c55d"
    "ff8a50b0"
    "ff4b3dd4"
    "7f280000"
    "7f007be2"
    "ff300000"
    "ff690000"
    "ff000000"
)
#: Aspect ratio (width / height) of each ``LcdAspectRatio``; unknown values fall back to 4:3.
_ASPECTS = {
    LcdAspectRatio.ASPECT_4_3: 4 / 3,
    LcdAspectRatio.ASPECT_16_9: 16 / 9,
    LcdAspectRatio.ASPECT_3_2: 3 / 2,
}


# --------------------------------------------------------------------------------------------
# optional dependencies


def _np() -> Any:
    """numpy, or an ImportError naming the extra to install."""
    try:
        import numpy
    except ImportError as exc:
        raise ImportError(
            f"decoding live-view images needs numpy, from the 'image' extra: {_EXTRA_HINT}"
        ) from exc
    return numpy


def _pil_image() -> Any:
    """PIL.Image, or an ImportError naming the extra to install."""
    try:
        import PIL.Image
    except ImportError as exc:
        raise ImportError(
            f"live-view images need Pillow, from the 'image' extra: {_EXTRA_HINT}"
        ) from exc
    return PIL.Image


# --------------------------------------------------------------------------------------------
# the exact colour maths (fact sheet §3.4) and lookup tables


def _clip(v: int) -> int:
    return 0 if v < 0 else 255 if v > 255 else v


def yuv_to_rgb(y: int, u: int, v: int) -> tuple[int, int, int]:
    """One pixel with chdkptp's integer maths: Y 0..255, U and V signed -128..127."""
    return (
        _clip(((y << 12) + v * 5743 + 2048) >> 12),
        _clip(((y << 12) - u * 1411 - v * 2925 + 2048) >> 12),
        _clip(((y << 12) + u * 7258 + 2048) >> 12),
    )


_BIAS = 256  # added to every chroma offset so table indices stay unsigned


@cache
def _chroma_offsets(offset_128: bool) -> Any:
    """(65536, 3) uint16: biased R, G, B chroma offsets indexed by ``U byte << 8 | V byte``.

    ``offset_128``: bytes are unsigned with offset 128 (YUV8B); otherwise two's complement.
    """
    np = _np()
    b = np.arange(256, dtype=np.int32)
    c = b - 128 if offset_128 else np.where(b >= 128, b - 256, b)
    u = c[:, None]
    v = c[None, :]
    out = np.empty((256, 256, 3), dtype=np.uint16)
    out[..., 0] = np.broadcast_to(((v * 5743 + 2048) >> 12) + _BIAS, (256, 256))
    out[..., 1] = ((-u * 1411 - v * 2925 + 2048) >> 12) + _BIAS
    out[..., 2] = np.broadcast_to(((u * 7258 + 2048) >> 12) + _BIAS, (256, 256))
    out.setflags(write=False)
    return out.reshape(65536, 3)


@cache
def _clip_table() -> Any:
    """uint8 table: ``table[y + offset + _BIAS] == clip(y + offset)``."""
    np = _np()
    table = np.clip(np.arange(2 * _BIAS + 256, dtype=np.int32) - _BIAS, 0, 255).astype(np.uint8)
    table.setflags(write=False)
    return table


_LANE_DTYPES = {1: "<u2", 2: "<u4", 4: "<u8"}
_LANE_SPREAD = {1: 0x1, 2: 0x0001_0001, 4: 0x0001_0001_0001_0001}


@cache
def _lane_offsets(offset_128: bool, lanes: int) -> tuple[Any, Any, Any]:
    """Per channel, the biased chroma offset repeated in ``lanes`` 16-bit lanes of one word,
    indexed by ``U byte << 8 | V byte``: adding it to a word of ``lanes`` luma values offsets
    every pixel of a group at once."""
    np = _np()
    base = _chroma_offsets(offset_128)
    dtype = np.dtype(_LANE_DTYPES[lanes])
    out = []
    for c in range(3):
        table = base[:, c].astype(dtype) * dtype.type(_LANE_SPREAD[lanes])
        table.setflags(write=False)
        out.append(table)
    return out[0], out[1], out[2]


# --------------------------------------------------------------------------------------------
# palettes (fact sheet §3.5)


def _s8(b: int) -> int:
    return b - 256 if b >= 128 else b


def _clamp_s8(v: int) -> int:
    return -128 if v < -128 else 127 if v > 127 else v


def _nibble_entry(
    pal: bytes, pixel: int, order: str, alpha_lut: bool, grey_rule: bool, zero_clear: bool
) -> tuple[int, int, int, int]:
    """Types 1, 2, 4: two 4-bit indices into a 16-entry palette, components summed."""
    if zero_clear and pixel == 0:
        return (0, 0, 0, 0)
    i1, i2 = pixel & 0xF, pixel >> 4
    e1, e2 = pal[i1 * 4 : i1 * 4 + 4], pal[i2 * 4 : i2 * 4 + 4]
    if order == "ayuv":
        (a1, y1, u1, v1), (a2, y2, u2, v2) = e1, e2
    else:  # vuya
        (v1, u1, y1, a1), (v2, u2, y2, a2) = e1, e2
    a = (a1 + a2) >> 1
    alpha = _ALPHA_LUT[a & 3] if alpha_lut else a
    y = min(y1 + y2, 255)
    if grey_rule and i1 == 0:
        u = v = 0
    else:
        u = _clamp_s8(_s8(u1) + _s8(u2))
        v = _clamp_s8(_s8(v1) + _s8(v2))
    return (*yuv_to_rgb(y, u, v), alpha)


def _direct_entry(pal: bytes, pixel: int, alpha_shift: int) -> tuple[int, int, int, int]:
    """Types 3, 5: 256 entries V, U, Y, A; pixel 0 is transparent black."""
    if pixel == 0:
        return (0, 0, 0, 0)
    v, u, y, a = pal[pixel * 4 : pixel * 4 + 4]
    return (*yuv_to_rgb(y, _s8(u), _s8(v)), _ALPHA_LUT[(a >> alpha_shift) & 3])


def palette_rgba(palette_type: int, palette: bytes | None) -> list[tuple[int, int, int, int]]:
    """The 256 RGBA colours of a PAL8 bitmap for ``palette_type`` and the raw palette bytes.

    A missing palette or an unknown type gives chdkptp's built-in type-1 default palette.
    Pure Python, exact; raises ``RemoteProtocolError`` if ``palette`` is too short.
    """
    ptype = int(palette_type)
    if palette is None or not 1 <= ptype <= 5:
        ptype, palette = int(PaletteType.TYPE_1), _DEFAULT_TYPE1_PALETTE
    need = 1024 if ptype in (PaletteType.TYPE_3, PaletteType.TYPE_5) else 64
    if len(palette) < need:
        raise RemoteProtocolError(
            f"palette type {ptype} needs {need} bytes, the frame has {len(palette)}"
        )
    if ptype == PaletteType.TYPE_1:
        return [_nibble_entry(palette, p, "ayuv", False, True, False) for p in range(256)]
    if ptype == PaletteType.TYPE_2:
        return [_nibble_entry(palette, p, "ayuv", True, False, False) for p in range(256)]
    if ptype == PaletteType.TYPE_4:
        return [_nibble_entry(palette, p, "vuya", True, False, True) for p in range(256)]
    shift = 0 if ptype == PaletteType.TYPE_3 else 4
    return [_direct_entry(palette, p, shift) for p in range(256)]


@cache
def _palette_table(palette_type: int, palette: bytes | None) -> Any:
    np = _np()
    table = np.array(palette_rgba(palette_type, palette), dtype=np.uint8)
    table.setflags(write=False)
    return table


# --------------------------------------------------------------------------------------------
# framebuffers


def _group(fb_type: int) -> tuple[int, int]:
    """(bytes, pixels) of one pixel group; (0, 0) for unknown types."""
    if fb_type == FramebufferType.YUV8:
        return 6, 4
    if fb_type in (FramebufferType.YUV8B, FramebufferType.YUV8C):
        return 4, 2
    if fb_type in (FramebufferType.PAL8, FramebufferType.OPACITY8):
        return 1, 1
    return 0, 0


@dataclass(frozen=True)
class Framebuffer:
    """One plane of a frame as its descriptor describes it (fact sheet §3.3).

    ``data_offset`` is 0 when the plane was not sent (``present`` is False); ``buffer_width``
    is the row stride in pixels; ``margin_*`` place the visible area on the screen (they may
    be slightly negative).
    """

    name: str
    fb_type: FramebufferType
    data_offset: int
    buffer_width: int
    visible_width: int
    visible_height: int
    margin_left: int
    margin_top: int
    margin_right: int
    margin_bot: int

    @property
    def present(self) -> bool:
        """True if the frame carries this plane's pixels."""
        return self.data_offset != 0

    @property
    def known_type(self) -> bool:
        """True if this library can decode ``fb_type``."""
        return _group(self.fb_type)[0] != 0

    @property
    def row_bytes(self) -> int:
        """Row stride in bytes (YUV8: ``buffer_width * 12 // 8``)."""
        nbytes, npix = _group(self.fb_type)
        return self.buffer_width * nbytes // npix if npix else 0

    @property
    def size(self) -> int:
        """Bytes of the plane: ``row_bytes * visible_height``."""
        return self.row_bytes * self.visible_height

    @property
    def screen_width(self) -> int:
        """``margin_left + visible_width + margin_right``."""
        return self.margin_left + self.visible_width + self.margin_right

    @property
    def screen_height(self) -> int:
        """``margin_top + visible_height + margin_bot``."""
        return self.margin_top + self.visible_height + self.margin_bot

    @classmethod
    def _from_desc(cls, name: str, desc: ChdkLvFrame.LvFramebufferDesc) -> Framebuffer:
        return cls(
            name,
            FramebufferType.coerce(desc.fb_type),
            desc.ofs_data,
            desc.buffer_width,
            desc.visible_width,
            desc.visible_height,
            desc.margin_left,
            desc.margin_top,
            desc.margin_right,
            desc.margin_bot,
        )

    def _check(self, payload_len: int) -> None:
        """Validate geometry and bounds of a present plane of a known type."""
        if not self.present or not self.known_type:
            return
        if self.visible_width < 0 or self.visible_height < 0 or self.buffer_width < 0:
            raise RemoteProtocolError(
                f"{self.name}: negative size (buffer_width {self.buffer_width}, visible "
                f"{self.visible_width}x{self.visible_height})"
            )
        if self.visible_width > self.buffer_width:
            raise RemoteProtocolError(
                f"{self.name}: visible_width {self.visible_width} > buffer_width "
                f"{self.buffer_width}"
            )
        end = self.data_offset + max(self.size, self._last_row_end())
        if end > payload_len:
            raise RemoteProtocolError(
                f"{self.name}: {self.fb_type.name} plane at {self.data_offset} needs "
                f"{end - self.data_offset} bytes, the payload ends at {payload_len}"
            )

    def _groups(self) -> int:
        return -(-self.visible_width // _group(self.fb_type)[1])

    def _last_row_end(self) -> int:
        """Bytes from the plane start to the end of the last group read."""
        if self.visible_height == 0 or self.visible_width == 0:
            return 0
        return self.row_bytes * (self.visible_height - 1) + self._groups() * _group(self.fb_type)[0]

    def _rows(self, payload: bytes) -> Any:
        """(visible_height, groups * group_bytes) uint8 view of the decoded part of the plane."""
        np = _np()
        nbytes, _ = _group(self.fb_type)
        width = self._groups() * nbytes
        h, stride = self.visible_height, self.row_bytes
        if h == 0 or width == 0:
            return np.zeros((h, width), dtype=np.uint8)
        buf = np.frombuffer(payload, dtype=np.uint8)
        start = self.data_offset
        if width <= stride:
            return buf[start : start + h * stride].reshape(h, stride)[:, :width]
        # a last group wider than the stride (odd widths): copy rows one by one
        out = np.empty((h, width), dtype=np.uint8)
        for r in range(h):
            out[r] = buf[start + r * stride : start + r * stride + width]
        return out


# --------------------------------------------------------------------------------------------
# decoders


def _decode_yuv(fb: Framebuffer, payload: bytes, skip: bool) -> U8Array:
    """RGB (H, W, 3) of a YUV8 / YUV8B / YUV8C plane (W halved with ``skip``)."""
    nbytes = _group(fb.fb_type)[0]
    width = fb.visible_width // 2 if skip else fb.visible_width
    if width == 0 or fb.visible_height == 0:
        return _np().zeros((fb.visible_height, width, 3), dtype="u1")  # type: ignore[no-any-return]
    if fb._groups() * nbytes <= fb.row_bytes and fb.data_offset >= 2:
        return _decode_yuv_words(fb, payload, skip)
    return _decode_yuv_generic(fb, payload, skip)


class _Scratch(threading.local):
    """Per-thread work arrays, reused between frames of the same geometry (fresh large
    allocations cost a page fault per 4 KiB, more than the arithmetic itself)."""

    def __init__(self) -> None:
        self.arrays: dict[tuple[str, tuple[int, ...], str], Any] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: str) -> Any:
        key = (name, shape, dtype)
        arr = self.arrays.get(key)
        if arr is None:
            if len(self.arrays) > 64:
                self.arrays.clear()
            arr = self.arrays[key] = _np().empty(shape, dtype=dtype)
        return arr


_scratch = _Scratch()


def _decode_yuv_words(fb: Framebuffer, payload: bytes, skip: bool) -> U8Array:
    """Fast path: each pixel group read as one little-endian word, its luma bytes moved into
    16-bit lanes with shifts and masks, the chroma offsets added to all lanes of a group with
    one word addition, then clipped per 16-bit lane (fact sheet §3.4 maths, exact)."""
    np = _np()
    h, ng = fb.visible_height, fb._groups()
    shape = (h, ng)
    if fb.fb_type == FramebufferType.YUV8:
        # the 8 bytes ending at the group's last byte: ?, ?, U, Y0, V, Y1, Y2, Y3
        wt, nlanes = np.uint64, 2 if skip else 4
        src = np.ndarray(shape, "<u8", payload, fb.data_offset - 2, (fb.row_bytes, 6))
        u_shift, v_shift = 8, 32  # U to bits 8-15, V to bits 0-7
    else:
        # U, Y0, V, Y1
        wt, nlanes = np.uint32, 1 if skip else 2
        src = np.ndarray(shape, "<u4", payload, fb.data_offset, (fb.row_bytes, 4))
        u_shift, v_shift = -8, 16
    dt = np.dtype(wt).str
    x = _scratch.get("x", shape, dt)
    t = _scratch.get("t", shape, dt)
    index = _scratch.get("index", shape, dt)
    np.copyto(x, src)
    # index = U << 8 | V
    if u_shift > 0:
        np.right_shift(x, wt(u_shift), out=index)
    else:
        np.left_shift(x, wt(-u_shift), out=index)
    np.bitwise_and(index, wt(0xFF00), out=index)
    np.right_shift(x, wt(v_shift), out=t)
    np.bitwise_and(t, wt(0xFF), out=t)
    np.bitwise_or(index, t, out=index)
    # luma bytes into 16-bit lanes
    lanes = _scratch.get("lanes", shape, np.dtype(_LANE_DTYPES[nlanes]).str)
    if fb.fb_type == FramebufferType.YUV8:
        np.right_shift(x, wt(24), out=t)
        np.bitwise_and(t, wt(0x00FF_00FF), out=t)  # Y0, Y1
        if nlanes == 4:
            np.right_shift(x, wt(16), out=lanes)
            np.bitwise_and(lanes, wt(0xFF_0000_0000), out=lanes)  # Y2
            np.bitwise_or(lanes, t, out=lanes)
            np.right_shift(x, wt(8), out=t)
            np.bitwise_and(t, wt(0x00FF_0000_0000_0000), out=t)  # Y3
            np.bitwise_or(lanes, t, out=lanes)
        else:
            np.copyto(lanes, t, casting="unsafe")
    else:
        np.right_shift(x, wt(8), out=t)
        np.bitwise_and(t, wt(0x00FF_00FF if nlanes == 2 else 0xFF), out=t)
        np.copyto(lanes, t, casting="unsafe")
    idx = index.view(np.int64) if index.dtype.itemsize == 8 else index.astype(np.intp)
    tables = _lane_offsets(fb.fb_type == FramebufferType.YUV8B, nlanes)
    out = np.empty((h, ng * nlanes, 3), dtype=np.uint8)
    work = _scratch.get("work", shape, lanes.dtype.str)
    wide = work.view("<u2").reshape(h, ng * nlanes)
    for c in range(3):
        np.take(tables[c], idx, out=work, mode="clip")
        np.add(work, lanes, out=work)
        # clip each 16-bit lane to [_BIAS, _BIAS + 255]; the uint8 cast keeps value - _BIAS
        np.clip(wide, _BIAS, _BIAS + 255, out=wide)
        np.copyto(out[:, :, c], wide, casting="unsafe")
    width = fb.visible_width // 2 if skip else fb.visible_width
    if width != out.shape[1]:
        out = np.ascontiguousarray(out[:, :width])
    return out  # type: ignore[no-any-return]


def _decode_yuv_generic(fb: Framebuffer, payload: bytes, skip: bool) -> U8Array:
    """Any geometry (odd widths wider than the stride, empty planes): fancy indexing."""
    np = _np()
    nbytes = _group(fb.fb_type)[0]
    rows = fb._rows(payload)
    h = fb.visible_height
    groups = rows.reshape(h, -1, nbytes)
    if fb.fb_type == FramebufferType.YUV8:
        y_cols = [1, 3] if skip else [1, 3, 4, 5]
    else:
        y_cols = [1] if skip else [1, 3]
    luma = groups[:, :, y_cols]
    uv = (groups[:, :, 0].astype(np.uint16) << 8) | groups[:, :, 2]
    offsets = _chroma_offsets(fb.fb_type == FramebufferType.YUV8B)[uv]
    idx = luma[:, :, :, None] + offsets[:, :, None, :]
    rgb = _clip_table()[idx].reshape(h, -1, 3)
    width = fb.visible_width // 2 if skip else fb.visible_width
    return np.ascontiguousarray(rgb[:, :width])  # type: ignore[no-any-return]


def _decode_pal8(fb: Framebuffer, payload: bytes, table: Any, skip: bool) -> U8Array:
    rows = fb._rows(payload)
    if skip:
        rows = rows[:, 0 : (fb.visible_width // 2) * 2 : 2]
    return table[rows]  # type: ignore[no-any-return]


def _check_ranges(*values: int) -> None:
    for v in values:
        if not 0 < v <= _MAX_SCREEN:
            raise RemoteProtocolError(f"screen size {v} is outside 1..{_MAX_SCREEN}")


def _place(image: U8Array, fb: Framebuffer, par: int) -> U8Array:
    """``image`` (visible area) on a zero canvas of the plane's screen size (par: x divisor)."""
    np = _np()
    sw, sh = fb.screen_width // par, fb.screen_height
    _check_ranges(sw, sh)
    canvas = np.zeros((sh, sw, image.shape[2]), dtype=np.uint8)
    x0, y0 = fb.margin_left // par, fb.margin_top
    # negative margins crop the visible area
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    w = min(image.shape[1] - sx0, sw - dx0)
    h = min(image.shape[0] - sy0, sh - dy0)
    if w > 0 and h > 0:
        canvas[dy0 : dy0 + h, dx0 : dx0 + w] = image[sy0 : sy0 + h, sx0 : sx0 + w]
    return canvas  # type: ignore[no-any-return]


def _resize_nearest(image: U8Array, width: int, height: int) -> U8Array:
    """Nearest-neighbour resize with integer index maths (exact, no interpolation)."""
    np = _np()
    if image.shape[0] == height and image.shape[1] == width:
        return image
    ys = (np.arange(height) * image.shape[0]) // height
    xs = (np.arange(width) * image.shape[1]) // width
    return image[ys[:, None], xs[None, :]]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# the frame

_HEAD = struct.Struct("<ii")


class LiveFrame:
    """One GetDisplayData payload (a live-view frame), parsed; decoding is on demand.

    Build with :meth:`from_bytes`.  ``viewport``, ``bitmap`` and ``opacity`` are the
    :class:`Framebuffer` descriptors (``None`` when the frame has no such descriptor); a
    descriptor is present even when its pixels were not requested (``.present`` is False).
    """

    __slots__ = ("_frame", "bitmap", "opacity", "payload", "version", "viewport")

    payload: bytes
    version: tuple[int, int]
    viewport: Framebuffer | None
    bitmap: Framebuffer | None
    opacity: Framebuffer | None

    def __init__(self, payload: bytes) -> None:
        """Same as :meth:`from_bytes`."""
        payload = bytes(payload)
        if len(payload) < _HEAD.size:
            raise RemoteProtocolError(
                f"live-view frame of {len(payload)} bytes is shorter than its header"
            )
        major, minor = _HEAD.unpack_from(payload)
        if major != LiveViewVersionMajor.CURRENT:
            raise UnsupportedProtocolError(
                f"live-view protocol {major}.{minor} is not supported (this library reads "
                f"{int(LiveViewVersionMajor.CURRENT)}.x)",
                version=(major, minor),
            )
        try:
            frame = ChdkLvFrame.from_bytes(payload)
            vp, bm, bmo = frame.vp_desc, frame.bm_desc, frame.bmo_desc
        except SpecDecodeError as exc:
            raise RemoteProtocolError(f"malformed live-view frame: {exc}") from exc
        self._frame = frame
        self.payload = payload
        self.version = (major, minor)
        self.viewport = None if vp is None else Framebuffer._from_desc("viewport", vp)
        self.bitmap = None if bm is None else Framebuffer._from_desc("bitmap", bm)
        self.opacity = None if bmo is None else Framebuffer._from_desc("opacity", bmo)
        for fb in (self.viewport, self.bitmap, self.opacity):
            if fb is not None:
                fb._check(len(payload))
        if frame.header.ofs_palette and int(frame.header.palette_type) in _PALETTE_TYPES:
            try:
                frame.palette  # noqa: B018 - bounds check of the palette
            except SpecDecodeError as exc:
                raise RemoteProtocolError(f"malformed live-view frame: {exc}") from exc

    @classmethod
    def from_bytes(cls, payload: bytes | bytearray | memoryview) -> LiveFrame:
        """Parse a GetDisplayData data phase (offsets count from its byte 0).

        Raises ``UnsupportedProtocolError`` for a live-view major version other than 2 and
        ``RemoteProtocolError`` for a truncated header or descriptors / planes / palette
        outside the payload.
        """
        return cls(bytes(payload))

    def __repr__(self) -> str:
        parts = [f"lv {self.version[0]}.{self.version[1]}"]
        for fb in (self.viewport, self.bitmap, self.opacity):
            if fb is not None and fb.present:
                parts.append(f"{fb.name} {fb.fb_type.name} {fb.visible_width}x{fb.visible_height}")
        return f"<LiveFrame {', '.join(parts)}>"

    # --- header fields --------------------------------------------------------------------

    @property
    def header(self) -> ChdkLvFrame.LvDataHeader:
        """The generated ``LvDataHeader`` (offsets, palette type, aspect)."""
        return self._frame.header

    @property
    def lcd_aspect_ratio(self) -> LcdAspectRatio:
        """The physical screen's aspect ratio code."""
        return self._frame.header.lcd_aspect_ratio

    @property
    def aspect(self) -> float:
        """Screen width / height for ``lcd_aspect_ratio`` (unknown values: 4/3, as chdkptp)."""
        return _ASPECTS.get(self.lcd_aspect_ratio, 4 / 3)

    @property
    def palette_type(self) -> PaletteType:
        """The palette type of the header (NONE when no palette was sent)."""
        return self._frame.header.palette_type

    @property
    def palette(self) -> bytes | None:
        """The raw palette bytes, or None if the frame has no palette."""
        if not (self._frame.header.ofs_palette and int(self.palette_type) in _PALETTE_TYPES):
            return None
        return self._frame.palette

    @property
    def has_viewport(self) -> bool:
        """True if the frame carries viewport pixels."""
        return self.viewport is not None and self.viewport.present

    @property
    def has_bitmap(self) -> bool:
        """True if the frame carries bitmap (overlay) pixels."""
        return self.bitmap is not None and self.bitmap.present

    @property
    def has_opacity(self) -> bool:
        """True if the frame carries a Digic 6 opacity plane."""
        return self.opacity is not None and self.opacity.present

    def _plane(self, fb: Framebuffer | None, what: str, allowed: tuple[int, ...]) -> Framebuffer:
        if fb is None or not fb.present:
            raise ValueError(f"the frame carries no {what} data (request it with LiveViewFlags)")
        if not fb.known_type:
            raise UnsupportedProtocolError(
                f"{what}: unknown framebuffer type {int(fb.fb_type)} (lv "
                f"{self.version[0]}.{self.version[1]})"
            )
        if fb.fb_type not in allowed:
            raise RemoteProtocolError(f"{what}: framebuffer type {fb.fb_type.name} is not valid")
        if fb.fb_type in _DIGIC6_TYPES and self.version[1] < _LV_DIGIC6:
            raise RemoteProtocolError(
                f"{what}: {fb.fb_type.name} needs live view 2.2, the frame is "
                f"{self.version[0]}.{self.version[1]}"
            )
        return fb

    def display_size(self, par: int = 2) -> tuple[int, int]:
        """Viewport display size as chdkptp's GUI scales it (fact sheet §3.4).

        Width = screen width (margins + visible) / ``par`` (pixel aspect, 2 by default);
        height = width / the LCD aspect ratio.
        """
        if par < 1:
            raise ValueError("par must be >= 1")
        vp = self._plane(self.viewport, "viewport", _YUV_TYPES)
        width = vp.screen_width // par
        _check_ranges(width)
        return width, max(1, round(width / self.aspect))

    # --- decoding -------------------------------------------------------------------------

    def viewport_rgb(self, skip: bool = False, *, margins: bool = False) -> U8Array:
        """The live image as numpy uint8 (H, W, 3), top-down, chdkptp's exact integer maths.

        ``skip``: 1:2 horizontal sampling (YUV8 keeps Y0 and Y1 of each group, YUV8B/C keep
        Y0), width ``visible_width // 2``, how chdkptp shows most viewports.  ``margins``:
        place the visible area on a black canvas of the screen size (margins included,
        divided by 2 horizontally with ``skip``).  Raises ``ValueError`` if the frame has no
        viewport pixels, the errors of the module docstring, and ``ImportError`` without numpy.
        """
        vp = self._plane(self.viewport, "viewport", _YUV_TYPES)
        rgb = _decode_yuv(vp, self.payload, skip)
        return _place(rgb, vp, 2 if skip else 1) if margins else rgb

    def bitmap_rgba(self, skip: bool = False, *, margins: bool = False) -> U8Array:
        """The UI overlay as numpy uint8 (H, W, 4), top-down.

        PAL8 bitmaps use the frame's palette (every palette type; no palette: chdkptp's
        built-in type-1 default).  Digic 6 YUV8B bitmaps take alpha from the opacity plane
        when it was sent, else a group ``80 00 80 00`` is transparent and anything else
        opaque.  ``skip`` keeps every other pixel; ``margins`` as in :meth:`viewport_rgb`.
        Decodes the received payload only (no camera traffic).  Raises ``ValueError`` when
        the frame has no bitmap, ``UnsupportedProtocolError`` / ``RemoteProtocolError`` for
        a framebuffer type that cannot be a bitmap, ``ImportError`` without numpy (the
        ``image`` extra).
        """
        np = _np()
        bm = self._plane(self.bitmap, "bitmap", _BITMAP_TYPES)
        if bm.fb_type == FramebufferType.PAL8:
            table = _palette_table(int(self.palette_type), self.palette)
            rgba = _decode_pal8(bm, self.payload, table, skip)
        else:
            rgb = _decode_yuv(bm, self.payload, skip)
            h, w = rgb.shape[:2]
            alpha = self._bitmap_alpha(bm, skip, w) if h and w else 0
            rgba = np.empty((h, w, 4), dtype=np.uint8)
            rgba[..., :3] = rgb
            rgba[..., 3] = alpha
        return _place(rgba, bm, 2 if skip else 1) if margins else rgba

    def _bitmap_alpha(self, bm: Framebuffer, skip: bool, width: int) -> Any:
        np = _np()
        if self.has_opacity:
            op = self._plane(self.opacity, "opacity", (FramebufferType.OPACITY8,))
            if (op.visible_width, op.visible_height) != (bm.visible_width, bm.visible_height):
                raise RemoteProtocolError(
                    f"opacity plane {op.visible_width}x{op.visible_height} does not match "
                    f"the bitmap {bm.visible_width}x{bm.visible_height}"
                )
            rows = op._rows(self.payload)
            return rows[:, 0 : width * 2 : 2] if skip else rows[:, :width]
        groups = bm._rows(self.payload).reshape(bm.visible_height, -1, 4)
        clear = (
            (groups[..., 0] == _CLEAR_GROUP[0])
            & (groups[..., 1] == _CLEAR_GROUP[1])
            & (groups[..., 2] == _CLEAR_GROUP[2])
            & (groups[..., 3] == _CLEAR_GROUP[3])
        )
        alpha = np.where(clear, np.uint8(0), np.uint8(255)).astype(np.uint8)
        if not skip:
            alpha = np.repeat(alpha, 2, axis=1)
        return alpha[:, :width]

    def composite(self, size: tuple[int, int] | None = None) -> U8Array:
        """The bitmap alpha-blended over the viewport, numpy uint8 (H, W, 3).

        Both planes are placed on their screens (margins included) and scaled with
        nearest-neighbour sampling to one canvas: ``size`` = (width, height), default the
        bitmap's screen (the UI's pixel grid, e.g. 720x240 on a 4:3 Digic 4 camera), or the
        viewport's screen without a bitmap.  A missing viewport shows black.  Blending is
        ``(bm * a + vp * (255 - a) + 127) // 255`` per channel.  No camera traffic.  Raises
        what :meth:`viewport_rgb` / :meth:`bitmap_rgba` raise (``ValueError`` for a frame
        with neither plane or a bad ``size``, ``RemoteProtocolError``, ``ImportError``).
        """
        np = _np()
        vp_screen = self.viewport_rgb(margins=True) if self.has_viewport else None
        bm_screen = self.bitmap_rgba(margins=True) if self.has_bitmap else None
        if size is None:
            ref = bm_screen if bm_screen is not None else vp_screen
            if ref is None:
                raise ValueError("the frame carries neither viewport nor bitmap data")
            size = (ref.shape[1], ref.shape[0])
        width, height = size
        if width <= 0 or height <= 0:
            raise ValueError(f"bad canvas size {size}")
        if vp_screen is None:
            base = np.zeros((height, width, 3), dtype=np.uint8)
        else:
            base = _resize_nearest(vp_screen, width, height)
        if bm_screen is None:
            return np.ascontiguousarray(base)  # type: ignore[no-any-return]
        over = _resize_nearest(bm_screen, width, height)
        a = over[..., 3:4].astype(np.uint16)
        mixed = (over[..., :3] * a + base * (255 - a) + 127) // 255
        return mixed.astype(np.uint8)  # type: ignore[no-any-return]

    def to_image(
        self, *, overlay: bool = True, skip: bool = False, aspect: bool = False
    ) -> Image.Image:
        """A Pillow RGB image of the frame.

        With ``overlay`` and a bitmap in the frame: :meth:`composite` (bitmap screen size);
        otherwise the viewport (``skip`` as in :meth:`viewport_rgb`, margins included).
        ``aspect`` resizes the height so the picture has the LCD's aspect ratio.  No camera
        traffic.  Raises ``ImportError`` without Pillow/numpy (the ``image`` extra),
        ``ValueError`` for a frame with no viewport and no bitmap, what :meth:`composite`
        raises.
        """
        image_mod = _pil_image()
        if overlay and self.has_bitmap:
            arr = self.composite()
        elif self.has_viewport:
            arr = self.viewport_rgb(skip, margins=True)
        else:
            arr = self.composite()
        img = image_mod.fromarray(arr, "RGB")
        if aspect:
            height = max(1, round(img.width / self.aspect))
            img = img.resize((img.width, height), image_mod.Resampling.NEAREST)
        return img  # type: ignore[no-any-return]

    def save_png(
        self, path: str | Path, *, overlay: bool = True, skip: bool = False, aspect: bool = False
    ) -> None:
        """Write :meth:`to_image` as a PNG file."""
        self.to_image(overlay=overlay, skip=skip, aspect=aspect).save(Path(path), "PNG")


# --------------------------------------------------------------------------------------------
# fetching


class _ChdkCamera(Protocol):
    """What :func:`get_frame` needs from a camera: ``Camera.chdk`` (one CHDK sub-command)."""

    def chdk(
        self, command: ChdkCommand, *params: int, timeout: float | None = None
    ) -> Response: ...


def request_flags(
    viewport: bool = True, bitmap: bool = False, palette: bool | None = None, *,
    chdk_version: tuple[int, int] | None = None,
) -> LiveViewFlags:
    """GetDisplayData flags for the planes wanted (``palette=None`` follows ``bitmap``).

    With ``bitmap``, the opacity plane (``BITMAP_OPACITY``, live view 2.2) is asked for only
    when ``chdk_version`` (the camera's CHDK PTP protocol) is 2.7 or newer; older or unknown
    versions never get the flag.
    """
    flags = LiveViewFlags(0)
    if viewport:
        flags |= LiveViewFlags.VIEWPORT
    if bitmap:
        flags |= LiveViewFlags.BITMAP
        if chdk_version is not None and supports(chdk_version, "live_view_2_2"):
            flags |= LiveViewFlags.BITMAP_OPACITY
    if bitmap if palette is None else palette:
        flags |= LiveViewFlags.PALETTE
    return flags


def get_payload(cam: _ChdkCamera, flags: int, timeout: float | None = None) -> bytes:
    """Run CHDK GetDisplayData with ``flags`` and return the raw frame bytes.

    Uses ``cam.chdk(ChdkCommand.GET_DISPLAY_DATA, flags)``; p1 of the response is the frame
    size.  Raises ``RemoteProtocolError`` for a missing or short data phase, the
    ``ResponseError`` subclasses (GeneralError when the camera cannot produce a frame),
    ``UnsupportedProtocolError`` for a camera without live view, and transport errors.
    """
    resp = cam.chdk(ChdkCommand.GET_DISPLAY_DATA, int(flags), timeout=timeout)
    if resp.data is None:
        raise RemoteProtocolError("GetDisplayData returned no data phase")
    data = bytes(resp.data)
    if resp.params:
        size = int(resp.params[0])
        if size > len(data):
            raise RemoteProtocolError(f"GetDisplayData announced {size} bytes but sent {len(data)}")
        if 0 < size < len(data):
            data = data[:size]
    return data


def get_frame(
    cam: _ChdkCamera, flags: int = LiveViewFlags.VIEWPORT, timeout: float | None = None
) -> LiveFrame:
    """One live-view frame: CHDK GetDisplayData with ``flags`` (``LiveViewFlags``), parsed.

    Errors as :func:`get_payload` and :meth:`LiveFrame.from_bytes`.
    """
    return LiveFrame.from_bytes(get_payload(cam, flags, timeout))


def live_view_frame(
    cam: _ChdkCamera,
    viewport: bool = True,
    bitmap: bool = False,
    palette: bool | None = None,
    *,
    timeout: float | None = None,
) -> LiveFrame:
    """``Camera.live_view_frame``: one frame with the planes asked for (CHDK GetDisplayData).

    ``bitmap`` also requests the Digic 6 opacity plane when the camera's protocol has it
    (2.7+); ``palette`` defaults to ``bitmap``.  Raises what :func:`get_frame` raises.
    """
    flags = request_flags(viewport, bitmap, palette, chdk_version=_version_of(cam))
    return get_frame(cam, flags, timeout)


def _version_of(cam: object) -> tuple[int, int] | None:
    version = getattr(cam, "chdk_version", None)
    if isinstance(version, tuple) and len(version) == 2:
        return (int(version[0]), int(version[1]))
    return None


class LiveView:
    """Paced stream of live-view frames (``Camera.live_view``); iterate to get frames.

    Each frame is one CHDK GetDisplayData.  ``fps`` caps the request rate (``None``: as fast
    as the camera answers); when a frame is late the schedule restarts from now instead of
    bursting.  ``achieved_fps`` reports the rate over the last ``window`` frames.  Stops
    after ``max_frames`` frames if given, or when :meth:`close` is called.  ``raw=True``
    yields the payload bytes instead of :class:`LiveFrame` (cheapest for recording).
    """

    def __init__(
        self,
        cam: _ChdkCamera,
        *,
        fps: float | None = 10.0,
        flags: int | None = None,
        viewport: bool = True,
        bitmap: bool = False,
        palette: bool | None = None,
        max_frames: int | None = None,
        timeout: float | None = None,
        window: int = 30,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if fps is not None and not fps > 0:
            raise ValueError("fps must be > 0 or None")
        if window < 2:
            raise ValueError("window must be >= 2")
        self.cam = cam
        if flags is None:
            flags = request_flags(viewport, bitmap, palette, chdk_version=_version_of(cam))
        self.flags = int(flags)
        self.fps = fps
        self.max_frames = max_frames
        self.timeout = timeout
        self.frames = 0
        self._clock = clock
        self._sleep = sleep
        self._times: deque[float] = deque(maxlen=window)
        self._next: float | None = None
        self._closed = False

    @property
    def achieved_fps(self) -> float:
        """Frames per second over the recent window (0.0 before two frames)."""
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def close(self) -> None:
        """Stop the iteration (the next ``next()`` raises StopIteration)."""
        self._closed = True

    def __enter__(self) -> LiveView:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> LiveView:
        return self

    def _pace(self) -> None:
        if self.fps is None:
            return
        period = 1.0 / self.fps
        now = self._clock()
        if self._next is None or now > self._next + period:
            self._next = now  # first frame, or more than a period late: restart the schedule
        elif now < self._next:
            self._sleep(self._next - now)
        self._next += period

    def next_payload(self) -> bytes:
        """The next frame's raw payload (paced); ``StopIteration`` when done.

        One CHDK GetDisplayData (:func:`get_payload`).  Raises what :func:`get_payload`
        raises (``UnsupportedProtocolError``, ``ResponseError``, ``RemoteProtocolError``,
        transport errors).
        """
        if self._closed or (self.max_frames is not None and self.frames >= self.max_frames):
            raise StopIteration
        self._pace()
        data = get_payload(self.cam, self.flags, self.timeout)
        self.frames += 1
        self._times.append(self._clock())
        return data

    def __next__(self) -> LiveFrame:
        return LiveFrame.from_bytes(self.next_payload())

    def payloads(self) -> Iterator[bytes]:
        """Iterate over raw payloads instead of parsed frames."""
        while True:
            try:
                yield self.next_payload()
            except StopIteration:
                return

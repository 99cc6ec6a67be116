"""Live-view frames of the simulated camera (CHDK ``GetDisplayData`` payloads, lv 2.0–2.2).

What belongs here: the frame layout CHDK's ``live_view.c`` produces (header, descriptors,
palette, viewport data, bitmap data, opacity data, in that order, offsets from byte 0 of the
payload) and a moving test pattern.  The PTP side (sub-command 12, the response's p1) is the
responder's job.

Displays (sizes chosen to look like real cameras; the pre-Digic-6 numbers are those of a real
SX160 IS frame):

``"yuv411"`` (pre-Digic-6, default lv 2.1)
    viewport YUV8 ("UYVYYY", signed U/V) 720×240, buffer_width 720; bitmap PAL8 720×240 with
    buffer_width 960; palette type 3 (256 entries V, U, Y, A); LCD 4:3.
``"yuv422"`` / ``"yuv422c"`` (Digic 6, default lv 2.2)
    viewport YUV8B (UYVY, U/V offset by 128) or YUV8C (UYVY, signed U/V) 640×480; bitmap YUV8B
    640×480 plus an OPACITY8 plane; no palette; LCD 4:3.

The pattern (documented by :func:`viewport_pattern` and :func:`bitmap_pattern`, which tests use
as the definition) moves with the camera clock: 4 px to the left every 10 ms and one row up
every 40 ms, so frames taken at different times differ.  Frames are built from pre-computed
rows by slicing, so no per-pixel work happens per frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chdkptp._generated.chdk_codes import (
    FramebufferType,
    LcdAspectRatio,
    LiveViewFlags,
    LiveViewVersionMajor,
    LiveViewVersionMinor,
    PaletteType,
    Yuv8bBitmapGroup,
)
from chdkptp._generated.chdk_lv_frame import ChdkLvFrame
from chdkptp.sim.clock import SimClock

log = logging.getLogger(__name__)

__all__ = [
    "BAR_UV",
    "DISPLAYS",
    "FbGeometry",
    "LiveViewSource",
    "bitmap_colour",
    "bitmap_pattern",
    "palette_bytes",
    "pattern_shift",
    "viewport_pattern",
]

#: Horizontal period of the viewport pattern in pixels (8 bars of 32 px).
PATTERN_PERIOD = 256
BAR_WIDTH = 32
BAND_HEIGHT = 16
BANDS = 16
#: (U, V) of the eight viewport bars, signed chroma.
BAR_UV = ((0, 0), (-80, 20), (40, -90), (-50, -60), (60, 70), (-20, 100), (100, -30), (0, 0))
#: The moving box of the bitmap overlay.
BOX_SIZE = 32
BOX_TOP = 104
BORDER = 2


@dataclass(frozen=True)
class FbGeometry:
    """One framebuffer as the descriptor describes it."""

    fb_type: int
    buffer_width: int
    visible_width: int
    visible_height: int
    margin_left: int = 0
    margin_top: int = 0
    margin_right: int = 0
    margin_bot: int = 0

    @property
    def size(self) -> int:
        """Bytes of this plane in a frame (CHDK-lv.c sizes)."""
        return self.buffer_width * self.visible_height * _bytes_per_px_x2(self.fb_type) // 2


def _bytes_per_px_x2(fb_type: int) -> int:
    """Twice the bytes per pixel of a framebuffer type (YUV8 is 1.5 bytes/px)."""
    if fb_type == FramebufferType.YUV8:
        return 3
    if fb_type in (FramebufferType.YUV8B, FramebufferType.YUV8C):
        return 4
    return 2  # PAL8, OPACITY8


@dataclass(frozen=True)
class _Display:
    aspect: int
    viewport: FbGeometry
    bitmap: FbGeometry
    opacity: FbGeometry | None
    palette_type: int
    lv_version: tuple[int, int]


_LV_MAJOR = int(LiveViewVersionMajor.CURRENT)
_LV_2_1 = (_LV_MAJOR, int(LiveViewVersionMinor.PALETTE_TYPE_4))
_LV_2_2 = (_LV_MAJOR, int(LiveViewVersionMinor.DIGIC6))
#: U, Y0, V, Y1 of a transparent Digic 6 bitmap group (sent without an opacity plane).
_CLEAR_GROUP = int(Yuv8bBitmapGroup.TRANSPARENT).to_bytes(4, "little")

#: Palette types the simulator can send (every known one, NONE included).
_PALETTE_TYPES = frozenset(int(p) for p in PaletteType)

DISPLAYS: dict[str, _Display] = {
    "yuv411": _Display(
        aspect=LcdAspectRatio.ASPECT_4_3,
        viewport=FbGeometry(FramebufferType.YUV8, 720, 720, 240),
        bitmap=FbGeometry(FramebufferType.PAL8, 960, 720, 240),
        opacity=None,
        palette_type=PaletteType.TYPE_3,
        lv_version=_LV_2_1,
    ),
    "yuv422": _Display(
        aspect=LcdAspectRatio.ASPECT_4_3,
        viewport=FbGeometry(FramebufferType.YUV8B, 640, 640, 480),
        bitmap=FbGeometry(FramebufferType.YUV8B, 640, 640, 480),
        opacity=FbGeometry(FramebufferType.OPACITY8, 640, 640, 480),
        palette_type=PaletteType.NONE,
        lv_version=_LV_2_2,
    ),
    "yuv422c": _Display(
        aspect=LcdAspectRatio.ASPECT_4_3,
        viewport=FbGeometry(FramebufferType.YUV8C, 640, 640, 480),
        bitmap=FbGeometry(FramebufferType.YUV8B, 640, 640, 480),
        opacity=FbGeometry(FramebufferType.OPACITY8, 640, 640, 480),
        palette_type=PaletteType.NONE,
        lv_version=_LV_2_2,
    ),
}

# --------------------------------------------------------------------------------------------
# the pattern (the definition tests check against)


def pattern_shift(t_ms: int) -> tuple[int, int]:
    """(horizontal shift in px, vertical shift in rows) of the pattern at camera time t_ms."""
    return (t_ms // 10) * 4, t_ms // 40


def viewport_pattern(x: int, y: int, t_ms: int, seed: int = 0) -> tuple[int, int, int]:
    """(Y 0..255, U −128..127, V −128..127) of viewport pixel (x, y) at camera time t_ms.

    Eight vertical colour bars 32 px wide with a luma ramp inside each bar, in 16 horizontal
    brightness bands of 16 rows; U/V are constant over aligned groups of 4 pixels.
    """
    dx, dy = pattern_shift(t_ms)
    px = (x + dx + seed * BAR_WIDTH) % PATTERN_PERIOD
    band = ((y + dy) // BAND_HEIGHT) % BANDS
    u, v = BAR_UV[px // BAR_WIDTH]
    return 16 + (px % BAR_WIDTH) * 4 + band * 4, u, v


def bitmap_pattern(x: int, y: int, t_ms: int, visible_width: int, visible_height: int) -> int:
    """Overlay colour index (0 transparent, 1 white border, 2 red moving box) of pixel (x, y).

    Pixels right of ``visible_width`` (the buffer padding) are 0.
    """
    if x >= visible_width or y >= visible_height:
        return 0
    if x < BORDER or y < BORDER or x >= visible_width - BORDER or y >= visible_height - BORDER:
        return 1
    box_x = BORDER + (t_ms // 20 * 2) % max(2, visible_width - BOX_SIZE - 2 * BORDER)
    if box_x <= x < box_x + BOX_SIZE and BOX_TOP <= y < BOX_TOP + BOX_SIZE:
        return 2
    return 0


#: (Y, U, V, alpha 0..3) of the overlay colours; index 0 is transparent.
_OVERLAY = ((0, 0, 0, 0), (235, 0, 0, 3), (82, -38, 110, 3), (145, -54, -34, 3), (41, 110, -18, 3))


def bitmap_colour(index: int) -> tuple[int, int, int, int]:
    """(Y, U, V, alpha level 0..3) of palette entry ``index`` (beyond the named ones: a grey
    ramp)."""
    if index < len(_OVERLAY):
        return _OVERLAY[index]
    return (index, 0, 0, 3)


def _s8(v: int) -> int:
    return v & 0xFF


def palette_bytes(palette_type: int) -> bytes:
    """The palette the simulated camera sends for ``palette_type`` (layouts of fact sheet §3.5).

    Types 1, 2 (16 entries A, Y, U, V), 3 (256 entries V, U, Y, A; alpha in A & 3),
    4 (16 entries V, U, Y, A), 5 (256 entries V, U, Y, A; alpha in (A >> 4) & 3). Type 0 → b"".
    """
    pt = PaletteType.coerce(palette_type)
    if pt == PaletteType.NONE:
        return b""
    out = bytearray()
    count = 256 if pt in (PaletteType.TYPE_3, PaletteType.TYPE_5) else 16
    for i in range(count):
        y, u, v, a = bitmap_colour(i)
        if pt in (PaletteType.TYPE_1, PaletteType.TYPE_2):
            out += bytes((a * 85, y, _s8(u), _s8(v)))
        elif pt == PaletteType.TYPE_5:
            out += bytes((_s8(v), _s8(u), y, a << 4))
        elif pt in (PaletteType.TYPE_3, PaletteType.TYPE_4):
            out += bytes((_s8(v), _s8(u), y, a))
        else:
            raise ValueError(f"unknown palette type {palette_type}")
    return bytes(out)


# --------------------------------------------------------------------------------------------
# packing of header and descriptors: the only place that knows the field order


def _header_bytes(
    minor: int, aspect: int, palette_type: int, palette: int, vp: int, bm: int, bmo: int
) -> bytes:
    return ChdkLvFrame.LvDataHeader(
        version_major=_LV_MAJOR,
        version_minor=minor,
        lcd_aspect_ratio=aspect,
        palette_type=palette_type,
        ofs_palette=palette,
        ofs_vp_desc=vp,
        ofs_bm_desc=bm,
        ofs_bmo_desc=bmo if minor >= _LV_2_2[1] else None,
    ).to_bytes()


def _desc_bytes(g: FbGeometry, data_start: int) -> bytes:
    return ChdkLvFrame.LvFramebufferDesc(
        fb_type=g.fb_type,
        ofs_data=data_start,
        buffer_width=g.buffer_width,
        visible_width=g.visible_width,
        visible_height=g.visible_height,
        margin_left=g.margin_left,
        margin_top=g.margin_top,
        margin_right=g.margin_right,
        margin_bot=g.margin_bot,
    ).to_bytes()


_DESC_SIZE = 36


# --------------------------------------------------------------------------------------------
# pixel encoding


def _encode_yuv_row(fb_type: int, pixels: list[tuple[int, int, int]]) -> bytes:
    """Encode a row of (Y, U, V) pixels; len(pixels) must be a multiple of the group size."""
    out = bytearray()
    if fb_type == FramebufferType.YUV8:
        for i in range(0, len(pixels), 4):
            (y0, u, v), (y1, _, _), (y2, _, _), (y3, _, _) = pixels[i : i + 4]
            out += bytes((_s8(u), y0, _s8(v), y1, y2, y3))
    else:
        offset = 128 if fb_type == FramebufferType.YUV8B else 0
        for i in range(0, len(pixels), 2):
            (y0, u, v), (y1, _, _) = pixels[i : i + 2]
            out += bytes(((u + offset) & 0xFF, y0, (v + offset) & 0xFF, y1))
    return bytes(out)


class LiveViewSource:
    """Builds GetDisplayData payloads for one simulated display.

    ``display`` is ``"yuv411"``, ``"yuv422"`` or ``"yuv422c"``; ``lv_version`` defaults to
    (2, 1) for yuv411 and (2, 2) for the Digic 6 displays; ``palette_type`` (yuv411 only)
    overrides the default type 3.  Raises ValueError for an unknown display, a major version
    other than 2, Digic 6 formats below lv 2.2 or palette type 4 below lv 2.1.
    """

    def __init__(
        self,
        clock: SimClock,
        *,
        display: str = "yuv411",
        lv_version: tuple[int, int] | None = None,
        seed: int = 0,
        palette_type: int | None = None,
    ) -> None:
        if display not in DISPLAYS:
            raise ValueError(f"unknown display {display!r}; one of {sorted(DISPLAYS)}")
        spec = DISPLAYS[display]
        version = lv_version if lv_version is not None else spec.lv_version
        major, minor = version
        if major != _LV_MAJOR or minor < 0:
            raise ValueError(f"live-view protocol {major}.{minor} is not a 2.x version")
        if spec.opacity is not None and minor < _LV_2_2[1]:
            raise ValueError(f"display {display!r} (Digic 6 formats) needs live view 2.2")
        if palette_type is not None:
            if spec.opacity is not None:
                raise ValueError("Digic 6 displays have no palette")
            palette_type = int(PaletteType.coerce(palette_type))
            if palette_type not in _PALETTE_TYPES:
                raise ValueError(f"unknown palette type {palette_type}")
        else:
            palette_type = spec.palette_type
        if palette_type == PaletteType.TYPE_4 and minor < _LV_2_1[1]:
            raise ValueError("palette type 4 needs live view 2.1")
        self.clock = clock
        self.display = display
        self.lv_version = (major, minor)
        self.seed = seed
        self.aspect = spec.aspect
        self.viewport = spec.viewport
        self.bitmap = spec.bitmap
        self.opacity = spec.opacity
        self.palette_type = palette_type
        self._palette = palette_bytes(palette_type)
        self._header_size = len(_header_bytes(minor, 0, 0, 0, 0, 0, 0))  # 28, 32 from 2.2
        self._vp_rows = self._precompute_viewport()

    # -- pre-computation -------------------------------------------------------------------

    def _precompute_viewport(self) -> list[bytes]:
        """Per band, one long encoded row covering every horizontal shift of the pattern."""
        g = self.viewport
        width = g.buffer_width + PATTERN_PERIOD
        rows = []
        for band in range(BANDS):
            y = band * BAND_HEIGHT
            pixels = [viewport_pattern(x, y, 0, 0) for x in range(width)]
            rows.append(_encode_yuv_row(g.fb_type, pixels))
        return rows

    # -- planes ----------------------------------------------------------------------------

    def _viewport_data(self, t_ms: int) -> bytes:
        g = self.viewport
        dx, dy = pattern_shift(t_ms)
        start_px = (dx + self.seed * BAR_WIDTH) % PATTERN_PERIOD
        bpp2 = _bytes_per_px_x2(g.fb_type)
        start = start_px * bpp2 // 2
        row_len = g.buffer_width * bpp2 // 2
        sliced = [r[start : start + row_len] for r in self._vp_rows]
        return b"".join(sliced[((y + dy) // BAND_HEIGHT) % BANDS] for y in range(g.visible_height))

    def _overlay_rows(self, t_ms: int, encode: dict[int, bytes], unit: int) -> bytes:
        """The overlay plane from three kinds of row, each pixel encoded by ``encode``."""
        g = self.bitmap
        vw, vh, bw = g.visible_width, g.visible_height, g.buffer_width

        def row_for(y: int) -> bytes:
            idx = [bitmap_pattern(x, y, t_ms, vw, vh) for x in range(0, bw, unit)]
            return b"".join(encode[i] for i in idx)

        edge = row_for(0)
        plain = row_for(BORDER)
        box = row_for(BOX_TOP)
        out = []
        for y in range(vh):
            if y < BORDER or y >= vh - BORDER:
                out.append(edge)
            elif BOX_TOP <= y < BOX_TOP + BOX_SIZE:
                out.append(box)
            else:
                out.append(plain)
        return b"".join(out)

    def _bitmap_data(self, t_ms: int) -> bytes:
        g = self.bitmap
        if g.fb_type == FramebufferType.PAL8:
            return self._overlay_rows(t_ms, {i: bytes((i,)) for i in range(3)}, 1)
        # Digic 6: YUV8B pairs; transparent is the spec's yuv8b_bitmap_group::transparent
        enc = {}
        for i in range(3):
            y, u, v, a = bitmap_colour(i)
            enc[i] = bytes((u + 128, y, v + 128, y)) if a else _CLEAR_GROUP
        return self._overlay_rows(t_ms, enc, 2)

    def _opacity_data(self, t_ms: int) -> bytes:
        enc = {0: b"\x00", 1: b"\xff", 2: b"\xff"}
        return self._overlay_rows(t_ms, enc, 1)

    # -- the frame -------------------------------------------------------------------------

    def frame(self, flags: int) -> bytes:
        """A whole GetDisplayData payload for the LV_TFR_* ``flags`` at the clock's time.

        Unknown flag bits are ignored, PALETTE without a palette and BITMAP_OPACITY on a
        display without an opacity plane send nothing; descriptors are always present.
        """
        t_ms = self.clock.now_ms()
        want = LiveViewFlags(
            flags
            & int(
                LiveViewFlags.VIEWPORT
                | LiveViewFlags.BITMAP
                | LiveViewFlags.PALETTE
                | LiveViewFlags.BITMAP_OPACITY
            )
        )
        with_bmo = self.opacity is not None and self.lv_version[1] >= _LV_2_2[1]
        vp_desc = self._header_size
        bm_desc = vp_desc + _DESC_SIZE
        bmo_desc = bm_desc + _DESC_SIZE if with_bmo else 0
        pos = (bmo_desc or bm_desc) + _DESC_SIZE
        parts: list[bytes] = []

        palette_start = 0
        if LiveViewFlags.PALETTE in want and self._palette:
            palette_start = pos
            parts.append(self._palette)
            pos += len(self._palette)
        vp_start = 0
        if LiveViewFlags.VIEWPORT in want:
            vp_start = pos
            parts.append(self._viewport_data(t_ms))
            pos += self.viewport.size
        bm_start = 0
        if LiveViewFlags.BITMAP in want:
            bm_start = pos
            parts.append(self._bitmap_data(t_ms))
            pos += self.bitmap.size
        bmo_start = 0
        if with_bmo and self.opacity is not None and LiveViewFlags.BITMAP_OPACITY in want:
            bmo_start = pos
            parts.append(self._opacity_data(t_ms))
            pos += self.opacity.size

        head = [
            _header_bytes(
                self.lv_version[1],
                self.aspect,
                self.palette_type,
                palette_start,
                vp_desc,
                bm_desc,
                bmo_desc,
            ),
            _desc_bytes(self.viewport, vp_start),
            _desc_bytes(self.bitmap, bm_start),
        ]
        if with_bmo and self.opacity is not None:
            head.append(_desc_bytes(self.opacity, bmo_start))
        return b"".join(head + parts)

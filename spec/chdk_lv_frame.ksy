meta:
  id: chdk_lv_frame
  title: CHDK live-view frame (GetDisplayData data phase, live view 2.0-2.2)
  license: MIT
  ks-version: 0.11
  imports:
    - chdk_codes
  endian: le
doc: |
  One frame returned by CHDK sub-command GetDisplayData: a header, framebuffer descriptors for
  the viewport (live image), the bitmap (UI overlay) and, from live view 2.2 on Digic 6/7, the
  bitmap opacity plane, then the palette and pixel data. Every offset is counted from byte 0 of
  the frame (the start of the PTP data payload); clients follow the offsets rather than assume
  CHDK's layout (header, descriptors, palette, viewport, bitmap, opacity). An offset of 0 means
  "not sent".
doc-ref: "CHDK core/live_view.h (lv_data_header, lv_framebuffer_desc); CHDK core/live_view.c"
seq:
  - id: header
    type: lv_data_header
    doc: Version, screen aspect, palette type and the offsets of everything else.
    doc-ref: "CHDK core/live_view.h lv_data_header"
instances:
  vp_desc:
    pos: header.ofs_vp_desc
    type: lv_framebuffer_desc
    if: header.ofs_vp_desc != 0
    doc: Viewport (live image) descriptor; filled in even when the viewport was not requested.
    doc-ref: "CHDK core/live_view.h lv_data_header.vp_desc_start"
  bm_desc:
    pos: header.ofs_bm_desc
    type: lv_framebuffer_desc
    if: header.ofs_bm_desc != 0
    doc: Bitmap (UI overlay) descriptor; PAL8 before Digic 6, YUV8B on Digic 6/7.
    doc-ref: "CHDK core/live_view.h lv_data_header.bm_desc_start"
  bmo_desc:
    pos: header.ofs_bmo_desc
    type: lv_framebuffer_desc
    if: header.version_minor >= 2 and header.ofs_bmo_desc != 0
    doc: Bitmap opacity descriptor (OPACITY8; live view 2.2 on Digic 6/7 only).
    doc-ref: "CHDK core/live_view.h lv_data_header.bmo_desc_start"
  palette:
    pos: header.ofs_palette
    size: |
      header.palette_type == chdk_codes::palette_type::type_3 or header.palette_type == chdk_codes::palette_type::type_5 ? 1024 : 64
    if: header.ofs_palette != 0 and header.palette_type != chdk_codes::palette_type::none
    doc: |
      Overlay palette, 4 bytes per entry: 256 entries for palette types 3 and 5, 16 for types
      1, 2 and 4 (entry byte order depends on the type, see `chdk_codes::palette_type`).
    doc-ref: "CHDK core/live_view.h lv_data_header.palette_data_start; chdkptp liveimg.c"
types:
  lv_data_header:
    doc: |
      Frame header: 28 bytes in live view 2.0 and 2.1, 32 bytes in 2.2 (adds `ofs_bmo_desc`).
      All fields are s4.
    doc-ref: "CHDK core/live_view.h lv_data_header"
    seq:
      - id: version_major
        type: s4
        valid: 2
        doc: Live-view sub-protocol major version; below 2 is a development version.
        doc-ref: "CHDK core/live_view.h LIVE_VIEW_VERSION_MAJOR"
      - id: version_minor
        type: s4
        valid:
          min: 0
        doc: Live-view minor version (0, 1 or 2; new enum values may appear in minor versions).
        doc-ref: "CHDK core/live_view.h LIVE_VIEW_VERSION_MINOR"
      - id: lcd_aspect_ratio
        type: s4
        enum: chdk_codes::lcd_aspect_ratio
        doc: Physical screen aspect ratio.
        doc-ref: "CHDK core/live_view.h lv_data_header.lcd_aspect_ratio"
      - id: palette_type
        type: s4
        enum: chdk_codes::palette_type
        doc: Format of the palette; none (0) if no palette was sent.
        doc-ref: "CHDK core/live_view.h lv_data_header.palette_type"
      - id: ofs_palette
        -orig-id: palette_data_start
        type: s4
        valid:
          min: 0
        doc: Offset of the palette in the frame, or 0.
        doc-ref: "CHDK core/live_view.h lv_data_header.palette_data_start"
      - id: ofs_vp_desc
        -orig-id: vp_desc_start
        type: s4
        valid:
          min: 0
        doc: Offset of the viewport descriptor.
        doc-ref: "CHDK core/live_view.h lv_data_header.vp_desc_start"
      - id: ofs_bm_desc
        -orig-id: bm_desc_start
        type: s4
        valid:
          min: 0
        doc: Offset of the bitmap descriptor.
        doc-ref: "CHDK core/live_view.h lv_data_header.bm_desc_start"
      - id: ofs_bmo_desc
        -orig-id: bmo_desc_start
        type: s4
        valid:
          min: 0
        if: version_minor >= 2
        doc: Offset of the bitmap opacity descriptor, 0 before Digic 6 (live view 2.2).
        doc-ref: "CHDK core/live_view.h lv_data_header.bmo_desc_start"
  lv_framebuffer_desc:
    doc: |
      Where one plane's pixels are and how to place them (36 bytes, all s4, the same in every
      version). Displayed width is margin_left + visible_width + margin_right; margins can be
      slightly negative.
    doc-ref: "CHDK core/live_view.h lv_framebuffer_desc"
    seq:
      - id: fb_type
        type: s4
        enum: chdk_codes::framebuffer_type
        doc: Pixel format of the plane.
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.fb_type"
      - id: ofs_data
        -orig-id: data_start
        type: s4
        valid:
          min: 0
        doc: Offset of the pixel data in the frame, 0 if the plane was not sent.
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.data_start"
      - id: buffer_width
        type: s4
        doc: Row stride in pixels (Y samples); rows are buffer_width x 12/8 bytes for YUV8.
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.buffer_width"
      - id: visible_width
        type: s4
        doc: Pixels to show per row (at most buffer_width; skip the rest of the row).
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.visible_width"
      - id: visible_height
        type: s4
        doc: Number of rows sent.
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.visible_height"
      - id: margin_left
        type: s4
        doc: Screen margin left of the visible area (may be negative).
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.margin_left; CHDK core/live_view.c"
      - id: margin_top
        type: s4
        doc: Screen margin above the visible area (may be negative).
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.margin_top"
      - id: margin_right
        type: s4
        doc: Screen margin right of the visible area (may be negative).
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.margin_right"
      - id: margin_bot
        type: s4
        doc: Screen margin below the visible area (may be negative).
        doc-ref: "CHDK core/live_view.h lv_framebuffer_desc.margin_bot"

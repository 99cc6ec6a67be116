meta:
  id: chdk_lvdump
  title: chdkptp live-view dump file (.lvdump, dump version 1.0)
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  A recording of CHDK live-view frames as chdkptp's `lvdump` command writes them and its GUI
  plays them back: a 16-byte file header, then one record per frame, each the u4 frame length
  followed by that many bytes of a GetDisplayData data phase (`chdk_lv_frame`), unchanged. The
  file ends after the last whole record; nothing else (no index, no timestamps) is stored.
doc-ref: "fact sheet §3.6 (chdkptp lua/chdku.lua live_dump_start / live_dump_frame, gui live reader)"
seq:
  - id: header
    type: lvdump_header
    doc: Magic, header length and dump format version.
    doc-ref: "fact sheet §3.6"
  - id: header_rest
    size: header.len_header - 8
    doc: Header bytes after the version fields; empty in version 1.0 (len_header is 8).
    doc-ref: "fact sheet §3.6"
  - id: records
    type: lvdump_record
    repeat: eos
    doc: The frames, in recording order.
    doc-ref: "fact sheet §3.6"
types:
  lvdump_header:
    doc: |
      The first 16 bytes of the file: the magic `chlv`, the number of header bytes that follow
      the length field (8 in version 1.0), and the dump format version (1.0).
    doc-ref: "fact sheet §3.6 (chdkptp lua/chdku.lua live_dump_start)"
    seq:
      - id: magic
        contents: chlv
        doc: File magic, the ASCII bytes `chlv`.
        doc-ref: "fact sheet §3.6"
      - id: len_header
        -orig-id: header_len
        type: u4
        valid:
          min: 8
        doc: Header bytes after this field (the two version fields, plus any later additions).
        doc-ref: "fact sheet §3.6"
      - id: version_major
        type: u4
        doc: Dump format major version, 1; readers refuse other majors.
        doc-ref: "fact sheet §3.6"
      - id: version_minor
        type: u4
        doc: Dump format minor version, 0.
        doc-ref: "fact sheet §3.6"
  lvdump_record:
    doc: One recorded frame.
    doc-ref: "fact sheet §3.6 (chdkptp lua/chdku.lua live_dump_frame)"
    seq:
      - id: len_frame
        type: u4
        doc: Length of `frame` in bytes.
        doc-ref: "fact sheet §3.6"
      - id: frame
        size: len_frame
        doc: One GetDisplayData data phase (`chdk_lv_frame`), byte for byte.
        doc-ref: "fact sheet §3.6; chdk_lv_frame.ksy"
enums:
  lvdump_version:
    0:
      id: minor
      -orig-id: minor
      doc: "Dump format minor version this library writes."
      doc-ref: "fact sheet §3.6 (chdkptp lua/chdku.lua live_dump_start)"
    1:
      id: major
      -orig-id: major
      doc: "Dump format major version this library writes and reads; other majors are refused."
      doc-ref: "fact sheet §3.6 (chdkptp lua/chdku.lua live_dump_start)"

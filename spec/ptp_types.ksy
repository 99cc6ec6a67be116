meta:
  id: ptp_types
  title: PTP primitive dataset types (string, arrays)
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  Building blocks of PTP datasets. This file has no fields of its own: other specs import it
  and use its types as `ptp_types::ptp_string`, `ptp_types::ptp_array_u2`, and so on.
doc-ref: "ISO 15740:2013 (PIMA 15740), simple and array datatypes and the PTP string"
types:
  ptp_string:
    doc: |
      A PTP string: a u1 count of UTF-16 code units **including** the terminating NUL, then the
      code units in UTF-16LE. A count of 0 is the empty string and nothing follows; the longest
      string is 254 characters plus NUL. "Hi" is `03 48 00 69 00 00 00`. Some devices leave the
      NUL out of both count and data; the text then simply ends at the end of the data.
    doc-ref: "ISO 15740:2013 (PIMA 15740), String datatype; chdkptp ptp-pack.c ptp_unpack_string"
    seq:
      - id: num_chars
        -orig-id: NumChars
        type: u1
        doc: Number of UTF-16 code units that follow, counting the terminating NUL; 0 = empty.
        doc-ref: "ISO 15740:2013 (PIMA 15740), String datatype"
      - id: value
        -orig-id: StringChars
        size: num_chars * 2
        type: strz
        encoding: UTF-16LE
        doc: The text, without its NUL (anything after the first NUL code unit is dropped).
        doc-ref: "ISO 15740:2013 (PIMA 15740), String datatype"
  ptp_array_u1:
    doc: "A PTP array of u1 (AUINT8): u4 element count, then the elements."
    doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes"
    seq:
      - id: num_items
        type: u4
        doc: Number of elements (not bytes).
        doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes"
      - id: items
        type: u1
        repeat: expr
        repeat-expr: num_items
        doc: The elements.
        doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes"
  ptp_array_u2:
    doc: "A PTP array of u2 (AUINT16): u4 element count, then the elements (2 bytes each)."
    doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes; chdkptp ptp-pack.c ptp_unpack_uint16_t_array"
    seq:
      - id: num_items
        type: u4
        doc: Number of elements (not bytes).
        doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes"
      - id: items
        type: u2
        repeat: expr
        repeat-expr: num_items
        doc: The elements.
        doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes"
  ptp_array_u4:
    doc: "A PTP array of u4 (AUINT32): u4 element count, then the elements (4 bytes each)."
    doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes; chdkptp ptp-pack.c ptp_unpack_uint32_t_array"
    seq:
      - id: num_items
        type: u4
        doc: Number of elements (not bytes).
        doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes"
      - id: items
        type: u4
        repeat: expr
        repeat-expr: num_items
        doc: The elements.
        doc-ref: "ISO 15740:2013 (PIMA 15740), array datatypes"

meta:
  id: ptp_params
  title: PTP operation/response parameters
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  The payload of a command or response container: u4 parameters up to the end of the payload
  (at most 5 in PTP; the count is `(len_container - 12) / 4`). Unused trailing parameters may
  be left out; CHDK sub-commands always have param 1 = the sub-command.
doc-ref: "USB Still Image Capture Device Definition 1.0, generic container; ISO 15740:2013 (PIMA 15740), operation and response datasets"
seq:
  - id: params
    -orig-id: param
    type: u4
    repeat: eos
    doc: Parameter 1, 2, ... in order.
    doc-ref: "ISO 15740:2013 (PIMA 15740), operation and response datasets"

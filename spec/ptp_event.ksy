meta:
  id: ptp_event
  title: PTP USB event container (interrupt endpoint)
  license: MIT
  ks-version: 0.11
  imports:
    - ptp_codes
  endian: le
doc: |
  An event container as read from the interrupt IN endpoint: the generic container header with
  type event, then 0 to 3 u4 parameters. chdkptp never uses events for CHDK work, but a client
  must drain them.
doc-ref: "USB Still Image Capture Device Definition 1.0, interrupt data; chdkptp ptp.h PTPUSBEventContainer"
seq:
  - id: len_container
    -orig-id: length
    type: u4
    valid:
      min: 12
      max: 24
    doc: Length of the whole container in bytes (12 + 4 per parameter).
    doc-ref: "USB Still Image Capture Device Definition 1.0, interrupt data"
  - id: container_type
    -orig-id: type
    type: u2
    enum: ptp_codes::container_type
    doc: Always event (4) on the interrupt endpoint.
    doc-ref: "USB Still Image Capture Device Definition 1.0, interrupt data"
  - id: code
    -orig-id: code
    type: u2
    enum: ptp_codes::event_code
    doc: The event code; vendor codes (0xCxxx) are kept as numbers.
    doc-ref: "ISO 15740:2013 (PIMA 15740), event codes"
  - id: transaction_id
    -orig-id: trans_id
    type: u4
    doc: Transaction the event refers to, or 0 / 0xFFFFFFFF when it refers to none.
    doc-ref: "ISO 15740:2013 (PIMA 15740), event dataset"
  - id: params
    -orig-id: param
    type: u4
    repeat: expr
    repeat-expr: (len_container - 12) / 4
    doc: Event parameters 1 to 3.
    doc-ref: "ISO 15740:2013 (PIMA 15740), event dataset"

meta:
  id: ptp_container_header
  title: PTP USB generic container header
  license: MIT
  ks-version: 0.11
  imports:
    - ptp_codes
  endian: le
doc: |
  The 12-byte header that starts every PTP container on the USB bulk and interrupt pipes. A
  Data or Response container carries the transaction id of its Command; a Data container
  repeats the operation code.
doc-ref: "USB Still Image Capture Device Definition 1.0, generic container; chdkptp ptp.h PTPUSBBulkContainer"
seq:
  - id: len_container
    -orig-id: length
    type: u4
    valid:
      min: 12
    doc: Length of the whole container in bytes, this header included.
    doc-ref: "USB Still Image Capture Device Definition 1.0, generic container"
  - id: container_type
    -orig-id: type
    type: u2
    enum: ptp_codes::container_type
    doc: Command, data, response or event.
    doc-ref: "USB Still Image Capture Device Definition 1.0, generic container"
  - id: code
    -orig-id: code
    type: u2
    doc: |
      Operation code (command and data containers, `ptp_codes::operation_code`), response code
      (`ptp_codes::response_code`) or event code (`ptp_codes::event_code`).
    doc-ref: "USB Still Image Capture Device Definition 1.0, generic container"
  - id: transaction_id
    -orig-id: trans_id
    type: u4
    doc: Transaction id; 0 for OpenSession, then counting up; 0xFFFFFFFF is reserved.
    doc-ref: "ISO 15740:2013 (PIMA 15740), transaction ids"

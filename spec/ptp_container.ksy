meta:
  id: ptp_container
  title: PTP USB generic container (command, data, response or event)
  license: MIT
  ks-version: 0.11
  imports:
    - ptp_container_header
  endian: le
doc: |
  One whole PTP container as it travels over USB: the 12-byte header, then `len_container - 12`
  payload bytes. For command, response and event containers the payload is a run of u4
  parameters (`ptp_params`); for a data container it is the dataset or file being moved.
doc-ref: "USB Still Image Capture Device Definition 1.0, generic container; chdkptp ptp.h PTPUSBBulkContainer"
seq:
  - id: header
    type: ptp_container_header
    doc: Length, type, code and transaction id.
    doc-ref: "USB Still Image Capture Device Definition 1.0, generic container"
  - id: payload
    size: header.len_container - 12
    doc: Parameters (command, response, event) or the data phase bytes (data).
    doc-ref: "USB Still Image Capture Device Definition 1.0, generic container"

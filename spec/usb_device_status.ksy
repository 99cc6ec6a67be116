meta:
  id: usb_device_status
  title: PTP USB Get Device Status reply (class request data stage)
  license: MIT
  ks-version: 0.11
  imports:
    - ptp_codes
  endian: le
doc: |
  The device-to-host data stage of the still-image class request Get Device Status
  (`usb_codes::usb_class_request` get_device_status, bmRequestType 0xA1): its own length, a PTP
  response code (ok = ready), then optional u4 parameters. chdkptp reads 4 bytes and treats
  code ok as "still connected". The real SX160 IS capture replied `04 00 01 20`.
doc-ref: "USB Still Image Capture Device Definition 1.0, Get Device Status Request; chdkptp chdkptp.c check_connection_status_usb"
seq:
  - id: len_status
    -orig-id: wLength
    type: u2
    valid:
      min: 4
    doc: Length of this data stage in bytes, itself included.
    doc-ref: "USB Still Image Capture Device Definition 1.0, Get Device Status Request"
  - id: code
    -orig-id: Code
    type: u2
    enum: ptp_codes::response_code
    doc: Device status as a PTP response code; ok when ready, device_busy while busy.
    doc-ref: "USB Still Image Capture Device Definition 1.0, Get Device Status Request"
  - id: params
    -orig-id: Parameter
    type: u4
    repeat: expr
    repeat-expr: (len_status - 4) / 4
    doc: Optional parameters (numbers of stalled endpoints; from memory of the class spec, unverified).
    doc-ref: "USB Still Image Capture Device Definition 1.0, Get Device Status Request"

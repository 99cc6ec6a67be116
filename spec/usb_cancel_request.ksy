meta:
  id: usb_cancel_request
  title: PTP USB Cancel Request (class request data stage)
  license: MIT
  ks-version: 0.11
  imports:
    - ptp_codes
  endian: le
doc: |
  The host-to-device data stage of the still-image class request Cancel
  (`usb_codes::usb_class_request` cancel, bmRequestType 0x21, wLength 6): asks the device to
  abandon a transaction. The cancel request for transaction 5 is `01 40 05 00 00 00`.
doc-ref: "USB Still Image Capture Device Definition 1.0, Cancel Request; libgphoto2 camlibs/ptp2/usb.c ptp_usb_control_cancel_request"
seq:
  - id: cancellation_code
    -orig-id: CancellationCode
    type: u2
    enum: ptp_codes::event_code
    doc: Always event code cancel_transaction (0x4001).
    doc-ref: "USB Still Image Capture Device Definition 1.0, Cancel Request"
  - id: transaction_id
    -orig-id: TransactionID
    type: u4
    doc: The transaction to cancel.
    doc-ref: "USB Still Image Capture Device Definition 1.0, Cancel Request"

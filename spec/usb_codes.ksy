meta:
  id: usb_codes
  title: USB still-image class codes and Canon USB ids
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  USB-level numbers a PTP-over-USB client needs: the still-image class control requests and
  their request types, the still-image interface class triple, Canon's vendor id and the product
  ids of PowerShot/IXUS models (entries carry `-model`, the marketing name). Enums only. Do not
  use the product ids as an allow-list: any class-6 interface may be a CHDK camera.
doc-ref: "USB Still Image Capture Device Definition 1.0; libgphoto2 camlibs/ptp2/usb.c and library.c"
enums:
  usb_class_request:
    0x64:
      id: cancel
      doc: "Host to device: 6 bytes, u2 cancellation code (event cancel_transaction) and u4 transaction id."
      doc-ref: "USB Still Image Capture Device Definition 1.0, class-specific requests"
    0x65:
      id: get_extended_event_data
      doc: "Device to host: an event with variable-size parameters."
      doc-ref: "USB Still Image Capture Device Definition 1.0, class-specific requests"
    0x66:
      id: device_reset
      doc: "Host to device, no data: reset the PTP state of the interface."
      doc-ref: "USB Still Image Capture Device Definition 1.0, class-specific requests"
    0x67:
      id: get_device_status
      doc: "Device to host: u2 length, u2 response code (ok = ready), then optional u4 params."
      doc-ref: "USB Still Image Capture Device Definition 1.0, class-specific requests"
  usb_request_type:
    0x21:
      id: class_interface_out
      doc: "bmRequestType of host-to-device class requests addressed to an interface (Cancel, Device Reset)."
      doc-ref: "USB 2.0 §9.3.1 bmRequestType; USB Still Image Capture Device Definition 1.0"
    0xA1:
      id: class_interface_in
      doc: "bmRequestType of device-to-host class requests addressed to an interface (Get Device Status, Get Extended Event Data)."
      doc-ref: "USB 2.0 §9.3.1 bmRequestType; USB Still Image Capture Device Definition 1.0"
  usb_standard_request:
    0x00:
      id: get_status
      doc: "Device to host, 2 bytes: status of the device, interface or endpoint (bit 0 of an endpoint = halted)."
      doc-ref: "USB 2.0 §9.4 Table 9-4 and §9.4.5"
    0x01:
      id: clear_feature
      doc: "Clear a feature; with selector ENDPOINT_HALT on an endpoint it clears a stall."
      doc-ref: "USB 2.0 §9.4 Table 9-4 and §9.4.1"
    0x03:
      id: set_feature
      doc: "Set a feature; with selector ENDPOINT_HALT on an endpoint it halts the endpoint."
      doc-ref: "USB 2.0 §9.4 Table 9-4 and §9.4.9"
    0x06:
      id: get_descriptor
      doc: "Device to host: wValue = descriptor type << 8 | index, wIndex = language id for strings."
      doc-ref: "USB 2.0 §9.4 Table 9-4 and §9.4.3"
    0x08:
      id: get_configuration
      doc: "Device to host, 1 byte: the active bConfigurationValue (0 = unconfigured)."
      doc-ref: "USB 2.0 §9.4 Table 9-4 and §9.4.2"
    0x09:
      id: set_configuration
      doc: "Host to device: wValue = bConfigurationValue to activate."
      doc-ref: "USB 2.0 §9.4 Table 9-4 and §9.4.7"
    0x0A:
      id: get_interface
      doc: "Device to host, 1 byte: the alternate setting of interface wIndex."
      doc-ref: "USB 2.0 §9.4 Table 9-4 and §9.4.4"
    0x0B:
      id: set_interface
      doc: "Host to device: select alternate setting wValue of interface wIndex."
      doc-ref: "USB 2.0 §9.4 Table 9-4 and §9.4.10"
  usb_lang_id:
    0x0409:
      id: english_us
      doc: "LANGID of US English, the one language the string descriptor 0 of a camera lists."
      doc-ref: "USB 2.0 §9.6.7; USB-IF Language Identifiers (LANGIDs)"
  usb_interface_class:
    0x06:
      id: still_image
      doc: "bInterfaceClass of a PTP camera interface."
      doc-ref: "USB Still Image Capture Device Definition 1.0, interface descriptor"
  usb_interface_subclass:
    0x01:
      id: still_image_capture
      doc: "bInterfaceSubClass of a PTP camera interface."
      doc-ref: "USB Still Image Capture Device Definition 1.0, interface descriptor"
  usb_interface_protocol:
    0x01:
      id: ptp
      doc: "bInterfaceProtocol of a PTP camera interface (bulk-only PTP)."
      doc-ref: "USB Still Image Capture Device Definition 1.0, interface descriptor"
  usb_vendor_id:
    0x04A9:
      id: canon
      doc: "Canon Inc."
      doc-ref: "USB-IF vendor list; libgphoto2 camlibs/ptp2/library.c"
  canon_product_id:
    0x311B:
      id: powershot_a540
      doc: "Canon PowerShot A540 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot A540"
    0x3126:
      id: powershot_a530
      doc: "Canon PowerShot A530 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot A530"
    0x3149:
      id: powershot_a460
      doc: "Canon PowerShot A460 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot A460"
    0x315A:
      id: powershot_g9
      doc: "Canon PowerShot G9 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot G9"
    0x315D:
      id: powershot_a720_is
      doc: "Canon PowerShot A720 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot A720 IS"
    0x3176:
      id: powershot_a590_is
      doc: "Canon PowerShot A590 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot A590 IS"
    0x318F:
      id: powershot_g10
      doc: "Canon PowerShot G10 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot G10"
    0x3192:
      id: powershot_sx110_is
      doc: "Canon PowerShot SX110 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX110 IS"
    0x31BC:
      id: powershot_d10
      doc: "Canon PowerShot D10 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot D10"
    0x31C0:
      id: powershot_sx200_is
      doc: "Canon PowerShot SX200 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX200 IS"
    0x31DF:
      id: powershot_g11
      doc: "Canon PowerShot G11 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot G11"
    0x31F6:
      id: powershot_sx210_is
      doc: "Canon PowerShot SX210 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX210 IS"
    0x320F:
      id: powershot_g12
      doc: "Canon PowerShot G12 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot G12"
    0x3211:
      id: powershot_sx130_is
      doc: "Canon PowerShot SX130 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX130 IS"
    0x3212:
      id: powershot_s95
      doc: "Canon PowerShot S95 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot S95"
    0x3225:
      id: ixus_310_hs
      doc: "Canon IXUS 310 HS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "IXUS 310 HS"
    0x3228:
      id: powershot_sx230_hs
      doc: "Canon PowerShot SX230 HS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX230 HS"
    0x322A:
      id: powershot_a2200
      doc: "Canon PowerShot A2200 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot A2200"
    0x3233:
      id: powershot_g1_x
      doc: "Canon PowerShot G1 X in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot G1 X"
    0x3236:
      id: powershot_s100
      doc: "Canon PowerShot S100 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot S100"
    0x3238:
      id: powershot_sx40_hs
      doc: "Canon PowerShot SX40 HS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX40 HS"
    0x3243:
      id: powershot_a4000_is
      doc: "Canon PowerShot A4000 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot A4000 IS"
    0x3244:
      id: powershot_sx260_hs
      doc: "Canon PowerShot SX260 HS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX260 HS"
    0x325A:
      id: powershot_sx160_is
      doc: "Canon PowerShot SX160 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX160 IS"
    0x325C:
      id: powershot_sx500_is
      doc: "Canon PowerShot SX500 IS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX500 IS"
    0x325F:
      id: powershot_sx280_hs
      doc: "Canon PowerShot SX280 HS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX280 HS"
    0x3264:
      id: powershot_a1400
      doc: "Canon PowerShot A1400 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot A1400"
    0x3277:
      id: powershot_sx510_hs
      doc: "Canon PowerShot SX510 HS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX510 HS"
    0x3286:
      id: powershot_sx600_hs
      doc: "Canon PowerShot SX600 HS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX600 HS"
    0x329A:
      id: powershot_sx60_hs
      doc: "Canon PowerShot SX60 HS in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot SX60 HS"
    0x329D:
      id: powershot_g7_x
      doc: "Canon PowerShot G7 X in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "PowerShot G7 X"
    0x32AA:
      id: ixus_160
      doc: "Canon IXUS 160 in PTP mode."
      doc-ref: "libgphoto2 camlibs/ptp2/library.c (models table)"
      -model: "IXUS 160"

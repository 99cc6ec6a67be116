meta:
  id: ptp_device_info
  title: PTP DeviceInfo dataset (GetDeviceInfo data phase)
  license: MIT
  ks-version: 0.11
  imports:
    - ptp_types
  endian: le
doc: |
  What a camera says about itself in the data phase of GetDeviceInfo (allowed outside a
  session). chdkptp matches cameras on `model` (e.g. "Canon PowerShot SX160 IS") and `serial_number`.
  Whether a CHDK camera lists 0x9999 in `operations_supported` is unconfirmed: detect CHDK by
  sending the CHDK Version sub-command instead.
doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset; chdkptp ptp-pack.c ptp_unpack_DI"
seq:
  - id: standard_version
    -orig-id: StandardVersion
    type: u2
    doc: PTP version times 100 (100 = 1.00).
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: vendor_extension_id
    -orig-id: VendorExtensionID
    type: u4
    doc: Vendor extension owner (Canon = 0xB, Microsoft = 6, Nikon = 0xA, Kodak = 1).
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset; chdkptp ptp.h PTP_VENDOR_*"
  - id: vendor_extension_version
    -orig-id: VendorExtensionVersion
    type: u2
    doc: Version of the vendor extension, times 100.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: vendor_extension_desc
    -orig-id: VendorExtensionDesc
    type: ptp_types::ptp_string
    doc: Free text naming the vendor extensions; often empty.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: functional_mode
    -orig-id: FunctionalMode
    type: u2
    doc: 0 = standard mode, 1 = sleep; 0x8000 and up are vendor modes.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: operations_supported
    -orig-id: OperationsSupported
    type: ptp_types::ptp_array_u2
    doc: Operation codes (`ptp_codes::operation_code`) the device claims to support.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: events_supported
    -orig-id: EventsSupported
    type: ptp_types::ptp_array_u2
    doc: Event codes (`ptp_codes::event_code`) the device may send.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: device_properties_supported
    -orig-id: DevicePropertiesSupported
    type: ptp_types::ptp_array_u2
    doc: Device property codes the device knows.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: capture_formats
    -orig-id: CaptureFormats
    type: ptp_types::ptp_array_u2
    doc: Object format codes the device can capture.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: image_formats
    -orig-id: ImageFormats
    type: ptp_types::ptp_array_u2
    doc: Object format codes the device can store or send.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: manufacturer
    -orig-id: Manufacturer
    type: ptp_types::ptp_string
    doc: Manufacturer name, e.g. "Canon Inc.".
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset"
  - id: model
    -orig-id: Model
    type: ptp_types::ptp_string
    doc: Model name, e.g. "Canon PowerShot SX160 IS".
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset; chdkptp chdkptp.c (model matching)"
  - id: device_version
    -orig-id: DeviceVersion
    type: ptp_types::ptp_string
    doc: Device version text; not the Canon firmware version (a D10 with firmware 100a says "1-6.0.1.0").
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset; chdkptp chdkptp.c"
  - id: serial_number
    -orig-id: SerialNumber
    type: ptp_types::ptp_string
    doc: Serial number text; empty on some older models.
    doc-ref: "ISO 15740:2013 (PIMA 15740), DeviceInfo dataset; chdkptp lua/chdku.lua"

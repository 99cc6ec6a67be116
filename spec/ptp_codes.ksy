meta:
  id: ptp_codes
  title: PTP code tables (container types, operations, responses, events, object formats, vendors)
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  Code tables of the Picture Transfer Protocol as a Canon PowerShot running CHDK uses it over USB.
  Enums only: this file describes no layout. Project metadata on entries (`-category`,
  `-storage-enumeration`) is read by our generator; other Kaitai tools ignore it.
doc-ref: "ISO 15740:2013 (PIMA 15740); chdkptp ptp.h (PTP_OC_*, PTP_RC_*, PTP_EC_*, PTP_USB_CONTAINER_*, PTP_VENDOR_*); libgphoto2 ptp.h (PTP_OFC_*)"
enums:
  container_type:
    0:
      id: undefined
      -orig-id: PTP_USB_CONTAINER_UNDEFINED
      doc: "Not a valid container type."
      doc-ref: "USB Still Image Capture Device Definition 1.0, generic container; chdkptp ptp.h"
    1:
      id: command
      -orig-id: PTP_USB_CONTAINER_COMMAND
      doc: "Host to device: operation code and 0-5 u4 parameters."
      doc-ref: "USB Still Image Capture Device Definition 1.0, generic container; chdkptp ptp.h"
    2:
      id: data
      -orig-id: PTP_USB_CONTAINER_DATA
      doc: "Data phase of a transaction, in either direction; `code` repeats the operation code."
      doc-ref: "USB Still Image Capture Device Definition 1.0, generic container; chdkptp ptp.h"
    3:
      id: response
      -orig-id: PTP_USB_CONTAINER_RESPONSE
      doc: "Device to host: response code and 0-5 u4 parameters."
      doc-ref: "USB Still Image Capture Device Definition 1.0, generic container; chdkptp ptp.h"
    4:
      id: event
      -orig-id: PTP_USB_CONTAINER_EVENT
      doc: "Device to host on the interrupt endpoint: event code and 0-3 u4 parameters."
      doc-ref: "USB Still Image Capture Device Definition 1.0, generic container; chdkptp ptp.h"
  operation_code:
    0x1000:
      id: undefined
      -orig-id: PTP_OC_Undefined
      doc: "Not a valid operation."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation Undefined; chdkptp ptp.h PTP_OC_Undefined"
    0x1001:
      id: get_device_info
      -orig-id: PTP_OC_GetDeviceInfo
      doc: "Data IN: the DeviceInfo dataset. Allowed outside a session."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetDeviceInfo; chdkptp ptp.h PTP_OC_GetDeviceInfo"
    0x1002:
      id: open_session
      -orig-id: PTP_OC_OpenSession
      doc: "p1 = session id (non-zero). chdkptp sends it with transaction id 0."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation OpenSession; chdkptp ptp.h PTP_OC_OpenSession"
    0x1003:
      id: close_session
      -orig-id: PTP_OC_CloseSession
      doc: "Ends the session; sent before the interface is released."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation CloseSession; chdkptp ptp.h PTP_OC_CloseSession"
    0x1004:
      id: get_storage_ids
      -orig-id: PTP_OC_GetStorageIDs
      doc: "Data IN: u4 array of storage ids. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetStorageIDs; chdkptp ptp.h PTP_OC_GetStorageIDs"
      -storage-enumeration: 1
    0x1005:
      id: get_storage_info
      -orig-id: PTP_OC_GetStorageInfo
      doc: "p1 = storage id. Data IN: the StorageInfo dataset. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetStorageInfo; chdkptp ptp.h PTP_OC_GetStorageInfo"
      -storage-enumeration: 1
    0x1006:
      id: get_num_objects
      -orig-id: PTP_OC_GetNumObjects
      doc: "p1 = storage id, p2 = format, p3 = association. Response p1 = count. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetNumObjects; chdkptp ptp.h PTP_OC_GetNumObjects"
      -storage-enumeration: 1
    0x1007:
      id: get_object_handles
      -orig-id: PTP_OC_GetObjectHandles
      doc: "p1 = storage id, p2 = format, p3 = association. Data IN: u4 array of handles. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetObjectHandles; chdkptp ptp.h PTP_OC_GetObjectHandles"
      -storage-enumeration: 1
    0x1008:
      id: get_object_info
      -orig-id: PTP_OC_GetObjectInfo
      doc: "p1 = object handle. Data IN: the ObjectInfo dataset. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetObjectInfo; chdkptp ptp.h PTP_OC_GetObjectInfo"
      -storage-enumeration: 1
    0x1009:
      id: get_object
      -orig-id: PTP_OC_GetObject
      doc: "p1 = object handle. Data IN: the object. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetObject; chdkptp ptp.h PTP_OC_GetObject"
      -storage-enumeration: 1
    0x100A:
      id: get_thumb
      -orig-id: PTP_OC_GetThumb
      doc: "p1 = object handle. Data IN: the thumbnail. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetThumb; chdkptp ptp.h PTP_OC_GetThumb"
      -storage-enumeration: 1
    0x100B:
      id: delete_object
      -orig-id: PTP_OC_DeleteObject
      doc: "p1 = object handle, p2 = format. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation DeleteObject; chdkptp ptp.h PTP_OC_DeleteObject"
      -storage-enumeration: 1
    0x100C:
      id: send_object_info
      -orig-id: PTP_OC_SendObjectInfo
      doc: "p1 = storage id, p2 = parent handle. Data OUT: ObjectInfo."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation SendObjectInfo; chdkptp ptp.h PTP_OC_SendObjectInfo"
    0x100D:
      id: send_object
      -orig-id: PTP_OC_SendObject
      doc: "Data OUT: the object announced by SendObjectInfo."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation SendObject; chdkptp ptp.h PTP_OC_SendObject"
    0x100E:
      id: initiate_capture
      -orig-id: PTP_OC_InitiateCapture
      doc: "p1 = storage id, p2 = format."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation InitiateCapture; chdkptp ptp.h PTP_OC_InitiateCapture"
    0x100F:
      id: format_store
      -orig-id: PTP_OC_FormatStore
      doc: "p1 = storage id, p2 = filesystem format."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation FormatStore; chdkptp ptp.h PTP_OC_FormatStore"
    0x1010:
      id: reset_device
      -orig-id: PTP_OC_ResetDevice
      doc: "Resets the device and closes sessions."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation ResetDevice; chdkptp ptp.h PTP_OC_ResetDevice"
    0x1011:
      id: self_test
      -orig-id: PTP_OC_SelfTest
      doc: "p1 = self-test type."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation SelfTest; chdkptp ptp.h PTP_OC_SelfTest"
    0x1012:
      id: set_object_protection
      -orig-id: PTP_OC_SetObjectProtection
      doc: "p1 = object handle, p2 = protection status."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation SetObjectProtection; chdkptp ptp.h PTP_OC_SetObjectProtection"
    0x1013:
      id: power_down
      -orig-id: PTP_OC_PowerDown
      doc: "Powers the device down."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation PowerDown; chdkptp ptp.h PTP_OC_PowerDown"
    0x1014:
      id: get_device_prop_desc
      -orig-id: PTP_OC_GetDevicePropDesc
      doc: "p1 = property code. Data IN: DevicePropDesc."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetDevicePropDesc; chdkptp ptp.h PTP_OC_GetDevicePropDesc"
    0x1015:
      id: get_device_prop_value
      -orig-id: PTP_OC_GetDevicePropValue
      doc: "p1 = property code. Data IN: the value."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetDevicePropValue; chdkptp ptp.h PTP_OC_GetDevicePropValue"
    0x1016:
      id: set_device_prop_value
      -orig-id: PTP_OC_SetDevicePropValue
      doc: "p1 = property code. Data OUT: the value."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation SetDevicePropValue; chdkptp ptp.h PTP_OC_SetDevicePropValue"
    0x1017:
      id: reset_device_prop_value
      -orig-id: PTP_OC_ResetDevicePropValue
      doc: "p1 = property code."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation ResetDevicePropValue; chdkptp ptp.h PTP_OC_ResetDevicePropValue"
    0x1018:
      id: terminate_open_capture
      -orig-id: PTP_OC_TerminateOpenCapture
      doc: "p1 = transaction id of the open capture."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation TerminateOpenCapture; chdkptp ptp.h PTP_OC_TerminateOpenCapture"
    0x1019:
      id: move_object
      -orig-id: PTP_OC_MoveObject
      doc: "p1 = handle, p2 = storage id, p3 = parent handle."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation MoveObject; chdkptp ptp.h PTP_OC_MoveObject"
    0x101A:
      id: copy_object
      -orig-id: PTP_OC_CopyObject
      doc: "p1 = handle, p2 = storage id, p3 = parent handle."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation CopyObject; chdkptp ptp.h PTP_OC_CopyObject"
    0x101B:
      id: get_partial_object
      -orig-id: PTP_OC_GetPartialObject
      doc: "p1 = handle, p2 = offset, p3 = max bytes. Data IN: the bytes. Storage enumeration: a PowerShot that receives it refuses to switch to record mode until reconnected, so client code never sends it."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation GetPartialObject; chdkptp ptp.h PTP_OC_GetPartialObject"
      -storage-enumeration: 1
    0x101C:
      id: initiate_open_capture
      -orig-id: PTP_OC_InitiateOpenCapture
      doc: "p1 = storage id, p2 = format."
      doc-ref: "ISO 15740:2013 (PIMA 15740), operation InitiateOpenCapture; chdkptp ptp.h PTP_OC_InitiateOpenCapture"
    0x9999:
      id: chdk
      -orig-id: PTP_OC_CHDK
      doc: "CHDK vendor extension: p1 selects the sub-command (`chdk_codes::chdk_command`), unused params are 0. A camera without CHDK answers operation_not_supported."
      doc-ref: "CHDK core/ptp.h PTP_OC_CHDK; CHDK core/ptp.c"
  response_code:
    0x2000:
      id: undefined
      -orig-id: PTP_RC_Undefined
      doc: "Not a valid response."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response Undefined; chdkptp ptp.h PTP_RC_Undefined"
      -category: "error"
    0x2001:
      id: ok
      -orig-id: PTP_RC_OK
      doc: "The operation succeeded."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response OK; chdkptp ptp.h PTP_RC_OK"
      -category: "ok"
    0x2002:
      id: general_error
      -orig-id: PTP_RC_GeneralError
      doc: "Failure without a more specific code. CHDK uses it for most failures."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response GeneralError; chdkptp ptp.h PTP_RC_GeneralError"
      -category: "error"
    0x2003:
      id: session_not_open
      -orig-id: PTP_RC_SessionNotOpen
      doc: "The operation needs an open session."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response SessionNotOpen; chdkptp ptp.h PTP_RC_SessionNotOpen"
      -category: "session"
    0x2004:
      id: invalid_transaction_id
      -orig-id: PTP_RC_InvalidTransactionID
      doc: "The transaction id is out of sequence or reserved."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidTransactionID; chdkptp ptp.h PTP_RC_InvalidTransactionID"
      -category: "transaction"
    0x2005:
      id: operation_not_supported
      -orig-id: PTP_RC_OperationNotSupported
      doc: "Unknown operation code; a camera without CHDK answers it to 0x9999."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response OperationNotSupported; chdkptp ptp.h PTP_RC_OperationNotSupported"
      -category: "not_supported"
    0x2006:
      id: parameter_not_supported
      -orig-id: PTP_RC_ParameterNotSupported
      doc: "A parameter is not supported; CHDK answers it to an unknown sub-command or a script language other than Lua."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response ParameterNotSupported; chdkptp ptp.h PTP_RC_ParameterNotSupported"
      -category: "not_supported"
    0x2007:
      id: incomplete_transfer
      -orig-id: PTP_RC_IncompleteTransfer
      doc: "The data phase was cut short."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response IncompleteTransfer; chdkptp ptp.h PTP_RC_IncompleteTransfer"
      -category: "transaction"
    0x2008:
      id: invalid_storage_id
      -orig-id: PTP_RC_InvalidStorageID
      doc: "No such storage."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidStorageID; chdkptp ptp.h PTP_RC_InvalidStorageID"
      -category: "storage"
    0x2009:
      id: invalid_object_handle
      -orig-id: PTP_RC_InvalidObjectHandle
      doc: "No such object."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidObjectHandle; chdkptp ptp.h PTP_RC_InvalidObjectHandle"
      -category: "object"
    0x200A:
      id: device_prop_not_supported
      -orig-id: PTP_RC_DevicePropNotSupported
      doc: "Unknown device property."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response DevicePropNotSupported; chdkptp ptp.h PTP_RC_DevicePropNotSupported"
      -category: "not_supported"
    0x200B:
      id: invalid_object_format_code
      -orig-id: PTP_RC_InvalidObjectFormatCode
      doc: "The object format code is not valid here."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidObjectFormatCode; chdkptp ptp.h PTP_RC_InvalidObjectFormatCode"
      -category: "invalid_parameter"
    0x200C:
      id: store_full
      -orig-id: PTP_RC_StoreFull
      doc: "The store is full."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response StoreFull; chdkptp ptp.h PTP_RC_StoreFull"
      -category: "storage"
    0x200D:
      id: object_write_protected
      -orig-id: PTP_RC_ObjectWriteProtected
      doc: "The object is write-protected."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response ObjectWriteProtected; chdkptp ptp.h PTP_RC_ObjectWriteProtected"
      -category: "object"
    0x200E:
      id: store_read_only
      -orig-id: PTP_RC_StoreReadOnly
      doc: "The store is read-only."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response StoreReadOnly; chdkptp ptp.h PTP_RC_StoreReadOnly"
      -category: "storage"
    0x200F:
      id: access_denied
      -orig-id: PTP_RC_AccessDenied
      doc: "Access to the data on the store is denied."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response AccessDenied; chdkptp ptp.h PTP_RC_AccessDenied"
      -category: "storage"
    0x2010:
      id: no_thumbnail_present
      -orig-id: PTP_RC_NoThumbnailPresent
      doc: "The object has no thumbnail."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response NoThumbnailPresent; chdkptp ptp.h PTP_RC_NoThumbnailPresent"
      -category: "object"
    0x2011:
      id: self_test_failed
      -orig-id: PTP_RC_SelfTestFailed
      doc: "The device self-test failed."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response SelfTestFailed; chdkptp ptp.h PTP_RC_SelfTestFailed"
      -category: "error"
    0x2012:
      id: partial_deletion
      -orig-id: PTP_RC_PartialDeletion
      doc: "Only some of the objects were deleted."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response PartialDeletion; chdkptp ptp.h PTP_RC_PartialDeletion"
      -category: "object"
    0x2013:
      id: store_not_available
      -orig-id: PTP_RC_StoreNotAvailable
      doc: "The store is not available (e.g. card removed)."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response StoreNotAvailable; chdkptp ptp.h PTP_RC_StoreNotAvailable"
      -category: "storage"
    0x2014:
      id: specification_by_format_unsupported
      -orig-id: PTP_RC_SpecificationByFormatUnsupported
      doc: "Selecting objects by format is not supported."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response SpecificationByFormatUnsupported; chdkptp ptp.h PTP_RC_SpecificationByFormatUnsupported"
      -category: "not_supported"
    0x2015:
      id: no_valid_object_info
      -orig-id: PTP_RC_NoValidObjectInfo
      doc: "SendObject without a valid SendObjectInfo."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response NoValidObjectInfo; chdkptp ptp.h PTP_RC_NoValidObjectInfo"
      -category: "object"
    0x2016:
      id: invalid_code_format
      -orig-id: PTP_RC_InvalidCodeFormat
      doc: "A code is not in a valid range."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidCodeFormat; chdkptp ptp.h PTP_RC_InvalidCodeFormat"
      -category: "invalid_parameter"
    0x2017:
      id: unknown_vendor_code
      -orig-id: PTP_RC_UnknownVendorCode
      doc: "A vendor code is unknown to the device."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response UnknownVendorCode; chdkptp ptp.h PTP_RC_UnknownVendorCode"
      -category: "not_supported"
    0x2018:
      id: capture_already_terminated
      -orig-id: PTP_RC_CaptureAlreadyTerminated
      doc: "The open capture has already ended."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response CaptureAlreadyTerminated; chdkptp ptp.h PTP_RC_CaptureAlreadyTerminated"
      -category: "error"
    0x2019:
      id: device_busy
      -orig-id: PTP_RC_DeviceBusy
      doc: "The device cannot accept the operation now; retry later."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response DeviceBusy; chdkptp ptp.h PTP_RC_DeviceBusy"
      -category: "busy"
    0x201A:
      id: invalid_parent_object
      -orig-id: PTP_RC_InvalidParentObject
      doc: "The parent object is not valid."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidParentObject; chdkptp ptp.h PTP_RC_InvalidParentObject"
      -category: "object"
    0x201B:
      id: invalid_device_prop_format
      -orig-id: PTP_RC_InvalidDevicePropFormat
      doc: "The property value has the wrong format."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidDevicePropFormat; chdkptp ptp.h PTP_RC_InvalidDevicePropFormat"
      -category: "invalid_parameter"
    0x201C:
      id: invalid_device_prop_value
      -orig-id: PTP_RC_InvalidDevicePropValue
      doc: "The property value is out of range."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidDevicePropValue; chdkptp ptp.h PTP_RC_InvalidDevicePropValue"
      -category: "invalid_parameter"
    0x201D:
      id: invalid_parameter
      -orig-id: PTP_RC_InvalidParameter
      doc: "A parameter value is not valid; CHDK uses it for bad sub-command arguments."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response InvalidParameter; chdkptp ptp.h PTP_RC_InvalidParameter"
      -category: "invalid_parameter"
    0x201E:
      id: session_already_open
      -orig-id: PTP_RC_SessionAlreadyOpened
      doc: "OpenSession while a session is open; its p1 is the open session id."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response SessionAlreadyOpened; chdkptp ptp.h PTP_RC_SessionAlreadyOpened"
      -category: "session"
    0x201F:
      id: transaction_cancelled
      -orig-id: PTP_RC_TransactionCanceled
      doc: "The transaction was cancelled (class request Cancel)."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response TransactionCanceled; chdkptp ptp.h PTP_RC_TransactionCanceled"
      -category: "transaction"
    0x2020:
      id: specification_of_destination_unsupported
      -orig-id: PTP_RC_SpecificationOfDestinationUnsupported
      doc: "Choosing the destination is not supported."
      doc-ref: "ISO 15740:2013 (PIMA 15740), response SpecificationOfDestinationUnsupported; chdkptp ptp.h PTP_RC_SpecificationOfDestinationUnsupported"
      -category: "not_supported"
  event_code:
    0x4000:
      id: undefined
      -orig-id: PTP_EC_Undefined
      doc: "Not a valid event."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event Undefined; chdkptp ptp.h PTP_EC_Undefined"
    0x4001:
      id: cancel_transaction
      -orig-id: PTP_EC_CancelTransaction
      doc: "p1 = transaction id; also the cancellation code in the Cancel class request."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event CancelTransaction; chdkptp ptp.h PTP_EC_CancelTransaction"
    0x4002:
      id: object_added
      -orig-id: PTP_EC_ObjectAdded
      doc: "p1 = object handle."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event ObjectAdded; chdkptp ptp.h PTP_EC_ObjectAdded"
    0x4003:
      id: object_removed
      -orig-id: PTP_EC_ObjectRemoved
      doc: "p1 = object handle."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event ObjectRemoved; chdkptp ptp.h PTP_EC_ObjectRemoved"
    0x4004:
      id: store_added
      -orig-id: PTP_EC_StoreAdded
      doc: "p1 = storage id."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event StoreAdded; chdkptp ptp.h PTP_EC_StoreAdded"
    0x4005:
      id: store_removed
      -orig-id: PTP_EC_StoreRemoved
      doc: "p1 = storage id."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event StoreRemoved; chdkptp ptp.h PTP_EC_StoreRemoved"
    0x4006:
      id: device_prop_changed
      -orig-id: PTP_EC_DevicePropChanged
      doc: "p1 = property code."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event DevicePropChanged; chdkptp ptp.h PTP_EC_DevicePropChanged"
    0x4007:
      id: object_info_changed
      -orig-id: PTP_EC_ObjectInfoChanged
      doc: "p1 = object handle."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event ObjectInfoChanged; chdkptp ptp.h PTP_EC_ObjectInfoChanged"
    0x4008:
      id: device_info_changed
      -orig-id: PTP_EC_DeviceInfoChanged
      doc: "Re-read DeviceInfo."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event DeviceInfoChanged; chdkptp ptp.h PTP_EC_DeviceInfoChanged"
    0x4009:
      id: request_object_transfer
      -orig-id: PTP_EC_RequestObjectTransfer
      doc: "p1 = object handle."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event RequestObjectTransfer; chdkptp ptp.h PTP_EC_RequestObjectTransfer"
    0x400A:
      id: store_full
      -orig-id: PTP_EC_StoreFull
      doc: "p1 = storage id."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event StoreFull; chdkptp ptp.h PTP_EC_StoreFull"
    0x400B:
      id: device_reset
      -orig-id: PTP_EC_DeviceReset
      doc: "The device reset; sessions are closed."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event DeviceReset; chdkptp ptp.h PTP_EC_DeviceReset"
    0x400C:
      id: storage_info_changed
      -orig-id: PTP_EC_StorageInfoChanged
      doc: "p1 = storage id."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event StorageInfoChanged; chdkptp ptp.h PTP_EC_StorageInfoChanged"
    0x400D:
      id: capture_complete
      -orig-id: PTP_EC_CaptureComplete
      doc: "p1 = transaction id of the capture."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event CaptureComplete; chdkptp ptp.h PTP_EC_CaptureComplete"
    0x400E:
      id: unreported_status
      -orig-id: PTP_EC_UnreportedStatus
      doc: "Some events were lost; resynchronise."
      doc-ref: "ISO 15740:2013 (PIMA 15740), event UnreportedStatus; chdkptp ptp.h PTP_EC_UnreportedStatus"
    0xC008:
      id: canon_device_info_changed
      -orig-id: PTP_EC_CANON_DeviceInfoChanged
      doc: "Canon vendor event: DeviceInfo changed."
      doc-ref: "libgphoto2 camlibs/ptp2/ptp.h PTP_EC_CANON_DeviceInfoChanged"
    0xC009:
      id: canon_request_object_transfer
      -orig-id: PTP_EC_CANON_RequestObjectTransfer
      doc: "Canon vendor event: an object is ready for transfer."
      doc-ref: "libgphoto2 camlibs/ptp2/ptp.h PTP_EC_CANON_RequestObjectTransfer"
    0xC00C:
      id: canon_camera_mode_changed
      -orig-id: PTP_EC_CANON_CameraModeChanged
      doc: "Canon vendor event: the camera changed mode (play/record)."
      doc-ref: "libgphoto2 camlibs/ptp2/ptp.h PTP_EC_CANON_CameraModeChanged"
  object_format:
    0x3000:
      id: undefined
      -orig-id: PTP_OFC_Undefined
      doc: "Non-image object of unknown type."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_Undefined"
    0x3001:
      id: association
      -orig-id: PTP_OFC_Association
      doc: "Association (a folder on a PowerShot's card)."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_Association"
    0x3002:
      id: script
      -orig-id: PTP_OFC_Script
      doc: "Device-model-specific script."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_Script"
    0x3003:
      id: executable
      -orig-id: PTP_OFC_Executable
      doc: "Device-model-specific binary executable."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_Executable"
    0x3004:
      id: text
      -orig-id: PTP_OFC_Text
      doc: "Text file."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_Text"
    0x3005:
      id: html
      -orig-id: PTP_OFC_HTML
      doc: "HTML file."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_HTML"
    0x3006:
      id: dpof
      -orig-id: PTP_OFC_DPOF
      doc: "Digital Print Order Format file."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_DPOF"
    0x3007:
      id: aiff
      -orig-id: PTP_OFC_AIFF
      doc: "AIFF audio clip."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_AIFF"
    0x3008:
      id: wav
      -orig-id: PTP_OFC_WAV
      doc: "WAV audio clip."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_WAV"
    0x3009:
      id: mp3
      -orig-id: PTP_OFC_MP3
      doc: "MP3 audio clip."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_MP3"
    0x300A:
      id: avi
      -orig-id: PTP_OFC_AVI
      doc: "AVI video clip."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_AVI"
    0x300B:
      id: mpeg
      -orig-id: PTP_OFC_MPEG
      doc: "MPEG video clip."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_MPEG"
    0x300C:
      id: asf
      -orig-id: PTP_OFC_ASF
      doc: "Microsoft Advanced Streaming Format video."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_ASF"
    0x3800:
      id: undefined_image
      doc: "Image of unknown type (the 'Undefined' code of the image format range)."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes"
    0x3801:
      id: exif_jpeg
      -orig-id: PTP_OFC_EXIF_JPEG
      doc: "EXIF/JPEG image: what a PowerShot stores its shots as."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_EXIF_JPEG"
    0x3802:
      id: tiff_ep
      -orig-id: PTP_OFC_TIFF_EP
      doc: "TIFF/EP (electronic photography) image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_TIFF_EP"
    0x3803:
      id: flashpix
      -orig-id: PTP_OFC_FlashPix
      doc: "FlashPix image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_FlashPix"
    0x3804:
      id: bmp
      -orig-id: PTP_OFC_BMP
      doc: "Windows bitmap image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_BMP"
    0x3805:
      id: ciff
      -orig-id: PTP_OFC_CIFF
      doc: "Canon camera image file format."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_CIFF"
    0x3807:
      id: gif
      -orig-id: PTP_OFC_GIF
      doc: "GIF image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_GIF"
    0x3808:
      id: jfif
      -orig-id: PTP_OFC_JFIF
      doc: "JPEG file interchange format image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_JFIF"
    0x3809:
      id: pcd
      -orig-id: PTP_OFC_PCD
      doc: "PhotoCD image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_PCD"
    0x380A:
      id: pict
      -orig-id: PTP_OFC_PICT
      doc: "QuickDraw PICT image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_PICT"
    0x380B:
      id: png
      -orig-id: PTP_OFC_PNG
      doc: "PNG image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_PNG"
    0x380D:
      id: tiff
      -orig-id: PTP_OFC_TIFF
      doc: "TIFF image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_TIFF"
    0x380E:
      id: tiff_it
      -orig-id: PTP_OFC_TIFF_IT
      doc: "TIFF/IT (graphic arts) image."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_TIFF_IT"
    0x380F:
      id: jp2
      -orig-id: PTP_OFC_JP2
      doc: "JPEG 2000 baseline file."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_JP2"
    0x3810:
      id: jpx
      -orig-id: PTP_OFC_JPX
      doc: "JPEG 2000 extended file."
      doc-ref: "ISO 15740:2013 (PIMA 15740), object format codes; libgphoto2 camlibs/ptp2/ptp.h PTP_OFC_JPX"
  vendor_extension_id:
    0x01:
      id: eastman_kodak
      -orig-id: PTP_VENDOR_EASTMAN_KODAK
      doc: "Eastman Kodak."
      doc-ref: "fact sheet §1.6 (cp-ptp.h vendor extension table); chdkptp ptp.h PTP_VENDOR_EASTMAN_KODAK"
    0x06:
      id: microsoft
      -orig-id: PTP_VENDOR_MICROSOFT
      doc: "Microsoft (also used by MTP devices)."
      doc-ref: "fact sheet §1.6 (cp-ptp.h vendor extension table); chdkptp ptp.h PTP_VENDOR_MICROSOFT"
    0x0A:
      id: nikon
      -orig-id: PTP_VENDOR_NIKON
      doc: "Nikon."
      doc-ref: "fact sheet §1.6 (cp-ptp.h vendor extension table); chdkptp ptp.h PTP_VENDOR_NIKON"
    0x0B:
      id: canon
      -orig-id: PTP_VENDOR_CANON
      doc: "Canon; what chdkptp's table gives for a PowerShot (not confirmed from a camera's DeviceInfo, fact sheet §1.6)."
      doc-ref: "fact sheet §1.6 (cp-ptp.h vendor extension table); chdkptp ptp.h PTP_VENDOR_CANON"

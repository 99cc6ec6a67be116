meta:
  id: chdk_upload_file
  title: CHDK UploadFile data phase
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  The host-to-camera data phase of CHDK sub-command UploadFile (`chdk_codes::chdk_command`
  upload_file): the destination path, then the file contents up to the end of the data phase.
  The camera opens the path for writing ("wb") and writes the rest. Paths look like
  `A/CHDK/SCRIPTS/X.LUA`; some models fail on paths longer than about 32 characters.
doc-ref: "CHDK core/ptp.c (PTP_CHDK_UploadFile handler); CHDK core/ptp.h"
seq:
  - id: len_name
    -orig-id: name_len
    type: u4
    valid:
      min: 1
    doc: Length of `name` in bytes.
    doc-ref: "CHDK core/ptp.c (PTP_CHDK_UploadFile handler)"
  - id: name
    -orig-id: fn
    size: len_name
    doc: Camera path in the camera's 8-bit character set, without a NUL terminator.
    doc-ref: "CHDK core/ptp.c (PTP_CHDK_UploadFile handler)"
  - id: contents
    size-eos: true
    doc: The file contents (may be empty).
    doc-ref: "CHDK core/ptp.c (PTP_CHDK_UploadFile handler)"

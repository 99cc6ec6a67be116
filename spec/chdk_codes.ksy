meta:
  id: chdk_codes
  title: CHDK PTP extension code tables (sub-commands, flags, message types, live-view constants)
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  Code tables of the CHDK PTP extension (operation 0x9999, protocol 2.9) and its live-view
  sub-protocol (2.2). Enums only. Enum names ending in `_flags` are bit flags. Entries of
  `chdk_command` carry project metadata read by our generator: `-data-phase` (`none`, `in`:
  camera to host, `out`: host to camera), `-since` (first protocol version that has it),
  `-params-in` (command params; p1 is always the sub-command) and `-params-out` (response params).
doc-ref: "CHDK core/ptp.h; CHDK core/live_view.h; CHDK core/ptp.c"
enums:
  chdk_command:
    0:
      id: version
      -orig-id: PTP_CHDK_Version
      doc: "Protocol version of the camera (`protocol_version`)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_Version; CHDK core/ptp.c"
      -data-phase: "none"
      -since: "0.1"
      -params-in: "none"
      -params-out: "p1 = major, p2 = minor"
    1:
      id: get_memory
      -orig-id: PTP_CHDK_GetMemory
      doc: "Reads camera memory; data IN is `size` bytes. size < 1 gives general_error with no data phase."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_GetMemory; CHDK core/ptp.c"
      -data-phase: "in"
      -since: "0.1"
      -params-in: "p2 = address, p3 = size in bytes (>= 1), p4 = get_memory_mode (2.8+, else 0)"
      -params-out: "none"
    2:
      id: set_memory
      -orig-id: PTP_CHDK_SetMemory
      doc: "Writes camera memory; data OUT is `size` bytes."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SetMemory; CHDK core/ptp.c"
      -data-phase: "out"
      -since: "0.1"
      -params-in: "p2 = address (non-zero), p3 = size in bytes (>= 1)"
      -params-out: "none"
    3:
      id: call_function
      -orig-id: PTP_CHDK_CallFunction
      doc: "Calls a camera function; data OUT is a u4 array [function address, arg1 .. argN], a non-zero multiple of 4 bytes."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_CallFunction; CHDK core/ptp.c"
      -data-phase: "out"
      -since: "0.1"
      -params-in: "none"
      -params-out: "p1 = return value"
    4:
      id: temp_data
      -orig-id: PTP_CHDK_TempData
      doc: "Stores data OUT in the camera's temporary buffer (e.g. the DownloadFile path). With flag download the data phase is IN (the stored bytes); with only clear there is no data phase."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TempData; CHDK core/ptp.c"
      -data-phase: "out"
      -since: "0.1"
      -params-in: "p2 = temp_data_flags"
      -params-out: "none"
    5:
      id: upload_file
      -orig-id: PTP_CHDK_UploadFile
      doc: "Writes a file on the card; data OUT is a `chdk_upload_file` payload."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_UploadFile; CHDK core/ptp.c"
      -data-phase: "out"
      -since: "0.1"
      -params-in: "none"
      -params-out: "none"
    6:
      id: download_file
      -orig-id: PTP_CHDK_DownloadFile
      doc: "Reads the file whose path was stored with TempData (sent without NUL); 1 dummy byte and general_error if it cannot be opened."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_DownloadFile; CHDK core/ptp.c"
      -data-phase: "in"
      -since: "0.1"
      -params-in: "none"
      -params-out: "p1 = file size"
    7:
      id: execute_script
      -orig-id: PTP_CHDK_ExecuteScript
      doc: "Starts a script; data OUT is the source text (chdkptp appends one NUL, CHDK terminates the buffer itself)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_ExecuteScript; CHDK core/ptp.c"
      -data-phase: "out"
      -since: "0.1"
      -params-in: "p2 = script_language (low byte) | exec_flags (2.6+)"
      -params-out: "p1 = script id, p2 = exec_start_status"
    8:
      id: script_status
      -orig-id: PTP_CHDK_ScriptStatus
      doc: "Whether a script runs and whether camera-to-host messages are queued."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_ScriptStatus; CHDK core/ptp.c"
      -data-phase: "none"
      -since: "0.2"
      -params-in: "none"
      -params-out: "p1 = script_status_flags"
    9:
      id: script_support
      -orig-id: PTP_CHDK_ScriptSupport
      doc: "Which script languages the camera can run."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_ScriptSupport; CHDK core/ptp.c"
      -data-phase: "none"
      -since: "0.2"
      -params-in: "none"
      -params-out: "p1 = script_support_flags"
    10:
      id: read_script_msg
      -orig-id: PTP_CHDK_ReadScriptMsg
      doc: "Pops one camera-to-host message; the data phase is its bytes (always at least 1 byte: take the length from p4)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_ReadScriptMsg; CHDK core/ptp.c"
      -data-phase: "in"
      -since: "1.0"
      -params-in: "none"
      -params-out: "p1 = message_type, p2 = message_subtype or error_subtype, p3 = script id, p4 = data length"
    11:
      id: write_script_msg
      -orig-id: PTP_CHDK_WriteScriptMsg
      doc: "Queues one host-to-camera message; data OUT is the message bytes and must not be empty."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_WriteScriptMsg; CHDK core/ptp.c"
      -data-phase: "out"
      -since: "1.0"
      -params-in: "p2 = target script id (0 = any)"
      -params-out: "p1 = write_msg_status"
    12:
      id: get_display_data
      -orig-id: PTP_CHDK_GetDisplayData
      doc: "One live-view frame (`chdk_lv_frame`); 1 dummy byte and general_error on failure. Experimental from 2.1, released in 2.3."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_GetDisplayData; CHDK core/ptp.c"
      -data-phase: "in"
      -since: "2.3"
      -params-in: "p2 = live_view_flags"
      -params-out: "p1 = total frame size"
    13:
      id: remote_capture_is_ready
      -orig-id: PTP_CHDK_RemoteCaptureIsReady
      doc: "Polls remote capture for data."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_RemoteCaptureIsReady; CHDK core/ptp.c"
      -data-phase: "none"
      -since: "2.5"
      -params-in: "none"
      -params-out: "p1 = capture_format_flags available (0 = none yet, notset = not initialised or timed out), p2 = image number"
    14:
      id: remote_capture_get_data
      -orig-id: PTP_CHDK_RemoteCaptureGetData
      doc: "Fetches one chunk of remote-capture data; 1 dummy byte and general_error if that type is not available."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_RemoteCaptureGetData; CHDK core/ptp.c"
      -data-phase: "in"
      -since: "2.5"
      -params-in: "p2 = exactly one capture_format_flags bit"
      -params-out: "p1 = chunk length, p2 = 1 if more chunks follow, p3 = file offset (0xFFFFFFFF = after the previous chunk)"
  protocol_version:
    2:
      id: major
      -orig-id: PTP_CHDK_VERSION_MAJOR
      doc: "Major protocol version this library speaks; a camera with another major is incompatible."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_VERSION_MAJOR"
    9:
      id: minor
      -orig-id: PTP_CHDK_VERSION_MINOR
      doc: "Newest minor version this library knows; features are gated on the camera's minor."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_VERSION_MINOR"
  script_language:
    0:
      id: lua
      -orig-id: PTP_CHDK_SL_LUA
      doc: "Lua 5.1 with 32-bit integer numbers; the only language ExecuteScript runs."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SL_LUA"
    1:
      id: ubasic
      -orig-id: PTP_CHDK_SL_UBASIC
      doc: "uBASIC; ExecuteScript answers parameter_not_supported."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SL_UBASIC"
  exec_flags:
    0x100:
      id: nokill
      -orig-id: PTP_CHDK_SCRIPT_FL_NOKILL
      doc: "Fail with exec_start_status script_running instead of killing a running script (2.6+)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SCRIPT_FL_NOKILL"
    0x200:
      id: flush_cam_msgs
      -orig-id: PTP_CHDK_SCRIPT_FL_FLUSH_CAM_MSGS
      doc: "Discard queued camera-to-host messages before starting (2.6+)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SCRIPT_FL_FLUSH_CAM_MSGS"
    0x400:
      id: flush_host_msgs
      -orig-id: PTP_CHDK_SCRIPT_FL_FLUSH_HOST_MSGS
      doc: "Discard queued host-to-camera messages before starting (2.6+)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SCRIPT_FL_FLUSH_HOST_MSGS"
  script_status_flags:
    0x1:
      id: run
      -orig-id: PTP_CHDK_SCRIPT_STATUS_RUN
      doc: "A script is running."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SCRIPT_STATUS_RUN"
    0x2:
      id: msg
      -orig-id: PTP_CHDK_SCRIPT_STATUS_MSG
      doc: "Camera-to-host messages are queued."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SCRIPT_STATUS_MSG"
  script_support_flags:
    0x1:
      id: lua
      -orig-id: PTP_CHDK_SCRIPT_SUPPORT_LUA
      doc: "Lua scripts can be run."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_SCRIPT_SUPPORT_LUA"
  message_type:
    0:
      id: none
      -orig-id: PTP_CHDK_S_MSGTYPE_NONE
      doc: "The queue was empty (all params 0, 1 dummy data byte)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_MSGTYPE_NONE"
    1:
      id: error
      -orig-id: PTP_CHDK_S_MSGTYPE_ERR
      doc: "A script error; the subtype is an `error_subtype`, the data its text."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_MSGTYPE_ERR"
    2:
      id: ret
      -orig-id: PTP_CHDK_S_MSGTYPE_RET
      doc: "One return value of the script (chdkptp calls it `return`); the subtype is a `message_subtype`."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_MSGTYPE_RET"
    3:
      id: user
      -orig-id: PTP_CHDK_S_MSGTYPE_USER
      doc: "A value sent by the script with write_usb_msg; the subtype is a `message_subtype`."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_MSGTYPE_USER"
  message_subtype:
    0:
      id: unsupported
      -orig-id: PTP_CHDK_TYPE_UNSUPPORTED
      doc: "A Lua type that cannot be sent; the data is its type name (e.g. `function`)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TYPE_UNSUPPORTED"
    1:
      id: nil
      -orig-id: PTP_CHDK_TYPE_NIL
      doc: "nil; 4 zero bytes of data."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TYPE_NIL"
    2:
      id: boolean
      -orig-id: PTP_CHDK_TYPE_BOOLEAN
      doc: "A boolean as s4 0 or 1."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TYPE_BOOLEAN"
    3:
      id: integer
      -orig-id: PTP_CHDK_TYPE_INTEGER
      doc: "A 32-bit signed integer (s4)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TYPE_INTEGER"
    4:
      id: string
      -orig-id: PTP_CHDK_TYPE_STRING
      doc: "Raw bytes without NUL; may be empty."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TYPE_STRING"
    5:
      id: table
      -orig-id: PTP_CHDK_TYPE_TABLE
      doc: "Table text made by the camera's usb_msg_table_to_string (2.0+)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TYPE_TABLE"
  error_subtype:
    0:
      id: none
      -orig-id: PTP_CHDK_S_ERRTYPE_NONE
      doc: "No error."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_ERRTYPE_NONE"
    1:
      id: compile
      -orig-id: PTP_CHDK_S_ERRTYPE_COMPILE
      doc: "The script did not compile."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_ERRTYPE_COMPILE"
    2:
      id: runtime
      -orig-id: PTP_CHDK_S_ERRTYPE_RUN
      doc: "The script raised an error while running."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_ERRTYPE_RUN"
  write_msg_status:
    0:
      id: ok
      -orig-id: PTP_CHDK_S_MSGSTATUS_OK
      doc: "Queued."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_MSGSTATUS_OK"
    1:
      id: notrun
      -orig-id: PTP_CHDK_S_MSGSTATUS_NOTRUN
      doc: "No script is running."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_MSGSTATUS_NOTRUN"
    2:
      id: qfull
      -orig-id: PTP_CHDK_S_MSGSTATUS_QFULL
      doc: "The host-to-camera queue is full."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_MSGSTATUS_QFULL"
    3:
      id: badid
      -orig-id: PTP_CHDK_S_MSGSTATUS_BADID
      doc: "The target script id is neither 0 nor the running script."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_MSGSTATUS_BADID"
  exec_start_status:
    0:
      id: ok
      -orig-id: PTP_CHDK_S_ERRTYPE_NONE
      doc: "The script started."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_ERRTYPE_NONE"
    1:
      id: compile_error
      -orig-id: PTP_CHDK_S_ERRTYPE_COMPILE
      doc: "The script did not compile; an error/compile message is queued."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_ERRTYPE_COMPILE"
    4096:
      id: script_running
      -orig-id: PTP_CHDK_S_ERR_SCRIPTRUNNING
      doc: "Another script runs and exec flag nokill was set; p1 is the previous script id."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_S_ERR_SCRIPTRUNNING"
  temp_data_flags:
    0x1:
      id: download
      -orig-id: PTP_CHDK_TD_DOWNLOAD
      doc: "Send the stored data back (data IN) instead of storing data OUT."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TD_DOWNLOAD"
    0x2:
      id: clear
      -orig-id: PTP_CHDK_TD_CLEAR
      doc: "Free the stored data (after download, if both are set)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_TD_CLEAR"
  get_memory_mode:
    0:
      id: direct
      -orig-id: PTP_CHDK_GETMEM_MODE_DIRECT
      doc: "Send straight from the address (DMA); the only mode before 2.8."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_GETMEM_MODE_DIRECT"
    1:
      id: buffer
      -orig-id: PTP_CHDK_GETMEM_MODE_BUFFER
      doc: "Copy to a buffer first (for MMIO/TCM regions; 2.8+)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_GETMEM_MODE_BUFFER"
  capture_format_flags:
    0x00000001:
      id: jpg
      -orig-id: PTP_CHDK_CAPTURE_JPG
      doc: "The JPEG file, in chunks that can arrive out of order (each with an offset)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_CAPTURE_JPG"
    0x00000002:
      id: raw
      -orig-id: PTP_CHDK_CAPTURE_RAW
      doc: "The raw framebuffer as packed little-endian pixels, one chunk."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_CAPTURE_RAW"
    0x00000004:
      id: dnghdr
      -orig-id: PTP_CHDK_CAPTURE_DNGHDR
      doc: "A DNG header for the raw data, one chunk; the host adds the thumbnail."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_CAPTURE_DNGHDR"
    0x00000008:
      id: craw
      -orig-id: PTP_CHDK_CAPTURE_CRAW
      doc: "A Canon CR2 file, in chunks (2.9+)."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_CAPTURE_CRAW"
    0x10000000:
      id: notset
      -orig-id: PTP_CHDK_CAPTURE_NOTSET
      doc: "RemoteCaptureIsReady status: capture not initialised, or cancelled by its timeout."
      doc-ref: "CHDK core/ptp.h PTP_CHDK_CAPTURE_NOTSET"
  remote_capture_offset:
    0xFFFFFFFF:
      id: sequential
      doc: "RemoteCaptureGetData p3: no seek, write the chunk right after the previous one (-1 as s4)."
      doc-ref: "fact sheet §2 (sub-command 14) and §4.3; CHDK core/ptp.c (remote capture get data)"
  live_view_flags:
    0x01:
      id: viewport
      -orig-id: LV_TFR_VIEWPORT
      doc: "Send the live image (viewport)."
      doc-ref: "CHDK core/live_view.h LV_TFR_VIEWPORT"
    0x04:
      id: bitmap
      -orig-id: LV_TFR_BITMAP
      doc: "Send the UI overlay (bitmap)."
      doc-ref: "CHDK core/live_view.h LV_TFR_BITMAP"
    0x08:
      id: palette
      -orig-id: LV_TFR_PALETTE
      doc: "Send the overlay palette (not on Digic 6/7)."
      doc-ref: "CHDK core/live_view.h LV_TFR_PALETTE"
    0x10:
      id: bitmap_opacity
      -orig-id: LV_TFR_BITMAP_OPACITY
      doc: "Send the Digic 6/7 overlay opacity plane (live view 2.2)."
      doc-ref: "CHDK core/live_view.h LV_TFR_BITMAP_OPACITY"
  framebuffer_type:
    0:
      id: yuv8
      -orig-id: LV_FB_YUV8
      doc: "6 bytes per 4 pixels: U, Y0, V, Y1, Y2, Y3 with signed U and V."
      doc-ref: "CHDK core/live_view.h LV_FB_YUV8"
    1:
      id: pal8
      -orig-id: LV_FB_PAL8
      doc: "1 byte per pixel, an index into the palette."
      doc-ref: "CHDK core/live_view.h LV_FB_PAL8"
    2:
      id: yuv8b
      -orig-id: LV_FB_YUV8B
      doc: "4 bytes per 2 pixels: U, Y0, V, Y1 with U and V offset by 128 (Digic 6, live view 2.2)."
      doc-ref: "CHDK core/live_view.h LV_FB_YUV8B"
    3:
      id: yuv8c
      -orig-id: LV_FB_YUV8C
      doc: "4 bytes per 2 pixels: U, Y0, V, Y1 with signed U and V (Digic 6 alternative, live view 2.2)."
      doc-ref: "CHDK core/live_view.h LV_FB_YUV8C"
    4:
      id: opacity8
      -orig-id: LV_FB_OPACITY8
      doc: "1 byte of opacity per pixel (live view 2.2)."
      doc-ref: "CHDK core/live_view.h LV_FB_OPACITY8"
  palette_type:
    0:
      id: none
      doc: "No palette (none sent, or the camera has none)."
      doc-ref: "CHDK core/live_view.h; CHDK platform/generic/wrappers.c (palette comments)"
    1:
      id: type_1
      doc: "16 entries of 4 bytes: A, Y, U (s1), V (s1)."
      doc-ref: "CHDK platform/generic/wrappers.c (palette comments); chdkptp liveimg.c"
    2:
      id: type_2
      doc: "16 entries of 4 bytes: A, Y, U, V."
      doc-ref: "CHDK platform/generic/wrappers.c (palette comments); chdkptp liveimg.c"
    3:
      id: type_3
      doc: "256 entries of 4 bytes: V (s1), U (s1), Y, A."
      doc-ref: "CHDK platform/generic/wrappers.c (palette comments); chdkptp liveimg.c"
    4:
      id: type_4
      doc: "16 entries of 4 bytes: V, U, Y, A (live view 2.1)."
      doc-ref: "CHDK platform/generic/wrappers.c (palette comments); chdkptp liveimg.c"
    5:
      id: type_5
      doc: "256 entries of 4 bytes: V, U, Y, A; alpha in bits 4-5 of A."
      doc-ref: "CHDK platform/generic/wrappers.c (palette comments); chdkptp liveimg.c"
  live_view_version_major:
    2:
      id: current
      -orig-id: LIVE_VIEW_VERSION_MAJOR
      doc: "The live-view sub-protocol major version this library reads; below 2 is a development version."
      doc-ref: "fact sheet §3.2; CHDK core/live_view.h LIVE_VIEW_VERSION_MAJOR"
  live_view_version_minor:
    0:
      id: first_release
      doc: "Live view 2.0, the first release (CHDK 1.1)."
      doc-ref: "fact sheet §3.2; CHDK core/live_view.h (version history)"
    1:
      id: palette_type_4
      doc: "Live view 2.1: adds palette type 4."
      doc-ref: "fact sheet §3.2; CHDK core/live_view.h (version history)"
    2:
      id: digic6
      -orig-id: LIVE_VIEW_VERSION_MINOR
      doc: "Live view 2.2: first minor with the Digic 6/7 framebuffer types, the opacity plane, 3:2 aspect and `bmo_desc_start`."
      doc-ref: "fact sheet §3.2; CHDK core/live_view.h LIVE_VIEW_VERSION_MINOR"
  yuv8b_bitmap_group:
    0x00800080:
      id: transparent
      doc: "A 4-byte U, Y0, V, Y1 group of a Digic 6 bitmap sent without an opacity plane that counts as transparent (every other group is opaque); bytes 80 00 80 00."
      doc-ref: "fact sheet §3.5 (Digic 6 bitmap); chdkptp liveimg.c"
  lcd_aspect_ratio:
    0:
      id: aspect_4_3
      -orig-id: LV_ASPECT_4_3
      doc: "4:3 screen."
      doc-ref: "CHDK core/live_view.h LV_ASPECT_4_3"
    1:
      id: aspect_16_9
      -orig-id: LV_ASPECT_16_9
      doc: "16:9 screen."
      doc-ref: "CHDK core/live_view.h LV_ASPECT_16_9"
    2:
      id: aspect_3_2
      -orig-id: LV_ASPECT_3_2
      doc: "3:2 screen (live view 2.2)."
      doc-ref: "CHDK core/live_view.h LV_ASPECT_3_2"

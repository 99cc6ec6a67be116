"""The simulated camera's PTP/CHDK responder, driven through pyusb and the simulated backend.

Every CHDK sub-command, the session rules, the class requests, hostile containers, the
PTP-level fault knobs and the storage-enumeration trap.  The host side is the small
``PtpLink`` (pyusb endpoints + our container codec), not the chdkptp client.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
import usb.core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chdkptp._generated.chdk_codes import (
    CaptureFormatFlags,
    ChdkCommand,
    ExecFlags,
    ExecStartStatus,
    GetMemoryMode,
    LiveViewFlags,
    MessageSubtype,
    MessageType,
    ScriptLanguage,
    ScriptStatusFlags,
    ScriptSupportFlags,
    TempDataFlags,
    WriteMsgStatus,
)
from chdkptp._generated.ptp_codes import (
    EventCode,
    ObjectFormat,
    OperationCode,
    ResponseCode,
    VendorExtensionId,
)
from chdkptp._generated.ptp_device_info import PtpDeviceInfo
from chdkptp._generated.usb_codes import UsbClassRequest, UsbRequestType
from chdkptp.ptp import containers as c
from chdkptp.sim import responder as r
from chdkptp.sim.camera import SimulatedCamera
from chdkptp.sim.faults import StaleMessage
from chdkptp.sim.usb import SimulatedBackend
from tests.sim._ptplink import PtpLink, Result

CHDK = OperationCode.CHDK
OK = ResponseCode.OK
GE = ResponseCode.GENERAL_ERROR
PNS = ResponseCode.PARAMETER_NOT_SUPPORTED
CMD = ChdkCommand


def make(version: tuple[int, int] | None = (2, 9), **kwargs: object) -> SimulatedCamera:
    return SimulatedCamera(chdk_version=version, **kwargs)  # type: ignore[arg-type]


def with_cam(**kwargs: object) -> pytest.MarkDecorator:
    """Run the test against a camera built with these SimulatedCamera arguments."""
    label = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return pytest.mark.parametrize("cam", [kwargs], indirect=True, ids=[label])


@pytest.fixture
def cam(request: pytest.FixtureRequest) -> Iterator[SimulatedCamera]:
    kwargs = dict(getattr(request, "param", {}))
    camera = make(**kwargs)
    yield camera
    camera.close()


@pytest.fixture
def raw_link(cam: SimulatedCamera) -> Iterator[PtpLink]:
    link = PtpLink(SimulatedBackend([cam]))
    yield link
    link.close()


@pytest.fixture
def link(raw_link: PtpLink) -> PtpLink:
    assert raw_link.open_session().code == OK
    return raw_link


def run_lua(link: PtpLink, source: str, flags: int = 0) -> tuple[int, int]:
    res = link.chdk(CMD.EXECUTE_SCRIPT, ScriptLanguage.LUA | flags, data=source.encode() + b"\0")
    assert res.code == OK and res.data is None
    return res.params[0], res.params[1]


def read_msg(link: PtpLink) -> Result:
    res = link.chdk(CMD.READ_SCRIPT_MSG)
    assert res.code == OK and res.data is not None
    return res


def wait_msg(link: PtpLink, cam: SimulatedCamera, tries: int = 200) -> Result:
    for _ in range(tries):
        res = read_msg(link)
        if res.params[0] != MessageType.NONE:
            return res
        cam.clock.advance(50)
    raise AssertionError("no script message")


# --- standard PTP ------------------------------------------------------------------------------


def test_device_info_outside_session(raw_link: PtpLink, cam: SimulatedCamera) -> None:
    res = raw_link.transact(OperationCode.GET_DEVICE_INFO)
    assert res.code == OK and res.data is not None
    assert res.data == cam.device_info
    info = PtpDeviceInfo.from_bytes(res.data)
    assert info.model.value == "Canon PowerShot SX160 IS"
    assert info.manufacturer.value == "Canon Inc."
    assert info.serial_number.value == "SIM00001"
    assert info.device_version.value == r.SIM_DEVICE_VERSION
    assert info.vendor_extension_id == r.SIM_VENDOR_EXTENSION_ID
    assert info.vendor_extension_id == VendorExtensionId.CANON
    assert list(info.image_formats.items) == [ObjectFormat.EXIF_JPEG, ObjectFormat.ASSOCIATION]
    ops = list(info.operations_supported.items)
    assert OperationCode.CHDK in ops and OperationCode.OPEN_SESSION in ops


def test_device_info_without_chdk_omits_0x9999() -> None:
    with make(None) as cam:
        info = PtpDeviceInfo.from_bytes(cam.device_info)
        assert OperationCode.CHDK not in list(info.operations_supported.items)


def test_session_rules(raw_link: PtpLink) -> None:
    assert raw_link.chdk(CMD.VERSION).code == ResponseCode.SESSION_NOT_OPEN
    assert raw_link.transact(OperationCode.CLOSE_SESSION).code == ResponseCode.SESSION_NOT_OPEN
    assert (
        raw_link.transact(OperationCode.OPEN_SESSION, (0,)).code == ResponseCode.INVALID_PARAMETER
    )
    assert raw_link.open_session(7).code == OK
    again = raw_link.open_session(1)
    assert (again.code, again.params) == (ResponseCode.SESSION_ALREADY_OPEN, (7,))
    assert raw_link.transact(OperationCode.GET_DEVICE_INFO).code == OK  # also inside a session
    assert raw_link.transact(OperationCode.CLOSE_SESSION).code == OK
    assert raw_link.chdk(CMD.VERSION).code == ResponseCode.SESSION_NOT_OPEN


def test_unsupported_operation(link: PtpLink) -> None:
    assert link.transact(OperationCode.INITIATE_CAPTURE, (0, 0)).code == (
        ResponseCode.OPERATION_NOT_SUPPORTED
    )
    assert link.transact(0x9123).code == ResponseCode.OPERATION_NOT_SUPPORTED


def test_camera_without_chdk() -> None:
    with make(None) as cam:
        link = PtpLink(SimulatedBackend([cam]))
        link.open_session()
        assert link.chdk(CMD.VERSION).code == ResponseCode.OPERATION_NOT_SUPPORTED


def test_transaction_ids_echoed_and_lenient(link: PtpLink) -> None:
    for tid in (5, 5, 3, 0xFFFFFFFE):
        res = link.transact(CHDK, (CMD.VERSION,), tid=tid)
        assert (res.code, res.tid) == (OK, tid)


@with_cam(strict_transaction_ids=True)
def test_strict_transaction_ids(link: PtpLink) -> None:
    assert link.chdk(CMD.VERSION).code == OK  # tid 1 after OpenSession's 0
    assert link.transact(CHDK, (CMD.VERSION,), tid=1).code == ResponseCode.INVALID_TRANSACTION_ID
    assert link.transact(CHDK, (CMD.VERSION,), tid=2).code == OK


def test_operations_log(link: PtpLink, cam: SimulatedCamera) -> None:
    link.chdk(CMD.SCRIPT_STATUS)
    assert cam.operations_log[-2:] == [
        (OperationCode.OPEN_SESSION, (1,)),
        (CHDK, (CMD.SCRIPT_STATUS,)),
    ]


# --- containers on the wire --------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 499, 500, 501, 1012, 1013, 5000])
def test_data_out_split_and_zlp(link: PtpLink, size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    assert link.chdk(CMD.TEMP_DATA, 0, data=payload).code == OK
    res = link.chdk(CMD.TEMP_DATA, TempDataFlags.DOWNLOAD)
    if size == 0:
        assert res.data == b""
    else:
        assert res.data == payload


def test_data_container_with_wrong_tid_refused(link: PtpLink) -> None:
    tid = link.send_command(CHDK, (CMD.TEMP_DATA, 0))
    link.send_data(CHDK, tid + 1, b"abc")
    assert link.read_result(tid).code == GE
    assert link.chdk(CMD.VERSION).code == OK


def test_lying_command_length(link: PtpLink) -> None:
    raw = bytearray(c.encode_command(CHDK, 9, (CMD.VERSION,)))
    raw[0:4] = (4096).to_bytes(4, "little")
    link.ep_out.write(bytes(raw))
    res = link.read_result(9)
    assert res.code == GE
    assert link.chdk(CMD.VERSION).code == OK


def test_lying_data_length_is_refused_without_allocating(link: PtpLink) -> None:
    tid = link.send_command(CHDK, (CMD.TEMP_DATA, 0))
    header = c.encode_data_header(CHDK, tid, 0xFFFFFFF0 - c.HEADER_SIZE)
    link.ep_out.write(header + b"x" * 500)
    assert link.read_result(tid).code == ResponseCode.INCOMPLETE_TRANSFER
    link.ep_out.write(b"y" * 700)  # the rest of the lie is dropped
    assert link.chdk(CMD.VERSION).params == (2, 9)


def test_short_data_phase_is_incomplete(link: PtpLink) -> None:
    tid = link.send_command(CHDK, (CMD.TEMP_DATA, 0))
    link.ep_out.write(c.encode_data_header(CHDK, tid, 2000) + b"z" * 100)
    assert link.read_result(tid).code == ResponseCode.INCOMPLETE_TRANSFER
    assert link.chdk(CMD.VERSION).code == OK


def test_unexpected_data_container_is_ignored(link: PtpLink) -> None:
    link.send_data(CHDK, 77, b"stray")
    assert link.chdk(CMD.VERSION).code == OK


# --- class requests ----------------------------------------------------------------------------


def test_device_status_idle_and_busy(link: PtpLink) -> None:
    assert link.device_status() == bytes.fromhex("04000120")
    tid = link.send_command(CHDK, (CMD.TEMP_DATA, 0))  # waiting for its data phase
    busy = link.device_status()
    assert struct.unpack("<HH", busy) == (4, ResponseCode.DEVICE_BUSY)
    link.send_data(CHDK, tid, b"x")
    assert link.read_result(tid).code == OK
    assert link.device_status() == bytes.fromhex("04000120")


def test_cancel_aborts_data_phase(link: PtpLink) -> None:
    tid = link.send_command(CHDK, (CMD.TEMP_DATA, 0))
    link.ep_out.write(c.encode_data_header(CHDK, tid, 100000) + b"a" * 500)
    link.cancel(tid, EventCode.CANCEL_TRANSACTION)
    assert link.device_status() == bytes.fromhex("04000120")
    link.ep_out.write(b"a" * 1024)  # the host's write was already in flight: dropped
    assert link.chdk(CMD.VERSION).code == OK
    assert link.chdk(CMD.TEMP_DATA, TempDataFlags.DOWNLOAD).code == GE  # nothing was stored


def test_device_reset_recovery_like_chdkptp(cam: SimulatedCamera) -> None:
    first = PtpLink(SimulatedBackend([cam]))
    assert first.open_session().code == OK  # an earlier process left the session open
    assert first.open_session().code == ResponseCode.SESSION_ALREADY_OPEN
    first.device_reset()
    assert first.device_status() == bytes.fromhex("04000120")
    assert first.open_session().code == OK
    assert first.chdk(CMD.VERSION).code == OK


@pytest.mark.parametrize(
    ("request_type", "code"),
    [
        (UsbRequestType.CLASS_INTERFACE_IN, 0x42),
        (UsbRequestType.CLASS_INTERFACE_IN, UsbClassRequest.GET_EXTENDED_EVENT_DATA),
        (UsbRequestType.CLASS_INTERFACE_IN, UsbClassRequest.DEVICE_RESET),  # wrong direction
    ],
)
def test_unsupported_class_requests_stall(link: PtpLink, request_type: int, code: int) -> None:
    with pytest.raises(usb.core.USBError) as info:
        link.dev.ctrl_transfer(request_type, code, 0, link.interface, 8)
    assert info.value.errno == 32
    assert link.chdk(CMD.VERSION).code == OK


def test_malformed_cancel_stalls(link: PtpLink) -> None:
    with pytest.raises(usb.core.USBError) as info:
        link.dev.ctrl_transfer(
            UsbRequestType.CLASS_INTERFACE_OUT, UsbClassRequest.CANCEL, 0, link.interface, b"\x01"
        )
    assert info.value.errno == 32


def test_mode_switch_posts_event(link: PtpLink, cam: SimulatedCamera) -> None:
    cam.state.switch_mode(True)
    cam.clock.advance(1000)
    link.chdk(CMD.SCRIPT_STATUS)
    event = link.read_event()
    assert event is not None
    header = c.decode_header(event)
    assert header.code == EventCode.CANON_CAMERA_MODE_CHANGED
    assert link.read_event(50) is None


# --- storage-enumeration trap ------------------------------------------------------------------


def test_storage_enumeration_trap(link: PtpLink, cam: SimulatedCamera) -> None:
    assert cam.storage_enumeration_count == 0 and not cam.state.record_refused
    ids = link.transact(OperationCode.GET_STORAGE_IDS)
    assert ids.code == OK and ids.data == struct.pack("<II", 1, r.SIM_STORAGE_ID)
    assert cam.state.record_refused
    info = link.transact(OperationCode.GET_STORAGE_INFO, (r.SIM_STORAGE_ID,))
    assert info.code == OK and info.data is not None
    assert struct.unpack_from("<HHH", info.data) == (
        r.SIM_STORAGE_TYPE,
        r.SIM_FILESYSTEM_TYPE,
        r.SIM_ACCESS_CAPABILITY,
    )
    handles = link.transact(OperationCode.GET_OBJECT_HANDLES, (0xFFFFFFFF, 0, 0))
    assert handles.code == OK and handles.data == b"\0\0\0\0"
    assert link.transact(OperationCode.GET_NUM_OBJECTS, (0xFFFFFFFF,)).params == (0,)
    assert link.transact(OperationCode.GET_OBJECT_INFO, (1,)).code == (
        ResponseCode.INVALID_OBJECT_HANDLE
    )
    assert cam.storage_enumeration_count == 5
    # the camera now refuses record mode, as a real PowerShot does
    cam.state.switch_mode(True)
    cam.clock.advance(2000)
    assert cam.state.mode == "play"


def test_storage_enumeration_counted_without_session(
    raw_link: PtpLink, cam: SimulatedCamera
) -> None:
    assert raw_link.transact(OperationCode.GET_STORAGE_IDS).code == ResponseCode.SESSION_NOT_OPEN
    assert cam.storage_enumeration_count == 1


# --- CHDK sub-commands -------------------------------------------------------------------------


def test_version(link: PtpLink) -> None:
    res = link.chdk(CMD.VERSION)
    assert (res.code, res.params, res.data) == (OK, (2, 9), None)


@with_cam(version=(2, 5))
def test_version_configurable(link: PtpLink) -> None:
    assert link.chdk(CMD.VERSION).params == (2, 5)


@pytest.mark.parametrize("params", [(), (15,), (0xFFFF,)])
def test_unknown_sub_command(link: PtpLink, params: tuple[int, ...]) -> None:
    res = link.transact(CHDK, params)
    assert (res.code, res.data) == (PNS, None)


def test_get_memory(link: PtpLink, cam: SimulatedCamera) -> None:
    res = link.chdk(CMD.GET_MEMORY, r.SIM_ROM_BASE, 8, GetMemoryMode.DIRECT)
    assert (res.code, res.data) == (OK, b"SIMULATE")
    low = link.chdk(CMD.GET_MEMORY, 0, 4, GetMemoryMode.BUFFER)
    assert low.data == bytes(cam.responder.memory.ram[:4])
    zero = link.chdk(CMD.GET_MEMORY, 0x1000, 0)
    assert (zero.code, zero.data) == (GE, None)  # size < 1: no data phase
    assert link.chdk(CMD.GET_MEMORY, 0x1000, 4, 7).code == PNS
    assert link.chdk(CMD.GET_MEMORY, 0x80000000, 4).code == GE  # unmapped


@with_cam(version=(2, 7))
def test_get_memory_mode_before_2_8(link: PtpLink) -> None:
    assert link.chdk(CMD.GET_MEMORY, 0x1000, 4, GetMemoryMode.DIRECT).code == OK
    assert link.chdk(CMD.GET_MEMORY, 0x1000, 4, GetMemoryMode.BUFFER).code == PNS


def test_set_memory(link: PtpLink) -> None:
    assert link.chdk(CMD.SET_MEMORY, 0x100, 4, data=b"\x01\x02\x03\x04").code == OK
    assert link.chdk(CMD.GET_MEMORY, 0x100, 4).data == b"\x01\x02\x03\x04"
    assert link.chdk(CMD.SET_MEMORY, 0, 4, data=b"abcd").code == GE
    assert link.chdk(CMD.SET_MEMORY, 0x100, 0, data=b"a").code == GE
    assert link.chdk(CMD.SET_MEMORY, 0x80000000, 1, data=b"a").code == GE


def words(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)


def test_call_function(link: PtpLink) -> None:
    res = link.chdk(CMD.CALL_FUNCTION, data=words(r.SIM_FUNC_SUM, 1, 2, 3))
    assert (res.code, res.params) == (OK, (6,))
    assert link.chdk(CMD.CALL_FUNCTION, data=words(r.SIM_ROM_BASE)).params == (0,)
    assert link.chdk(CMD.CALL_FUNCTION, data=b"").code == GE
    assert link.chdk(CMD.CALL_FUNCTION, data=b"\x01\x02\x03").code == GE
    assert link.chdk(CMD.CALL_FUNCTION, data=words(r.SIM_FUNC_SUM, *range(12))).params == (66,)


@with_cam(version=(2, 4))
def test_call_function_argument_limit_before_2_5(link: PtpLink) -> None:
    assert link.chdk(CMD.CALL_FUNCTION, data=words(r.SIM_FUNC_SUM, *range(10))).code == OK
    assert link.chdk(CMD.CALL_FUNCTION, data=words(r.SIM_FUNC_SUM, *range(11))).code == GE


def test_temp_data(link: PtpLink, cam: SimulatedCamera) -> None:
    assert link.chdk(CMD.TEMP_DATA, TempDataFlags.DOWNLOAD).code == GE  # nothing stored
    assert link.chdk(CMD.TEMP_DATA, 0, data=b"first").code == OK
    assert link.chdk(CMD.TEMP_DATA, 0, data=b"second").code == OK  # replaces
    assert link.chdk(CMD.TEMP_DATA, TempDataFlags.DOWNLOAD).data == b"second"
    both = TempDataFlags.DOWNLOAD | TempDataFlags.CLEAR
    assert link.chdk(CMD.TEMP_DATA, both).data == b"second"
    assert cam.responder.temp_data is None
    assert link.chdk(CMD.TEMP_DATA, 0, data=b"x").code == OK
    clear = link.chdk(CMD.TEMP_DATA, TempDataFlags.CLEAR)  # no data phase at all
    assert (clear.code, clear.data) == (OK, None)
    assert link.chdk(CMD.TEMP_DATA, TempDataFlags.DOWNLOAD).code == GE


def upload_payload(name: str, contents: bytes) -> bytes:
    return struct.pack("<I", len(name)) + name.encode() + contents


def test_upload_file(link: PtpLink, cam: SimulatedCamera) -> None:
    blob = bytes(range(256)) * 40
    assert link.chdk(CMD.UPLOAD_FILE, data=upload_payload("A/CHDK/SCRIPTS/T.LUA", blob)).code == OK
    assert (cam.card.root / "CHDK" / "SCRIPTS" / "T.LUA").read_bytes() == blob
    assert link.chdk(CMD.UPLOAD_FILE, data=upload_payload("A/NODIR/X.TXT", b"1")).code == GE
    assert link.chdk(CMD.UPLOAD_FILE, data=upload_payload("A/../escape", b"1")).code == GE
    assert link.chdk(CMD.UPLOAD_FILE, data=b"\xff\x00\x00\x00ab").code == GE  # lying name length
    assert not (cam.card.root.parent / "escape").exists()


def test_download_file(link: PtpLink, cam: SimulatedCamera) -> None:
    blob = b"hello card" * 1000
    (cam.card.root / "DCIM" / "F.BIN").write_bytes(blob)
    assert link.chdk(CMD.TEMP_DATA, 0, data=b"A/DCIM/F.BIN").code == OK
    res = link.chdk(CMD.DOWNLOAD_FILE)
    assert (res.code, res.params, res.data) == (OK, (len(blob),), blob)
    # the name was consumed: a second download has no name → 1 dummy byte + GeneralError
    again = link.chdk(CMD.DOWNLOAD_FILE)
    assert (again.code, again.data) == (GE, b"\0")
    assert link.chdk(CMD.TEMP_DATA, 0, data=b"A/DCIM/MISSING.JPG").code == OK
    missing = link.chdk(CMD.DOWNLOAD_FILE)
    assert (missing.code, missing.data) == (GE, b"\0")
    assert cam.responder.temp_data is None


def test_download_empty_file(link: PtpLink, cam: SimulatedCamera) -> None:
    (cam.card.root / "EMPTY.TXT").write_bytes(b"")
    link.chdk(CMD.TEMP_DATA, 0, data=b"A/EMPTY.TXT")
    res = link.chdk(CMD.DOWNLOAD_FILE)
    assert (res.code, res.params, res.data) == (OK, (0,), b"")


def test_execute_script_and_messages(link: PtpLink, cam: SimulatedCamera) -> None:
    assert link.chdk(CMD.SCRIPT_SUPPORT).params == (ScriptSupportFlags.LUA,)
    empty = read_msg(link)
    assert (empty.params, empty.data) == ((MessageType.NONE, 0, 0, 0), b"\0")
    script_id, status = run_lua(link, "return 6 * 7")
    assert (script_id, status) == (1, ExecStartStatus.OK)
    msg = wait_msg(link, cam)
    assert msg.params == (MessageType.RET, MessageSubtype.INTEGER, 1, 4)
    assert msg.data == struct.pack("<i", 42)
    status_res = link.chdk(CMD.SCRIPT_STATUS)
    assert status_res.params[0] & ScriptStatusFlags.RUN == 0


def test_execute_script_compile_error_consumes_id(link: PtpLink, cam: SimulatedCamera) -> None:
    assert run_lua(link, "return 1") == (1, ExecStartStatus.OK)
    script_id, status = run_lua(link, "this is not lua")
    assert (script_id, status) == (2, ExecStartStatus.COMPILE_ERROR)
    msgs = [wait_msg(link, cam) for _ in range(2)]
    assert msgs[-1].params[0] == MessageType.ERROR and msgs[-1].params[2] == 2


def test_execute_script_without_nul(link: PtpLink, cam: SimulatedCamera) -> None:
    res = link.chdk(CMD.EXECUTE_SCRIPT, ScriptLanguage.LUA, data=b"return 'x'")
    assert res.params == (1, ExecStartStatus.OK)
    msg = wait_msg(link, cam)
    assert (msg.params[1], msg.data) == (MessageSubtype.STRING, b"x")


def test_empty_message_sends_one_byte(link: PtpLink, cam: SimulatedCamera) -> None:
    run_lua(link, "return ''")
    msg = wait_msg(link, cam)
    assert msg.params == (MessageType.RET, MessageSubtype.STRING, 1, 0)
    assert msg.data == b"\0"  # CHDK never sends an empty data phase


def test_execute_non_lua_reads_data_then_refuses(link: PtpLink) -> None:
    res = link.chdk(CMD.EXECUTE_SCRIPT, ScriptLanguage.UBASIC, data=b"print 1\0")
    assert (res.code, res.data) == (PNS, None)
    assert link.chdk(CMD.VERSION).code == OK


NOKILL_ALL = ExecFlags.NOKILL | ExecFlags.FLUSH_CAM_MSGS | ExecFlags.FLUSH_HOST_MSGS


def test_exec_flags_nokill(link: PtpLink) -> None:
    assert run_lua(link, "sleep(100000)") == (1, ExecStartStatus.OK)
    assert run_lua(link, "return 1", NOKILL_ALL) == (1, ExecStartStatus.SCRIPT_RUNNING)
    assert run_lua(link, "return 1", ExecFlags.FLUSH_CAM_MSGS) == (2, ExecStartStatus.OK)


@with_cam(version=(2, 5))
def test_exec_flags_ignored_before_2_6(link: PtpLink) -> None:
    assert run_lua(link, "sleep(100000)") == (1, ExecStartStatus.OK)
    # NOKILL is ignored: the running script is killed and the new one starts
    assert run_lua(link, "return 1", NOKILL_ALL) == (2, ExecStartStatus.OK)


def test_write_script_msg(link: PtpLink, cam: SimulatedCamera) -> None:
    assert link.chdk(CMD.WRITE_SCRIPT_MSG, 0, data=b"hi").params == (WriteMsgStatus.NOTRUN,)
    script_id, _ = run_lua(link, "local m = read_usb_msg(10000) return m")
    empty = link.chdk(CMD.WRITE_SCRIPT_MSG, 0, data=b"")
    assert (empty.code, empty.data) == (GE, None)
    assert link.chdk(CMD.WRITE_SCRIPT_MSG, script_id + 5, data=b"x").params == (
        WriteMsgStatus.BADID,
    )
    assert link.chdk(CMD.WRITE_SCRIPT_MSG, script_id, data=b"ping").params == (WriteMsgStatus.OK,)
    msg = wait_msg(link, cam)
    assert (msg.params[0], msg.data) == (MessageType.RET, b"ping")


def test_stale_message_fault(link: PtpLink, cam: SimulatedCamera) -> None:
    cam.faults.stale_messages.append(
        StaleMessage(
            script_id=99, type=MessageType.USER, subtype=MessageSubtype.STRING, data=b"old"
        )
    )
    msg = wait_msg(link, cam)
    assert msg.params == (MessageType.USER, MessageSubtype.STRING, 99, 3)
    assert msg.data == b"old"


def test_get_display_data(link: PtpLink) -> None:
    flags = LiveViewFlags.VIEWPORT | LiveViewFlags.BITMAP | LiveViewFlags.PALETTE
    res = link.chdk(CMD.GET_DISPLAY_DATA, flags)
    assert res.code == OK and res.data is not None
    assert res.params == (len(res.data),)
    assert struct.unpack_from("<ii", res.data) == (2, 1)  # live-view protocol 2.1 (yuv411)


@with_cam(display="yuv422")
def test_get_display_data_digic6(link: PtpLink) -> None:
    res = link.chdk(CMD.GET_DISPLAY_DATA, LiveViewFlags.VIEWPORT | LiveViewFlags.BITMAP_OPACITY)
    assert res.data is not None and struct.unpack_from("<ii", res.data) == (2, 2)


@with_cam(version=(2, 2))
def test_old_versions_lack_live_view_and_remote_capture(link: PtpLink) -> None:
    for sub, params in (
        (CMD.GET_DISPLAY_DATA, (1,)),
        (CMD.REMOTE_CAPTURE_IS_READY, ()),
        (CMD.REMOTE_CAPTURE_GET_DATA, (1,)),
    ):
        res = link.chdk(sub, *params)
        assert (res.code, res.data) == (PNS, None)


@with_cam(version=(2, 4))
def test_remote_capture_needs_2_5(link: PtpLink) -> None:
    assert link.chdk(CMD.GET_DISPLAY_DATA, 1).code == OK
    assert link.chdk(CMD.REMOTE_CAPTURE_IS_READY).code == PNS


def test_remote_capture_not_set_up(link: PtpLink) -> None:
    res = link.chdk(CMD.REMOTE_CAPTURE_IS_READY)
    assert (res.code, res.params) == (OK, (CaptureFormatFlags.NOTSET, 0))
    data = link.chdk(CMD.REMOTE_CAPTURE_GET_DATA, CaptureFormatFlags.JPG)
    assert (data.code, data.params, data.data) == (GE, (0, 0), b"\0")


def switch_to_record(link: PtpLink, cam: SimulatedCamera) -> None:
    run_lua(link, "switch_mode_usb(1)")
    cam.clock.advance(2000)
    assert cam.state.mode == "record"


def test_remote_capture_jpeg(link: PtpLink, cam: SimulatedCamera, tmp_path: Path) -> None:
    switch_to_record(link, cam)
    _, status = run_lua(
        link,
        "init_usb_capture(1) shoot() sleep(5000) init_usb_capture(0)",
        ExecFlags.FLUSH_CAM_MSGS,
    )
    assert status == ExecStartStatus.OK
    for _ in range(400):
        ready = link.chdk(CMD.REMOTE_CAPTURE_IS_READY)
        if ready.params[0] not in (0, CaptureFormatFlags.NOTSET):
            break
        cam.clock.advance(25)
    assert ready.params[0] == CaptureFormatFlags.JPG and ready.params[1] > 0
    image = bytearray()
    pos = 0
    for _ in range(100):
        chunk = link.chdk(CMD.REMOTE_CAPTURE_GET_DATA, CaptureFormatFlags.JPG)
        assert chunk.code == OK and chunk.data is not None
        size, more, offset = chunk.params
        assert size == len(chunk.data)
        if offset != 0xFFFFFFFF:
            pos = offset
        end = pos + size
        if len(image) < end:
            image.extend(b"\0" * (end - len(image)))
        image[pos:end] = chunk.data
        pos = end
        if not more:
            break
    assert image[:2] == b"\xff\xd8" and image.rstrip(b"\0")[-2:] == b"\xff\xd9"
    # asking again for a type that is no longer available: dummy byte + GeneralError
    again = link.chdk(CMD.REMOTE_CAPTURE_GET_DATA, CaptureFormatFlags.JPG)
    assert (again.code, again.data) == (GE, b"\0")


@with_cam(version=(2, 8))
def test_craw_refused_before_2_9(link: PtpLink) -> None:
    res = link.chdk(CMD.REMOTE_CAPTURE_GET_DATA, CaptureFormatFlags.CRAW)
    assert (res.code, res.params, res.data) == (GE, (0, 0), b"\0")


# --- PTP-level faults --------------------------------------------------------------------------


def test_busy_responses(link: PtpLink, cam: SimulatedCamera) -> None:
    cam.faults.busy_responses = 2
    assert link.chdk(CMD.VERSION).code == ResponseCode.DEVICE_BUSY
    # an operation with a data phase OUT still has its data consumed
    busy = link.chdk(CMD.TEMP_DATA, 0, data=b"abc")
    assert (busy.code, busy.data) == (ResponseCode.DEVICE_BUSY, None)
    # an operation with a data phase IN gets no data phase
    assert link.chdk(CMD.VERSION).code == OK
    assert cam.responder.temp_data is None


def test_slow_camera_gap(link: PtpLink, cam: SimulatedCamera) -> None:
    cam.faults.min_transaction_gap_ms = 60_000
    assert link.chdk(CMD.VERSION).code == ResponseCode.DEVICE_BUSY
    cam.clock.advance(60_001)
    assert link.chdk(CMD.VERSION).code == OK
    cam.faults.min_transaction_gap_ms = 0
    assert link.chdk(CMD.VERSION).code == OK


def test_get_device_status_while_response_unread(link: PtpLink) -> None:
    tid = link.send_command(CHDK, (CMD.VERSION,))
    assert struct.unpack("<HH", link.device_status())[1] == ResponseCode.DEVICE_BUSY
    assert link.read_result(tid).code == OK
    assert link.device_status() == bytes.fromhex("04000120")


# --- robustness (sans-IO, straight into the responder) ------------------------------------------


@pytest.fixture(scope="module")
def fuzz_cam() -> Iterator[SimulatedCamera]:
    camera = make()
    yield camera
    camera.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunks=st.lists(
        st.one_of(
            st.binary(max_size=80),
            st.builds(
                lambda length, ctype, code, tid, tail: (
                    struct.pack("<IHHI", length, ctype, code, tid) + tail
                ),
                st.integers(0, 0xFFFFFFFF),
                st.integers(0, 5),
                st.sampled_from([int(CHDK), int(OperationCode.OPEN_SESSION), 0x1001, 0x1234]),
                st.integers(0, 0xFFFFFFFF),
                st.binary(max_size=40),
            ),
        ),
        max_size=6,
    )
)
def test_garbage_never_escapes_and_reset_recovers(
    fuzz_cam: SimulatedCamera, chunks: list[bytes]
) -> None:
    r = fuzz_cam.responder
    for chunk in chunks:
        r.bulk_out(chunk)  # never raises, whatever arrives
    while r.bulk_in() is not None:
        pass
    r.class_request(UsbRequestType.CLASS_INTERFACE_OUT, UsbClassRequest.DEVICE_RESET, 0, 0, b"", 0)
    r.bulk_out(c.encode_command(OperationCode.OPEN_SESSION, 0, (1,)))
    r.bulk_out(c.encode_command(CHDK, 1, (CMD.VERSION,)))
    replies = [r.bulk_in(), r.bulk_in()]
    assert r.bulk_in() is None
    assert [c.decode_header(x).code for x in replies if x is not None] == [OK, OK]
    version = replies[1]
    assert version is not None and c.decode_params(version[12:]) == (2, 9)

"""UsbTransport against the simulated pyusb backend: containers, ZLPs, streaming, errors."""

from __future__ import annotations

import errno
import io
from collections.abc import Iterator

import pytest
import usb.core
import usb.util

import chdkptp
from chdkptp._generated.chdk_codes import ChdkCommand, TempDataFlags
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp._generated.ptp_codes import ContainerType, OperationCode, ResponseCode
from chdkptp.discovery import find_device
from chdkptp.errors import (
    ChdkTimeoutError,
    DeviceAccessError,
    DeviceDisconnectedError,
    TransportError,
)
from chdkptp.ptp.containers import HEADER_SIZE, encode_command, encode_data_header
from chdkptp.session import Session
from chdkptp.sim import SimulatedBackend, SimulatedCamera
from chdkptp.transport.access import access_advice, busy_advice, map_usb_error
from chdkptp.transport.base import Transport, sink_writer
from chdkptp.transport.usb import UsbTransport

PACKET = 512


@pytest.fixture
def transport(backend: SimulatedBackend) -> Iterator[UsbTransport]:
    device, _info = find_device(backend=backend)
    t = UsbTransport.open(device, timeout=2.0)
    yield t
    t.close()


@pytest.fixture
def session(transport: UsbTransport) -> Iterator[Session]:
    s = Session(transport)
    s.open()
    yield s
    s.close()


def upload(session: Session, name: str, contents: bytes) -> None:
    payload = ChdkUploadFile(len_name=len(name), name=name.encode(), contents=contents).to_bytes()
    session.transaction(OperationCode.CHDK, (ChdkCommand.UPLOAD_FILE,), data_out=payload)


def set_download_name(session: Session, name: str) -> None:
    session.transaction(OperationCode.CHDK, (ChdkCommand.TEMP_DATA, 0), data_out=name.encode())


def test_is_a_transport(transport: UsbTransport) -> None:
    assert isinstance(transport, Transport)
    assert transport.packet_size == PACKET
    assert transport.description.startswith("usb:")


def test_raw_device_info_exchange(transport: UsbTransport) -> None:
    transport.send(encode_command(OperationCode.GET_DEVICE_INFO, 0, ()))
    data = transport.receive_container()
    assert data.header.type == ContainerType.DATA
    assert data.header.code == OperationCode.GET_DEVICE_INFO
    assert len(data.payload) == data.header.length - HEADER_SIZE
    resp = transport.receive_container()
    assert resp.header.type == ContainerType.RESPONSE
    assert resp.header.code == ResponseCode.OK


def test_device_status_and_class_requests(transport: UsbTransport) -> None:
    assert transport.get_device_status() == ResponseCode.OK
    transport.cancel(5)
    transport.reset()
    assert transport.get_device_status() == ResponseCode.OK
    transport.clear_halts()


@pytest.mark.parametrize("size", [0, 1, 499, 500, 501, PACKET - HEADER_SIZE + PACKET,
                                  3 * PACKET - HEADER_SIZE, 200_000])
def test_upload_download_round_trip_at_packet_edges(session: Session, sim: SimulatedCamera,
                                                    size: int) -> None:
    """Containers that are exact multiples of 512 need a ZLP both ways; others must not."""
    name = "A/EDGE.BIN"
    contents = bytes((i * 7) & 0xFF for i in range(size))
    upload(session, name, contents)
    assert sim.card.to_local(name).read_bytes() == contents
    set_download_name(session, name)
    resp = session.transaction(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,))
    assert resp.data == contents
    # the link is still in step afterwards
    assert session.transaction(OperationCode.CHDK, (ChdkCommand.VERSION,)).params[0] == 2


def test_upload_container_of_exact_packet_multiple(session: Session,
                                                           sim: SimulatedCamera) -> None:
    # the upload payload (4 + name + contents) makes a container of exactly 1024 bytes
    name = "A/Z.BIN"
    contents = b"z" * (1024 - HEADER_SIZE - 4 - len(name))
    upload(session, name, contents)
    assert sim.card.to_local(name).read_bytes() == contents


def test_streamed_download_to_file_and_callback(session: Session, sim: SimulatedCamera) -> None:
    contents = bytes(range(256)) * 12_000  # ~3 MB: several chunks
    local = sim.card.to_local("A/BIG.BIN")
    local.write_bytes(contents)
    sink = io.BytesIO()
    set_download_name(session, "A/BIG.BIN")
    resp = session.transaction(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,), sink=sink)
    assert resp.data is None
    assert sink.getvalue() == contents
    chunks: list[int] = []
    pieces: list[bytes] = []

    def on_chunk(chunk: memoryview) -> None:
        chunks.append(len(chunk))
        pieces.append(bytes(chunk))

    set_download_name(session, "A/BIG.BIN")
    session.transaction(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,), sink=on_chunk)
    assert b"".join(pieces) == contents
    assert len(chunks) >= 3
    assert max(chunks) <= 1 << 20


def test_upload_from_file_object(session: Session, sim: SimulatedCamera) -> None:
    contents = b"0123456789" * 150_000
    name = b"A/FROMFILE.BIN"
    head = ChdkUploadFile(len_name=len(name), name=name, contents=b"").to_bytes()
    source = io.BytesIO(head + contents)
    session.transaction(OperationCode.CHDK, (ChdkCommand.UPLOAD_FILE,), data_out=source,
                        data_size=len(head) + len(contents))
    assert sim.card.to_local("A/FROMFILE.BIN").read_bytes() == contents


def test_short_file_source_is_a_value_error(session: Session) -> None:
    with pytest.raises(ValueError):
        session.transaction(OperationCode.CHDK, (ChdkCommand.UPLOAD_FILE,),
                            data_out=io.BytesIO(b"abc"), data_size=10)


def test_bytes_source_length_must_match_header(transport: UsbTransport) -> None:
    with pytest.raises(ValueError):
        transport.send_data(encode_data_header(OperationCode.CHDK, 1, 10), b"short")


def test_tempdata_clear_and_download(session: Session) -> None:
    session.transaction(OperationCode.CHDK, (ChdkCommand.TEMP_DATA, 0), data_out=b"abc")
    resp = session.transaction(OperationCode.CHDK,
                               (ChdkCommand.TEMP_DATA, TempDataFlags.DOWNLOAD))
    assert resp.data == b"abc"


def test_read_timeout_maps_to_chdk_timeout(transport: UsbTransport, sim: SimulatedCamera) -> None:
    sim.faults.read_timeouts = 1
    with pytest.raises(ChdkTimeoutError):
        transport.receive_container(timeout=0.05)


def test_unplug_maps_to_disconnected(transport: UsbTransport, sim: SimulatedCamera) -> None:
    sim.unplug()
    with pytest.raises(DeviceDisconnectedError):
        transport.send(encode_command(OperationCode.GET_DEVICE_INFO, 0, ()))
    with pytest.raises(DeviceDisconnectedError):
        transport.get_device_status()


def test_stall_maps_to_transport_error(transport: UsbTransport, sim: SimulatedCamera) -> None:
    sim.faults.stall_bulk_in = True
    transport.send(encode_command(OperationCode.GET_DEVICE_INFO, 0, ()))
    with pytest.raises(TransportError):
        transport.receive_container()


def test_closed_transport_refuses_and_close_is_idempotent(transport: UsbTransport) -> None:
    transport.close()
    transport.close()
    assert transport.closed
    with pytest.raises(DeviceDisconnectedError):
        transport.send(b"x" * 12)


def test_read_event_times_out_to_none(transport: UsbTransport) -> None:
    assert transport.read_event(0.01) is None


def test_sink_writer_accepts_files_and_callables() -> None:
    buf = io.BytesIO()
    sink_writer(buf)(memoryview(b"ab"))
    assert buf.getvalue() == b"ab"
    with pytest.raises(TypeError):
        sink_writer(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT), ChdkTimeoutError),
        (usb.core.USBError("No such device", -4, errno.ENODEV), DeviceDisconnectedError),
        (usb.core.USBError("Access denied", -3, errno.EACCES), DeviceAccessError),
        (usb.core.USBError("Resource busy", -6, errno.EBUSY), DeviceAccessError),
        (usb.core.USBError("Pipe error", -9, errno.EPIPE), TransportError),
        (usb.core.USBError("Overflow", -8, errno.EOVERFLOW), TransportError),
        (usb.core.USBError("odd", None, None), TransportError),
    ],
)
def test_usb_error_mapping(exc: usb.core.USBError, expected: type[Exception]) -> None:
    mapped = map_usb_error(exc, "testing")
    assert type(mapped) is expected
    assert "testing" in str(mapped)


def test_access_error_says_how_to_fix() -> None:
    err = map_usb_error(usb.core.USBError("Access denied", -3, errno.EACCES), "opening")
    assert isinstance(err, PermissionError)
    assert "udev" in access_advice("linux")
    assert "ptpcamerad" in access_advice("darwin")
    assert "WinUSB" in access_advice("win32")
    assert "gvfs" in busy_advice("linux")
    assert "ptpcamerad" in busy_advice("darwin")
    assert "Zadig" in busy_advice("win32")
    assert access_advice("plan9") and busy_advice("plan9")


@pytest.mark.parametrize(
    ("error", "cause"),
    [(usb.core.USBError("Access denied (insufficient permissions)", -3, errno.EACCES),
      "permission"),
     (usb.core.USBError("Resource busy", -6, errno.EBUSY), "busy")],
)
def test_claim_refused_by_the_os(backend: SimulatedBackend, monkeypatch: pytest.MonkeyPatch,
                                 error: usb.core.USBError, cause: str) -> None:
    """The OS edge (libusb's claim) refuses: the error names the cause and the fix."""

    def refuse(_device: object, _interface: object) -> None:
        raise error

    monkeypatch.setattr(usb.util, "claim_interface", refuse)
    with pytest.raises(DeviceAccessError) as info:
        chdkptp.connect(backend=backend)
    assert info.value.cause == cause
    assert ("udev" in str(info.value)) or ("gvfs" in str(info.value)) or \
        ("ptpcamerad" in str(info.value)) or ("WinUSB" in str(info.value))


def test_windows_driver_problem_says_winusb() -> None:
    exc = usb.core.USBError("Operation not supported or unimplemented on this platform", -12,
                            None)
    err = map_usb_error(exc, "claiming usb:001/002", platform="win32")
    assert isinstance(err, DeviceAccessError)
    assert err.cause == "driver"
    assert "Zadig" in str(err)
    assert type(map_usb_error(exc, "claiming", platform="linux")) is TransportError


@pytest.mark.parametrize(("plat", "word"), [("linux", "udev"), ("darwin", "ptpcamerad"),
                                            ("win32", "WinUSB")])
def test_permission_advice_per_platform(plat: str, word: str) -> None:
    exc = usb.core.USBError("Access denied", -3, errno.EACCES)
    assert word in str(map_usb_error(exc, "opening", platform=plat))

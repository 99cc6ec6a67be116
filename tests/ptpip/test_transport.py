"""The PTP/IP client transport: identity, connect errors, data phases, events, loss and
reconnect, and a camera that misbehaves (a scripted fake device on a raw socket)."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import struct
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import chdkptp
from chdkptp._generated.chdk_codes import ChdkCommand, TempDataFlags
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp._generated.ptp_codes import EventCode, OperationCode, ResponseCode
from chdkptp._generated.ptpip_packet import DataPhaseInfo, InitFailReason, PacketType
from chdkptp.camera import Camera
from chdkptp.errors import (
    CameraNotFoundError,
    ChdkTimeoutError,
    DeviceDisconnectedError,
    RemoteProtocolError,
    TransportError,
)
from chdkptp.ptp.containers import encode_command
from chdkptp.session import Session
from chdkptp.sim import PtpipServer, SimulatedCamera
from chdkptp.transport import ptpip as tp
from chdkptp.transport.base import Transport
from chdkptp.transport.ptpip import PtpipTransport, host_guid
from tests.ptpip.raw import P, packet, read_packet

CHDK = OperationCode.CHDK


def test_is_a_transport(server: PtpipServer) -> None:
    t = PtpipTransport.open(server.host, server.port)
    try:
        assert isinstance(t, Transport)
        assert t.device_name == "PowerShot SX160 IS"
        assert t.description == f"ptpip:{server.host}:{server.port} PowerShot SX160 IS"
    finally:
        t.close()
        t.close()  # idempotent
    assert t.closed


# --- identity -----------------------------------------------------------------------------

def test_guid_is_persisted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           server: PtpipServer) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    first = host_guid()
    assert len(first) == 16
    stored = (tmp_path / "chdkptp" / "guid").read_text().strip()
    assert uuid.UUID(stored).bytes == first
    assert host_guid() == first
    with chdkptp.connect(host=server.host, port=server.port):
        pass
    guid, name = server.clients[-1]
    assert guid == first, "the camera did not get the persisted GUID"
    assert name == tp.default_friendly_name() and name.startswith("chdkptp@")


def test_unwritable_config_never_crashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    first = host_guid()
    assert len(first) == 16 and host_guid() == first  # stable for this process


def test_corrupt_guid_file_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "chdkptp").mkdir()
    (tmp_path / "chdkptp" / "guid").write_text("garbage")
    guid = host_guid()
    assert uuid.UUID((tmp_path / "chdkptp" / "guid").read_text().strip()).bytes == guid


def test_custom_identity_reaches_the_camera(server: PtpipServer) -> None:
    guid = bytes(range(16))
    t = PtpipTransport.open(server.host, server.port, guid=guid, friendly_name="rig 3")
    t.close()
    assert server.clients[-1] == (guid, "rig 3")


# --- arguments and connect errors -----------------------------------------------------------

@pytest.mark.parametrize(("args", "kwargs", "exc"), [
    (("",), {}, TypeError),
    (("h", "15740"), {}, TypeError),
    (("h", 0), {}, ValueError),
    (("h", 70000), {}, ValueError),
    (("h",), {"timeout": 0}, ValueError),
    (("h",), {"guid": b"short"}, ValueError),
    (("h",), {"chunk_size": 0}, ValueError),
])
def test_bad_arguments(args: tuple[object, ...], kwargs: dict[str, object],
                       exc: type[Exception]) -> None:
    with pytest.raises(exc):
        PtpipTransport(*args, **kwargs)  # type: ignore[arg-type]


def test_connect_refuses_usb_selectors_with_host() -> None:
    with pytest.raises(ValueError):
        chdkptp.connect(host="127.0.0.1", serial="X")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_is_camera_not_found() -> None:
    with pytest.raises(CameraNotFoundError, match="no PTP/IP camera"):
        chdkptp.connect(host="127.0.0.1", port=free_port())


# --- a scripted fake device -------------------------------------------------------------------

@pytest.fixture
def fake() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """Serve one scripted behaviour on a loopback port; returns the port."""
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []
    stop = threading.Event()

    def start(behaviour: Callable[[socket.socket], None]) -> int:
        lst = socket.create_server(("127.0.0.1", 0))
        lst.settimeout(0.05)
        listeners.append(lst)

        def run() -> None:
            while not stop.is_set():
                try:
                    conn, _ = lst.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                conn.settimeout(5)
                with conn, contextlib.suppress(OSError):
                    behaviour(conn)

        th = threading.Thread(target=run, daemon=True)
        th.start()
        threads.append(th)
        return int(lst.getsockname()[1])

    yield start
    stop.set()
    for th in threads:
        th.join(timeout=2)
    for lst in listeners:
        lst.close()
    for th in threads:
        th.join(timeout=2)


def ack(sock: socket.socket) -> None:
    """Answer an init request the way a device does (command ack or event ack)."""
    ptype, _ = read_packet(sock)
    if ptype == PacketType.INIT_COMMAND_REQUEST:
        body = P.InitCommandAck(connection_number=1, guid=bytes(16), friendly_name="fake",
                                version_minor=0, version_major=1).to_bytes()
        sock.sendall(packet(PacketType.INIT_COMMAND_ACK, body))
    else:
        sock.sendall(packet(PacketType.INIT_EVENT_ACK))


def test_init_fail_is_a_transport_error_with_the_reason(fake: Callable[..., int]) -> None:
    def refuse(sock: socket.socket) -> None:
        read_packet(sock)
        sock.sendall(packet(PacketType.INIT_FAIL,
                            P.InitFail(reason=InitFailReason.BUSY).to_bytes()))

    port = fake(refuse)
    with pytest.raises(TransportError, match="busy"):
        PtpipTransport.open("127.0.0.1", port)


def test_silent_device_times_out(fake: Callable[..., int]) -> None:
    stop = threading.Event()
    port = fake(lambda sock: stop.wait(5))
    try:
        with pytest.raises(ChdkTimeoutError):
            PtpipTransport.open("127.0.0.1", port, connect_timeout=0.2)
    finally:
        stop.set()


def test_wrong_answer_to_init(fake: Callable[..., int]) -> None:
    def wrong(sock: socket.socket) -> None:
        read_packet(sock)
        sock.sendall(packet(PacketType.INIT_EVENT_ACK))

    port = fake(wrong)
    with pytest.raises(RemoteProtocolError, match="INIT_COMMAND_ACK"):
        PtpipTransport.open("127.0.0.1", port)


def transaction_against(fake: Callable[..., int], reply: bytes, *,
                        timeout: float = 2.0) -> Exception:
    """Run one GetDeviceInfo against a device that answers with ``reply`` bytes."""
    hold = threading.Event()

    def device(sock: socket.socket) -> None:
        ack(sock)
        kind, _ = read_packet(sock)
        if kind == PacketType.OPERATION_REQUEST:
            sock.sendall(reply)
        hold.wait(5)

    port = fake(device)
    t = PtpipTransport.open("127.0.0.1", port, events=False, timeout=timeout)
    try:
        s = Session(t)
        with pytest.raises(Exception) as info:
            s.transaction(OperationCode.GET_DEVICE_INFO)
        return info.value
    finally:
        hold.set()
        t.close()


@pytest.mark.parametrize(("name", "reply", "exc"), [
    ("type_out_of_range", struct.pack("<II", 8, 99), RemoteProtocolError),
    ("length_below_header", struct.pack("<II", 0, PacketType.OPERATION_RESPONSE),
     RemoteProtocolError),
    ("huge_control_packet", struct.pack("<II", 0xFFFFFFFF, PacketType.OPERATION_RESPONSE),
     RemoteProtocolError),
    ("init_packet_mid_session", packet(PacketType.INIT_COMMAND_ACK, bytes(24)),
     RemoteProtocolError),
    ("data_longer_than_announced",
     packet(PacketType.START_DATA, P.StartData(transaction_id=0, len_total=2).to_bytes())
     + packet(PacketType.END_DATA, struct.pack("<I", 0) + b"abc"), RemoteProtocolError),
    ("data_shorter_than_announced",
     packet(PacketType.START_DATA, P.StartData(transaction_id=0, len_total=9).to_bytes())
     + packet(PacketType.END_DATA, struct.pack("<I", 0) + b"abc"), RemoteProtocolError),
    ("response_inside_data_phase",
     packet(PacketType.START_DATA, P.StartData(transaction_id=0, len_total=9).to_bytes())
     + packet(PacketType.OPERATION_RESPONSE, bytes(6)), RemoteProtocolError),
    ("half_a_packet_then_silence", struct.pack("<II", 30, PacketType.OPERATION_RESPONSE),
     ChdkTimeoutError),
])
def test_misbehaving_device(fake: Callable[..., int], name: str, reply: bytes,
                            exc: type[Exception]) -> None:
    err = transaction_against(fake, reply, timeout=0.3)
    assert isinstance(err, exc), f"{name}: got {err!r}"


def test_device_closing_mid_packet_is_a_disconnect(fake: Callable[..., int]) -> None:
    def device(sock: socket.socket) -> None:
        ack(sock)
        read_packet(sock)
        sock.sendall(struct.pack("<II", 30, PacketType.OPERATION_RESPONSE) + b"\x01\x20")

    port = fake(device)
    t = PtpipTransport.open("127.0.0.1", port, events=False)
    try:
        with pytest.raises(DeviceDisconnectedError):
            Session(t).transaction(OperationCode.GET_DEVICE_INFO)
        with pytest.raises(DeviceDisconnectedError):
            t.get_device_status()
    finally:
        t.close()


# --- against the simulator --------------------------------------------------------------------

def test_data_phase_field_is_exact(cam: Camera, server: PtpipServer) -> None:
    server.data_phases.clear()
    cam.chdk(ChdkCommand.VERSION)
    cam.chdk(ChdkCommand.TEMP_DATA, 0, data_out=b"x")
    cam.chdk(ChdkCommand.TEMP_DATA, int(TempDataFlags.DOWNLOAD))
    assert list(server.data_phases) == [
        (CHDK, DataPhaseInfo.NO_DATA_OR_DATA_IN),
        (CHDK, DataPhaseInfo.DATA_OUT),
        (CHDK, DataPhaseInfo.NO_DATA_OR_DATA_IN),
    ]


@pytest.mark.parametrize("chunk", [1000, 1 << 20])
def test_upload_from_file_and_streamed_download(server: PtpipServer, sim: SimulatedCamera,
                                                chunk: int) -> None:
    contents = os.urandom(300_000)
    body = ChdkUploadFile(name=b"A/DATA.BIN", contents=contents).to_bytes()
    t = PtpipTransport.open(server.host, server.port, chunk_size=chunk)
    with Camera(_opened(t)) as cam:
        cam.chdk(ChdkCommand.UPLOAD_FILE, data_out=io.BytesIO(body), data_size=len(body))
        assert sim.card.to_local("A/DATA.BIN").read_bytes() == contents
        cam.chdk(ChdkCommand.TEMP_DATA, 0, data_out=b"A/DATA.BIN\0")
        sink = io.BytesIO()
        resp = cam.chdk(ChdkCommand.DOWNLOAD_FILE, sink=sink)
        assert resp.data is None and sink.getvalue() == contents
        cam.chdk(ChdkCommand.TEMP_DATA, 0, data_out=b"A/DATA.BIN\0")
        assert cam.chdk(ChdkCommand.DOWNLOAD_FILE).data == contents


def _opened(t: PtpipTransport) -> Session:
    s = Session(t)
    s.open()
    return s


def test_short_file_source_is_refused(server: PtpipServer) -> None:
    t = PtpipTransport.open(server.host, server.port)
    with Camera(_opened(t)) as cam, pytest.raises(ValueError, match="ended after 3"):
        cam.chdk(ChdkCommand.TEMP_DATA, 0, data_out=io.BytesIO(b"abc"), data_size=10)


def test_events(cam: Camera, sim: SimulatedCamera) -> None:
    assert cam.read_event(0.05) is None
    sim.responder.post_event(EventCode.DEVICE_INFO_CHANGED, (1, 2))
    event = cam.read_event(2.0)
    assert event is not None
    assert (event.code, event.params) == (EventCode.DEVICE_INFO_CHANGED, (1, 2))


def test_without_event_connection(server: PtpipServer) -> None:
    t = PtpipTransport.open(server.host, server.port, events=False)
    try:
        assert t.read_event(0.01) is None
        assert _opened(t).transaction(CHDK, (ChdkCommand.VERSION,)).params[:2] == (2, 9)
    finally:
        t.close()


def test_connection_loss_then_reconnect(cam: Camera, server: PtpipServer,
                                        sim: SimulatedCamera) -> None:
    assert cam.run_lua("return 1") == 1
    server.drop_connections()
    with pytest.raises(DeviceDisconnectedError):
        cam.run_lua("return 2")
    cam.reconnect(timeout=5)
    assert cam.run_lua("return 3") == 3
    assert cam.serial == sim.serial


def test_client_that_vanishes_leaves_no_stale_session(server: PtpipServer) -> None:
    t = PtpipTransport.open(server.host, server.port)
    _opened(t)
    t.close()  # no CloseSession, like a crashed client
    with chdkptp.connect(host=server.host, port=server.port) as cam:
        assert cam.run_lua("return 4") == 4


def test_reset_reconnects_and_ends_the_session(server: PtpipServer,
                                               sim: SimulatedCamera) -> None:
    t = PtpipTransport.open(server.host, server.port)
    s = _opened(t)
    first = t.connection_number
    t.reset()
    assert t.connection_number != first
    assert t.get_device_status() == ResponseCode.OK
    s._open = False  # the session ended with the old connection
    s.open()
    assert s.transaction(CHDK, (ChdkCommand.VERSION,)).params[:2] == (2, 9)
    s.close()


def test_closed_transport_raises_disconnected(server: PtpipServer) -> None:
    t = PtpipTransport.open(server.host, server.port)
    t.close()
    with pytest.raises(DeviceDisconnectedError):
        t.send(b"\x0c\x00\x00\x00\x01\x00\x01\x10\x00\x00\x00\x00")
    with pytest.raises(DeviceDisconnectedError):
        t.read_event(0.0)


def test_camera_power_cycle(cam: Camera, sim: SimulatedCamera) -> None:
    assert cam.run_lua("return 5") == 5
    sim.unplug()  # no USB bus: the camera just goes off
    with pytest.raises(DeviceDisconnectedError):
        cam.run_lua("return 6")
    with pytest.raises(CameraNotFoundError):
        cam.reconnect(timeout=0.3)  # still off
    sim.replug()
    cam.reconnect(timeout=5)
    assert cam.run_lua("return 7") == 7


def test_timeout_mid_packet_keeps_the_framing(fake: Callable[..., int]) -> None:
    """A reply that stalls half-way through a large packet: the timeout keeps what arrived and
    the next read resumes the same packet, so the response after it is read intact."""
    size = 600_000
    go_on = threading.Event()

    def device(sock: socket.socket) -> None:
        ack(sock)
        _, body = read_packet(sock)
        tid = P.OperationRequest.from_bytes(body).transaction_id
        end = packet(PacketType.END_DATA, struct.pack("<I", tid) + bytes(size))
        sock.sendall(packet(PacketType.START_DATA,
                            P.StartData(transaction_id=tid, len_total=size).to_bytes())
                     + end[: size // 2])
        go_on.wait(5)
        sock.sendall(end[size // 2 :] + packet(
            PacketType.OPERATION_RESPONSE,
            P.OperationResponse(response_code=ResponseCode.OK, transaction_id=tid,
                                params=[9]).to_bytes()))
        go_on.wait(5)

    port = fake(device)
    t = PtpipTransport.open("127.0.0.1", port, events=False)
    try:
        t.send(encode_command(OperationCode.GET_DEVICE_INFO, 41, ()))
        with pytest.raises(ChdkTimeoutError):
            t.receive_container(timeout=0.2)
        go_on.set()
        rec = t.receive_container(timeout=3)
        assert (rec.header.code, rec.header.transaction_id) == (ResponseCode.OK, 41)
        assert bytes(rec.payload) == struct.pack("<I", 9)
    finally:
        go_on.set()
        t.close()

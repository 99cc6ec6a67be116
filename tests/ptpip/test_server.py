"""The simulator's PTP/IP face over raw sockets: handshake, transactions, data shapes, events,
sessions tied to connections, and bad input (each closes only its own connection)."""

from __future__ import annotations

import os
import socket
import struct
import time

import pytest

from chdkptp._generated.chdk_codes import ChdkCommand, TempDataFlags
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp._generated.ptp_codes import EventCode, OperationCode, ResponseCode
from chdkptp._generated.ptpip_packet import InitFailReason, PacketType, PtpipPacket
from chdkptp.sim import PtpipServer, SimulatedCamera, serve_ptpip
from tests.ptpip.raw import RawClient, is_closed, packet, read_packet

P = PtpipPacket
OK = ResponseCode.OK
CHDK = OperationCode.CHDK


def wait_for(pred: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def opened(server: PtpipServer, **kw: object) -> RawClient:
    client = RawClient(server.port, **kw)  # type: ignore[arg-type]
    resp, _ = client.transact(OperationCode.OPEN_SESSION, 1)
    assert resp.response_code == OK
    return client


def test_handshake_reports_camera_identity(server: PtpipServer, sim: SimulatedCamera) -> None:
    with RawClient(server.port) as c:
        assert c.ack.friendly_name == sim.model
        assert (c.ack.version_major, c.ack.version_minor) == (1, 0)
        assert len(c.ack.guid) == 16
        first = (c.ack.connection_number, c.ack.guid)
    with RawClient(server.port) as c:
        assert c.ack.guid == first[1], "the camera GUID is stable"
        assert c.ack.connection_number != first[0]


def test_device_info_and_chdk_version(server: PtpipServer, sim: SimulatedCamera) -> None:
    with RawClient(server.port) as c:
        resp, data = c.transact(OperationCode.GET_DEVICE_INFO)
        assert resp.response_code == OK and data == sim.device_info
        resp, _ = c.transact(OperationCode.OPEN_SESSION, 1)
        assert resp.response_code == OK
        resp, data = c.transact(CHDK, ChdkCommand.VERSION)
        assert (resp.response_code, resp.params, data) == (OK, [2, 9], None)


@pytest.mark.parametrize("shape", ["end", "pieces", "tid0"])
@pytest.mark.parametrize("data_phase", [2, 0])
def test_data_out_shapes(server: PtpipServer, sim: SimulatedCamera, shape: str,
                         data_phase: int) -> None:
    contents = os.urandom(70_000)
    upload = ChdkUploadFile(name=b"A/UP.BIN", contents=contents).to_bytes()
    with opened(server) as c:
        resp, _ = c.transact(CHDK, ChdkCommand.UPLOAD_FILE, data=upload, shape=shape,
                             data_phase=data_phase)
        assert resp.response_code == OK, f"UploadFile in shape {shape!r} refused"
        assert sim.card.to_local("A/UP.BIN").read_bytes() == contents


def test_data_in_chunked(sim: SimulatedCamera) -> None:
    contents = os.urandom(200_000)
    sim.card.to_local("A/BIG.BIN").write_bytes(contents)
    with serve_ptpip(sim, data_chunk=65536) as server, opened(server) as c:
        resp, _ = c.transact(CHDK, ChdkCommand.TEMP_DATA, 0, data=b"A/BIG.BIN\0")
        assert resp.response_code == OK
        tid = c.request(CHDK, ChdkCommand.DOWNLOAD_FILE)
        resp, data, kinds = c.response()
        assert resp.transaction_id == tid and resp.response_code == OK
        assert data == contents
        # StartData, three full 64 KiB Data packets, EndData with the tail, response
        assert kinds == [PacketType.START_DATA] + [PacketType.DATA] * 3 + [
            PacketType.END_DATA, PacketType.OPERATION_RESPONSE]


def test_temp_data_download_has_no_data_out(server: PtpipServer) -> None:
    with opened(server) as c:
        resp, _ = c.transact(CHDK, ChdkCommand.TEMP_DATA, 0, data=b"hello")
        assert resp.response_code == OK
        resp, data = c.transact(CHDK, ChdkCommand.TEMP_DATA, TempDataFlags.DOWNLOAD)
        assert resp.response_code == OK and data == b"hello"


def test_stray_data_for_an_operation_without_data_out_is_ignored(server: PtpipServer) -> None:
    with opened(server) as c:
        tid = c.request(CHDK, ChdkCommand.VERSION, data_phase=2)
        resp, _, _ = c.response()
        assert resp.response_code == OK
        c.send_data(tid, b"junk")  # ignored: Version has no data phase OUT
        resp, _ = c.transact(CHDK, ChdkCommand.VERSION)
        assert resp.response_code == OK and resp.params == [2, 9]


def test_session_belongs_to_its_connection(server: PtpipServer, sim: SimulatedCamera) -> None:
    c = opened(server)
    assert sim.responder.session_id == 1
    c.close()  # never sends CloseSession, like libgphoto2
    assert wait_for(lambda: sim.responder.session_id is None), "session survived the drop"
    with RawClient(server.port) as c2:
        resp, _ = c2.transact(OperationCode.OPEN_SESSION, 1)
        assert resp.response_code == OK, "a new connection met a stale session"


def test_new_command_connection_supersedes_the_old(server: PtpipServer) -> None:
    old = opened(server)
    with opened(server) as new:
        assert is_closed(old.cmd), "the superseded command connection stays open"
        resp, _ = new.transact(CHDK, ChdkCommand.VERSION)
        assert resp.response_code == OK
    old.close()


def test_events_arrive_on_the_event_connection(server: PtpipServer, sim: SimulatedCamera) -> None:
    with opened(server) as c:
        assert c.evt is not None
        sim.responder.post_event(EventCode.DEVICE_INFO_CHANGED, (7,))
        ptype, body = read_packet(c.evt)
        assert ptype == PacketType.EVENT
        event = P.Event.from_bytes(body)
        assert (event.event_code, event.params) == (EventCode.DEVICE_INFO_CHANGED, [7])


def test_probe_is_answered_on_both_connections(server: PtpipServer) -> None:
    with RawClient(server.port) as c:
        assert c.evt is not None
        for sock in (c.cmd, c.evt):
            sock.sendall(packet(PacketType.PROBE_REQUEST))
            assert read_packet(sock) == (PacketType.PROBE_RESPONSE, b"")


def test_commands_work_without_an_event_connection(server: PtpipServer) -> None:
    with RawClient(server.port, events=False) as c:
        resp, _ = c.transact(OperationCode.OPEN_SESSION, 1)
        assert resp.response_code == OK
        resp, _ = c.transact(CHDK, ChdkCommand.VERSION)
        assert resp.params == [2, 9]


def test_cancel_aborts_a_data_phase_out(server: PtpipServer) -> None:
    with opened(server) as c:
        tid = c.request(CHDK, ChdkCommand.UPLOAD_FILE, data_phase=2)
        c.cmd.sendall(packet(PacketType.CANCEL, struct.pack("<I", tid)))
        resp, _ = c.transact(CHDK, ChdkCommand.VERSION)
        assert resp.response_code == OK and resp.params == [2, 9]


# --- bad input ------------------------------------------------------------------------------

def raw_conn(server: PtpipServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def assert_init_fail_then_closed(sock: socket.socket) -> None:
    ptype, body = read_packet(sock)
    assert ptype == PacketType.INIT_FAIL, f"expected InitFail, got {ptype.name}"
    assert P.InitFail.from_bytes(body).reason in set(InitFailReason)
    assert is_closed(sock)


BAD_HEADERS = {
    "length_0": struct.pack("<II", 0, PacketType.INIT_COMMAND_REQUEST),
    "length_max": struct.pack("<II", 0xFFFFFFFF, PacketType.INIT_COMMAND_REQUEST),
    "type_0": struct.pack("<II", 8, 0),
    "type_99": struct.pack("<II", 8, 99),
}


@pytest.mark.parametrize("name", sorted(BAD_HEADERS))
def test_bad_init_header_gets_init_fail(server: PtpipServer, name: str) -> None:
    with opened(server) as good, raw_conn(server) as bad:
        bad.sendall(BAD_HEADERS[name])
        assert_init_fail_then_closed(bad)
        resp, _ = good.transact(CHDK, ChdkCommand.VERSION)
        assert resp.response_code == OK, "a bad connection disturbed a good one"
    assert server.protocol_errors, "the violation was not recorded"


@pytest.mark.parametrize("name", ["length_0", "length_max", "type_99", "init_again",
                                  "response_from_host", "short_request", "odd_request",
                                  "six_params"])
def test_bad_packet_after_init_closes_the_connection(server: PtpipServer, sim: SimulatedCamera,
                                                     name: str) -> None:
    c = opened(server)
    bad = {
        "length_0": struct.pack("<II", 0, PacketType.OPERATION_REQUEST),
        "length_max": struct.pack("<II", 0xFFFFFFFF, PacketType.DATA),
        "type_99": struct.pack("<II", 8, 99),
        "init_again": packet(PacketType.INIT_EVENT_REQUEST, struct.pack("<I", 1)),
        "response_from_host": packet(PacketType.OPERATION_RESPONSE, bytes(6)),
        "short_request": packet(PacketType.OPERATION_REQUEST, bytes(3)),
        "odd_request": packet(PacketType.OPERATION_REQUEST, bytes(12)),
        "six_params": packet(PacketType.OPERATION_REQUEST, bytes(10 + 6 * 4)),
    }[name]
    c.cmd.sendall(bad)
    assert is_closed(c.cmd), f"{name}: connection left open"
    assert not any("internal error" in e for e in server.protocol_errors)
    c.close()
    assert wait_for(lambda: sim.responder.session_id is None)
    with opened(server) as again:  # the server still serves
        resp, _ = again.transact(CHDK, ChdkCommand.VERSION)
        assert resp.response_code == OK


def test_connection_closing_mid_packet(server: PtpipServer, sim: SimulatedCamera) -> None:
    c = opened(server)
    tid = c.request(CHDK, ChdkCommand.UPLOAD_FILE)
    # StartData, then half of an EndData packet, then the connection drops
    c.cmd.sendall(packet(PacketType.START_DATA,
                         P.StartData(transaction_id=tid, len_total=1000).to_bytes()))
    c.cmd.sendall(struct.pack("<II", 8 + 4 + 1000, PacketType.END_DATA) + bytes(300))
    c.close()
    assert wait_for(lambda: any("after" in e for e in server.protocol_errors))
    assert wait_for(lambda: sim.responder.session_id is None)
    with opened(server) as again:
        resp, _ = again.transact(CHDK, ChdkCommand.VERSION)
        assert resp.response_code == OK


def test_connection_that_never_sends_its_init(server: PtpipServer) -> None:
    with opened(server) as good, raw_conn(server) as silent:
        # the server gives up after init_timeout (1 s here) with InitFail
        assert_init_fail_then_closed(silent)
        resp, _ = good.transact(CHDK, ChdkCommand.VERSION)
        assert resp.response_code == OK
    assert any("no init packet" in e for e in server.protocol_errors)


def test_event_request_for_unknown_connection(server: PtpipServer) -> None:
    with RawClient(server.port, events=False) as c, raw_conn(server) as evt:
        evt.sendall(packet(PacketType.INIT_EVENT_REQUEST,
                           struct.pack("<I", c.ack.connection_number + 100)))
        assert_init_fail_then_closed(evt)


def test_malformed_init_command_request(server: PtpipServer) -> None:
    with raw_conn(server) as s:
        s.sendall(packet(PacketType.INIT_COMMAND_REQUEST, bytes(5)))  # no room for a GUID
        assert_init_fail_then_closed(s)


def test_close_ends_connections_and_listening(sim: SimulatedCamera) -> None:
    server = serve_ptpip(sim)
    c = opened(server)
    server.close()
    assert is_closed(c.cmd)
    c.close()
    assert server.active_connections == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_loopback_only_by_default(server: PtpipServer) -> None:
    assert server.host == "127.0.0.1"


def test_drop_connections_keeps_listening(server: PtpipServer, sim: SimulatedCamera) -> None:
    c = opened(server)
    server.drop_connections()
    assert is_closed(c.cmd)
    c.close()
    assert wait_for(lambda: sim.responder.session_id is None)
    with opened(server) as again:
        assert again.transact(CHDK, ChdkCommand.VERSION)[0].response_code == OK


def test_random_garbage_never_hurts_the_server(server: PtpipServer) -> None:
    """Seeded junk on fresh connections (raw bytes and plausible headers with random bodies):
    each is closed or refused, no internal error, and a good client keeps working."""
    import random

    rng = random.Random(1234)
    with opened(server) as good:
        for i in range(60):
            if i % 2:
                ptype = rng.choice([*range(0, 16), 0xFFFF, 0x7FFFFFFF])
                body = rng.randbytes(rng.randrange(0, 64))
                blob = struct.pack("<II", 8 + len(body) + rng.choice([0, 0, 1, -1, 1000]),
                                   ptype) + body
            else:
                blob = rng.randbytes(rng.randrange(1, 200))
            with raw_conn(server) as s:
                try:
                    s.sendall(blob)
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    continue  # the server already refused and closed: fine
                assert is_closed(s, timeout=5), f"junk #{i} left the connection open"
        resp, _ = good.transact(CHDK, ChdkCommand.VERSION)
        assert resp.response_code == OK
    assert not any("internal error" in e for e in server.protocol_errors)


def test_read_timeout_fault_holds_replies_until_the_next_packet(server: PtpipServer,
                                                                sim: SimulatedCamera) -> None:
    with opened(server) as c:
        sim.faults.read_timeouts = 1
        tid = c.request(CHDK, ChdkCommand.VERSION)
        c.cmd.settimeout(0.2)
        with pytest.raises(TimeoutError):
            c.cmd.recv(1)
        c.cmd.settimeout(5)
        c.cmd.sendall(packet(PacketType.PROBE_REQUEST))  # the host does something else
        resp, _, _ = c.response()  # ... and the late reply comes first
        assert (resp.transaction_id, resp.params) == (tid, [2, 9])
        assert read_packet(c.cmd) == (PacketType.PROBE_RESPONSE, b"")


def test_latency_fault_still_answers(server: PtpipServer, sim: SimulatedCamera) -> None:
    sim.faults.latency_ms, sim.faults.jitter_ms = 2.0, 1.0
    with opened(server) as c:
        resp, _ = c.transact(CHDK, ChdkCommand.VERSION)
        assert resp.params == [2, 9]


def test_streamed_download_above_the_responder_threshold(sim: SimulatedCamera) -> None:
    """DownloadFile above the responder's streaming threshold arrives in pieces; the server
    forwards them as they come, with the same packet shapes as a whole container."""
    from chdkptp.sim.responder import STREAM_THRESHOLD

    contents = os.urandom(STREAM_THRESHOLD + 65536 * 3 + 123)
    sim.card.to_local("A/HUGE.BIN").write_bytes(contents)
    with serve_ptpip(sim, data_chunk=65536) as server, opened(server) as c:
        c.transact(CHDK, ChdkCommand.TEMP_DATA, 0, data=b"A/HUGE.BIN\0")
        c.request(CHDK, ChdkCommand.DOWNLOAD_FILE)
        resp, data, kinds = c.response()
        assert resp.response_code == OK and data == contents
        full, tail = divmod(len(contents), 65536)
        assert kinds == [PacketType.START_DATA] + [PacketType.DATA] * full + [
            PacketType.END_DATA, PacketType.OPERATION_RESPONSE]
        assert tail == 123


def test_truncate_fault_stops_at_a_packet_boundary(sim: SimulatedCamera) -> None:
    sim.card.to_local("A/T.BIN").write_bytes(bytes(300_000))
    with serve_ptpip(sim, data_chunk=65536) as server, opened(server) as c:
        c.transact(CHDK, ChdkCommand.TEMP_DATA, 0, data=b"A/T.BIN\0")
        sim.faults.truncate_data_in = 12 + 2 * 65536 + 100
        c.request(CHDK, ChdkCommand.DOWNLOAD_FILE)
        kinds = [read_packet(c.cmd)[0] for _ in range(3)]
        assert kinds == [PacketType.START_DATA, PacketType.DATA, PacketType.DATA]
        c.cmd.settimeout(0.2)
        with pytest.raises(TimeoutError):  # the rest of the transaction never comes
            c.cmd.recv(1)
        c.cmd.settimeout(5)
        resp, _ = c.transact(CHDK, ChdkCommand.VERSION)  # framing intact, camera usable
        assert resp.params == [2, 9]


def test_disconnect_fault_takes_the_camera_off_the_network(server: PtpipServer,
                                                           sim: SimulatedCamera) -> None:
    c = opened(server)
    sim.faults.disconnect_after_bytes = 30  # the first answer does not fit
    c.request(CHDK, ChdkCommand.VERSION)
    assert is_closed(c.cmd)
    c.close()
    assert not sim.powered
    sim.replug()
    with opened(server) as again:
        assert again.transact(CHDK, ChdkCommand.VERSION)[0].params == [2, 9]

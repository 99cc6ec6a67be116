"""A bare-socket PTP/IP peer for the tests: packs and reads packets with the generated classes.

Deliberately independent of chdkptp.transport.ptpip, so the simulator's network face is tested
on its own (and can be driven with broken input).
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from chdkptp._generated.ptpip_packet import PacketType, PtpipPacket

P = PtpipPacket
HEADER = 8


def packet(ptype: int, body: bytes = b"") -> bytes:
    """One whole packet of type ``ptype`` around ``body``."""
    head: bytes = P.PacketHeader(len_packet=HEADER + len(body), packet_type=ptype).to_bytes()
    return head + body


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        piece = sock.recv(n - len(buf))
        if not piece:
            raise ConnectionError(f"closed after {len(buf)} of {n} bytes")
        buf += piece
    return buf


def read_packet(sock: socket.socket) -> tuple[PacketType, bytes]:
    """(type, body) of the next packet; ConnectionError when the peer closed."""
    header = P.PacketHeader.from_bytes(recv_exact(sock, HEADER))
    return PacketType(header.packet_type), recv_exact(sock, header.len_packet - HEADER)


def is_closed(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True if the peer closes the connection within ``timeout`` (data before EOF is read)."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except TimeoutError:
        return False
    except OSError:
        return True


class RawClient:
    """Command (+ optional event) connection speaking PTP/IP by hand."""

    def __init__(self, port: int, *, name: str = "raw test", events: bool = True,
                 timeout: float = 10.0) -> None:
        self.cmd = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        body = P.InitCommandRequest(guid=bytes(range(16)), friendly_name=name,
                                    version_minor=0, version_major=1).to_bytes()
        self.cmd.sendall(packet(PacketType.INIT_COMMAND_REQUEST, body))
        ptype, body = read_packet(self.cmd)
        assert ptype == PacketType.INIT_COMMAND_ACK, ptype
        self.ack = P.InitCommandAck.from_bytes(body)
        self.evt: socket.socket | None = None
        if events:
            self.evt = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            req = P.InitEventRequest(connection_number=self.ack.connection_number).to_bytes()
            self.evt.sendall(packet(PacketType.INIT_EVENT_REQUEST, req))
            ptype, _ = read_packet(self.evt)
            assert ptype == PacketType.INIT_EVENT_ACK, ptype
        self.tid = 0

    def close(self) -> None:
        for s in (self.cmd, self.evt):
            if s is not None:
                s.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, op: int, *params: int, data_phase: int = 1, tid: int | None = None) -> int:
        """Send an OperationRequest; returns its transaction id."""
        if tid is None:
            tid = self.tid
            self.tid += 1
        body = P.OperationRequest(data_phase=data_phase, operation_code=op, transaction_id=tid,
                                  params=list(params)).to_bytes()
        self.cmd.sendall(packet(PacketType.OPERATION_REQUEST, body))
        return tid

    def send_data(self, tid: int, data: bytes, shape: str = "end") -> None:
        """Send a host→device data phase in one of the shapes clients use."""
        start = packet(PacketType.START_DATA,
                       P.StartData(transaction_id=tid, len_total=len(data)).to_bytes())
        if shape == "end":  # StartData, one EndData with everything
            pkts = [start, packet(PacketType.END_DATA, struct.pack("<I", tid) + data)]
        elif shape == "pieces":  # StartData, Data pieces, EndData with the tail
            pkts = [start]
            step = max(1, len(data) // 3)
            pos = 0
            while len(data) - pos > step:
                pkts.append(packet(PacketType.DATA, struct.pack("<I", tid) + data[pos:pos + step]))
                pos += step
            pkts.append(packet(PacketType.END_DATA, struct.pack("<I", tid) + data[pos:]))
        elif shape == "tid0":  # StartData, one Data with tid 0, empty EndData
            pkts = [start, packet(PacketType.DATA, struct.pack("<I", 0) + data),
                    packet(PacketType.END_DATA, struct.pack("<I", tid))]
        else:
            raise ValueError(shape)
        self.cmd.sendall(b"".join(pkts))

    def response(self) -> tuple[Any, bytes | None, list[PacketType]]:
        """Read up to the OperationResponse: (response, joined data or None, packet types)."""
        data: bytes | None = None
        kinds: list[PacketType] = []
        while True:
            ptype, body = read_packet(self.cmd)
            kinds.append(ptype)
            if ptype == PacketType.START_DATA:
                start = P.StartData.from_bytes(body)
                data = b""
                total = start.len_total
            elif ptype in (PacketType.DATA, PacketType.END_DATA):
                assert data is not None, "data before StartData"
                data += body[4:]
                if ptype == PacketType.END_DATA:
                    assert len(data) == total, (len(data), total)
            elif ptype == PacketType.OPERATION_RESPONSE:
                return P.OperationResponse.from_bytes(body), data, kinds
            else:
                raise AssertionError(f"unexpected {ptype.name} on the command connection")

    def transact(self, op: int, *params: int, data: bytes | None = None, shape: str = "end",
                 data_phase: int = 1) -> tuple[Any, bytes | None]:
        tid = self.request(op, *params, data_phase=data_phase)
        if data is not None:
            self.send_data(tid, data, shape)
        resp, got, _ = self.response()
        assert resp.transaction_id == tid
        return resp, got

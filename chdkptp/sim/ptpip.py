"""The simulated camera's network face: PTP/IP (PTP over TCP) in front of the same responder.

What belongs here: the TCP server (:func:`serve_ptpip` / :class:`PtpipServer`), the init
handshake of the command and event connections, and the translation between PTP/IP packets
and the USB-style containers the camera's :class:`~chdkptp.sim.responder.PtpResponder`
speaks.  The camera model (sessions, CHDK, scripts, card) is the responder's: a camera served
here and through :class:`~chdkptp.sim.usb.SimulatedBackend` is one camera.

Behaviour (facts: shared/reference/ptpip.md; decisions documented for test writers):

* Loopback only by default.  One command connection owns the camera at a time: a new
  InitCommandRequest supersedes (closes) the previous command connection.
* A session belongs to its TCP connection: when the command connection starts and when it
  ends (closed, dropped, superseded) the responder's transaction is aborted and its session
  closed, so a new client never meets a stale session (no SessionAlreadyOpen).
* The data-phase field of OperationRequest is ignored: the responder decides from the
  operation (and CHDK sub-command) whether it waits for host→device data, like a camera.
* Host→device data is accepted in every shape clients send: StartData + EndData, StartData +
  Data… + EndData, Data packets whose transaction id is 0; payloads are joined at EndData.
* Device→host data goes out as StartData, Data packets of ``data_chunk`` bytes, then EndData
  with the tail.
* A camera that is off (``camera.powered`` False: ``unplug()``, idle power-down) drops its
  connections and closes new ones at once; after ``replug()`` (a power cycle) clients
  reconnect and find no session.
* Fault knobs that make sense on a network (``camera.faults``): ``busy_responses`` and
  ``min_transaction_gap_ms`` (the responder's), ``read_timeouts`` (the next N transactions'
  replies are held back until the host sends its next packet, e.g. a Cancel: its read times
  out and the late replies follow, like unconsumed USB data), ``latency_ms`` / ``jitter_ms``
  (a real delay before each transaction's replies), ``truncate_data_in`` (the next data phase
  stops at the last whole Data packet within that many container bytes and the rest of the
  transaction is never sent; the framing stays intact), ``disconnect_after_bytes`` (once that
  many bytes went either way the camera leaves: ``powered`` False, connections dropped;
  ``replug()`` brings it back), ``idle_power_down_s`` (a packet arriving after that much
  simulated idle time finds the camera off).  USB-only knobs (stalls, write timeouts) do not
  apply; ``drop_connections()`` is the network's link loss.
* Bad input closes only the offending connection (a length below 8 or above the limits, an
  unknown packet type, a packet that ends mid-way, a connection that never completes its init
  within ``init_timeout``); during the handshake the device first answers InitFail.  Every such
  case is logged and recorded in :attr:`PtpipServer.protocol_errors`.
"""

from __future__ import annotations

import contextlib
import logging
import random
import select
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from chdkptp._generated._runtime import SpecDecodeError
from chdkptp._generated.ptp_codes import ContainerType
from chdkptp._generated.ptpip_packet import (
    InitFailReason,
    PacketType,
    ProtocolVersion,
    PtpipPacket,
)
from chdkptp._generated.usb_cancel_request import UsbCancelRequest
from chdkptp._generated.usb_codes import UsbClassRequest, UsbRequestType
from chdkptp.errors import RemoteProtocolError
from chdkptp.ptp import containers
from chdkptp.sim.responder import MAX_DATA_OUT

if TYPE_CHECKING:
    from chdkptp.sim.camera import SimulatedCamera
    from chdkptp.sim.faults import Faults

__all__ = ["PtpipServer", "serve_ptpip"]

log = logging.getLogger(__name__)

_P = PtpipPacket
PACKET_HEADER_SIZE = len(
    _P.PacketHeader(len_packet=0, packet_type=PacketType.PROBE_REQUEST).to_bytes()
)
"""Bytes of the PTP/IP packet header (u32 length, u32 type)."""

MAX_CONTROL_PACKET = 4096
"""Longest non-data packet accepted (init packets with a friendly name are the longest)."""

MAX_DATA_PACKET = MAX_DATA_OUT + PACKET_HEADER_SIZE + 4
"""Longest Data / EndData packet accepted: the responder's whole data-phase limit."""

DEFAULT_DATA_CHUNK = 64 * 1024
"""Payload bytes per device→host Data packet."""

_KNOWN_TYPES = frozenset(int(t) for t in PacketType)
_DATA_TYPES = frozenset((int(PacketType.DATA), int(PacketType.END_DATA)))
_RECV_CHUNK = 1 << 20
_EVENT_POLL_S = 0.02
_ACCEPT_POLL_S = 0.1


_T = TypeVar("_T")


class _Violation(Exception):
    """The peer broke the protocol; the connection is closed (message says how)."""


class _Closed(Exception):
    """The connection ended (peer closed it, or a fault took the camera away)."""

    def __init__(self, message: str, *, mid_packet: bool = False) -> None:
        super().__init__(message)
        self.mid_packet = mid_packet


def _packet(ptype: PacketType, body: bytes = b"") -> bytes:
    header: bytes = _P.PacketHeader(
        len_packet=PACKET_HEADER_SIZE + len(body), packet_type=ptype
    ).to_bytes()
    return header + body


def _recv_exact(sock: socket.socket, n: int, what: str) -> bytes:
    """Read exactly ``n`` bytes; ``_Closed`` on EOF (mid-packet says so)."""
    if n <= _RECV_CHUNK:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = sock.recv_into(view[got:])
            if k == 0:
                raise _Closed(f"connection closed after {got} of {n} bytes of {what}",
                              mid_packet=True)
            got += k
        return bytes(buf)
    parts: list[bytes] = []
    got = 0
    while got < n:
        piece = sock.recv(min(_RECV_CHUNK, n - got))
        if not piece:
            raise _Closed(f"connection closed after {got} of {n} bytes of {what}",
                          mid_packet=True)
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def _read_packet(sock: socket.socket, *, data: bool = True) -> tuple[int, bytes]:
    """Read one packet: (packet type, body).  ``_Violation`` for a bad header.

    ``data=False`` (before the handshake) holds every packet to the control-packet limit.
    """
    raw = sock.recv(PACKET_HEADER_SIZE)
    if not raw:
        raise _Closed("connection closed")
    if len(raw) < PACKET_HEADER_SIZE:
        raw += _recv_exact(sock, PACKET_HEADER_SIZE - len(raw), "a packet header")
    try:
        header = _P.PacketHeader.from_bytes(raw)
    except SpecDecodeError as exc:
        raise _Violation(f"bad packet header {raw.hex(' ')}: {exc}") from exc
    ptype = int(header.packet_type)
    if ptype not in _KNOWN_TYPES:
        raise _Violation(f"unknown packet type {ptype} (length {header.len_packet})")
    limit = MAX_DATA_PACKET if data and ptype in _DATA_TYPES else MAX_CONTROL_PACKET
    if header.len_packet > limit:
        raise _Violation(
            f"{PacketType(ptype).name} packet announces {header.len_packet} bytes (limit {limit})"
        )
    body_len = header.len_packet - PACKET_HEADER_SIZE
    body = _recv_exact(sock, body_len, f"a {PacketType(ptype).name} packet") if body_len else b""
    return ptype, body


class _CommandConnection:
    """State of one command connection (and its event connection, once attached)."""

    def __init__(self, number: int, sock: socket.socket, peer: str, name: str) -> None:
        self.number = number
        self.sock = sock
        self.peer = peer
        self.name = name
        self.event_sock: socket.socket | None = None
        self.closed = threading.Event()
        self.held: list[bytes] = []  # replies held back by the read_timeouts fault
        self.last_traffic_ms: float | None = None  # simulated clock, for idle_power_down_s

    def shutdown(self) -> None:
        self.closed.set()
        for s in (self.sock, self.event_sock):
            if s is None:
                continue
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


class _Out:
    """Turns USB-style containers from the responder into PTP/IP packets on one socket.

    Small packets are gathered and written together; large Data payloads are written from
    the container's memory without copying.
    """

    def __init__(self, sock: socket.socket, chunk: int,
                 spend: Callable[[int], None] | None = None,
                 faults: Faults | None = None) -> None:
        self.sock = sock
        self.chunk = chunk
        self.small: list[bytes] = []
        self.spend = spend
        self.faults = faults  # for truncate_data_in, consumed by the next data phase
        self.muted = False  # truncation fired: nothing more of this transaction goes out
        self._budget: int | None = None

    def _write(self, data: bytes | memoryview) -> None:
        if self.spend is not None:
            self.spend(len(data))
        self.sock.sendall(data)

    def flush(self) -> None:
        if self.small:
            self._write(b"".join(self.small))
            self.small.clear()

    def _piece(self, ptype: PacketType, tid: int, piece: memoryview | bytes) -> None:
        if self.muted:
            return
        if self._budget is not None:
            if len(piece) > self._budget:  # stop at a packet boundary: framing stays intact
                log.debug("fault: data phase truncated, the rest of the transaction is dropped")
                self.muted = True
                return
            self._budget -= len(piece)
        head = _P.PacketHeader(
            len_packet=PACKET_HEADER_SIZE + 4 + len(piece), packet_type=ptype
        ).to_bytes() + tid.to_bytes(4, "little")
        if len(piece) <= 4096:
            self.small.append(head + bytes(piece))
            return
        self.small.append(head)
        self.flush()
        self._write(piece)

    def _start(self, tid: int, total: int) -> None:
        faults = self.faults
        if faults is not None and faults.truncate_data_in is not None:
            self._budget = max(0, faults.truncate_data_in - containers.HEADER_SIZE)
            faults.truncate_data_in = None
        body = _P.StartData(transaction_id=tid, len_total=total).to_bytes()
        self.small.append(_packet(PacketType.START_DATA, body))

    def container(self, blob: bytes) -> None:
        """One whole container: data → StartData, Data…, EndData; response → OperationResponse."""
        if self.muted:
            return
        try:
            header = containers.decode_header(blob)
        except RemoteProtocolError:  # pragma: no cover - the responder builds them
            log.error("responder produced a malformed container")
            return
        tid = header.transaction_id
        if header.type == ContainerType.DATA:
            payload = memoryview(blob)[containers.HEADER_SIZE : header.length]
            total = len(payload)
            self._start(tid, total)
            pos = 0
            while total - pos > self.chunk:
                self._piece(PacketType.DATA, tid, payload[pos : pos + self.chunk])
                pos += self.chunk
            self._piece(PacketType.END_DATA, tid, payload[pos:])
        elif header.type == ContainerType.RESPONSE and not self.muted:
            params = containers.decode_params(blob[containers.HEADER_SIZE : header.length])
            body = _P.OperationResponse(
                response_code=header.code, transaction_id=tid, params=list(params)
            ).to_bytes()
            self.small.append(_packet(PacketType.OPERATION_RESPONSE, body))

    def stream(self, first: bytes, more_parts: Callable[[], tuple[bytes, bool] | None]) -> None:
        """A data container that arrives in pieces (``first`` holds its header)."""
        header = containers.decode_header(first)
        tid = header.transaction_id
        self._start(tid, header.length - containers.HEADER_SIZE)
        carry: bytes | memoryview = memoryview(first)[containers.HEADER_SIZE :]
        more = True
        while True:
            if more:
                part = more_parts()
                if part is None:  # pragma: no cover - the responder finishes its containers
                    more = False
                else:
                    piece, more = part
                    carry = bytes(carry) + piece if len(carry) else piece
            view = memoryview(carry)
            pos = 0
            while len(view) - pos > self.chunk:
                self._piece(PacketType.DATA, tid, view[pos : pos + self.chunk])
                pos += self.chunk
            carry = view[pos:]
            if not more:
                self._piece(PacketType.END_DATA, tid, carry)
                return


class PtpipServer:
    """A PTP/IP device on a TCP port, serving one :class:`SimulatedCamera`.

    Use :func:`serve_ptpip` to get one that is already listening.  ``port`` is the bound port
    (useful with port 0).  ``init_timeout`` bounds how long a new connection may take to send
    its init packet; ``data_chunk`` is the payload size of device→host Data packets.

    For tests: ``protocol_errors`` (what bad input was seen), ``clients`` (GUID and friendly
    name of each command connection), ``data_phases`` ((operation, data-phase field) of recent
    OperationRequests), ``drop_connections()`` (a Wi-Fi drop), ``active_connections``.
    """

    def __init__(
        self,
        camera: SimulatedCamera,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        init_timeout: float = 10.0,
        data_chunk: int = DEFAULT_DATA_CHUNK,
        friendly_name: str | None = None,
    ) -> None:
        if data_chunk <= 0:
            raise ValueError("data_chunk must be positive")
        if init_timeout <= 0:
            raise ValueError("init_timeout must be positive")
        self.camera = camera
        self.init_timeout = init_timeout
        self.data_chunk = data_chunk
        self.friendly_name = friendly_name if friendly_name is not None else camera.model
        self.guid = uuid.uuid5(uuid.NAMESPACE_OID, f"chdkptp.sim/{camera.serial}").bytes
        self.protocol_errors: list[str] = []
        self.clients: list[tuple[bytes, str]] = []  # (GUID, friendly name) per command connection
        self.data_phases: deque[tuple[int, int]] = deque(maxlen=1000)  # (operation, field)
        self.connections_served = 0
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(_ACCEPT_POLL_S)
        addr = self._listener.getsockname()
        self.host: str = addr[0]
        self.port: int = addr[1]
        self._stop = threading.Event()
        self._rng = random.Random(f"ptpip-latency:{camera.serial}")
        self._lock = threading.Lock()  # server state (connections, numbers)
        self._txn_lock = threading.Lock()  # one transaction at a time on the responder
        self._active: _CommandConnection | None = None
        self._next_number = 1
        self._threads: set[threading.Thread] = set()
        self._socks: set[socket.socket] = set()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"ptpip-accept:{self.port}", daemon=True
        )

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> PtpipServer:
        """Start accepting connections (returns self)."""
        if not self._accept_thread.is_alive() and not self._stop.is_set():
            self._accept_thread.start()
        return self

    def close(self) -> None:
        """Stop listening, close every connection (their sessions end) and join the threads."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            socks = list(self._socks)
            threads = list(self._threads)
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        if self._accept_thread.is_alive():
            self._accept_thread.join(timeout=5)
        for t in threads:
            t.join(timeout=5)

    def __enter__(self) -> PtpipServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def drop_connections(self) -> None:
        """Cut every open connection, as if Wi-Fi dropped (the server keeps listening)."""
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the server listens on."""
        return (self.host, self.port)

    @property
    def active_connections(self) -> int:
        """Open TCP connections (command and event)."""
        with self._lock:
            return len(self._socks)

    def __repr__(self) -> str:
        return f"<PtpipServer {self.host}:{self.port} {self.camera!r}>"

    # --- accepting --------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            peer = f"{addr[0]}:{addr[1]}"
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(
                target=self._serve, args=(sock, peer), name=f"ptpip-conn:{peer}", daemon=True
            )
            with self._lock:
                if self._stop.is_set():
                    sock.close()
                    break
                self._socks.add(sock)
                self._threads.add(thread)
                self.connections_served += 1
            thread.start()

    def _violation(self, peer: str, message: str) -> None:
        log.warning("PTP/IP %s: %s; closing the connection", peer, message)
        self.protocol_errors.append(f"{peer}: {message}")

    def _serve(self, sock: socket.socket, peer: str) -> None:
        try:
            if not self.camera.powered:
                log.debug("PTP/IP %s: camera is off, connection closed", peer)
                return
            sock.settimeout(self.init_timeout)
            try:
                ptype, body = _read_packet(sock, data=False)
            except TimeoutError:
                self._violation(peer, f"no init packet within {self.init_timeout} s")
                self._init_fail(sock)
                return
            except _Violation as exc:
                self._violation(peer, str(exc))
                self._init_fail(sock)
                return
            sock.settimeout(None)
            if ptype == PacketType.INIT_COMMAND_REQUEST:
                self._command_connection(sock, peer, body)
            elif ptype == PacketType.INIT_EVENT_REQUEST:
                self._event_connection(sock, peer, body)
            else:
                self._violation(peer, f"{PacketType(ptype).name} before the init handshake")
                self._init_fail(sock)
        except _Closed as exc:
            log.debug("PTP/IP %s: %s", peer, exc)
            if exc.mid_packet:
                self.protocol_errors.append(f"{peer}: {exc}")
        except _Violation as exc:
            self._violation(peer, str(exc))
        except OSError as exc:
            log.debug("PTP/IP %s: socket error %s", peer, exc)
        except Exception:  # a bug must not take the server down
            log.exception("PTP/IP %s: internal error", peer)
            self.protocol_errors.append(f"{peer}: internal error")
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._socks.discard(sock)
                self._threads.discard(threading.current_thread())

    @staticmethod
    def _init_fail(
        sock: socket.socket, reason: InitFailReason = InitFailReason.UNSPECIFIED
    ) -> None:
        with contextlib.suppress(OSError):
            sock.sendall(_packet(PacketType.INIT_FAIL, _P.InitFail(reason=reason).to_bytes()))

    # --- the command connection -------------------------------------------------------------

    def _command_connection(self, sock: socket.socket, peer: str, body: bytes) -> None:
        try:
            request = _P.InitCommandRequest.from_bytes(body)
        except SpecDecodeError as exc:
            self._violation(peer, f"malformed InitCommandRequest: {exc}")
            self._init_fail(sock)
            return
        with self._lock:
            number = self._next_number
            self._next_number += 1
            old = self._active
            conn = _CommandConnection(number, sock, peer, request.friendly_name)
            self.clients.append((bytes(request.guid), str(request.friendly_name)))
            self._active = conn
        if old is not None:
            log.info("PTP/IP %s supersedes command connection %d", peer, old.number)
            old.shutdown()
        ack = _P.InitCommandAck(
            connection_number=number,
            guid=self.guid,
            friendly_name=self.friendly_name,
            version_minor=ProtocolVersion.MINOR,
            version_major=ProtocolVersion.MAJOR,
        ).to_bytes()
        log.debug("PTP/IP %s: command connection %d from %r", peer, number, request.friendly_name)
        self._end_session()
        try:
            sock.sendall(_packet(PacketType.INIT_COMMAND_ACK, ack))
            self._command_loop(conn)
        finally:
            conn.shutdown()
            with self._lock:
                mine = self._active is conn
                if mine:
                    self._active = None
            if mine:
                self._end_session()
                log.debug("PTP/IP %s: command connection %d ended, session closed", peer, number)

    def _end_session(self) -> None:
        """Abort any transaction and close the responder's session (Device Reset)."""
        with self._txn_lock:
            self.camera.responder.class_request(
                UsbRequestType.CLASS_INTERFACE_OUT, UsbClassRequest.DEVICE_RESET, 0, 0, b"", 0
            )

    def _command_loop(self, conn: _CommandConnection) -> None:
        sock = conn.sock
        pending: tuple[int, int] | None = None  # (operation, tid) waiting for data OUT
        pieces: list[bytes] = []
        size = 0
        oversize = False
        while not conn.closed.is_set():
            ptype, body = _read_packet(sock)
            if not self.camera.powered or self._idle_off(conn):
                log.info("PTP/IP %s: camera powered off, dropping the connection", conn.peer)
                return
            self._spend(PACKET_HEADER_SIZE + len(body))
            if conn.held:  # the host gave up waiting and sent something: late replies now
                held, conn.held = conn.held, []
                self._send_replies(sock, held)
            if ptype == PacketType.OPERATION_REQUEST:
                req = self._decode(_P.OperationRequest.from_bytes, body)
                if len(req.params) > containers.MAX_PARAMS or len(body) % 2:
                    raise _Violation(f"OperationRequest of {len(body) + 8} bytes is malformed")
                if pending is not None:
                    log.warning("PTP/IP: new operation while a data phase OUT was expected")
                pieces, size, oversize = [], 0, False
                self.data_phases.append((int(req.operation_code), int(req.data_phase)))
                command = containers.encode_command(
                    int(req.operation_code), req.transaction_id, tuple(req.params)
                )
                with self._txn_lock:
                    self.camera.responder.bulk_out(command)
                    answered = self._answer(conn)
                pending = None if answered else (int(req.operation_code), req.transaction_id)
            elif ptype == PacketType.START_DATA:
                start = self._decode(_P.StartData.from_bytes, body)
                pieces, size = [], 0
                oversize = start.len_total > MAX_DATA_OUT
            elif ptype in _DATA_TYPES:
                if ptype == PacketType.DATA:
                    piece_payload = self._decode(_P.Data.from_bytes, body).payload
                else:
                    piece_payload = self._decode(_P.EndData.from_bytes, body).payload
                if pending is None:
                    log.debug("PTP/IP: data packet outside a data phase OUT, ignored")
                    continue
                if not oversize:
                    size += len(piece_payload)
                    if size > MAX_DATA_OUT:
                        oversize, pieces = True, []
                    else:
                        pieces.append(piece_payload)
                if ptype == PacketType.END_DATA:
                    code, tid = pending
                    pending = None
                    if oversize:
                        container = containers.encode_data_header(code, tid, MAX_DATA_OUT + 1)
                    else:
                        payload = b"".join(pieces)
                        container = containers.encode_data_header(code, tid, len(payload)) + payload
                    pieces, size, oversize = [], 0, False
                    with self._txn_lock:
                        self.camera.responder.bulk_out(container)
                        self._answer(conn)
            elif ptype == PacketType.CANCEL:
                cancel = self._decode(_P.Cancel.from_bytes, body)
                with self._txn_lock:
                    self.camera.responder.class_request(
                        UsbRequestType.CLASS_INTERFACE_OUT,
                        UsbClassRequest.CANCEL,
                        0,
                        0,
                        UsbCancelRequest(transaction_id=cancel.transaction_id).to_bytes(),
                        6,
                    )
                pending, pieces, size, oversize = None, [], 0, False
            elif ptype == PacketType.PROBE_REQUEST:
                sock.sendall(_packet(PacketType.PROBE_RESPONSE))
            elif ptype == PacketType.PROBE_RESPONSE:
                continue
            else:
                raise _Violation(f"{PacketType(ptype).name} is not valid on a command connection")

    @staticmethod
    def _decode(parse: Callable[[bytes], _T], body: bytes) -> _T:
        try:
            return parse(body)
        except SpecDecodeError as exc:
            what = getattr(parse, "__qualname__", "packet").rsplit(".", 1)[0]
            raise _Violation(f"malformed {what} packet: {exc}") from exc

    def _next_part(self) -> tuple[bytes, bool] | None:
        """Next (piece, more) the responder queued for the host, or None."""
        responder = self.camera.responder
        part_fn = getattr(responder, "bulk_in_part", None)
        if part_fn is not None:
            part: tuple[bytes, bool] | None = part_fn()
            return part
        item = responder.bulk_in()
        return None if item is None else (item, False)

    def _answer(self, conn: _CommandConnection) -> bool:
        """Send (or hold back) every reply the responder queued; False if there was none.

        Called with ``_txn_lock`` held.  A container the responder streams in pieces (a large
        DownloadFile) goes out as it is produced.  Applies the network fault knobs:
        ``read_timeouts`` holds the replies until the host's next packet, ``latency_ms`` /
        ``jitter_ms`` delay them.
        """
        part = self._next_part()
        if part is None:
            return False
        faults = self.camera.faults
        hold = faults.read_timeouts > 0 and faults.take("read_timeouts")
        if hold:
            log.debug("fault: holding back a transaction's replies until the host's next packet")
        else:
            delay = faults.latency_ms
            if faults.jitter_ms:
                delay += self._rng.uniform(-faults.jitter_ms, faults.jitter_ms)
            if delay > 0:
                time.sleep(delay / 1000.0)
        out = _Out(conn.sock, self.data_chunk, self._spend, faults)
        while part is not None:
            piece, more = part
            if not more:
                if hold:
                    conn.held.append(piece)
                else:
                    out.container(piece)
            elif hold:
                pieces = [piece]
                while more:
                    nxt = self._next_part()
                    if nxt is None:  # pragma: no cover - the responder finishes its containers
                        break
                    piece, more = nxt
                    pieces.append(piece)
                conn.held.append(b"".join(pieces))
            else:
                out.stream(piece, self._next_part)
            part = self._next_part()
        out.flush()
        return True

    def _idle_off(self, conn: _CommandConnection) -> bool:
        """Apply ``faults.idle_power_down_s`` (simulated time since the last packet): True if
        the camera just switched itself off."""
        now = self.camera.clock.now_ms()
        last, conn.last_traffic_ms = conn.last_traffic_ms, now
        idle = self.camera.faults.idle_power_down_s
        if idle is None or last is None or now - last <= idle * 1000.0:
            return False
        log.info("fault: idle for %.1f s, the camera powers down", (now - last) / 1000.0)
        self.camera.powered = False
        return True

    def _spend(self, n: int) -> None:
        """Charge ``n`` bytes against ``faults.disconnect_after_bytes``; when it runs out the
        camera leaves the network (``powered`` False, connection closed) like it leaves USB."""
        faults = self.camera.faults
        budget = faults.disconnect_after_bytes
        if budget is None:
            return
        if n < budget:
            faults.disconnect_after_bytes = budget - n
            return
        faults.disconnect_after_bytes = None  # fires once: a power-cycled camera works
        log.info("fault: byte budget spent, the camera leaves the network")
        self.camera.powered = False
        raise _Closed("fault: the camera left the network (byte budget spent)")

    def _send_replies(self, sock: socket.socket, replies: Iterable[bytes]) -> None:
        out = _Out(sock, self.data_chunk, self._spend)
        for blob in replies:
            out.container(blob)
        out.flush()

    # --- the event connection ---------------------------------------------------------------

    def _event_connection(self, sock: socket.socket, peer: str, body: bytes) -> None:
        try:
            request = _P.InitEventRequest.from_bytes(body)
        except SpecDecodeError as exc:
            self._violation(peer, f"malformed InitEventRequest: {exc}")
            self._init_fail(sock)
            return
        with self._lock:
            conn = self._active
            if (
                conn is None
                or conn.number != request.connection_number
                or conn.closed.is_set()
                or conn.event_sock is not None
            ):
                conn = None
            else:
                conn.event_sock = sock
        if conn is None:
            self._violation(
                peer, f"InitEventRequest for unknown connection {request.connection_number}"
            )
            self._init_fail(sock, InitFailReason.REJECTED_INITIATOR)
            return
        sock.sendall(_packet(PacketType.INIT_EVENT_ACK))
        log.debug("PTP/IP %s: event connection for %d", peer, conn.number)
        try:
            self._event_loop(conn, sock)
        finally:
            with self._lock:
                if conn.event_sock is sock:
                    conn.event_sock = None

    def _event_loop(self, conn: _CommandConnection, sock: socket.socket) -> None:
        responder = self.camera.responder
        while not conn.closed.is_set() and not self._stop.is_set():
            if not self.camera.powered:
                conn.shutdown()  # the camera went off: both connections drop
                return
            readable, _, _ = select.select([sock], [], [], _EVENT_POLL_S)
            if readable:
                ptype, _body = _read_packet(sock)
                if ptype == PacketType.PROBE_REQUEST:
                    sock.sendall(_packet(PacketType.PROBE_RESPONSE))
                elif ptype != PacketType.PROBE_RESPONSE:
                    raise _Violation(
                        f"{PacketType(ptype).name} is not valid on an event connection"
                    )
            with self._txn_lock:
                event = responder.interrupt_in()
            while event is not None:
                header = containers.decode_header(event)
                params = containers.decode_params(event[containers.HEADER_SIZE : header.length])
                body = _P.Event(
                    event_code=header.code,
                    transaction_id=header.transaction_id,
                    params=list(params),
                ).to_bytes()
                sock.sendall(_packet(PacketType.EVENT, body))
                with self._txn_lock:
                    event = responder.interrupt_in()


def serve_ptpip(
    camera: SimulatedCamera,
    host: str = "127.0.0.1",
    port: int = 0,
    **options: object,
) -> PtpipServer:
    """Serve ``camera`` over PTP/IP on ``host``:``port`` (0: any free port; see ``.port``).

    Returns a running :class:`PtpipServer`; use it as a context manager (or call ``close()``)
    to stop it.  ``options`` go to :class:`PtpipServer` (``init_timeout``, ``data_chunk``,
    ``friendly_name``).  Raises ``OSError`` if the address cannot be bound.
    """
    server = PtpipServer(camera, host, port, **options)  # type: ignore[arg-type]
    return server.start()

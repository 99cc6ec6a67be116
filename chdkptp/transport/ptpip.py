"""PTP over TCP (PTP/IP): the network transport for Canon's Wi-Fi PowerShots running CHDK.

This module owns the PTP/IP rules: the two connections (command and event) and their init
handshake, the host identity (a GUID persisted in the user config folder and a friendly name),
and the translation between the USB-style containers the session speaks and PTP/IP packets
(OperationRequest, StartData / Data / EndData, OperationResponse, Event, Cancel, Probe).  The
session (:mod:`chdkptp.session`) does not know which transport it runs on.

Notes on the mapping:

* The OperationRequest's data-phase field is filled exactly: the request is sent when the
  session's next call shows whether a host→device data phase follows (``send_data``) or not.
* A device→host data phase (StartData, Data…, EndData) becomes one data container whose code
  is the operation of the command just sent (PTP/IP data packets do not repeat it).
* PTP/IP has no Get Device Status or Device Reset class requests: :meth:`get_device_status`
  answers OK while the link is up, and :meth:`reset` reconnects (the device ends the session
  of a dropped connection).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from chdkptp._generated._runtime import SpecDecodeError
from chdkptp._generated.ptp_codes import ContainerType, ResponseCode
from chdkptp._generated.ptpip_packet import (
    DataPhaseInfo,
    InitFailReason,
    PacketType,
    ProtocolVersion,
    PtpipPacket,
    TcpPort,
)
from chdkptp.errors import (
    CameraNotFoundError,
    ChdkTimeoutError,
    DeviceDisconnectedError,
    LocalProtocolError,
    RemoteProtocolError,
    TransportError,
)
from chdkptp.ptp.containers import (
    HEADER_SIZE,
    Header,
    decode_header,
    decode_params,
    encode_event,
)
from chdkptp.transport.base import DataSink, DataSource, Received, sink_writer

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "PtpipTransport",
    "default_friendly_name",
    "host_guid",
]

log = logging.getLogger(__name__)

_P = PtpipPacket
_T = TypeVar("_T")

DEFAULT_PORT = int(TcpPort.PTPIP)
"""The PTP/IP port (15740)."""

DEFAULT_TIMEOUT = 5.0
"""Seconds to wait for a packet (the same default as USB bulk transfers)."""

DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds to wait for the TCP connection and the init handshake."""

DEFAULT_CHUNK = 1 << 20
"""Payload bytes per host→device Data packet."""

PACKET_HEADER_SIZE = len(
    _P.PacketHeader(len_packet=0, packet_type=PacketType.PROBE_REQUEST).to_bytes()
)
MAX_CONTROL_PACKET = 4096
"""Longest non-data packet accepted from the device."""

MAX_DATA_PACKET = 1 << 30
"""Longest Data / EndData packet accepted from the device (1 GiB)."""

_KNOWN_TYPES = frozenset(int(t) for t in PacketType)
_DATA_TYPES = frozenset((int(PacketType.DATA), int(PacketType.END_DATA)))
_U32_MAX = 0xFFFFFFFF
_RECV_MIN = 256 * 1024
_COMPACT_AT = 1 << 20
_PREALLOCATE_MAX = 64 << 20  # trust a device's announced data length this far

_guid_lock = threading.Lock()
_session_guid: bytes | None = None


# --- host identity -------------------------------------------------------------------------


def config_dir() -> Path:
    """The user config folder for chdkptp (``$XDG_CONFIG_HOME/chdkptp``, ``%APPDATA%`` on
    Windows, ``~/.config/chdkptp`` otherwise)."""
    base = os.environ.get("XDG_CONFIG_HOME")
    if not base and sys.platform == "win32":
        base = os.environ.get("APPDATA")
    root = Path(base) if base else Path.home() / ".config"
    return root / "chdkptp"


def host_guid() -> bytes:
    """This host's 16-byte PTP/IP GUID, persisted in :func:`config_dir` ``/guid``.

    Cameras may remember paired hosts by GUID, so it stays the same across runs.  If the
    file cannot be read or written the GUID is still stable for this process (never raises).
    """
    global _session_guid
    with _guid_lock:
        path = config_dir() / "guid"
        try:
            text = path.read_text(encoding="ascii").strip()
            return uuid.UUID(text).bytes
        except (OSError, ValueError) as exc:
            log.debug("no stored PTP/IP GUID (%s); creating one", exc)
        if _session_guid is None:
            _session_guid = uuid.uuid4().bytes
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(str(uuid.UUID(bytes=_session_guid)) + "\n", encoding="ascii")
            os.replace(tmp, path)
        except OSError as exc:
            log.info("cannot store the PTP/IP GUID in %s (%s); using a per-process one", path, exc)
        return _session_guid


def default_friendly_name() -> str:
    """The name this host gives the camera: ``chdkptp@<hostname>`` (at most 64 characters)."""
    try:
        host = socket.gethostname()
    except OSError:  # pragma: no cover - gethostname practically never fails
        host = "host"
    return f"chdkptp@{host}"[:64]


# --- packets -------------------------------------------------------------------------------


def _packet(ptype: PacketType, body: bytes = b"") -> bytes:
    head: bytes = _P.PacketHeader(
        len_packet=PACKET_HEADER_SIZE + len(body), packet_type=ptype
    ).to_bytes()
    return head + body


def _decode(parse: Callable[[bytes | bytearray], _T], body: bytes | bytearray, what: str) -> _T:
    try:
        return parse(body)
    except SpecDecodeError as exc:
        raise RemoteProtocolError(f"malformed PTP/IP {what} packet: {exc}") from exc


class _Link:
    """One TCP connection with a receive buffer that survives timeouts (framing stays intact)."""

    def __init__(self, sock: socket.socket, what: str) -> None:
        self.sock = sock
        self.what = what
        self.buf = bytearray()
        self.pos = 0
        self.broken: str | None = None
        # a packet body being read straight into its own buffer: (type, body, bytes got)
        self.partial: tuple[int, bytearray, int] | None = None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()

    def _lost(self, why: str) -> DeviceDisconnectedError:
        self.broken = why
        return DeviceDisconnectedError(f"PTP/IP {self.what} connection lost: {why}")

    def send(self, *parts: bytes | memoryview, timeout: float) -> None:
        if self.broken:
            raise DeviceDisconnectedError(f"PTP/IP {self.what} connection lost: {self.broken}")
        try:
            self.sock.settimeout(timeout)
            for part in parts:
                self.sock.sendall(part)
        except TimeoutError as exc:
            self.broken = "send timed out"  # a partial write breaks the framing
            raise ChdkTimeoutError(
                f"PTP/IP {self.what}: the camera did not accept data within {timeout} s"
            ) from exc
        except (ConnectionError, BrokenPipeError) as exc:
            raise self._lost(str(exc) or type(exc).__name__) from exc
        except OSError as exc:
            raise TransportError(f"PTP/IP {self.what} send failed: {exc}") from exc

    def _fill(self, n: int, deadline: float) -> None:
        """Make sure ``n`` unread bytes are buffered (ChdkTimeoutError keeps what came)."""
        if self.broken:
            raise DeviceDisconnectedError(f"PTP/IP {self.what} connection lost: {self.broken}")
        while len(self.buf) - self.pos < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChdkTimeoutError(f"PTP/IP {self.what}: no reply from the camera in time")
            want = max(n - (len(self.buf) - self.pos), _RECV_MIN)
            try:
                self.sock.settimeout(left)
                piece = self.sock.recv(want)
            except TimeoutError as exc:
                raise ChdkTimeoutError(
                    f"PTP/IP {self.what}: no reply from the camera in time"
                ) from exc
            except (ConnectionError, BrokenPipeError) as exc:
                raise self._lost(str(exc) or type(exc).__name__) from exc
            except OSError as exc:
                raise TransportError(f"PTP/IP {self.what} receive failed: {exc}") from exc
            if not piece:
                raise self._lost("closed by the camera")
            self.buf += piece

    def _take(self, n: int) -> bytes:
        data = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        if self.pos >= _COMPACT_AT or self.pos == len(self.buf):
            del self.buf[: self.pos]
            self.pos = 0
        return data

    def read_packet(self, deadline: float) -> tuple[int, bytes | bytearray]:
        """(packet type, body) of the next whole packet.

        A large body is received straight into its own buffer (no intermediate copies); a
        timeout part-way keeps what arrived, so the next call resumes the same packet.
        """
        if self.partial is not None:
            return self._finish_body(deadline)
        self._fill(PACKET_HEADER_SIZE, deadline)
        raw = bytes(self.buf[self.pos : self.pos + PACKET_HEADER_SIZE])
        try:
            header = _P.PacketHeader.from_bytes(raw)
        except SpecDecodeError as exc:
            self.broken = f"bad packet header {raw.hex(' ')}"
            raise RemoteProtocolError(f"PTP/IP {self.what}: bad packet header: {exc}") from exc
        ptype = int(header.packet_type)
        limit = MAX_DATA_PACKET if ptype in _DATA_TYPES else MAX_CONTROL_PACKET
        if ptype not in _KNOWN_TYPES or header.len_packet > limit:
            self.broken = f"bad packet type {ptype} / length {header.len_packet}"
            raise RemoteProtocolError(
                f"PTP/IP {self.what}: packet type {ptype} with length {header.len_packet} "
                "is not valid"
            )
        self._take(PACKET_HEADER_SIZE)
        body_len = header.len_packet - PACKET_HEADER_SIZE
        have = len(self.buf) - self.pos
        if have >= body_len or body_len <= _RECV_MIN:
            self._fill(body_len, deadline)
            return ptype, self._take(body_len)
        body = bytearray(body_len)
        body[:have] = self.buf[self.pos :]
        del self.buf[:]
        self.pos = 0
        self.partial = (ptype, body, have)
        return self._finish_body(deadline)

    def _finish_body(self, deadline: float) -> tuple[int, bytearray]:
        assert self.partial is not None
        ptype, body, got = self.partial
        view = memoryview(body)
        size = len(body)
        while got < size:
            left = deadline - time.monotonic()
            if left <= 0:
                self.partial = (ptype, body, got)
                raise ChdkTimeoutError(f"PTP/IP {self.what}: no reply from the camera in time")
            try:
                self.sock.settimeout(left)
                k = self.sock.recv_into(view[got:])
            except TimeoutError as exc:
                self.partial = (ptype, body, got)
                raise ChdkTimeoutError(
                    f"PTP/IP {self.what}: no reply from the camera in time"
                ) from exc
            except (ConnectionError, BrokenPipeError) as exc:
                raise self._lost(str(exc) or type(exc).__name__) from exc
            except OSError as exc:
                raise TransportError(f"PTP/IP {self.what} receive failed: {exc}") from exc
            if k == 0:
                raise self._lost("closed by the camera")
            got += k
        self.partial = None
        return ptype, body

    def readable(self, timeout: float | None) -> bool:
        if len(self.buf) > self.pos or self.partial is not None:
            return True
        try:
            wait = None if timeout is None else max(0.0, timeout)
            ready, _, _ = select.select([self.sock], [], [], wait)
        except (OSError, ValueError) as exc:
            raise self._lost(str(exc)) from exc
        return bool(ready)


class PtpipTransport:
    """A PTP/IP link to one camera (implements :class:`~chdkptp.transport.base.Transport`).

    Construct with :meth:`open`.  Not thread-safe on its own (the session serialises
    transactions); :meth:`read_event` may run concurrently in another thread.
    """

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        guid: bytes | None = None,
        friendly_name: str | None = None,
        events: bool = True,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> None:
        if not isinstance(host, str) or not host:
            raise TypeError("host must be a non-empty str")
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError("port must be an int")
        if not 0 < port <= 0xFFFF:
            raise ValueError(f"port {port} is out of range")
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if guid is not None and len(guid) != 16:
            raise ValueError("a PTP/IP GUID is 16 bytes")
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.host = host
        self.port = port
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.guid = guid if guid is not None else host_guid()
        self.friendly_name = friendly_name if friendly_name is not None else (
            default_friendly_name()
        )
        self.events = events
        self.chunk_size = chunk_size
        self.device_name = ""
        self.device_guid = b""
        self.connection_number = 0
        self.description = f"ptpip:{host}:{port}"
        self._cmd: _Link | None = None
        self._evt: _Link | None = None
        self._event_lock = threading.Lock()
        self._pending: tuple[int, int, tuple[int, ...]] | None = None  # command not yet sent
        self._operation = 0  # operation of the transaction in progress (data container code)
        self._closed = True

    # --- opening and closing ------------------------------------------------------------

    @classmethod
    def open(cls, host: str, port: int = DEFAULT_PORT, **kwargs: object) -> PtpipTransport:
        """Connect to the camera at ``host``:``port`` and run the init handshake.

        Opens the command connection (InitCommandRequest → InitCommandAck) and, unless
        ``events=False``, the event connection (InitEventRequest → InitEventAck).  Raises
        ``CameraNotFoundError`` when nothing answers at that address, ``TransportError`` when
        the camera refuses (InitFail, with the reason), ``ChdkTimeoutError`` when the
        handshake stalls, ``RemoteProtocolError`` for a malformed answer.
        """
        transport = cls(host, port, **kwargs)  # type: ignore[arg-type]
        transport.connect()
        return transport

    def _dial(self, what: str) -> _Link:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except TimeoutError as exc:
            raise CameraNotFoundError(
                f"no PTP/IP camera answered at {self.host}:{self.port} within "
                f"{self.connect_timeout} s"
            ) from exc
        except OSError as exc:
            raise CameraNotFoundError(
                f"no PTP/IP camera at {self.host}:{self.port}: {exc.strerror or exc}"
            ) from exc
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Link(sock, what)

    def _handshake(self, link: _Link, request: bytes, expect: PacketType) -> bytes | bytearray:
        deadline = time.monotonic() + self.connect_timeout
        link.send(request, timeout=self.connect_timeout)
        ptype, body = link.read_packet(deadline)
        if ptype == PacketType.INIT_FAIL:
            fail = _decode(_P.InitFail.from_bytes, body, "InitFail")
            reason = InitFailReason.coerce(int(fail.reason))
            raise TransportError(
                f"the camera at {self.host}:{self.port} refused the {link.what} connection "
                f"(InitFail: {reason.name.lower()})"
            )
        if ptype != expect:
            raise RemoteProtocolError(
                f"expected {expect.name} on the {link.what} connection, got "
                f"{PacketType.coerce(ptype).name}"
            )
        return body

    def connect(self) -> None:
        """(Re)open the command and event connections; see :meth:`open` for errors."""
        self._drop_links()
        cmd = self._dial("command")
        try:
            request = _P.InitCommandRequest(
                guid=self.guid,
                friendly_name=self.friendly_name,
                version_minor=ProtocolVersion.MINOR,
                version_major=ProtocolVersion.MAJOR,
            ).to_bytes()
            body = self._handshake(cmd, _packet(PacketType.INIT_COMMAND_REQUEST, request),
                                   PacketType.INIT_COMMAND_ACK)
            ack = _decode(_P.InitCommandAck.from_bytes, body, "InitCommandAck")
            evt: _Link | None = None
            if self.events:
                evt = self._dial("event")
                try:
                    req = _P.InitEventRequest(connection_number=ack.connection_number).to_bytes()
                    self._handshake(evt, _packet(PacketType.INIT_EVENT_REQUEST, req),
                                    PacketType.INIT_EVENT_ACK)
                except BaseException:
                    evt.close()
                    raise
        except BaseException:
            cmd.close()
            raise
        self._cmd, self._evt = cmd, evt
        self.connection_number = int(ack.connection_number)
        self.device_guid = bytes(ack.guid)
        self.device_name = str(ack.friendly_name)
        self.description = f"ptpip:{self.host}:{self.port} {self.device_name}".rstrip()
        self._pending = None
        self._closed = False
        log.debug("PTP/IP connected to %s (connection %d, version %d.%d)", self.description,
                  self.connection_number, ack.version_major, ack.version_minor)

    def _drop_links(self) -> None:
        for link in (self._cmd, self._evt):
            if link is not None:
                link.close()
        self._cmd = self._evt = None
        self._pending = None

    def close(self) -> None:
        """Close both connections (the camera ends the session); idempotent."""
        self._closed = True
        self._drop_links()

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    def _link(self) -> _Link:
        if self._closed or self._cmd is None:
            raise DeviceDisconnectedError(f"{self.description}: the PTP/IP link is closed")
        return self._cmd

    def _timeout(self, timeout: float | None) -> float:
        value = self.timeout if timeout is None else timeout
        if value < 0:
            raise ValueError("timeout must be >= 0 seconds")
        return value

    # --- host → device ------------------------------------------------------------------

    def _flush(self, phase: DataPhaseInfo, timeout: float) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        op, tid, params = pending
        body = _P.OperationRequest(
            data_phase=phase, operation_code=op, transaction_id=tid, params=list(params)
        ).to_bytes()
        self._link().send(_packet(PacketType.OPERATION_REQUEST, body), timeout=timeout)

    def send(self, container: bytes | bytearray | memoryview, *,
             timeout: float | None = None) -> None:
        """Send a command (as OperationRequest) or a small data container (StartData +
        EndData).  Raises ``LocalProtocolError`` for other container types."""
        link = self._link()
        tout = self._timeout(timeout)
        data = bytes(container)
        header = decode_header(data[:HEADER_SIZE])
        if header.length != len(data):
            raise ValueError(f"container says {header.length} bytes, {len(data)} given")
        if header.type == ContainerType.COMMAND:
            self._flush(DataPhaseInfo.NO_DATA_OR_DATA_IN, tout)
            params = decode_params(data[HEADER_SIZE:])
            self._pending = (header.code, header.transaction_id, params)
            self._operation = header.code
            return
        if header.type == ContainerType.DATA:
            self._flush(DataPhaseInfo.DATA_OUT, tout)
            tid = header.transaction_id
            start = _P.StartData(transaction_id=tid, len_total=len(data) - HEADER_SIZE)
            end = _P.EndData(transaction_id=tid, payload=data[HEADER_SIZE:])
            link.send(_packet(PacketType.START_DATA, start.to_bytes())
                      + _packet(PacketType.END_DATA, end.to_bytes()), timeout=tout)
            return
        raise LocalProtocolError(f"a host cannot send a {header.type.name} container")

    def send_data(self, header: bytes, source: DataSource, *, timeout: float | None = None) -> None:
        """Send a host→device data phase: StartData, Data packets of ``chunk_size``, EndData.

        ``header`` is the 12-byte USB data container header (its length counts the payload);
        a file ``source`` is read in chunks.  Raises ``ValueError`` if the source holds fewer
        bytes than the header announces.
        """
        link = self._link()
        tout = self._timeout(timeout)
        head = decode_header(header)
        total = head.length - HEADER_SIZE
        tid = head.transaction_id
        self._flush(DataPhaseInfo.DATA_OUT, tout)
        link.send(_packet(PacketType.START_DATA,
                          _P.StartData(transaction_id=tid, len_total=total).to_bytes()),
                  timeout=tout)
        tid_bytes = tid.to_bytes(4, "little")

        def piece(ptype: PacketType, chunk: bytes | memoryview) -> None:
            top: bytes = _P.PacketHeader(
                len_packet=PACKET_HEADER_SIZE + 4 + len(chunk), packet_type=ptype
            ).to_bytes()
            link.send(top + tid_bytes, chunk, timeout=tout)

        step = self.chunk_size
        if isinstance(source, (bytes, bytearray, memoryview)):
            view = memoryview(source).cast("B")
            if len(view) != total:
                raise ValueError(f"data source has {len(view)} bytes, the header says {total}")
            pos = 0
            while total - pos > step:
                piece(PacketType.DATA, view[pos : pos + step])
                pos += step
            piece(PacketType.END_DATA, view[pos:])
            return
        left = total
        while True:
            chunk = _read_up_to(source, min(left, step))
            if len(chunk) < min(left, step):
                raise ValueError(
                    f"data source ended after {total - left + len(chunk)} of {total} bytes"
                )
            left -= len(chunk)
            if left == 0:
                piece(PacketType.END_DATA, chunk)
                return
            piece(PacketType.DATA, chunk)

    # --- device → host ------------------------------------------------------------------

    def receive_container(self, sink: DataSink | None = None, *,
                          timeout: float | None = None,
                          expect: tuple[int, int] | None = None) -> Received:
        """Read the next data phase (as one data container) or OperationResponse.

        A data phase's payload goes to ``sink`` if given; with ``expect=(tid, operation)`` a
        data phase of another transaction (StartData names it) is read and discarded
        instead, never reaching ``sink`` (returned with an empty payload).  Raises
        ``ChdkTimeoutError`` if the camera sends nothing within ``timeout`` (per packet),
        ``DeviceDisconnectedError`` if the connection drops, ``RemoteProtocolError`` for
        packets that break PTP/IP.
        """
        link = self._link()
        tout = self._timeout(timeout)
        self._flush(DataPhaseInfo.NO_DATA_OR_DATA_IN, tout)
        while True:
            ptype, body = link.read_packet(time.monotonic() + tout)
            if ptype == PacketType.OPERATION_RESPONSE:
                resp = _decode(_P.OperationResponse.from_bytes, body, "OperationResponse")
                payload = b"".join(int(p).to_bytes(4, "little") for p in resp.params)
                header = Header(HEADER_SIZE + len(payload), ContainerType.RESPONSE,
                                int(resp.response_code), int(resp.transaction_id))
                return Received(header, payload)
            if ptype == PacketType.START_DATA:
                start = _decode(_P.StartData.from_bytes, body, "StartData")
                tid = int(start.transaction_id)
                if sink is not None and expect is not None and tid != expect[0]:
                    log.debug("discarding the data phase of transaction %d (expected %d)",
                              tid, expect[0])
                    rec = self._data_phase(link, tid, int(start.len_total), _discard, tout)
                    return Received(rec.header, b"")
                return self._data_phase(link, tid, int(start.len_total), sink, tout)
            if ptype == PacketType.PROBE_REQUEST:
                link.send(_packet(PacketType.PROBE_RESPONSE), timeout=tout)
                continue
            if ptype in _DATA_TYPES or ptype in (PacketType.PROBE_RESPONSE, PacketType.EVENT):
                log.debug("skipping a stray %s packet", PacketType.coerce(ptype).name)
                continue
            link.broken = f"unexpected {PacketType.coerce(ptype).name}"
            raise RemoteProtocolError(
                f"PTP/IP: unexpected {PacketType.coerce(ptype).name} on the command connection"
            )

    def _data_phase(self, link: _Link, tid: int, total: int, sink: DataSink | None,
                    tout: float) -> Received:
        write = sink_writer(sink) if sink is not None else None
        payload = bytearray(total if write is None and total <= _PREALLOCATE_MAX else 0)
        got = 0
        while True:
            ptype, body = link.read_packet(time.monotonic() + tout)
            if ptype == PacketType.PROBE_REQUEST:
                link.send(_packet(PacketType.PROBE_RESPONSE), timeout=tout)
                continue
            if ptype not in _DATA_TYPES:
                link.broken = "data phase interrupted"
                raise RemoteProtocolError(
                    f"PTP/IP: {PacketType.coerce(ptype).name} inside a data phase "
                    f"({got} of {total} bytes received)"
                )
            if len(body) < 4:
                raise RemoteProtocolError("PTP/IP data packet without a transaction id")
            chunk = memoryview(body)[4:]
            got += len(chunk)
            if got > total:
                link.broken = "data phase longer than announced"
                raise RemoteProtocolError(
                    f"PTP/IP data phase longer than its StartData said ({got} > {total})"
                )
            if write is not None:
                write(chunk)
            elif got <= len(payload):
                payload[got - len(chunk) : got] = chunk
            else:
                payload += chunk
            if ptype == PacketType.END_DATA:
                break
        if got != total:
            raise RemoteProtocolError(
                f"PTP/IP data phase ended after {got} of {total} announced bytes"
            )
        header = Header(min(HEADER_SIZE + total, _U32_MAX), ContainerType.DATA,
                        self._operation, tid)
        if write is not None:
            return Received(header, b"", True)
        return Received(header, payload)

    # --- events, status, cancel, reset ---------------------------------------------------

    def read_event(self, timeout: float | None) -> bytes | None:
        """Read one Event from the event connection as a USB event container, or None.

        ``timeout`` <= 0 polls; ``None`` waits until an event comes.  Raises
        ``DeviceDisconnectedError`` when the link is closed or lost.
        """
        if self._closed:
            raise DeviceDisconnectedError(f"{self.description}: the PTP/IP link is closed")
        evt = self._evt
        if evt is None:
            return None
        with self._event_lock:
            deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
            while True:
                if not evt.readable(None if deadline is None else deadline - time.monotonic()):
                    return None
                try:
                    end = time.monotonic() + 1.0
                    ptype, body = evt.read_packet(end if deadline is None else max(deadline, end))
                except ChdkTimeoutError:
                    return None
                if ptype == PacketType.EVENT:
                    event = _decode(_P.Event.from_bytes, body, "Event")
                    return encode_event(int(event.event_code), int(event.transaction_id),
                                        tuple(event.params)[:3])
                if ptype == PacketType.PROBE_REQUEST:
                    evt.send(_packet(PacketType.PROBE_RESPONSE), timeout=self.timeout)

    def get_device_status(self) -> int:
        """OK while the link is up (PTP/IP has no Get Device Status request).

        Raises ``DeviceDisconnectedError`` once the connection is closed or lost.
        """
        link = self._link()
        if link.broken:
            raise DeviceDisconnectedError(f"PTP/IP command connection lost: {link.broken}")
        return int(ResponseCode.OK)

    def cancel(self, transaction_id: int) -> None:
        """Send a Cancel packet for ``transaction_id`` on the command connection."""
        link = self._link()
        self._pending = None
        body = _P.Cancel(transaction_id=transaction_id).to_bytes()
        link.send(_packet(PacketType.CANCEL, body), timeout=self.timeout)

    def reset(self) -> None:
        """Reconnect both connections: the camera ends the old connection's session.

        Raises what :meth:`open` raises.
        """
        log.info("%s: resetting by reconnecting", self.description)
        self.connect()

    def reconnect(self) -> None:
        """Open fresh connections after a lost link (same as :meth:`reset`)."""
        self.connect()


def _discard(chunk: memoryview) -> None:
    """A sink that drops what it gets (a stale data phase)."""


def _read_up_to(source: BinaryIO, n: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < n:
        piece = source.read(n - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)

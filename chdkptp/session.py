"""One PTP session over a :class:`~chdkptp.transport.base.Transport`.

The session owns transaction ids, the command / data / response sequence of a transaction,
the mapping of response codes to typed exceptions (through ``ResponseCode.category``), a lock
so one session can be shared by threads, an optional minimum gap between transactions for slow
cameras, recovery after an interrupted transaction, and closing (idempotent, also at
interpreter exit).  It refuses the standard storage-enumeration operations, which put
PowerShots into a state where record mode no longer works.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass

from chdkptp._generated.chdk_codes import ChdkCommand
from chdkptp._generated.ptp_codes import ContainerType, EventCode, OperationCode, ResponseCode
from chdkptp.errors import (
    ChdkPtpError,
    ChdkTimeoutError,
    DeviceBusy,
    DeviceDisconnectedError,
    DeviceError,
    InvalidParameter,
    LocalProtocolError,
    OperationNotSupported,
    ProtocolError,
    RemoteProtocolError,
    ResponseError,
    SessionError,
)
from chdkptp.ptp.containers import (
    HEADER_SIZE,
    decode_header,
    decode_params,
    encode_command,
    encode_data_header,
)
from chdkptp.transport.base import DataSink, DataSource, Transport

__all__ = ["Event", "Response", "Session", "close_all_sessions", "response_error"]

log = logging.getLogger(__name__)

#: The session id chdkptp opens (any non-zero value works).
SESSION_ID = 1
_MAX_TID = 0xFFFFFFFF  # reserved by ISO 15740; ids wrap to 1 before it
_MAX_STALE = 64  # containers of earlier transactions skipped before giving up
_CLOSE_TIMEOUT = 1.0
#: How long closing at interpreter exit waits for another thread's transaction to finish.
_EXIT_LOCK_TIMEOUT = 2.0

#: Standard PTP storage enumeration: PowerShots refuse record mode after any of these.
_STORAGE_ENUMERATION = frozenset(int(op) for op in OperationCode if op.storage_enumeration)

_CATEGORY_ERRORS: dict[str, type[ResponseError]] = {
    "busy": DeviceBusy,
    "not_supported": OperationNotSupported,
    "invalid_parameter": InvalidParameter,
    "session": SessionError,
    "transaction": SessionError,
}


@dataclass(frozen=True)
class Response:
    """The result of one transaction.

    Attributes:
        code: the response code (OK, or SessionAlreadyOpen for a tolerated OpenSession).
        params: the response parameters.
        data: the device→host data phase, or None (no data phase, or streamed to a sink).
    """

    code: ResponseCode
    params: tuple[int, ...]
    data: bytes | bytearray | None = None


@dataclass(frozen=True)
class Event:
    """One PTP event from the interrupt endpoint (e.g. Canon CameraModeChanged).

    Attributes:
        code: the event code (an open ``EventCode``: unknown codes stay readable).
        transaction_id: the transaction the event refers to (0 if none).
        params: up to three event parameters.
    """

    code: EventCode
    transaction_id: int
    params: tuple[int, ...]


def operation_name(operation: int, params: tuple[int, ...] = ()) -> str:
    """A readable name for an operation ("GetDeviceInfo", "CHDK ExecuteScript")."""
    op = OperationCode.coerce(operation)
    if op == OperationCode.CHDK and params:
        return f"CHDK {ChdkCommand.coerce(params[0]).name}"
    return op.name


def response_error(code: int, operation: int, command_params: tuple[int, ...] = (),
                   params: tuple[int, ...] = ()) -> ResponseError:
    """Build the typed exception for a non-OK response ``code`` to ``operation``.

    The class follows the generated ``ResponseCode.category``: busy → ``DeviceBusy``,
    not_supported → ``OperationNotSupported``, invalid_parameter → ``InvalidParameter``,
    session / transaction → ``SessionError``, anything else → ``ResponseError``.
    """
    rc = ResponseCode.coerce(code)
    cls = _CATEGORY_ERRORS.get(str(rc.category or "error"), ResponseError)
    return cls(
        f"{operation_name(operation, command_params)} failed: camera answered {rc.name} "
        f"({int(rc):#06x})",
        code=rc,
        operation=operation,
        params=params,
    )


# Strong references: a session the caller forgot to close still gets CloseSession at exit.
_open_sessions: set[Session] = set()


def close_all_sessions(lock_timeout: float = _EXIT_LOCK_TIMEOUT) -> None:
    """Close every session still open (run at interpreter exit); never raises, never hangs.

    A session whose lock another thread holds (a transaction in progress in a daemon
    thread) is given ``lock_timeout`` seconds, then abandoned (see :meth:`Session.close`).
    """
    for session in list(_open_sessions):
        try:
            session.close(lock_timeout=lock_timeout)
        except Exception as exc:  # pragma: no cover - close() already swallows errors
            log.debug("error closing %s at exit: %s", session, exc)


atexit.register(close_all_sessions)


class Session:
    """A PTP session: runs transactions one at a time on ``transport``.

    ``min_gap`` (seconds) keeps at least that much time between the end of one transaction
    and the next command, for slow cameras.  ``timeout`` is the default per-container timeout
    (None: the transport's own default).
    """

    def __init__(self, transport: Transport, *, min_gap: float = 0.0,
                 timeout: float | None = None) -> None:
        if min_gap < 0:
            raise ValueError("min_gap must be >= 0")
        self.transport = transport
        self.min_gap = min_gap
        self.timeout = timeout
        self.lock = threading.RLock()
        self._tid = 0
        self._open = False
        self._dirty = False
        self._last_end = 0.0
        self.transactions = 0

    def __repr__(self) -> str:
        state = "open" if self._open else "closed"
        return f"<Session {getattr(self.transport, 'description', '?')} {state}>"

    @property
    def is_open(self) -> bool:
        """True between a successful :meth:`open` and :meth:`close`."""
        return self._open

    @property
    def last_transaction_id(self) -> int:
        """The id of the most recent transaction."""
        return self._tid

    # --- open / close -------------------------------------------------------------------

    def open(self) -> None:
        """OpenSession (session id 1, transaction id 0), with chdkptp's recovery.

        If the first attempt fails, sends the class Device Reset request, checks the device
        status and tries once more.  SessionAlreadyOpen counts as success.  Raises the second
        attempt's error (``ResponseError`` subclass, ``DeviceError``, ``ChdkTimeoutError``).
        """
        with self.lock:
            if self._open:
                return
            try:
                self._open_once()
            except (ResponseError, DeviceError, ChdkTimeoutError, RemoteProtocolError) as exc:
                if isinstance(exc, DeviceDisconnectedError):
                    raise
                log.info("OpenSession failed (%s); resetting the device and retrying", exc)
                try:
                    self.transport.reset()
                    self.transport.get_device_status()
                except (DeviceError, ChdkTimeoutError, ProtocolError) as reset_exc:
                    log.debug("device reset failed: %s", reset_exc)
                self._open_once()
            _open_sessions.add(self)

    def _open_once(self) -> None:
        self._tid = 0
        self._dirty = False
        try:
            self._run(OperationCode.OPEN_SESSION, (SESSION_ID,), tid=0)
        except SessionError as exc:
            if exc.code != ResponseCode.SESSION_ALREADY_OPEN:
                raise
            log.info("camera reports a session already open; using it")
        self._open = True

    def close(self, *, lock_timeout: float | None = None) -> None:
        """CloseSession and release the transport; idempotent, never raises.

        Safe after a Ctrl-C in the middle of a transaction (the transaction is cancelled
        first) and on a camera that already left the bus.  With ``lock_timeout`` (seconds),
        if another thread's transaction still holds the session lock after that long, the
        session is only marked closed (no CloseSession; the transport is left to that
        thread), so closing at exit cannot hang on a daemon thread.
        """
        if not self.lock.acquire(timeout=-1 if lock_timeout is None else max(0.0, lock_timeout)):
            log.warning("%r: a transaction of another thread is still running; abandoning "
                        "the session without CloseSession", self)
            self._open = False
            _open_sessions.discard(self)
            return
        try:
            self._close_locked()
        finally:
            self.lock.release()

    def _close_locked(self) -> None:
        was_open, self._open = self._open, False
        _open_sessions.discard(self)
        try:
            if was_open:
                if self._dirty:
                    self._resync(timeout=_CLOSE_TIMEOUT)
                self._run(OperationCode.CLOSE_SESSION, (), tid=self._next_tid(),
                          timeout=_CLOSE_TIMEOUT)
        except (ChdkPtpError, OSError) as exc:
            log.debug("ignoring error while closing the session: %s", exc)
        finally:
            self.transport.close()

    # --- transactions -------------------------------------------------------------------

    def _next_tid(self) -> int:
        self._tid = 1 if self._tid >= _MAX_TID - 1 else self._tid + 1
        return self._tid

    def transaction(
        self,
        operation: int,
        params: tuple[int, ...] | list[int] = (),
        *,
        data_out: DataSource | None = None,
        data_size: int | None = None,
        sink: DataSink | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Run one transaction and return its :class:`Response`.

        ``data_out`` (bytes or a binary file of ``data_size`` bytes) is sent as the
        host→device data phase.  A device→host data phase is returned in ``Response.data``,
        or streamed to ``sink`` if given.  Raises the ``ResponseError`` subclass for a non-OK
        response, ``LocalProtocolError`` for a closed session or a storage-enumeration
        operation, and transport errors (``DeviceError``, ``ChdkTimeoutError``,
        ``RemoteProtocolError``).
        """
        if operation in _STORAGE_ENUMERATION:
            raise LocalProtocolError(
                f"{OperationCode.coerce(operation).name} is standard PTP storage enumeration, "
                "which makes PowerShots refuse record mode; chdkptp never sends it (use the "
                "CHDK file functions)"
            )
        if len(params) > 5:
            raise ValueError("a PTP command has at most 5 parameters")
        with self.lock:
            if not self._open and operation != OperationCode.GET_DEVICE_INFO:
                raise LocalProtocolError("the PTP session is not open")
            if self._dirty:
                self._resync()
            return self._run(operation, tuple(params), tid=self._next_tid(), data_out=data_out,
                             data_size=data_size, sink=sink, timeout=timeout)

    def _run(
        self,
        op: int,
        params: tuple[int, ...],
        *,
        tid: int,
        data_out: DataSource | None = None,
        data_size: int | None = None,
        sink: DataSink | None = None,
        timeout: float | None = None,
    ) -> Response:
        timeout = self.timeout if timeout is None else timeout
        if self.min_gap:
            wait = self._last_end + self.min_gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        transport = self.transport
        completed = False
        try:
            transport.send(encode_command(op, tid, params), timeout=timeout)
            if data_out is not None:
                size = _source_size(data_out, data_size)
                transport.send_data(encode_data_header(op, tid, size), data_out, timeout=timeout)
            data: bytes | bytearray | None = None
            stale = 0
            while True:
                # The header is checked before any byte reaches the caller's sink.
                rec = transport.receive_container(sink, timeout=timeout, expect=(tid, op))
                header = rec.header
                if header.transaction_id != tid:
                    stale += 1
                    log.warning("skipping a stale container (tid %d, expected %d)",
                                header.transaction_id, tid)
                    if stale > _MAX_STALE:
                        raise RemoteProtocolError("the camera keeps answering old transactions")
                    continue
                if header.type == ContainerType.DATA:
                    if header.code != op:
                        raise RemoteProtocolError(
                            f"data container for operation {header.code:#06x}, expected {op:#06x}"
                        )
                    data = None if rec.streamed else rec.payload
                    continue
                if header.type != ContainerType.RESPONSE:
                    raise RemoteProtocolError(
                        f"unexpected container type {header.type} during a transaction"
                    )
                if (len(rec.payload)) % 4 or len(rec.payload) > 20:
                    raise RemoteProtocolError(
                        f"response with {len(rec.payload) + HEADER_SIZE} bytes is not 12 + 4·n"
                    )
                rparams = tuple(decode_params(rec.payload))
                break
            completed = True
        finally:
            self._last_end = time.monotonic()
            self.transactions += 1
            if not completed:
                self._dirty = True
        code = ResponseCode.coerce(header.code)
        if code != ResponseCode.OK:
            raise response_error(code, op, params, rparams)
        return Response(code, rparams, data)

    def read_event(self, timeout: float | None = 0.0) -> Event | None:
        """Read one PTP event (interrupt endpoint), or None if none comes within ``timeout``.

        ``timeout`` <= 0 (the default) is a poll that returns at once; ``None`` waits until an
        event comes.  Does not take the session lock: events may be read from another thread
        while transactions run.  Raises ``RemoteProtocolError`` for a malformed event
        container, transport errors (``DeviceDisconnectedError``, ``TransportError``).
        """
        raw = self.transport.read_event(timeout)
        if raw is None:
            return None
        header = decode_header(raw)
        if header.type != ContainerType.EVENT:
            raise RemoteProtocolError(f"interrupt endpoint sent a container of type {header.type}")
        body = raw[HEADER_SIZE : header.length]
        params = tuple(decode_params(body[: len(body) - len(body) % 4]))
        return Event(EventCode.coerce(header.code), header.transaction_id, params)

    def _resync(self, timeout: float = 2.0) -> None:
        """Bring the device back to idle after an interrupted transaction.

        Class Cancel for the last transaction, drop whatever it still sends, then poll Get
        Device Status until it reports OK.
        """
        transport = self.transport
        log.info("resynchronising with the camera after an interrupted transaction")
        try:
            transport.cancel(self._tid)
        except (DeviceError, ChdkTimeoutError, ProtocolError) as exc:
            log.debug("cancel request failed: %s", exc)
        for _ in range(_MAX_STALE):
            try:
                transport.receive_container(None, timeout=0.05)
            except ChdkTimeoutError:
                break
            except DeviceDisconnectedError:
                raise
            except (DeviceError, ProtocolError):
                break
        deadline = time.monotonic() + timeout
        while True:
            try:
                if transport.get_device_status() == ResponseCode.OK:
                    break
            except DeviceDisconnectedError:
                raise
            except (DeviceError, ChdkTimeoutError, ProtocolError) as exc:
                log.debug("device status failed during resync: %s", exc)
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        self._dirty = False


def _source_size(source: DataSource, size: int | None) -> int:
    if isinstance(source, (bytes, bytearray, memoryview)):
        n = memoryview(source).nbytes
        if size is not None and size != n:
            raise ValueError(f"data_size {size} does not match the {n} bytes given")
        return n
    if size is None:
        raise ValueError("data_size is required when data_out is a file")
    if size < 0:
        raise ValueError("data_size must be >= 0")
    return size

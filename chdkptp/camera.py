"""The camera facade: connect, device info, CHDK scripts and messages, modes, shooting.

``connect()`` finds a camera (:mod:`chdkptp.discovery`), claims it
(:class:`~chdkptp.transport.usb.UsbTransport`), opens a :class:`~chdkptp.session.Session`,
reads DeviceInfo and probes the CHDK protocol version.  :class:`Camera` runs CHDK sub-commands
through the session and camera-side Lua helpers shipped as package data
(``camera_lua/*.lua``); :class:`Script` is the handle of one running script.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import chdkptp.capture as _capture
import chdkptp.files as _files
import chdkptp.liveview as _liveview
from chdkptp._generated.chdk_codes import (
    ChdkCommand,
    ExecStartStatus,
    MessageSubtype,
    MessageType,
)
from chdkptp._generated.ptp_codes import OperationCode
from chdkptp._generated.ptp_device_info import PtpDeviceInfo
from chdkptp.discovery import CameraInfo, find_device
from chdkptp.errors import (
    CameraNotFoundError,
    ChdkError,
    ChdkTimeoutError,
    DeviceDisconnectedError,
    DeviceError,
    LuaDecodeError,
    OperationNotSupported,
    RemoteProtocolError,
    ScriptError,
    ScriptRunningError,
    UnsupportedProtocolError,
)
from chdkptp.lua import camera_lua_source, dumps, encode_str
from chdkptp.ptp.chdk import (
    OUR_VERSION,
    PollSchedule,
    ScriptStatus,
    check_feature,
    check_major,
    command_since,
    exec_flags,
    exec_params,
    start_result,
    supports,
    write_status_error,
)
from chdkptp.script import ScriptMessage, decode_message, encode_message, script_error
from chdkptp.session import Event, Response, Session
from chdkptp.transport.base import DataSink, DataSource
from chdkptp.transport.ptpip import DEFAULT_PORT as PTPIP_PORT
from chdkptp.transport.ptpip import PtpipTransport
from chdkptp.transport.usb import DEFAULT_BULK_TIMEOUT, UsbTransport

__all__ = ["Camera", "CameraStatus", "Script", "connect"]

log = logging.getLogger(__name__)

Version = tuple[int, int]
_SCRIPT_TIMEOUT = 60.0
_COMPILE_MSG_TIMEOUT = 2.0
_MODES = ("record", "play")
_REBOOT_LEAVE_TIMEOUT = 10.0
#: Default cap on the user messages a :class:`Script` keeps unread (oldest dropped beyond it).
MAX_PENDING_MESSAGES = 10_000
#: Messages read per status poll at most, so a flooding script cannot starve deadline checks.
_READ_BATCH = 64
#: Default cap on the messages one :meth:`Script.messages` call reads.
_MESSAGES_CAP = 1_000


def _line_count(text: str) -> int:
    return text.count("\n")


def _script_error(msg: ScriptMessage, offset: int) -> ScriptError:
    """Turn an ERR message into a ScriptError, with the line counted in the user's code."""
    return script_error(msg, line_offset=offset)


def _values(results: list[Any]) -> Any:
    if not results:
        return None
    if len(results) == 1:
        return results[0]
    return tuple(results)


@dataclass(frozen=True)
class _Undecodable:
    """The value of a TABLE message whose text failed to decode (kept with its error)."""

    error: LuaDecodeError


@dataclass(frozen=True)
class CameraStatus:
    """What :meth:`Camera.status` reports (values from the camera's Lua functions).

    ``free_space`` is in bytes (CHDK reports KiB), ``temperatures`` in °C keyed ``optical``,
    ``ccd``, ``battery``; ``build`` is CHDK's ``get_buildinfo()`` table.
    """

    mode: str
    battery_mv: int
    temperatures: dict[str, int]
    free_space: int | None
    zoom: int
    image_count: int
    build: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


class Script:
    """A script started with :meth:`Camera.execute_script`.

    Messages of this script are dispatched as they are read: return values are kept for
    :meth:`wait`, user messages queue up for :meth:`messages` / :meth:`recv`, an error is
    raised by :meth:`wait`.  Messages of other script ids (stale) are dropped with a warning.

    Memory stays bounded for a script that floods messages: at most ``max_pending`` unread
    user messages are kept (default :data:`MAX_PENDING_MESSAGES`); beyond that the **oldest**
    are dropped, counted in :attr:`dropped` and logged once.  Pass ``on_message`` to
    :meth:`wait` (or read with :meth:`messages` / :meth:`recv`) to see every message.
    """

    def __init__(self, camera: Camera, script_id: int, *, line_offset: int = 0,
                 serialized: bool = False, max_pending: int = MAX_PENDING_MESSAGES) -> None:
        if not isinstance(max_pending, int) or max_pending < 1:
            raise ValueError("max_pending must be a positive int")
        self.camera = camera
        self.id = script_id
        self.line_offset = line_offset
        self.serialized = serialized
        self._results: list[Any] = []
        self._user: deque[ScriptMessage] = deque(maxlen=max_pending)
        self._error: ScriptError | None = None
        self._decode_error: LuaDecodeError | None = None
        self._done = False
        #: User messages dropped because ``max_pending`` were already waiting unread.
        self.dropped = 0

    @property
    def max_pending(self) -> int:
        """The most unread user messages kept (settable; the oldest go beyond it)."""
        return int(self._user.maxlen or 0)

    @max_pending.setter
    def max_pending(self, value: int) -> None:
        if not isinstance(value, int) or value < 1:
            raise ValueError("max_pending must be a positive int")
        self._user = deque(self._user, maxlen=value)

    @property
    def pending(self) -> int:
        """The number of user messages received and not yet taken."""
        return len(self._user)

    def _keep(self, msg: ScriptMessage) -> None:
        if len(self._user) == self._user.maxlen:
            if not self.dropped:
                log.warning("script %d: more than %d unread messages; dropping the oldest",
                            self.id, self._user.maxlen)
            self.dropped += 1
        self._user.append(msg)

    def __repr__(self) -> str:
        return f"<Script {self.id}{' done' if self._done else ''}>"

    @property
    def done(self) -> bool:
        """True once :meth:`wait` saw the script end."""
        return self._done

    def _dispatch(self, msg: ScriptMessage) -> ScriptMessage | None:
        if msg.script_id != self.id:
            log.warning("dropping a stale %s message of script %d (waiting for %d)",
                        msg.type.name, msg.script_id, self.id)
            return None
        if isinstance(msg.value, _Undecodable):
            log.warning("script %d sent a %s table that does not decode: %s",
                        self.id, msg.type.name, msg.value.error)
            if self._decode_error is None:
                self._decode_error = msg.value.error
            return None
        if msg.type == MessageType.ERROR:
            if self._error is None:
                self._error = _script_error(msg, self.line_offset)
        elif msg.type == MessageType.RET:
            self._results.append(msg.value)
        elif msg.type == MessageType.USER:
            return msg
        return None

    def _poll_once(self) -> tuple[bool, bool]:
        """One status poll, then read what is queued.  Return (running, got_message).

        After a user message the next one is read at once (a script streaming messages costs
        one transaction per message); after a return value or an error, status is polled
        again, which also tells when the script has ended.
        """
        cam = self.camera
        status = cam.script_status()
        got = False
        if status.has_messages:
            for _ in range(_READ_BATCH):
                msg = cam._read_msg()
                if msg is None:
                    break
                got = True
                user = self._dispatch(msg)
                if user is None:
                    break
                self._keep(user)
        return (True, True) if got else (status.running, False)

    def wait(self, timeout: float | None = _SCRIPT_TIMEOUT, *,
             on_message: Callable[[ScriptMessage], object] | None = None) -> Any:
        """Wait for the script to end; return its value (None, a value, or a tuple for several).

        Polls ScriptStatus with an adaptive schedule (first polls at once, then every 10 % of
        the time waited, 2-50 ms: :class:`~chdkptp.ptp.chdk.PollSchedule`) and reads messages
        with ReadScriptMsg as they appear.  User messages go to
        ``on_message`` if given, else they stay available through :meth:`messages` (at most
        :attr:`max_pending`, the oldest dropped beyond that).  The deadline is checked on
        every pass, also while messages keep arriving.  Raises ``ScriptError`` (runtime
        error, ``.line`` in the user's code), ``LuaDecodeError`` (a table message that did not
        decode; raised after the script ended and its other messages were read),
        ``ChdkTimeoutError`` (the script is still running after ``timeout`` seconds).
        """
        schedule = PollSchedule(clock=time.monotonic)
        deadline = None if timeout is None else time.monotonic() + timeout
        if on_message is not None:
            while self._user:
                on_message(self._user.popleft())
        while not self._done:
            running, got = self._poll_once()
            if on_message is not None:
                while self._user:
                    on_message(self._user.popleft())
            if not got and not running:
                self._done = True
                break
            delay = 0.0
            if got:
                schedule.reset()
            else:
                delay = schedule.next_delay()
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ChdkTimeoutError(
                        f"script {self.id} still running after {timeout} s", script_id=self.id
                    )
                delay = min(delay, left)
            if delay:
                time.sleep(delay)
        self._raise_failure()
        return _values(self._results)

    def _raise_failure(self) -> None:
        """Raise the script's error, else a table that did not decode (after draining)."""
        if self._error is not None:
            raise self._error
        if self._decode_error is not None:
            raise self._decode_error

    def messages(self, max_count: int = _MESSAGES_CAP) -> list[ScriptMessage]:
        """Return the user messages received so far (reading what is queued now); clears them.

        Reads with CHDK ReadScriptMsg until the camera's queue is empty or ``max_count``
        messages were read, so this returns promptly even while the script floods messages.
        A runtime error seen while reading is raised by :meth:`wait`.  Raises
        ``ValueError`` for a negative ``max_count``, ``LuaDecodeError`` for an undecodable
        table, transport errors.
        """
        if max_count < 0:
            raise ValueError("max_count must be >= 0")
        if not self._done:
            for _ in range(max_count):
                msg = self.camera._read_msg()
                if msg is None:
                    break
                user = self._dispatch(msg)
                if user is not None:
                    self._keep(user)
        out = list(self._user)
        self._user.clear()
        return out

    def recv(self, timeout: float = 0.0) -> Any:
        """Return the value of the next user message, waiting up to ``timeout`` seconds.

        Polls CHDK ReadScriptMsg (adaptive schedule).  Returns None if none came (use
        :meth:`messages` to tell a nil message apart).  Raises ``LuaDecodeError`` for an
        undecodable table, transport errors (``ChdkTimeoutError``, ``DeviceError``).
        """
        schedule = PollSchedule(clock=time.monotonic)
        deadline = time.monotonic() + timeout
        while True:
            if self._user:
                return self._user.popleft().value
            msg = self.camera._read_msg()
            if msg is not None:
                user = self._dispatch(msg)
                if user is not None:
                    return user.value
                if time.monotonic() < deadline:
                    continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(schedule.next_delay(), left))

    def __iter__(self) -> Iterator[ScriptMessage]:
        """Yield user messages until the script ends (``stream()`` without a time limit)."""
        return self.stream()

    def stream(self, timeout: float | None = None) -> Iterator[ScriptMessage]:
        """Yield user messages until the script ends, then raise its error, if any.

        Polls CHDK ScriptStatus / ReadScriptMsg like :meth:`wait`.  Raises ``ScriptError``
        (the script failed), ``ChdkTimeoutError`` if it still runs ``timeout`` seconds after
        the iteration started (None: no limit), transport errors.
        """
        schedule = PollSchedule(clock=time.monotonic)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            while self._user:
                yield self._user.popleft()
            if self._done:
                break
            running, got = self._poll_once()
            if not got and not running:
                self._done = True
                continue
            delay = 0.0
            if got:
                schedule.reset()
            else:
                delay = schedule.next_delay()
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:  # unread messages stay for messages() / recv()
                    raise ChdkTimeoutError(
                        f"script {self.id} still running after {timeout} s", script_id=self.id
                    )
                delay = min(delay, max(0.0, left))
            if delay:
                time.sleep(delay)
        self._raise_failure()

    def send(self, value: Any, *, timeout: float = 0.0) -> None:
        """Send ``value`` to this script (CHDK WriteScriptMsg addressed to its id).

        See :meth:`Camera.write_script_msg`; raises ``ValueError`` for an empty message,
        ``ChdkError`` (``.status`` ``not_running`` / ``bad_id`` / ``queue_full``).
        """
        self.camera.write_script_msg(value, script_id=self.id, timeout=timeout)

    def kill(self) -> None:
        """Stop the script (CHDK ExecuteScript of an empty script without NOKILL).

        Needs protocol 2.6: raises ``UnsupportedProtocolError`` before it, transport errors.
        """
        self.camera.kill_script()
        self._done = True


class Camera:
    """A connected CHDK camera (use :func:`connect`).  Thread-safe: calls are serialised.

    A context manager: leaving the ``with`` block (also by an exception or Ctrl-C) closes the
    session.
    """

    def __init__(self, session: Session, *, info: CameraInfo | None = None,
                 backend: Any = None, timeout: float = DEFAULT_BULK_TIMEOUT,
                 host: str | None = None, port: int = PTPIP_PORT) -> None:
        self.session = session
        self.info = info
        self._backend = backend
        self._host, self._port = host, port  # PTP/IP address (host None: USB)
        self._timeout = timeout
        self.device_info: PtpDeviceInfo = self._get_device_info()
        self.chdk_version: Version | None = self._probe_version()
        # One script at a time (ExecuteScript → wait), held for the script's whole run; the
        # session lock is only held per transaction, so other threads' transactions (live
        # view, ScriptStatus, downloads) go on meanwhile.
        self._script_lock = threading.RLock()
        # TempData → DownloadFile pairs (chdkptp.files): nothing may replace the name between.
        self._tempdata_lock = threading.RLock()

    # --- connection -----------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<Camera {self.model!r} serial={self.serial!r} chdk={self.chdk_version}>"

    def __enter__(self) -> Camera:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def model(self) -> str:
        """The model string from DeviceInfo ("Canon PowerShot SX160 IS")."""
        return str(self.device_info.model.value)

    @property
    def serial(self) -> str:
        """The serial number from DeviceInfo (may be empty on old models)."""
        return str(self.device_info.serial_number.value)

    @property
    def closed(self) -> bool:
        """True once the session is closed."""
        return not self.session.is_open

    def close(self) -> None:
        """PTP CloseSession, then release the link (the USB interface, or the PTP/IP
        connections); idempotent, never raises."""
        self.session.close()

    def _get_device_info(self) -> PtpDeviceInfo:
        resp = self.session.transaction(OperationCode.GET_DEVICE_INFO)
        if resp.data is None:
            raise RemoteProtocolError("GetDeviceInfo returned no data phase")
        try:
            return PtpDeviceInfo.from_bytes(bytes(resp.data))
        except ValueError as exc:
            raise RemoteProtocolError(f"malformed DeviceInfo: {exc}") from exc

    def _probe_version(self) -> Version | None:
        try:
            resp = self.session.transaction(OperationCode.CHDK, (int(ChdkCommand.VERSION),))
        except OperationNotSupported:
            log.warning("%s: CHDK extension not detected", self.session.transport.description)
            return None
        if len(resp.params) < 2:
            raise RemoteProtocolError("CHDK Version returned fewer than 2 parameters")
        version = (int(resp.params[0]), int(resp.params[1]))
        if version[0] != OUR_VERSION[0]:
            log.warning("camera speaks CHDK protocol %d.%d; this library speaks %d.x: CHDK "
                        "functions will refuse to run", *version, OUR_VERSION[0])
        return version

    def reconnect(self, timeout: float = 10.0) -> None:
        """Close and reconnect to the same camera (after a reboot, power-down or unplug).

        Finds the camera again by its USB serial (or model), waiting up to ``timeout``
        seconds for it to reappear.  Refuses a different camera: raises
        ``CameraNotFoundError`` if the model or serial reported by DeviceInfo changed, or if
        no matching camera appears in time.
        """
        old_model, old_serial = self.model, self.serial
        info = self.info
        self.session.close()
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while True:
            try:
                session, new_info = _open_session(
                    serial=info.serial if info and info.serial else None,
                    model=None if info and info.serial else (info.model if info else None),
                    backend=self._backend, timeout=self._timeout,
                    host=self._host, port=self._port,
                )
                break
            except (CameraNotFoundError, DeviceError, ChdkTimeoutError) as exc:
                last = exc
            if time.monotonic() >= deadline:
                raise CameraNotFoundError(
                    f"camera {old_model!r} (serial {old_serial!r}) did not come back within "
                    f"{timeout} s: {last}"
                ) from last
            time.sleep(0.05)
        previous = (self.session, self.info, self.device_info, self.chdk_version)
        self.session, self.info = session, new_info
        try:
            self.device_info = self._get_device_info()
            if (self.model, self.serial) != (old_model, old_serial):
                raise CameraNotFoundError(
                    f"refusing to reconnect: expected {old_model!r} serial {old_serial!r}, "
                    f"found {self.model!r} serial {self.serial!r}"
                )
            self.chdk_version = self._probe_version()
        except BaseException:
            session.close()
            self.session, self.info, self.device_info, self.chdk_version = previous
            raise

    def read_event(self, timeout: float | None = 0.0) -> Event | None:
        """The next PTP event from the camera (interrupt endpoint), or None after ``timeout``.

        ``timeout`` <= 0 (the default) polls and returns at once; ``None`` waits until an
        event comes.  CHDK work never needs events; Canon cameras report e.g.
        CameraModeChanged here.  Reads the USB interrupt endpoint / the PTP/IP event
        connection (no transaction).  Raises ``RemoteProtocolError`` for a malformed event,
        ``DeviceDisconnectedError`` / ``TransportError`` from the transport.
        """
        return self.session.read_event(timeout)

    # --- CHDK plumbing --------------------------------------------------------------------

    def _require(self, feature: str) -> None:
        check_feature(self.chdk_version, feature)

    def chdk(self, command: ChdkCommand, *params: int, data_out: DataSource | None = None,
             data_size: int | None = None, sink: DataSink | None = None,
             timeout: float | None = None) -> Response:
        """Run one CHDK sub-command (operation CHDK, param1 = ``command``).

        PTP operation CHDK with the sub-command as p1.  Checks the camera's protocol
        version first: raises ``UnsupportedProtocolError`` if too old or no CHDK; then the
        ``ResponseError`` subclasses for a non-OK response, ``RemoteProtocolError``,
        ``ChdkTimeoutError``, ``DeviceError`` (as :meth:`Session.transaction`).
        """
        version = check_major(self.chdk_version)
        need = command_since(command)
        if need[0] == version[0] and version[1] < need[1]:
            raise UnsupportedProtocolError(
                f"CHDK {command.name} needs protocol {need[0]}.{need[1]}; the camera has "
                f"{version[0]}.{version[1]}", feature=command.name, version=version
            )
        return self.session.transaction(OperationCode.CHDK, (int(command), *params),
                                        data_out=data_out, data_size=data_size, sink=sink,
                                        timeout=timeout)

    def script_status(self) -> ScriptStatus:
        """CHDK ScriptStatus: is a script running, are messages waiting.

        Raises ``UnsupportedProtocolError`` (no CHDK / too old), ``ResponseError``,
        ``RemoteProtocolError``, transport errors (``ChdkTimeoutError``, ``DeviceError``).
        """
        return ScriptStatus.from_params(self.chdk(ChdkCommand.SCRIPT_STATUS).params)

    def _read_msg(self) -> ScriptMessage | None:
        resp = self.chdk(ChdkCommand.READ_SCRIPT_MSG)
        if resp.data is None:
            raise RemoteProtocolError("ReadScriptMsg returned no data phase")
        params = tuple(resp.params) + (0,) * (4 - len(resp.params))
        data = bytes(resp.data)
        try:
            msg = decode_message(params, data)
        except LuaDecodeError as exc:
            # Keep it as a message of its script: Script stores the error and goes on
            # draining; read_script_msg raises it.
            msg_type = MessageType.coerce(params[0])
            length = min(int(params[3]), len(data))
            return ScriptMessage(msg_type, MessageSubtype.coerce(params[1]), int(params[2]),
                                 _Undecodable(exc), data[:length])
        if msg.type == MessageType.NONE:
            return None
        return msg

    def read_script_msg(self, timeout: float = 0.0) -> ScriptMessage | None:
        """CHDK ReadScriptMsg: the next camera→host message of any script, or None.

        With ``timeout`` > 0, polls (adaptive schedule) until a message arrives or the time
        is up.  Raises ``LuaDecodeError`` for an undecodable TABLE value.
        """
        schedule = PollSchedule(clock=time.monotonic)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_msg()
            if msg is not None:
                if isinstance(msg.value, _Undecodable):
                    raise msg.value.error
                return msg
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(schedule.next_delay(), left))

    def write_script_msg(self, value: Any, script_id: int = 0, *, timeout: float = 0.0) -> None:
        """CHDK WriteScriptMsg: queue ``value`` for the running script (``read_usb_msg``).

        ``str`` and bytes are sent as they are; other values (numbers, booleans, lists,
        dicts, None) as their ``lua.dumps`` text, which the script can ``loadstring``.  The
        script always receives a string.  ``script_id`` 0 addresses whatever script runs.
        A full queue is retried for up to ``timeout`` seconds (the script may read meanwhile).
        Raises ``ValueError`` for an empty message (CHDK mishandles those), ``ChdkError``
        with ``.status`` ``"not_running"``, ``"bad_id"`` or ``"queue_full"``.
        """
        data = encode_message(value)
        if not data:
            raise ValueError("an empty script message cannot be sent (CHDK mishandles it)")
        if not isinstance(script_id, int) or script_id < 0:
            raise ValueError("script_id must be a non-negative int")
        schedule = PollSchedule(clock=time.monotonic)
        deadline = time.monotonic() + timeout
        while True:
            resp = self.chdk(ChdkCommand.WRITE_SCRIPT_MSG, script_id, data_out=data)
            error = write_status_error(resp.params, script_id)
            if error is None:
                return
            left = deadline - time.monotonic()
            if getattr(error, "status", None) != "queue_full" or left <= 0:
                raise error
            time.sleep(min(schedule.next_delay(), left))

    def _drain_messages(self) -> int:
        count = 0
        while self._read_msg() is not None:
            count += 1
        return count

    def execute_script(self, code: str, *, kill_running: bool = False, flush: bool = True,
                       serialize: bool = True) -> Script:
        """CHDK ExecuteScript: start Lua ``code`` and return its :class:`Script` handle.

        Flags as chdkptp sends them: NOKILL (unless ``kill_running``) and flush both message
        queues (unless ``flush=False``); cameras before protocol 2.6 get a ScriptStatus check
        instead, and there a running script is never replaced (``kill_running`` raises
        ``UnsupportedProtocolError``: it can crash those cameras).  With ``serialize`` the
        table serializer (``camera_lua/serialize.lua``) is prepended so table values keep
        their types; error lines are still counted in ``code``.  Raises ``ScriptError`` (kind
        "compile", ``.line``), ``ScriptRunningError``, ``UnsupportedProtocolError``.
        """
        if not isinstance(code, str):
            raise TypeError("code must be a str")
        prefix = camera_lua_source("serialize.lua") if serialize else ""
        return self._execute(prefix, code, kill_running=kill_running, flush=flush,
                             serialized=serialize)

    def _execute(self, prefix: str, code: str, *, kill_running: bool, flush: bool,
                 serialized: bool) -> Script:
        version = check_major(self.chdk_version)
        source = encode_str(prefix + code) + b"\0"
        with self._script_lock:
            flags = exec_flags(version, kill_running=kill_running, flush=flush)
            if not supports(version, "exec_flags"):
                status = self.script_status()
                if status.running and kill_running:
                    # ExecuteScript over a running script (flags 0) can crash CHDK before 2.6.
                    raise UnsupportedProtocolError(
                        f"replacing a running script needs CHDK PTP protocol 2.6 or newer; the "
                        f"camera has {version[0]}.{version[1]} (wait for the script to end)",
                        feature="exec_flags", version=version,
                    )
                if status.running:
                    raise ScriptRunningError(
                        "a script is already running; pass kill_running=True to replace it"
                    )
                if status.has_messages and flush:
                    dropped = self._drain_messages()
                    log.info("dropped %d queued messages before starting a script", dropped)
            resp = self.chdk(ChdkCommand.EXECUTE_SCRIPT, *exec_params(flags)[1:],
                             data_out=source)
            script_id, start = start_result(resp.params)
            script = Script(self, script_id, line_offset=_line_count(prefix),
                            serialized=serialized)
            if start == ExecStartStatus.COMPILE_ERROR:
                raise self._compile_error(script)
            return script

    def _compile_error(self, script: Script) -> ScriptError:
        deadline = time.monotonic() + _COMPILE_MSG_TIMEOUT
        schedule = PollSchedule(clock=time.monotonic)
        while time.monotonic() < deadline:
            msg = self._read_msg()
            if msg is None:
                time.sleep(schedule.next_delay())
                continue
            if msg.script_id == script.id and msg.type == MessageType.ERROR:
                return _script_error(msg, script.line_offset)
            log.warning("dropping a %s message of script %d while reading a compile error",
                        msg.type.name, msg.script_id)
        return ScriptError(f"script {script.id} failed to compile (no error text received)",
                           kind="compile", script_id=script.id)

    def run_lua(self, code: str, *, timeout: float | None = _SCRIPT_TIMEOUT,
                kill_running: bool = False, flush: bool = True,
                on_message: Callable[[ScriptMessage], object] | None = None) -> Any:
        """Run Lua ``code`` on the camera, wait for it, return its value.

        No return value → None, one → the value, several → a tuple.  Tables come back as
        lists / dicts (the serializer is prepended).  User messages go to ``on_message``.
        Raises ``ScriptError`` (compile or runtime, ``.line`` in ``code``),
        ``ScriptRunningError``, ``ChdkTimeoutError``.
        """
        with self._script_lock:  # another thread's script would flush our messages
            script = self.execute_script(code, kill_running=kill_running, flush=flush)
            return script.wait(timeout, on_message=on_message)

    def _call(self, call: str, *args: Any, timeout: float | None = 30.0) -> Any:
        """Run one helper of ``camera_lua/control.lua`` with ``args`` (as Lua literals)."""
        return self._call_helper("control.lua", call, *args, timeout=timeout)

    def _call_helper(self, helpers: str, call: str, *args: Any, timeout: float | None,
                     on_message: Callable[[ScriptMessage], object] | None = None) -> Any:
        """``return call(args...)`` after the serializer and ``camera_lua/<helpers>``, under
        the script lock (ExecuteScript, then :meth:`Script.wait`); returns its value."""
        prefix = camera_lua_source("serialize.lua") + camera_lua_source(helpers)
        code = f"return {call}({', '.join(dumps(a) for a in args)})\n"
        with self._script_lock:
            script = self._execute(prefix, code, kill_running=False, flush=True,
                                   serialized=True)
            return script.wait(timeout, on_message=on_message)

    def kill_script(self) -> None:
        """Stop whatever script runs (ExecuteScript of an empty script without NOKILL).

        Needs protocol 2.6 (killing crashed older CHDK); raises ``UnsupportedProtocolError``.
        """
        self._require("exec_flags")
        script = self._execute("", "", kill_running=True, flush=True, serialized=False)
        script.wait(5.0)

    # --- camera control -------------------------------------------------------------------

    def mode(self) -> str:
        """The current mode: "record" or "play".

        Runs Lua ``get_mode()`` (CHDK ExecuteScript + ReadScriptMsg); raises ``ScriptError``,
        ``ScriptRunningError`` (another script runs), transport errors.
        """
        return str(self._call("chdkptp_mode"))

    def switch_mode(self, mode: str, *, timeout: float = 10.0) -> None:
        """Switch to ``"record"`` or ``"play"`` (Lua ``switch_mode_usb``) and wait until done.

        Raises ``ValueError`` for another mode, ``ChdkTimeoutError`` if the camera did not
        switch within ``timeout`` seconds, ``ChdkError`` if it refused.
        """
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, not {mode!r}")
        result = self._call("chdkptp_switch_mode", mode == "record", int(timeout * 1000),
                            timeout=timeout + 10.0)
        ok, detail = _pair(result)
        if not ok:
            if "within" in str(detail):
                raise ChdkTimeoutError(f"switching to {mode} mode: {detail}")
            raise ChdkError(f"switching to {mode} mode failed: {detail}")

    def shoot(self, *, tv: float | None = None, av: float | None = None,
              iso: float | None = None, sv: float | None = None, nd: bool | str | None = None,
              focus: int | None = None, tv96: int | None = None, av96: int | None = None,
              sv96: int | None = None, timeout: float = 30.0) -> str:
        """Shoot one picture (Lua ``shoot()``) and return the new image's camera path.

        Switches to record mode first if needed.  Exposure overrides: ``tv`` shutter time in
        seconds, ``av`` f-number, ``iso`` (or ``sv``, the same in ISO units), ``nd`` True /
        "in" or False / "out", ``focus`` distance in mm; or the APEX*96 values ``tv96``,
        ``av96``, ``sv96`` directly.  Raises ``ValueError`` for nonsense values,
        ``ChdkError`` if the camera could not shoot.
        """
        opts: dict[str, Any] = {"mode_timeout": 5000}
        if tv is not None and tv96 is not None:
            raise ValueError("give tv or tv96, not both")
        if av is not None and av96 is not None:
            raise ValueError("give av or av96, not both")
        if sum(x is not None for x in (iso, sv, sv96)) > 1:
            raise ValueError("give only one of iso, sv, sv96")
        if tv is not None:
            tv96 = _apex96("tv", tv, lambda v: -math.log2(v))
        if av is not None:
            av96 = _apex96("av", av, lambda v: 2 * math.log2(v))
        speed = iso if iso is not None else sv
        if speed is not None:
            sv96 = _apex96("iso", speed, lambda v: math.log2(v / 3.125))
        for name, value in (("tv96", tv96), ("av96", av96), ("sv96", sv96)):
            if value is not None:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise TypeError(f"{name} must be an int")
                opts[name] = value
        if nd is not None:
            if nd in (True, "in"):
                opts["nd"] = 1
            elif nd in (False, "out"):
                opts["nd"] = 2
            else:
                raise ValueError("nd must be True/'in' or False/'out'")
        if focus is not None:
            if not isinstance(focus, int) or isinstance(focus, bool) or focus < 0:
                raise ValueError("focus must be a non-negative distance in mm")
            opts["focus"] = focus
        ok, detail = _pair(self._call("chdkptp_shoot", opts, timeout=timeout))
        if not ok:
            raise ChdkError(f"shoot failed: {detail}")
        return str(detail)

    def zoom(self, position: int | None = None) -> tuple[int, int]:
        """Set the zoom step (if given) and return ``(position, steps)``.

        Runs Lua ``set_zoom`` / ``get_zoom`` / ``get_zoom_steps`` (CHDK ExecuteScript).  Raises
        ``ValueError`` for a position outside 0..steps-1, ``RemoteProtocolError`` for a
        non-number answer, ``ScriptError`` /
        ``ScriptRunningError`` as :meth:`run_lua`.
        """
        if position is not None and (not isinstance(position, int) or position < 0):
            raise ValueError("zoom position must be a non-negative int")
        result = self._call("chdkptp_zoom", position)
        if not isinstance(result, tuple) or not result or result[0] is not True:
            detail = result[1] if isinstance(result, tuple) and len(result) > 1 else result
            raise ValueError(f"zoom: {detail}")
        if len(result) < 3:
            raise RemoteProtocolError(f"zoom helper returned {result!r}")
        return _camera_int(result[1], "zoom position"), _camera_int(result[2], "zoom steps")

    def focus(self, *, distance: int | None = None, lock: bool | None = None,
              manual: bool | None = None) -> int:
        """Focus control: AF lock, manual focus, distance in mm; return the focus distance.

        Runs Lua ``set_aflock`` / ``set_mf`` / ``set_focus`` / ``get_focus`` (CHDK
        ExecuteScript).  Raises ``ValueError`` for a negative distance, ``ChdkError`` if the
        camera refused, ``RemoteProtocolError`` for a non-number answer, ``ScriptError`` /
        ``ScriptRunningError`` as :meth:`run_lua`.
        """
        opts: dict[str, Any] = {}
        if lock is not None:
            opts["lock"] = bool(lock)
        if manual is not None:
            opts["mf"] = bool(manual)
        if distance is not None:
            if not isinstance(distance, int) or distance < 0:
                raise ValueError("distance must be a non-negative int (mm)")
            opts["distance"] = distance
        ok, value = _pair(self._call("chdkptp_focus", opts))
        if not ok:
            raise ChdkError(f"focus failed: {value}")
        return _camera_int(value, "focus distance")

    def status(self) -> CameraStatus:
        """Mode, battery voltage, temperatures, free space, zoom, image count, CHDK build.

        Runs Lua ``get_mode``, ``get_vbatt``, ``get_temperature``, ``get_free_disk_space``,
        ``get_buildinfo`` … (CHDK ExecuteScript; tables come back serialized).  Raises
        ``RemoteProtocolError`` if the answer is not a table or holds a non-number where a
        number belongs, ``ScriptError`` /
        ``ScriptRunningError`` as :meth:`run_lua`.
        """
        raw = self._call("chdkptp_status")
        if not isinstance(raw, dict):
            raise RemoteProtocolError(f"status helper returned {raw!r}")
        free = raw.get("free_kb")
        build = raw.get("build")
        return CameraStatus(
            mode=str(raw.get("mode")),
            battery_mv=_camera_int(raw.get("vbatt", 0), "status vbatt"),
            temperatures={k: _camera_int(raw[f"temp_{k}"], f"status temp_{k}")
                          for k in ("optical", "ccd", "battery") if f"temp_{k}" in raw},
            free_space=_camera_int(free, "status free_kb") * 1024 if free is not None else None,
            zoom=_camera_int(raw.get("zoom", 0), "status zoom"),
            image_count=_camera_int(raw.get("exp_count", 0), "status exp_count"),
            build=build if isinstance(build, dict) else {},
            raw=raw,
        )

    def reboot(self, *, reconnect: bool = True, timeout: float = 20.0) -> None:
        """Reboot the camera (Lua ``reboot()``) and, by default, reconnect to it.

        Waits for the camera to leave the bus, then :meth:`reconnect` (same camera only).
        Raises ``ScriptError`` if the camera has no ``reboot()`` (or it failed),
        ``ChdkError`` if it returned without restarting, ``ChdkTimeoutError`` if the camera
        stays on the bus, ``CameraNotFoundError`` if it does not come back within
        ``timeout``.
        """
        with self._script_lock:
            script = self._execute("", "sleep(100)\nreturn reboot()\n", kill_running=True,
                                   flush=True, serialized=False)
            try:
                self._wait_for_departure(script, _REBOOT_LEAVE_TIMEOUT)
            except DeviceDisconnectedError:
                log.info("camera left the bus to reboot")
        if not reconnect:
            self.close()
            return
        self.reconnect(timeout=timeout)

    def _wait_for_departure(self, script: Script, limit: float) -> None:
        """Poll until the link drops (raises DeviceDisconnectedError) or the script fails."""
        deadline = time.monotonic() + limit
        schedule = PollSchedule(maximum=0.1, clock=time.monotonic)
        while time.monotonic() < deadline:
            running, got = script._poll_once()
            if script._error is not None:
                raise script._error
            if script._results:
                raise ChdkError(f"reboot() returned {script._results[0]!r} without restarting")
            if not running and not got:
                raise ChdkError("the reboot script ended without restarting the camera")
            time.sleep(schedule.next_delay())
        raise ChdkTimeoutError(f"the camera did not restart within {limit} s")

    # --- files on the card (chdkptp.files: CHDK TempData/DownloadFile/UploadFile + camera Lua)

    upload = _files.upload
    download = _files.download
    stat = _files.stat
    listdir = _files.listdir
    walk = _files.walk
    remove = _files.remove
    mkdir = _files.mkdir
    download_tree = _files.download_tree
    upload_tree = _files.upload_tree
    download_images = _files.download_images

    # --- remote capture (chdkptp.capture: CHDK RemoteCaptureIsReady / GetData) ---------------

    def remote_capture(
        self,
        dest: str | os.PathLike[str] = ".",
        *,
        formats: Sequence[str] = ("jpg",),
        count: int = 1,
        tv: float | None = None,
        av: float | None = None,
        iso: float | None = None,
        name_template: str = "IMG_{number:04d}.{ext}",
        timeout: float | None = None,
        capture_timeout_ms: int = 0,
        raw_lines: tuple[int, int] | None = None,
        progress: Callable[[int, int], object] | None = None,
    ) -> list[Path]:
        """Shoot and receive the images over USB into ``dest`` (CHDK remote capture, like
        chdkptp's ``rs``); returns the paths written.

        Options as :func:`chdkptp.capture.remote_capture` (``formats`` of "jpg", "raw",
        "dng", "craw").  Uses camera Lua ``init_usb_capture`` / ``shoot`` (ExecuteScript),
        ScriptStatus, CHDK RemoteCaptureIsReady and RemoteCaptureGetData.  Raises
        ``UnsupportedProtocolError`` (protocol < 2.5; "craw" < 2.9), ``RemoteCaptureError``,
        ``RemoteProtocolError``, transport errors, ``ValueError`` / ``TypeError`` for bad
        options.
        """
        return _capture.remote_capture(
            self, dest, formats=formats, count=count, tv=tv, av=av, iso=iso,
            name_template=name_template, timeout=timeout,
            capture_timeout_ms=capture_timeout_ms, raw_lines=raw_lines, progress=progress,
        )

    # --- live view (chdkptp.liveview: CHDK GetDisplayData) ------------------------------------

    live_view_frame = _liveview.live_view_frame

    def live_view(
        self,
        *,
        fps: float | None = 10.0,
        viewport: bool = True,
        bitmap: bool = False,
        palette: bool | None = None,
        max_frames: int | None = None,
        timeout: float | None = None,
    ) -> _liveview.LiveView:
        """A paced iterator of live-view frames (one CHDK GetDisplayData each).

        ``fps`` caps the request rate (``None``: as fast as the camera answers);
        ``.achieved_fps`` on the returned :class:`~chdkptp.liveview.LiveView` reports the rate.
        Raises what :meth:`live_view_frame` raises (``UnsupportedProtocolError`` below CHDK
        protocol 2.3, ``ResponseError``, ``RemoteProtocolError`` for a malformed frame).
        """
        return _liveview.LiveView(
            self,
            fps=fps,
            viewport=viewport,
            bitmap=bitmap,
            palette=palette,
            max_frames=max_frames,
            timeout=timeout,
        )


def _camera_int(value: Any, what: str) -> int:
    """A camera-supplied integer; anything else is the camera's fault (RemoteProtocolError)."""
    if isinstance(value, bool):
        raise RemoteProtocolError(f"camera sent {value!r} for {what}, expected a number")
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise RemoteProtocolError(
            f"camera sent {value!r} for {what}, expected a number"
        ) from exc


def _pair(result: Any) -> tuple[Any, Any]:
    if isinstance(result, tuple) and len(result) >= 2:
        return result[0], result[1]
    return result, None


def _apex96(name: str, value: float, fn: Callable[[float], float]) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return round(96 * fn(float(value)))


def _open_session(*, serial: str | None, model: str | None, bus: int | None = None,
                  address: int | None = None, backend: Any, timeout: float,
                  min_gap: float = 0.0, host: str | None = None,
                  port: int = PTPIP_PORT) -> tuple[Session, CameraInfo | None]:
    transport: UsbTransport | PtpipTransport
    info: CameraInfo | None = None
    if host is not None:
        transport = PtpipTransport.open(host, port, timeout=timeout)
    else:
        device, info = find_device(serial, model=model, bus=bus, address=address,
                                   backend=backend)
        transport = UsbTransport.open(device, timeout=timeout)
    session = Session(transport, min_gap=min_gap)
    try:
        session.open()
    except BaseException:
        transport.close()
        raise
    return session, info


def connect(
    serial: str | None = None,
    *,
    model: str | None = None,
    bus: int | None = None,
    address: int | None = None,
    backend: Any = None,
    timeout: float = DEFAULT_BULK_TIMEOUT,
    min_gap: float = 0.0,
    host: str | None = None,
    port: int = PTPIP_PORT,
) -> Camera:
    """Connect to a camera and return a :class:`Camera` (also a context manager).

    Selects the first Canon PTP device matching every given selector: ``serial`` (exact USB
    serial), ``model`` (case-insensitive substring), ``bus`` / ``address``.  ``backend`` is a
    pyusb backend (None: libusb-package's).  ``timeout`` is the USB transfer timeout in
    seconds; ``min_gap`` the minimum time between transactions, for slow cameras.  Opens a
    session (GetDeviceInfo, CHDK Version).  Raises ``CameraNotFoundError`` (listing what was
    found), ``DeviceAccessError`` (with the fix for this OS), ``DeviceDisconnectedError``.

    ``host`` (and ``port``, default 15740) connect over PTP/IP (Wi-Fi) instead of USB; the
    USB selectors must then be left out.  Raises ``CameraNotFoundError`` when nothing answers
    there and ``TransportError`` when the camera refuses the connection.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if host is not None and (serial, model, bus, address, backend) != (None,) * 5:
        raise ValueError("host= (PTP/IP) cannot be combined with USB selectors or backend=")
    session, info = _open_session(serial=serial, model=model, bus=bus, address=address,
                                  backend=backend, timeout=timeout, min_gap=min_gap,
                                  host=host, port=port)
    try:
        return Camera(session, info=info, backend=backend, timeout=timeout, host=host,
                      port=port)
    except BaseException:
        session.close()
        raise





"""Sans-IO helpers for the CHDK PTP extension (operation CHDK, sub-commands in ``ChdkCommand``).

What lives here: protocol-version gating (major must match, features need a minimum minor),
ExecuteScript flag computation, decoding of ScriptStatus / ExecuteScript / WriteScriptMsg
response parameters into values or typed errors, and the adaptive polling schedule used while
waiting for a script.  No I/O, no clocks: the session and camera layers do that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chdkptp._generated.chdk_codes import (
    ChdkCommand,
    ExecFlags,
    ExecStartStatus,
    ProtocolVersion,
    ScriptLanguage,
    ScriptStatusFlags,
    WriteMsgStatus,
)
from chdkptp.errors import ChdkError, ScriptRunningError, UnsupportedProtocolError

__all__ = [
    "FEATURES",
    "PollSchedule",
    "ScriptStatus",
    "check_feature",
    "check_major",
    "command_since",
    "exec_flags",
    "exec_params",
    "parse_since",
    "start_result",
    "supports",
    "write_status_error",
]

Version = tuple[int, int]


def parse_since(text: str | int | None) -> Version:
    """Turn a ``-since`` metadata value ("2.5") into ``(2, 5)``; None means "always"."""
    if text is None:
        return (0, 0)
    major, _, minor = str(text).partition(".")
    return (int(major), int(minor or 0))


def command_since(command: ChdkCommand) -> Version:
    """The protocol version that introduced the CHDK sub-command ``command``."""
    return parse_since(command.since)


#: Feature name → the minimum protocol version (same major) that has it.
FEATURES: dict[str, Version] = {
    "script_status": command_since(ChdkCommand.SCRIPT_STATUS),
    "script_messages": command_since(ChdkCommand.READ_SCRIPT_MSG),
    "live_view": command_since(ChdkCommand.GET_DISPLAY_DATA),
    "remote_capture": command_since(ChdkCommand.REMOTE_CAPTURE_IS_READY),
    "exec_flags": (2, 6),
    "live_view_2_2": (2, 7),
    "getmem_mode": (2, 8),
    "remote_capture_craw": (2, 9),
}

#: The protocol this library speaks.
OUR_VERSION: Version = (int(ProtocolVersion.MAJOR), int(ProtocolVersion.MINOR))


def check_major(version: Version | None) -> Version:
    """Return ``version`` if its major matches ours; else raise ``UnsupportedProtocolError``.

    ``None`` (the camera answered the CHDK operation with OperationNotSupported) means the
    CHDK extension is absent.
    """
    if version is None:
        raise UnsupportedProtocolError("the camera does not run CHDK (no CHDK PTP extension)")
    if version[0] != OUR_VERSION[0]:
        raise UnsupportedProtocolError(
            f"camera speaks CHDK PTP protocol {version[0]}.{version[1]}; this library needs "
            f"major version {OUR_VERSION[0]}",
            version=version,
        )
    return version


def supports(version: Version | None, feature: str) -> bool:
    """True if a camera with protocol ``version`` has ``feature`` (a key of :data:`FEATURES`)."""
    if feature not in FEATURES:
        raise ValueError(f"unknown CHDK feature {feature!r}; known: {sorted(FEATURES)}")
    if version is None or version[0] != OUR_VERSION[0]:
        return False
    need = FEATURES[feature]
    return version[1] >= need[1] if need[0] == version[0] else version[0] > need[0]


def check_feature(version: Version | None, feature: str) -> None:
    """Raise ``UnsupportedProtocolError`` unless ``version`` has ``feature``."""
    check_major(version)
    if not supports(version, feature):
        need = FEATURES[feature]
        assert version is not None
        raise UnsupportedProtocolError(
            f"{feature.replace('_', ' ')} needs CHDK PTP protocol {need[0]}.{need[1]} or "
            f"newer; the camera has {version[0]}.{version[1]}",
            feature=feature,
            version=version,
        )


def exec_flags(version: Version, *, kill_running: bool, flush: bool) -> int:
    """ExecuteScript flags as chdkptp sends them by default (NOKILL + flush both queues).

    ``kill_running`` drops NOKILL; ``flush=False`` drops both flush flags.  Cameras older than
    protocol 2.6 take no flags: 0 is returned and the caller checks status itself.
    """
    if not supports(version, "exec_flags"):
        return 0
    flags = ExecFlags(0)
    if not kill_running:
        flags |= ExecFlags.NOKILL
    if flush:
        flags |= ExecFlags.FLUSH_CAM_MSGS | ExecFlags.FLUSH_HOST_MSGS
    return int(flags)


def exec_params(flags: int) -> tuple[int, int]:
    """Command parameters of ExecuteScript for a Lua script with ``flags``."""
    return (int(ChdkCommand.EXECUTE_SCRIPT), int(ScriptLanguage.LUA) | flags)


@dataclass(frozen=True)
class ScriptStatus:
    """Decoded ScriptStatus reply: is a script running, are camera→host messages queued."""

    running: bool
    has_messages: bool

    @classmethod
    def from_params(cls, params: tuple[int, ...]) -> ScriptStatus:
        """Decode the response parameters of ScriptStatus (p1 = RUN | MSG bits)."""
        bits = ScriptStatusFlags(params[0] if params else 0)
        return cls(bool(bits & ScriptStatusFlags.RUN), bool(bits & ScriptStatusFlags.MSG))


def start_result(params: tuple[int, ...]) -> tuple[int, ExecStartStatus]:
    """Decode ExecuteScript's response ``(script id, start status)``.

    Raises ``ScriptRunningError`` for SCRIPT_RUNNING (the id is the running script's).  A
    compile error is returned, not raised: its text arrives as an ERR message that the caller
    reads next.
    """
    script_id = params[0] if params else 0
    status = ExecStartStatus.coerce(params[1] if len(params) > 1 else 0)
    if status == ExecStartStatus.SCRIPT_RUNNING:
        raise ScriptRunningError(
            f"script {script_id} is still running; pass kill_running=True to replace it",
            script_id=script_id,
        )
    if status not in (ExecStartStatus.OK, ExecStartStatus.COMPILE_ERROR):
        raise ChdkError(f"unknown ExecuteScript start status {int(status):#x}", status=int(status))
    return script_id, status


def write_status_error(params: tuple[int, ...], script_id: int) -> ChdkError | None:
    """Map WriteScriptMsg's status (p1) to None (queued) or the error to raise.

    Every failure is a ``ChdkError`` whose ``status`` says which: ``"not_running"`` (NOTRUN: no
    script runs), ``"bad_id"`` (BADID: another script runs), ``"queue_full"`` (QFULL).
    """
    status = WriteMsgStatus.coerce(params[0] if params else 0)
    if status == WriteMsgStatus.OK:
        return None
    if status == WriteMsgStatus.NOTRUN:
        return ChdkError("script not running: nothing receives the message",
                         status="not_running")
    if status == WriteMsgStatus.BADID:
        return ChdkError(
            f"script {script_id} is not the running script", status="bad_id", script_id=script_id
        )
    if status == WriteMsgStatus.QFULL:
        return ChdkError("the camera's message queue is full", status="queue_full")
    return ChdkError(f"unknown WriteScriptMsg status {int(status):#x}", status=int(status))


class PollSchedule:
    """Delays (seconds) between polls while waiting for a script: proportional to time waited.

    The first ``immediate`` polls come at once (a short script is done within a few ms); after
    that each delay is ``fraction`` of the time since the schedule started (or was reset),
    clamped to [``first``, ``maximum``].  So a script is seen at most about ``fraction`` of its
    run time (and at most ``maximum``) after it ended, whatever its length: with the defaults
    (10 %, 2-50 ms) a 100 ms script is seen within ~10 ms, and a 1 s script costs about 55
    polls (2 ms polls for the first 20 ms, then ~1 + ``fraction`` growth per poll, then
    1/``maximum`` polls per second).  ``clock`` gives the time in seconds (the caller's
    ``time.monotonic``: this protocol layer keeps no clock of its own; tests inject one).
    Call :meth:`reset` when something happened (a message arrived) to be quick again.
    """

    def __init__(self, *, clock: Callable[[], float], first: float = 0.002,
                 maximum: float = 0.05, immediate: int = 2, fraction: float = 0.1) -> None:
        if first <= 0 or maximum < first:
            raise ValueError("need 0 < first <= maximum")
        if not 0 < fraction <= 1:
            raise ValueError("fraction must be in (0, 1]")
        if immediate < 0:
            raise ValueError("immediate must be >= 0")
        self.first = first
        self.maximum = maximum
        self.immediate = immediate
        self.fraction = fraction
        self._clock = clock
        self._n = 0
        self._start = clock()

    def reset(self) -> None:
        """Start again with the fastest polls."""
        self._n = 0
        self._start = self._clock()

    def next_delay(self) -> float:
        """Return the delay before the next poll and advance the schedule."""
        n = self._n
        self._n += 1
        if n < self.immediate:
            return 0.0
        waited = self._clock() - self._start
        return float(min(self.maximum, max(self.first, waited * self.fraction)))

    def __iter__(self) -> Iterator[float]:
        while True:
            yield self.next_delay()

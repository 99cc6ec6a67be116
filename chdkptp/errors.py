"""The one error tree of chdkptp.

Everything the library raises on purpose is a :class:`ChdkPtpError` (argument mistakes stay
plain ``ValueError`` / ``TypeError``).  Errors are split by who is at fault, as in h11: the
device and its link (:class:`DeviceError`), the caller (:class:`LocalProtocolError`), the camera
sending garbage (:class:`RemoteProtocolError`), the camera refusing an operation
(:class:`ResponseError`) and CHDK-level failures (:class:`ChdkError`).

This module depends on the standard library only (layer L1).  Every exception pickles: extra
state is passed through ``__init__`` keywords and restored by ``__reduce__``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CameraNotFoundError",
    "ChdkError",
    "ChdkPtpError",
    "ChdkTimeoutError",
    "DeviceAccessError",
    "DeviceBusy",
    "DeviceDisconnectedError",
    "DeviceError",
    "GroupError",
    "InvalidParameter",
    "LocalProtocolError",
    "LuaDecodeError",
    "OperationNotSupported",
    "ProtocolError",
    "RemoteCaptureError",
    "RemoteProtocolError",
    "ResponseError",
    "ScriptError",
    "ScriptRunningError",
    "SessionError",
    "TransportError",
    "UnsupportedProtocolError",
]


class ChdkPtpError(Exception):
    """Base class of every error chdkptp raises on purpose."""

    def __init__(self, message: str = "", **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self._extra = dict(extra)
        for key, value in extra.items():
            setattr(self, key, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self._extra))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[ChdkPtpError], message: str, extra: dict[str, Any]) -> ChdkPtpError:
    return cls(message, **extra)


# --- the device and its link -------------------------------------------------------------------


class DeviceError(ChdkPtpError):
    """The camera or the link to it failed."""


class CameraNotFoundError(DeviceError, LookupError):
    """No camera matched the selection; the message lists what was found."""


class DeviceAccessError(DeviceError, PermissionError):
    """The operating system refused access to the device; the message says how to fix it."""


class DeviceDisconnectedError(DeviceError, ConnectionError):
    """The camera left the bus (unplugged, powered down, rebooted) or the TCP link dropped."""


class TransportError(DeviceError):
    """A USB or TCP transfer failed for another reason (stall, overflow, I/O error)."""


class ChdkTimeoutError(ChdkPtpError, TimeoutError):
    """A blocking call ran out of time (USB transfer, script wait, mode switch)."""


# --- protocol violations -----------------------------------------------------------------------


class ProtocolError(ChdkPtpError):
    """The PTP exchange went wrong; see the two subclasses for who is at fault."""


class LocalProtocolError(ProtocolError):
    """The caller asked for something the protocol cannot express (our side's fault)."""


class RemoteProtocolError(ProtocolError):
    """The camera sent bytes that break the protocol (malformed container, lying length)."""


# --- the camera refused ------------------------------------------------------------------------


class ResponseError(ChdkPtpError):
    """The camera answered an operation with a response code other than OK.

    Attributes:
        code: the PTP response code (an ``int``; a ``ResponseCode`` member when known).
        operation: the PTP operation code of the command.
        params: the response parameters.
    """

    code: int
    operation: int
    params: tuple[int, ...]

    def __init__(
        self,
        message: str = "",
        *,
        code: int = 0,
        operation: int = 0,
        params: tuple[int, ...] = (),
        **extra: Any,
    ) -> None:
        super().__init__(message, code=code, operation=operation, params=tuple(params), **extra)


class OperationNotSupported(ResponseError):
    """The camera does not support the operation (or the CHDK extension is missing)."""


class InvalidParameter(ResponseError):
    """The camera rejected a parameter (also ParameterNotSupported)."""


class DeviceBusy(ResponseError):
    """The camera is busy; retrying later may succeed."""


class SessionError(ResponseError):
    """Session state is wrong (not open, already open, bad transaction id)."""


# --- CHDK level --------------------------------------------------------------------------------


class ChdkError(ChdkPtpError):
    """A CHDK-level failure (script, version, remote capture, Lua value decoding)."""


class UnsupportedProtocolError(ChdkError):
    """The camera's CHDK protocol version lacks the feature (or the extension is absent)."""


class ScriptError(ChdkError):
    """A camera-side Lua script failed.

    Attributes:
        kind: ``"compile"`` or ``"runtime"``.
        line: the line number CHDK reported, or ``None``.
        script_id: the CHDK script id, or ``None``.
        text: the camera's error text.
    """

    kind: str
    line: int | None
    script_id: int | None
    text: str

    def __init__(
        self,
        message: str = "",
        *,
        kind: str = "runtime",
        line: int | None = None,
        script_id: int | None = None,
        text: str = "",
        **extra: Any,
    ) -> None:
        super().__init__(
            message, kind=kind, line=line, script_id=script_id, text=text or message, **extra
        )


class ScriptRunningError(ChdkError):
    """Another script is already running and it was not to be killed."""


class RemoteCaptureError(ChdkError):
    """Remote (USB-direct) capture failed or was cancelled by the camera."""


class LuaDecodeError(ChdkError, ValueError):
    """Text from the camera is not a Lua value we can decode (never evaluated).

    Attributes:
        position: character offset of the problem in the input, or ``None``.
    """

    position: int | None

    def __init__(self, message: str = "", *, position: int | None = None, **extra: Any) -> None:
        super().__init__(message, position=position, **extra)


# --- several cameras ---------------------------------------------------------------------------


class GroupError(ChdkPtpError):
    """One or more cameras of a ``CameraGroup`` failed (raised by ``raise_for_errors``).

    Attributes:
        errors: serial -> the exception that camera raised (the others succeeded).
    """

    errors: dict[str, BaseException]

    def __init__(self, message: str = "", *, errors: dict[str, BaseException] | None = None,
                 **extra: Any) -> None:
        super().__init__(message, errors=dict(errors or {}), **extra)

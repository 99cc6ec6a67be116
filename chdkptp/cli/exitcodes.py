"""Exit codes of the ``chdkptp`` command line, and which error maps to which.

What belongs here: the :class:`ExitCode` table scripts can rely on (documented in README.md
and ``chdkptp --help``) and :func:`exit_code_for`, the one place that classifies an exception.
"""

from __future__ import annotations

import enum

from chdkptp.errors import (
    CameraNotFoundError,
    ChdkPtpError,
    ChdkTimeoutError,
    DeviceAccessError,
    DeviceDisconnectedError,
    OperationNotSupported,
    ScriptError,
    UnsupportedProtocolError,
)

__all__ = ["EXIT_CODE_TABLE", "ExitCode", "exit_code_for"]


class ExitCode(enum.IntEnum):
    """What a ``chdkptp`` process returns."""

    OK = 0
    ERROR = 1  #: camera, protocol or local I/O error not listed below
    USAGE = 2  #: bad command line or argument value
    NOT_FOUND = 3  #: no camera matched, or a file / directory does not exist
    ACCESS = 4  #: permission denied or device held by another program
    SCRIPT = 5  #: camera-side Lua failed (compile or runtime error)
    TIMEOUT = 6  #: a transfer, script or mode switch ran out of time
    UNSUPPORTED = 7  #: missing optional extra, or a feature the camera / CHDK lacks
    DISCONNECTED = 8  #: the camera left the bus during the command
    INTERRUPTED = 130  #: Ctrl-C


EXIT_CODE_TABLE = "\n".join(
    f"  {int(code):>3}  {code.name.lower():<13} {_doc}"
    for code, _doc in (
        (ExitCode.OK, "success"),
        (ExitCode.ERROR, "camera, protocol or local I/O error"),
        (ExitCode.USAGE, "bad command line or argument value"),
        (ExitCode.NOT_FOUND, "no matching camera, or no such file"),
        (ExitCode.ACCESS, "permission denied / device busy (see `chdkptp doctor`)"),
        (ExitCode.SCRIPT, "camera-side Lua error"),
        (ExitCode.TIMEOUT, "timed out"),
        (ExitCode.UNSUPPORTED, "missing optional extra or unsupported by camera/CHDK"),
        (ExitCode.DISCONNECTED, "camera left the bus"),
        (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
    )
)


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code for an exception that ended a command."""
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(exc, ScriptError):
        return ExitCode.SCRIPT
    if isinstance(exc, (CameraNotFoundError, FileNotFoundError, NotADirectoryError)):
        return ExitCode.NOT_FOUND
    if isinstance(exc, (DeviceAccessError, PermissionError)):
        return ExitCode.ACCESS
    if isinstance(exc, DeviceDisconnectedError):
        return ExitCode.DISCONNECTED
    if isinstance(exc, (ChdkTimeoutError, TimeoutError)):
        return ExitCode.TIMEOUT
    if isinstance(exc, (UnsupportedProtocolError, OperationNotSupported, ImportError)):
        return ExitCode.UNSUPPORTED
    if isinstance(exc, (ValueError, TypeError)) and not isinstance(exc, ChdkPtpError):
        return ExitCode.USAGE
    return ExitCode.ERROR

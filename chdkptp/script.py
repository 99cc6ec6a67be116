"""Script messages: decoding ReadScriptMsg results and turning script errors into exceptions.

What belongs here: the sans-IO part of CHDK script messaging (layer L2) — the
:class:`ScriptMessage` value, :func:`decode_message` for the ReadScriptMsg response parameters
and data phase, the ERR-message → :class:`~chdkptp.errors.ScriptError` mapping, and
:func:`encode_message` for the WriteScriptMsg data phase.  Sending and polling live in the
session / camera layers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chdkptp._generated.chdk_codes import ErrorSubtype, MessageSubtype, MessageType
from chdkptp.errors import RemoteProtocolError, ScriptError
from chdkptp.lua import decode_bytes, dumps, encode_str, loads

__all__ = [
    "ScriptMessage",
    "UnsupportedValue",
    "decode_message",
    "encode_message",
    "error_line",
    "script_error",
]

logger = logging.getLogger(__name__)

# ReadScriptMsg response parameters, in order (fact sheet §2.5).
_P_TYPE, _P_SUBTYPE, _P_SCRIPT_ID, _P_LENGTH = range(4)
_NUM_PARAMS = 4
_INT32_SIZE = 4

# CHDK's runtime/compile error text starts with ":<line>:" (its luaO_chunkid drops the chunk
# name); plain Lua 5.1 writes '[string "..."]:<line>:' and named chunks "name:<line>:".
_LINE = re.compile(r'\s*(?:\[string ".*?"\]|[^\s:\[]+)?:(\d+):')


@dataclass(frozen=True)
class UnsupportedValue:
    """A script value CHDK cannot send (function, userdata, thread): only its type name arrives."""

    type_name: str


@dataclass(frozen=True)
class ScriptMessage:
    """One message read from the camera's script message queue (ReadScriptMsg).

    Attributes:
        type: :class:`MessageType` (``NONE`` when the queue was empty, ``ERROR``, ``RET`` for a
            script return value, ``USER`` for ``write_usb_msg``).
        subtype: a :class:`MessageSubtype` for RET/USER, an :class:`ErrorSubtype` for ERROR,
            the plain ``int`` for NONE.
        script_id: the id of the script that sent it.
        value: the decoded value — ``None``/``bool``/``int``/``str``, a table decoded with
            :func:`chdkptp.lua.loads`, an :class:`UnsupportedValue`; for ERROR the error text.
        raw: the message bytes exactly as received (length from the response parameters).
        text: for ERROR, the camera's error text; otherwise ``None``.
        line: for ERROR, the script line number in the text, or ``None``.
    """

    type: MessageType
    subtype: MessageSubtype | ErrorSubtype | int
    script_id: int
    value: Any
    raw: bytes
    text: str | None = None
    line: int | None = None

    @property
    def is_error(self) -> bool:
        """True for an ERR message (compile or runtime error of the script)."""
        return self.type == MessageType.ERROR

    def to_error(self) -> ScriptError:
        """Return the :class:`~chdkptp.errors.ScriptError` this ERR message stands for.

        Raises:
            ValueError: the message is not an ERR message.
        """
        return script_error(self)

    def raise_for_error(self) -> None:
        """Raise :meth:`to_error` if this is an ERR message; do nothing otherwise.

        Raises:
            ScriptError: the message reports a compile or runtime error.
        """
        if self.is_error:
            raise self.to_error()


def error_line(text: str) -> int | None:
    """Return the line number at the start of a CHDK Lua error text (``":12: msg"``), or None."""
    m = _LINE.match(text)
    return int(m.group(1)) if m else None


def script_error(message: ScriptMessage, *, line_offset: int = 0) -> ScriptError:
    """Build the :class:`~chdkptp.errors.ScriptError` for an ERR message.

    ``kind`` is ``"compile"`` for :attr:`ErrorSubtype.COMPILE`, ``"runtime"`` otherwise.
    ``line_offset`` is the number of lines prepended to the user's code (e.g. the table
    serializer): ``.line`` is counted in the user's code, ``.text`` stays the camera's raw text,
    and ``str(err)`` reads ``"runtime error at line 3: attempt to ..."`` (the chunk/line prefix
    of the raw text dropped).  A line inside the prepended part is reported as such, with
    ``.line`` left as the camera sent it.

    Raises:
        ValueError: ``message`` is not an ERR message, or ``line_offset`` is negative.
    """
    if not message.is_error:
        raise ValueError(f"not an error message: {message.type!r}")
    if line_offset < 0:
        raise ValueError(f"line_offset must be >= 0, not {line_offset}")
    kind = "compile" if message.subtype == ErrorSubtype.COMPILE else "runtime"
    text = message.text or ""
    line = message.line
    if line is None:
        summary = f"{kind} error: {text}"
    else:
        detail = _LINE.sub("", text, count=1).lstrip()
        if line > line_offset:
            line -= line_offset
            summary = f"{kind} error at line {line}: {detail}"
        else:
            summary = f"{kind} error at line {line} of chdkptp's camera-side helpers: {detail}"
    return ScriptError(summary, kind=kind, line=line, script_id=message.script_id, text=text)


def _int32(raw: bytes, what: str) -> int:
    if len(raw) != _INT32_SIZE:
        raise RemoteProtocolError(
            f"{what} script message has {len(raw)} bytes, expected {_INT32_SIZE}"
        )
    return int.from_bytes(raw, "little", signed=True)


def _decode_value(subtype: MessageSubtype, raw: bytes) -> Any:
    if subtype == MessageSubtype.NIL:
        return None
    if subtype == MessageSubtype.BOOLEAN:
        return _int32(raw, "boolean") != 0
    if subtype == MessageSubtype.INTEGER:
        return _int32(raw, "integer")
    if subtype == MessageSubtype.STRING:
        return decode_bytes(raw)
    if subtype == MessageSubtype.TABLE:
        return loads(raw.rstrip(b"\0"))
    if subtype == MessageSubtype.UNSUPPORTED:
        return UnsupportedValue(decode_bytes(raw.rstrip(b"\0")))
    raise RemoteProtocolError(f"unknown script message value subtype {int(subtype)}")


def decode_message(params: Sequence[int], data: bytes | bytearray | memoryview) -> ScriptMessage:
    """Decode the result of CHDK ReadScriptMsg (opcode CHDK, sub-command READ_SCRIPT_MSG).

    ``params`` are the response parameters (type, subtype, script id, length); ``data`` is the
    data phase.  The message length is taken from the fourth parameter, not from ``len(data)``
    (CHDK sends one zero byte when the message is empty or the queue is empty).  Value payloads:
    NIL → ``None``; BOOLEAN and INTEGER → little-endian int32; STRING → ``str`` by the
    :mod:`chdkptp.lua` string policy; TABLE → :func:`chdkptp.lua.loads`; UNSUPPORTED →
    :class:`UnsupportedValue`.  ERR messages carry their text and line number.

    Raises:
        RemoteProtocolError: fewer than four parameters, a length beyond the data, an unknown
            message type or value subtype, or a BOOLEAN/INTEGER payload that is not 4 bytes.
        LuaDecodeError: a TABLE payload that is not decodable Lua text.
        TypeError: ``data`` is not bytes-like.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes-like, not {type(data).__name__}")
    if len(params) < _NUM_PARAMS:
        raise RemoteProtocolError(
            f"ReadScriptMsg returned {len(params)} parameters, expected {_NUM_PARAMS}"
        )
    type_code = int(params[_P_TYPE])
    subtype_code = int(params[_P_SUBTYPE])
    script_id = int(params[_P_SCRIPT_ID])
    length = int(params[_P_LENGTH])
    if length > len(data):
        raise RemoteProtocolError(
            f"script message length {length} exceeds the {len(data)} bytes received"
        )
    raw = bytes(data[:length])
    msg_type = MessageType.coerce(type_code)
    if msg_type == MessageType.NONE:
        return ScriptMessage(msg_type, subtype_code, script_id, None, raw)
    if msg_type == MessageType.ERROR:
        text = decode_bytes(raw.rstrip(b"\0"))
        return ScriptMessage(
            msg_type,
            ErrorSubtype.coerce(subtype_code),
            script_id,
            text,
            raw,
            text=text,
            line=error_line(text),
        )
    if msg_type in (MessageType.RET, MessageType.USER):
        subtype = MessageSubtype.coerce(subtype_code)
        value = _decode_value(subtype, raw)
        logger.debug("script %d %s message, subtype %s", script_id, msg_type.name, subtype.name)
        return ScriptMessage(msg_type, subtype, script_id, value, raw)
    raise RemoteProtocolError(f"unknown script message type {type_code}")


def encode_message(value: Any) -> bytes:
    """Make the data phase of CHDK WriteScriptMsg for ``value``.

    The script's ``read_usb_msg()`` always receives a string.  ``str`` is sent as its bytes
    (:func:`chdkptp.lua.encode_str`), bytes-like values as they are; any other value as its
    Lua literal (:func:`chdkptp.lua.dumps`), which the script can read back with
    ``loadstring("return " .. msg)()``.

    Raises:
        ValueError, TypeError: from :func:`chdkptp.lua.dumps` for a value with no Lua literal.
    """
    if isinstance(value, str):
        return encode_str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return dumps(value).encode("ascii")

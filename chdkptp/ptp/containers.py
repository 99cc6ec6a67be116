"""PTP bulk containers: the 12-byte header and the u32 parameter block (sans-IO).

This is the only place that packs or unpacks a container header; the client session and the
simulated camera both use it.  Decoding goes through the generated ``PtpContainerHeader`` and
``PtpParams`` classes (ISO 15740 §D.7.1.1, fact sheet §1.1); encoding packs the same layout
with precompiled ``struct`` formats, proven equal to the generated ``to_bytes()`` by the tests.
Nothing here does I/O.

Decoding never trusts the peer: a short buffer, a length smaller than the header or a
parameter block that is not a whole number of u32 raises
:class:`~chdkptp.errors.RemoteProtocolError`.  Encoding checks its arguments and raises
``ValueError`` / ``TypeError`` for values that do not fit the wire format.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import NamedTuple

from chdkptp._generated._runtime import SpecDecodeError
from chdkptp._generated.ptp_codes import ContainerType
from chdkptp._generated.ptp_container_header import PtpContainerHeader
from chdkptp._generated.ptp_params import PtpParams
from chdkptp.errors import RemoteProtocolError

__all__ = [
    "HEADER_SIZE",
    "MAX_EVENT_PARAMS",
    "MAX_PARAMS",
    "Header",
    "decode_header",
    "decode_params",
    "encode_command",
    "encode_data_header",
    "encode_event",
    "encode_response",
]

HEADER_SIZE = 12
"""Bytes in a container header: u32 length, u16 type, u16 code, u32 transaction id."""

MAX_PARAMS = 5
"""Most parameters a Command or Response container carries (ISO 15740)."""

MAX_EVENT_PARAMS = 3
"""Most parameters an Event container carries."""

_U16_MAX = 0xFFFF
_U32_MAX = 0xFFFFFFFF

# Decoding goes through the generated PtpContainerHeader / PtpParams (the spec checks untrusted
# bytes).  Encoding is on every transaction's hot path, so it uses one precompiled layout per
# parameter count (one pack call, ~10x cheaper than building the generated objects); the tests
# check byte for byte that it equals the generated classes' to_bytes().
_PACKERS = tuple(struct.Struct("<IHHI" + "I" * n) for n in range(MAX_PARAMS + 1))
_COMMAND = int(ContainerType.COMMAND)
_DATA = int(ContainerType.DATA)
_RESPONSE = int(ContainerType.RESPONSE)
_EVENT = int(ContainerType.EVENT)


class Header(NamedTuple):
    """A decoded container header (immutable).

    Attributes:
        length: total container length in bytes, header included.
        type: the container type (a ``ContainerType`` member; unknown values stay open).
        code: operation, response or event code, as an ``int``.
        transaction_id: the transaction the container belongs to.
    """

    length: int
    type: ContainerType
    code: int
    transaction_id: int

    @property
    def payload_length(self) -> int:
        """Bytes after the header that the container announces."""
        return self.length - HEADER_SIZE


def _check_int(name: str, value: object, limit: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= limit:
        raise ValueError(f"{name} {value!r} does not fit in {limit.bit_length()} bits")


def _bad_arguments(code: object, tid: object, values: tuple[object, ...]) -> Exception:
    """The precise ValueError / TypeError for arguments ``struct`` refused."""
    try:
        _check_int("code", code, _U16_MAX)
        _check_int("transaction id", tid, _U32_MAX)
        for index, value in enumerate(values):
            _check_int(f"parameter {index + 1}", value, _U32_MAX)
    except (TypeError, ValueError) as exc:
        return exc
    return ValueError("container fields out of range")  # pragma: no cover


def _encode(ctype: int, code: int, tid: int, params: Iterable[int], limit: int) -> bytes:
    values = params if type(params) is tuple else tuple(params)
    count = len(values)
    if count > limit:
        raise ValueError(f"at most {limit} parameters fit in a container, got {count}")
    if type(code) is bool or type(tid) is bool:
        raise _bad_arguments(code, tid, values)
    try:
        return _PACKERS[count].pack(HEADER_SIZE + 4 * count, ctype, code, tid, *values)
    except struct.error:
        raise _bad_arguments(code, tid, values) from None


def encode_command(code: int, tid: int, params: Iterable[int] = ()) -> bytes:
    """Build a Command container (operation ``code``, transaction ``tid``, 0-5 u32 params).

    Raises:
        ValueError: more than five params, or a value out of its u16/u32 range.
        TypeError: a value that is not an ``int``.
    """
    return _encode(_COMMAND, code, tid, params, MAX_PARAMS)


def encode_response(code: int, tid: int, params: Iterable[int] = ()) -> bytes:
    """Build a Response container (response ``code`` for transaction ``tid``, 0-5 params).

    Raises:
        ValueError: more than five params, or a value out of its u16/u32 range.
        TypeError: a value that is not an ``int``.
    """
    return _encode(_RESPONSE, code, tid, params, MAX_PARAMS)


def encode_event(code: int, tid: int, params: Iterable[int] = ()) -> bytes:
    """Build an Event container (interrupt endpoint; event ``code``, 0-3 params).

    Raises:
        ValueError: more than three params, or a value out of its u16/u32 range.
        TypeError: a value that is not an ``int``.
    """
    return _encode(_EVENT, code, tid, params, MAX_EVENT_PARAMS)


def encode_data_header(code: int, tid: int, payload_len: int) -> bytes:
    """Build the 12-byte header of a Data container that carries ``payload_len`` bytes.

    The payload itself is sent after the header (possibly streamed); the Data container
    repeats the operation code of its Command.

    Raises:
        ValueError: ``payload_len`` negative or the total above 4 GiB - 1; a code or tid out
            of range.
        TypeError: a value that is not an ``int``.
    """
    _check_int("code", code, _U16_MAX)
    _check_int("transaction id", tid, _U32_MAX)
    _check_int("payload_len", payload_len, _U32_MAX - HEADER_SIZE)
    return _PACKERS[0].pack(HEADER_SIZE + payload_len, _DATA, code, tid)


def decode_header(buf: bytes | bytearray | memoryview) -> Header:
    """Decode the header at the start of ``buf`` (bytes after the header are ignored).

    Parsed by the generated ``PtpContainerHeader``; an unknown container type stays open.

    Raises:
        RemoteProtocolError: fewer than 12 bytes, or a length field below 12.
    """
    if len(buf) < HEADER_SIZE:
        raise RemoteProtocolError(
            f"container too short: {len(buf)} bytes, a header needs {HEADER_SIZE}"
        )
    try:
        parsed = PtpContainerHeader.from_bytes(buf[:HEADER_SIZE])
    except SpecDecodeError as exc:  # the spec refuses a length below the header size
        raise RemoteProtocolError(f"bad container header: {exc}") from exc
    return Header(parsed.len_container, parsed.container_type, parsed.code, parsed.transaction_id)


def decode_params(payload: bytes | bytearray | memoryview) -> tuple[int, ...]:
    """Decode the u32 parameters of a Command, Response or Event payload (``PtpParams``).

    Raises:
        RemoteProtocolError: the payload is not a whole number of u32 values, or holds more
            than five.
    """
    size = len(payload)
    if size == 0:
        return ()
    if size % 4 or size > 4 * MAX_PARAMS:
        raise RemoteProtocolError(f"parameter block of {size} bytes is not 0-5 u32 values")
    try:
        return tuple(PtpParams.from_bytes(payload).params)
    except SpecDecodeError as exc:  # pragma: no cover - whole u32 values always parse
        raise RemoteProtocolError(f"bad parameter block: {exc}") from exc

"""PTP bulk containers: the 12-byte header and the u32 parameter block (sans-IO).

This is the only place that packs or unpacks a container header; the client session and the
simulated camera both use it.  It is built on the generated ``PtpContainerHeader`` and
``PtpParams`` layouts (ISO 15740 §D.7.1.1, fact sheet §1.1).  Nothing here does I/O.

Decoding never trusts the peer: a short buffer, a length smaller than the header or a
parameter block that is not a whole number of u32 raises
:class:`~chdkptp.errors.RemoteProtocolError`.  Encoding checks its arguments and raises
``ValueError`` / ``TypeError`` for values that do not fit the wire format.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

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

# One precompiled layout per parameter count: the generated classes describe the same bytes,
# and the tests check that both agree; this keeps the per-transaction cost to one pack call.
_HEADER = struct.Struct("<IHHI")
_PACKERS = tuple(struct.Struct("<IHHI" + "I" * n) for n in range(MAX_PARAMS + 1))


@dataclass(frozen=True, slots=True)
class Header:
    """A decoded container header.

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


def _check_u16(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= _U16_MAX:
        raise ValueError(f"{name} {value!r} does not fit in 16 bits")


def _check_u32(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= _U32_MAX:
        raise ValueError(f"{name} {value!r} does not fit in 32 bits")


def _encode(ctype: ContainerType, code: int, tid: int, params: Iterable[int], limit: int) -> bytes:
    values = tuple(params)
    if len(values) > limit:
        raise ValueError(f"at most {limit} parameters fit in a container, got {len(values)}")
    _check_u16("code", code)
    _check_u32("transaction id", tid)
    for index, value in enumerate(values):
        _check_u32(f"parameter {index + 1}", value)
    count = len(values)
    return _PACKERS[count].pack(HEADER_SIZE + 4 * count, ctype, code, tid, *values)


def encode_command(code: int, tid: int, params: Iterable[int] = ()) -> bytes:
    """Build a Command container (operation ``code``, transaction ``tid``, 0-5 u32 params).

    Raises:
        ValueError: more than five params, or a value out of its u16/u32 range.
        TypeError: a value that is not an ``int``.
    """
    return _encode(ContainerType.COMMAND, code, tid, params, MAX_PARAMS)


def encode_response(code: int, tid: int, params: Iterable[int] = ()) -> bytes:
    """Build a Response container (response ``code`` for transaction ``tid``, 0-5 params).

    Raises:
        ValueError: more than five params, or a value out of its u16/u32 range.
        TypeError: a value that is not an ``int``.
    """
    return _encode(ContainerType.RESPONSE, code, tid, params, MAX_PARAMS)


def encode_event(code: int, tid: int, params: Iterable[int] = ()) -> bytes:
    """Build an Event container (interrupt endpoint; event ``code``, 0-3 params).

    Raises:
        ValueError: more than three params, or a value out of its u16/u32 range.
        TypeError: a value that is not an ``int``.
    """
    return _encode(ContainerType.EVENT, code, tid, params, MAX_EVENT_PARAMS)


def encode_data_header(code: int, tid: int, payload_len: int) -> bytes:
    """Build the 12-byte header of a Data container that carries ``payload_len`` bytes.

    The payload itself is sent after the header (possibly streamed); the Data container
    repeats the operation code of its Command.

    Raises:
        ValueError: ``payload_len`` negative or the total above 4 GiB - 1; a code or tid out
            of range.
        TypeError: a value that is not an ``int``.
    """
    _check_u16("code", code)
    _check_u32("transaction id", tid)
    if not isinstance(payload_len, int) or isinstance(payload_len, bool):
        raise TypeError(f"payload_len must be an int, not {type(payload_len).__name__}")
    if not 0 <= payload_len <= _U32_MAX - HEADER_SIZE:
        raise ValueError(f"a data container cannot carry {payload_len} bytes")
    return _HEADER.pack(HEADER_SIZE + payload_len, ContainerType.DATA, code, tid)


def decode_header(buf: bytes | bytearray | memoryview) -> Header:
    """Decode the header at the start of ``buf`` (bytes after the header are ignored).

    Raises:
        RemoteProtocolError: fewer than 12 bytes, or a length field below 12.
    """
    if len(buf) < HEADER_SIZE:
        raise RemoteProtocolError(
            f"container too short: {len(buf)} bytes, a header needs {HEADER_SIZE}"
        )
    length, ctype, code, tid = _HEADER.unpack_from(buf)
    if length < HEADER_SIZE:
        raise RemoteProtocolError(f"container length field {length} is below the header size")
    return Header(length, ContainerType.coerce(ctype), code, tid)


def decode_params(payload: bytes | bytearray | memoryview) -> tuple[int, ...]:
    """Decode the u32 parameters of a Command, Response or Event payload.

    Raises:
        RemoteProtocolError: the payload is not a whole number of u32 values, or holds more
            than five.
    """
    size = len(payload)
    if size == 0:
        return ()
    if size % 4 or size > 4 * MAX_PARAMS:
        raise RemoteProtocolError(f"parameter block of {size} bytes is not 0-5 u32 values")
    return struct.unpack_from(f"<{size // 4}I", payload)


def decode_header_generated(buf: bytes) -> Header:
    """Decode a header through the generated ``PtpContainerHeader`` class (slow path).

    Used by tests to cross-check the fast path against the spec; same errors as
    :func:`decode_header`.
    """
    try:
        parsed = PtpContainerHeader.from_bytes(bytes(buf[:HEADER_SIZE]))
    except SpecDecodeError as exc:
        raise RemoteProtocolError(f"bad container header: {exc}") from exc
    if parsed.len_container < HEADER_SIZE:
        raise RemoteProtocolError(
            f"container length field {parsed.len_container} is below the header size"
        )
    return Header(
        parsed.len_container,
        ContainerType.coerce(int(parsed.container_type)),
        parsed.code,
        parsed.transaction_id,
    )


def decode_params_generated(payload: bytes) -> tuple[int, ...]:
    """Decode parameters through the generated ``PtpParams`` class (slow path, for tests).

    Raises:
        RemoteProtocolError: as :func:`decode_params`.
    """
    if len(payload) % 4 or len(payload) > 4 * MAX_PARAMS:
        raise RemoteProtocolError(f"parameter block of {len(payload)} bytes is not 0-5 u32 values")
    try:
        return tuple(PtpParams.from_bytes(bytes(payload)).params)
    except SpecDecodeError as exc:
        raise RemoteProtocolError(f"bad parameter block: {exc}") from exc

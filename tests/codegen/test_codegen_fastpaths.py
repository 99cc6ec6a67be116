"""The generated parsers' fast paths give the same results as the plain ones: strings decoded
before the NUL cut (with the cut-first fallback), cached array ``struct``s, the enum table
lookup and bare-instance construction."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from typing import Any

import pytest
from kaitaistruct import KaitaiStream

from chdkptp._generated import _runtime, ptp_codes, ptp_container, ptp_container_header, ptp_types
from chdkptp._generated._runtime import SpecDecodeError
from tests.codegen._vectors import load_class, load_vectors, plain


def ptp_string(units: bytes, num_chars: int | None = None) -> bytes:
    """A PTP string dataset around raw UTF-16LE ``units`` (count = len // 2 unless given)."""
    return bytes([len(units) // 2 if num_chars is None else num_chars]) + units


@pytest.mark.parametrize(
    ("units", "text"),
    [
        ("Hi\0".encode("utf-16-le"), "Hi"),
        ("Hi".encode("utf-16-le"), "Hi"),  # no NUL: the text runs to the end of the data
        ("\0".encode("utf-16-le"), ""),
        ("\0junk".encode("utf-16-le"), ""),
        ("A\0B\0".encode("utf-16-le"), "A"),
        ("\U0001f600\0".encode("utf-16-le"), "\U0001f600"),  # a surrogate pair stays whole
        (b"A\x00\x00\x00\x00\xd8B\x00", "A"),  # a lone surrogate after the NUL is dropped
        (b"\x00A\x00\x00", "\u4100"),  # an unaligned NUL pair is not a terminator
    ],
)
def test_string_cut_at_first_aligned_nul(units: bytes, text: str) -> None:
    obj = ptp_types.PtpString.from_bytes(ptp_string(units))
    assert obj.value == text
    assert obj.num_chars == len(units) // 2


def test_string_invalid_before_nul_names_the_field() -> None:
    with pytest.raises(SpecDecodeError) as info:
        ptp_types.PtpString.from_bytes(ptp_string(b"\x00\xd8A\x00\x00\x00"))
    assert info.value.field == "ptp_string.value"
    assert "surrogate" in str(info.value)


def test_decode_terminated_slow_path() -> None:
    raw = b"O\x00K\x00\x00\x00\x00\xd8"
    assert _runtime.decode_terminated(raw, b"\x00\x00", "utf-16-le", "value") == "OK"
    with pytest.raises(SpecDecodeError) as info:
        _runtime.decode_terminated(b"\x00\xdc\x00\x00", b"\x00\x00", "utf-16-le", "value")
    assert info.value.field == "value"


@pytest.mark.parametrize("count", [0, 1, 7, _runtime.ARRAY_CACHE_MAX, _runtime.ARRAY_CACHE_MAX + 1])
def test_arrays_of_every_size_parse(count: int) -> None:
    items = [(i * 7919) & 0xFFFF for i in range(count)]
    data = struct.pack(f"<I{count}H", count, *items)
    obj = ptp_types.PtpArrayU2.from_bytes(data)
    assert obj.items == items
    assert obj.to_bytes() == data
    wide = [(i * 2654435761) & 0xFFFFFFFF for i in range(count)]
    assert ptp_types.PtpArrayU4.from_bytes(struct.pack(f"<I{count}I", count, *wide)).items == wide


def test_array_cache_is_bounded() -> None:
    small = _runtime.array_struct("<H", 3)
    assert small.format == "<3H"
    assert _runtime.array_cache("<H")[3] is small
    big = _runtime.ARRAY_CACHE_MAX + 5
    assert _runtime.array_struct("<H", big).size == 2 * big
    assert big not in _runtime.array_cache("<H")


def test_array_count_past_the_data_is_still_an_error() -> None:
    with pytest.raises(SpecDecodeError) as info:
        ptp_types.PtpArrayU2.from_bytes(struct.pack("<IH", 2, 1))
    assert info.value.field == "ptp_array_u2.num_items"


def test_container_enum_known_and_unknown() -> None:
    known = struct.pack("<IHHI", 12, 3, 0x2001, 9)
    header = ptp_container.PtpContainer.from_bytes(known).header
    assert header.container_type is ptp_codes.ContainerType.RESPONSE
    unknown = struct.pack("<IHHI", 12, 0x77, 0x2001, 9)
    header = ptp_container.PtpContainer.from_bytes(unknown).header
    assert header.container_type == 0x77
    assert isinstance(header.container_type, ptp_codes.ContainerType)
    assert header.container_type.name == "UNKNOWN_0x0077"


def test_parsed_objects_are_plain_instances_with_plain_attributes() -> None:
    data = struct.pack("<IHHI", 16, 1, 0x1002, 0) + b"\x01\x00\x00\x00"
    obj = ptp_container.PtpContainer.from_bytes(bytearray(data))
    assert type(obj) is ptp_container.PtpContainer
    assert type(obj.header) is ptp_container_header.PtpContainerHeader
    assert type(obj.payload) is bytes and obj.payload == b"\x01\x00\x00\x00"
    assert vars(obj.header) == {
        "len_container": 16,
        "container_type": ptp_codes.ContainerType.COMMAND,
        "code": 0x1002,
        "transaction_id": 0,
    }
    assert obj._io is None and obj._parent is None and obj._root is None
    assert obj == ptp_container.PtpContainer(
        header=ptp_container_header.PtpContainerHeader(
            len_container=16, container_type=1, code=0x1002, transaction_id=0
        ),
        payload=b"\x01\x00\x00\x00",
    )


def _outcome(parse: Callable[..., Any]) -> tuple[str, Any]:
    try:
        return "ok", plain(parse())
    except SpecDecodeError as exc:
        return "error", exc.field


@pytest.mark.parametrize("vec", load_vectors(), ids=lambda v: v.id)
def test_from_bytes_and_stream_path_agree_on_every_prefix(vec: Any) -> None:
    """``from_bytes`` has its own body (constant offsets, ``struct.error`` for short input);
    ``Cls(KaitaiStream)`` runs ``_parse``. Same fields, same error field, for every cut."""
    cls = load_class(vec.type)
    cuts = sorted({*range(min(len(vec.data), 40)), len(vec.data) - 1, len(vec.data)})
    for cut in (c for c in cuts if c >= 0):
        data = vec.data[:cut]
        fast = _outcome(lambda data=data: cls.from_bytes(data))
        slow = _outcome(lambda data=data: cls(KaitaiStream(io.BytesIO(data))))
        assert fast == slow, f"cut {cut}: {fast} != {slow}"

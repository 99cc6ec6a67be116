"""Tests of chdkptp.script: decoding ReadScriptMsg results and script errors."""

from __future__ import annotations

import dataclasses
import pickle
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chdkptp import lua
from chdkptp._generated.chdk_codes import ErrorSubtype, MessageSubtype, MessageType
from chdkptp.errors import ChdkPtpError, LuaDecodeError, RemoteProtocolError, ScriptError
from chdkptp.script import (
    ScriptMessage,
    UnsupportedValue,
    decode_message,
    encode_message,
    error_line,
    script_error,
)

RET, USER, ERR, NONE = MessageType.RET, MessageType.USER, MessageType.ERROR, MessageType.NONE


def msg(
    mtype: int, subtype: int, data: bytes, script_id: int = 7, pad: bytes = b""
) -> ScriptMessage:
    """Decode a message the way CHDK sends it: params, then data (maybe with extra bytes)."""
    return decode_message([int(mtype), int(subtype), script_id, len(data)], data + pad)


def test_capture_example_boolean_true() -> None:
    # Fact sheet §2.5: response params [2, 2, 12, 4], data 01 00 00 00.
    m = decode_message((2, 2, 12, 4), bytes.fromhex("01000000"))
    assert m.type is MessageType.RET
    assert m.subtype is MessageSubtype.BOOLEAN
    assert m.script_id == 12
    assert m.value is True
    assert m.raw == b"\x01\x00\x00\x00"
    assert m.text is None and m.line is None
    assert not m.is_error
    m.raise_for_error()  # no-op


def test_empty_queue() -> None:
    # No message: all four params 0 and one zero byte of data.
    m = decode_message([0, 0, 0, 0], b"\x00")
    assert m.type is MessageType.NONE
    assert m.value is None
    assert m.raw == b""
    assert m.subtype == 0


@pytest.mark.parametrize(
    ("subtype", "data", "expected"),
    [
        (MessageSubtype.NIL, b"\0\0\0\0", None),
        (MessageSubtype.BOOLEAN, struct.pack("<i", 0), False),
        (MessageSubtype.BOOLEAN, struct.pack("<i", 1), True),
        (MessageSubtype.INTEGER, struct.pack("<i", 0), 0),
        (MessageSubtype.INTEGER, struct.pack("<i", 123456), 123456),
        (MessageSubtype.INTEGER, struct.pack("<i", -1), -1),
        (MessageSubtype.INTEGER, struct.pack("<i", -(2**31)), -(2**31)),
        (MessageSubtype.INTEGER, struct.pack("<i", 2**31 - 1), 2**31 - 1),
        (MessageSubtype.STRING, b"", ""),
        (MessageSubtype.STRING, b"hello", "hello"),
        (MessageSubtype.STRING, b"A/DCIM/100CANON/IMG_0001.JPG", "A/DCIM/100CANON/IMG_0001.JPG"),
        (MessageSubtype.STRING, b"caf\xc3\xa9", "café"),
        (MessageSubtype.STRING, b"\xff\x00\n", "\udcff\x00\n"),
        (MessageSubtype.TABLE, b'{1,2,a=3,["b c"]=4}', {1: 1, 2: 2, "a": 3, "b c": 4}),
        (MessageSubtype.TABLE, b"{1,2,3}", [1, 2, 3]),
        (MessageSubtype.TABLE, b"{}", {}),
        (MessageSubtype.TABLE, b"", {}),
        (MessageSubtype.TABLE, b"a\t1\n", {"a": 1}),
        (MessageSubtype.TABLE, b"t\t1\t2\t3\n", {"t": [1, 2, 3]}),
        (MessageSubtype.TABLE, b"{[1]=1,[2]=2,[3]=3,}", [1, 2, 3]),
        (MessageSubtype.TABLE, b"{x=1}\0", {"x": 1}),
        (MessageSubtype.UNSUPPORTED, b"function", UnsupportedValue("function")),
        (MessageSubtype.UNSUPPORTED, b"userdata", UnsupportedValue("userdata")),
    ],
)
@pytest.mark.parametrize("mtype", [MessageType.RET, MessageType.USER])
def test_value_subtypes(
    mtype: MessageType, subtype: MessageSubtype, data: bytes, expected: Any
) -> None:
    m = msg(mtype, subtype, data, pad=b"\x00\xee")
    assert m.type is mtype
    assert m.subtype is subtype
    assert m.value == expected
    assert type(m.value) is type(expected)
    assert m.raw == data
    assert m.script_id == 7


def test_zero_length_string_with_chdk_padding_byte() -> None:
    # CHDK sends one zero byte when the message is empty; the length param says 0.
    m = decode_message([int(RET), int(MessageSubtype.STRING), 3, 0], b"\x00")
    assert m.value == ""
    assert m.raw == b""


def test_length_is_taken_from_params_not_data() -> None:
    m = decode_message([int(USER), int(MessageSubtype.STRING), 1, 3], b"abcdef")
    assert m.value == "abc"


def test_message_is_frozen_and_comparable() -> None:
    a = msg(RET, MessageSubtype.INTEGER, struct.pack("<i", 5))
    b = msg(RET, MessageSubtype.INTEGER, struct.pack("<i", 5))
    assert a == b
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.value = 6  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (":12: attempt to call nil value", 12),
        ("  :3: oops", 3),
        ("[string \"return foo()\"]:1: attempt to call global 'foo' (a nil value)", 1),
        ('[string "x = \\"a\\""]:4: boom', 4),
        ("script:25: bad", 25),
        ("no line here", None),
        ("", None),
        ("error: 5: not at the start", None),
        (":x: not a number", None),
    ],
)
def test_error_line(text: str, line: int | None) -> None:
    assert error_line(text) == line


def test_runtime_error_message() -> None:
    text = b":5: attempt to perform arithmetic on global 'x' (a nil value)"
    m = msg(ERR, ErrorSubtype.RUNTIME, text, script_id=9)
    assert m.type is MessageType.ERROR
    assert m.subtype is ErrorSubtype.RUNTIME
    assert m.is_error
    assert m.text == text.decode()
    assert m.value == m.text
    assert m.line == 5
    err = m.to_error()
    assert isinstance(err, ScriptError)
    assert isinstance(err, ChdkPtpError)
    assert err.kind == "runtime"
    assert err.line == 5
    assert err.script_id == 9
    assert err.text == text.decode()
    assert "runtime" in str(err) and "arithmetic" in str(err)
    with pytest.raises(ScriptError) as info:
        m.raise_for_error()
    assert info.value.line == 5
    again = pickle.loads(pickle.dumps(err))
    assert (again.kind, again.line, again.script_id, again.text) == ("runtime", 5, 9, err.text)


def test_compile_error_message() -> None:
    m = msg(ERR, ErrorSubtype.COMPILE, b":1: '=' expected near 'x'\0", script_id=2)
    assert m.subtype is ErrorSubtype.COMPILE
    assert m.text == ":1: '=' expected near 'x'"
    err = script_error(m)
    assert err.kind == "compile"
    assert err.line == 1
    assert err.script_id == 2


def test_error_without_line_and_unknown_error_subtype() -> None:
    m = msg(ERR, 7, b"something odd")
    assert m.line is None
    assert m.subtype == 7
    err = m.to_error()
    assert err.kind == "runtime"
    assert err.line is None
    m0 = msg(ERR, ErrorSubtype.NONE, b"")
    assert m0.text == ""
    assert m0.to_error().kind == "runtime"


def test_to_error_on_a_value_message_is_a_value_error() -> None:
    m = msg(RET, MessageSubtype.NIL, b"\0\0\0\0")
    with pytest.raises(ValueError):
        m.to_error()


@pytest.mark.parametrize(
    ("params", "data"),
    [
        ([2, 2, 12], b"\1\0\0\0"),  # too few params
        ([], b""),
        ([2, 3, 1, 8], b"\1\0\0\0"),  # length beyond the data
        ([9, 0, 1, 0], b"\0"),  # unknown type
        ([2, 6, 1, 0], b"\0"),  # unknown subtype
        ([3, 99, 1, 0], b"\0"),
        ([2, 2, 1, 2], b"\1\0"),  # boolean of 2 bytes
        ([2, 3, 1, 8], b"\1\0\0\0\0\0\0\0"),  # integer of 8 bytes
        ([2, 3, 1, 0], b"\0"),  # integer of 0 bytes
    ],
)
def test_protocol_violations(params: list[int], data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_message(params, data)


def test_undecodable_table_is_a_lua_decode_error() -> None:
    with pytest.raises(LuaDecodeError):
        msg(RET, MessageSubtype.TABLE, b"{1,2")
    with pytest.raises(LuaDecodeError):
        msg(USER, MessageSubtype.TABLE, b"os.exit()")


def test_data_must_be_bytes() -> None:
    with pytest.raises(TypeError):
        decode_message([2, 4, 1, 1], "a")  # type: ignore[arg-type]


def test_accepts_bytearray_and_memoryview() -> None:
    for data in (bytearray(b"xyz"), memoryview(b"xyz")):
        m = decode_message([3, 4, 1, 3], data)
        assert m.value == "xyz"
        assert m.raw == b"xyz"


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1), st.integers(0, 2**32 - 1))
def test_integer_round_trip(value: int, script_id: int) -> None:
    m = msg(RET, MessageSubtype.INTEGER, struct.pack("<i", value), script_id=script_id)
    assert m.value == value
    assert m.script_id == script_id


@given(st.binary(max_size=100))
def test_string_bytes_survive(data: bytes) -> None:
    m = msg(USER, MessageSubtype.STRING, data)
    assert lua.encode_str(m.value) == data


def test_encode_message() -> None:
    assert encode_message("hello") == b"hello"
    assert encode_message("café") == b"caf\xc3\xa9"
    assert encode_message("\udcff") == b"\xff"
    assert encode_message(b"\x00\x01") == b"\x00\x01"
    assert encode_message(bytearray(b"ab")) == b"ab"
    assert encode_message(5) == b"5"
    assert encode_message(None) == b"nil"
    assert encode_message(True) == b"true"
    assert encode_message({"a": [1, "x"]}) == b'{["a"]={1,"x"}}'
    with pytest.raises(TypeError):
        encode_message(object())
    with pytest.raises(ValueError):
        encode_message(2**40)

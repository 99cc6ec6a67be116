"""chdkptp.ptp.containers: golden bytes from the fact sheet, round trips, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chdkptp._generated.chdk_codes import ChdkCommand
from chdkptp._generated.ptp_codes import ContainerType, OperationCode, ResponseCode
from chdkptp._generated.ptp_container_header import PtpContainerHeader
from chdkptp._generated.ptp_params import PtpParams
from chdkptp.errors import RemoteProtocolError
from chdkptp.ptp import containers as c

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)


def test_header_size() -> None:
    assert c.HEADER_SIZE == len(PtpContainerHeader().to_bytes()) == 12


def test_open_session_golden() -> None:
    # fact sheet §7: OpenSession(1), tid 0
    raw = c.encode_command(OperationCode.OPEN_SESSION, 0, [1])
    assert raw == bytes.fromhex("10000000 01000210 00000000 01000000")


def test_script_status_golden_and_response() -> None:
    # fact sheet §7: CHDK ScriptStatus, tid 156, and its OK response with p1 = 0
    cmd = c.encode_command(OperationCode.CHDK, 156, [ChdkCommand.SCRIPT_STATUS])
    assert cmd == bytes.fromhex("10000000 01009999 9c000000 08000000")
    resp = c.encode_response(ResponseCode.OK, 156, [0])
    assert resp == bytes.fromhex("10000000 03000120 9c000000 00000000")


def test_execute_script_golden() -> None:
    cmd = c.encode_command(OperationCode.CHDK, 157, [ChdkCommand.EXECUTE_SCRIPT, 0])
    assert cmd == bytes.fromhex("14000000 01009999 9d000000 07000000 00000000")


def test_decode_header_of_golden_response() -> None:
    raw = bytes.fromhex("10000000 03000120 9c000000 00000000")
    h = c.decode_header(raw)
    assert h == c.Header(16, ContainerType.RESPONSE, ResponseCode.OK, 156)
    assert h.type is ContainerType.RESPONSE
    assert h.payload_length == 4
    assert c.decode_params(raw[c.HEADER_SIZE :]) == (0,)


def test_data_header() -> None:
    raw = c.encode_data_header(OperationCode.CHDK, 1, 259300)
    h = c.decode_header(raw)
    assert len(raw) == 12
    assert (h.length, h.type, h.code, h.transaction_id) == (
        259312,
        ContainerType.DATA,
        OperationCode.CHDK,
        1,
    )


def test_event_container() -> None:
    raw = c.encode_event(0x4006, 0, [0xD1A0])
    h = c.decode_header(raw)
    assert h.type is ContainerType.EVENT
    assert c.decode_params(raw[12:]) == (0xD1A0,)
    with pytest.raises(ValueError, match="at most 3"):
        c.encode_event(0x4006, 0, [1, 2, 3, 4])


def test_empty_params() -> None:
    raw = c.encode_command(OperationCode.GET_DEVICE_INFO, 0)
    assert len(raw) == 12
    assert c.decode_params(raw[12:]) == ()


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"code": 0x10000, "tid": 0, "params": ()}, ValueError),
        ({"code": -1, "tid": 0, "params": ()}, ValueError),
        ({"code": 1, "tid": 1 << 32, "params": ()}, ValueError),
        ({"code": 1, "tid": 0, "params": (1 << 32,)}, ValueError),
        ({"code": 1, "tid": 0, "params": (-1,)}, ValueError),
        ({"code": 1, "tid": 0, "params": (1, 2, 3, 4, 5, 6)}, ValueError),
        ({"code": 1, "tid": 0, "params": ("1",)}, TypeError),
        ({"code": 1.0, "tid": 0, "params": ()}, TypeError),
        ({"code": 1, "tid": True, "params": ()}, TypeError),
        ({"code": 1, "tid": 0, "params": (2.5,)}, TypeError),
    ],
)
def test_encode_rejects_bad_arguments(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        c.encode_command(**kwargs)  # type: ignore[arg-type]


def test_encode_data_header_rejects_bad_length() -> None:
    with pytest.raises(ValueError):
        c.encode_data_header(1, 0, -1)
    with pytest.raises(ValueError):
        c.encode_data_header(1, 0, 0xFFFFFFFF)
    with pytest.raises(TypeError):
        c.encode_data_header(1, 0, 1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0, 1, 11])
def test_decode_header_short(size: int) -> None:
    with pytest.raises(RemoteProtocolError, match="too short"):
        c.decode_header(b"\x00" * size)


@pytest.mark.parametrize("length", [0, 1, 11])
def test_decode_header_lying_length(length: int) -> None:
    raw = length.to_bytes(4, "little") + bytes.fromhex("0300 0120 01000000")
    with pytest.raises(RemoteProtocolError, match="len_container"):
        c.decode_header(raw)


def test_decode_header_unknown_type_is_open() -> None:
    raw = bytes.fromhex("0c000000 0700 0120 01000000")
    h = c.decode_header(raw)
    assert int(h.type) == 7
    assert h.type.name.startswith("UNKNOWN")


@pytest.mark.parametrize("size", [1, 3, 5, 24, 28])
def test_decode_params_bad_size(size: int) -> None:
    with pytest.raises(RemoteProtocolError):
        c.decode_params(b"\x00" * size)


def test_decode_accepts_memoryview_and_bytearray() -> None:
    raw = c.encode_response(ResponseCode.OK, 9, [1, 2])
    assert c.decode_header(memoryview(raw)).transaction_id == 9
    assert c.decode_params(bytearray(raw[12:])) == (1, 2)


@given(code=u16, tid=u32, params=st.lists(u32, max_size=5))
def test_round_trip_matches_generated_layout(code: int, tid: int, params: list[int]) -> None:
    raw = c.encode_response(code, tid, params)
    spec = (
        PtpContainerHeader(
            len_container=12 + 4 * len(params),
            container_type=ContainerType.RESPONSE,
            code=code,
            transaction_id=tid,
        ).to_bytes()
        + PtpParams(params=params).to_bytes()
    )
    assert raw == spec
    h = c.decode_header(raw)
    assert (h.length, h.type, h.code, h.transaction_id) == (len(raw), 3, code, tid)
    assert c.decode_params(raw[12:]) == tuple(params)


@given(code=u16, tid=u32, size=st.integers(0, 0xFFFFFFFF - 12))
def test_data_header_matches_generated_layout(code: int, tid: int, size: int) -> None:
    spec = PtpContainerHeader(
        len_container=12 + size, container_type=ContainerType.DATA, code=code, transaction_id=tid
    ).to_bytes()
    assert c.encode_data_header(code, tid, size) == spec


@given(raw=st.binary(min_size=12, max_size=40))
def test_decode_never_fails_untyped(raw: bytes) -> None:
    try:
        h = c.decode_header(raw)
    except RemoteProtocolError:
        assert int.from_bytes(raw[:4], "little") < 12
        return
    assert h.length >= 12
    try:
        c.decode_params(raw[12:])
    except RemoteProtocolError:
        assert len(raw[12:]) % 4 or len(raw) > 32

"""Generated enums: open to unknown values, metadata properties, names from the contract."""

from __future__ import annotations

import enum

import pytest

from chdkptp._generated import chdk_codes, ptp_codes, ptp_container_header, ptp_event, usb_codes


def test_contract_members() -> None:
    assert ptp_codes.ContainerType.COMMAND.value == 1 and ptp_codes.ContainerType.EVENT.value == 4
    assert ptp_codes.OperationCode.GET_DEVICE_INFO.value == 0x1001
    assert ptp_codes.OperationCode.CHDK.value == 0x9999
    assert ptp_codes.ResponseCode.OK.value == 0x2001
    assert ptp_codes.ResponseCode.SESSION_ALREADY_OPEN.value == 0x201E
    assert chdk_codes.ChdkCommand.REMOTE_CAPTURE_GET_DATA.value == 14
    assert chdk_codes.ExecFlags.FLUSH_HOST_MSGS.value == 0x400
    assert chdk_codes.ProtocolVersion.MAJOR.value == 2
    assert usb_codes.UsbVendorId.CANON.value == 0x04A9


def test_flags_and_enums_bases() -> None:
    assert issubclass(chdk_codes.ExecFlags, enum.IntFlag)
    assert issubclass(chdk_codes.LiveViewFlags, enum.IntFlag)
    assert issubclass(ptp_codes.OperationCode, enum.IntEnum)
    assert not issubclass(ptp_codes.OperationCode, enum.IntFlag)


@pytest.mark.parametrize("value", [0x9998, 0, 0xFFFF, -5])
def test_unknown_value_gives_pseudo_member(value: int) -> None:
    member = ptp_codes.OperationCode(value)
    assert isinstance(member, ptp_codes.OperationCode)
    assert member == value
    assert member.name.startswith("UNKNOWN_")
    assert ptp_codes.OperationCode.coerce(value) == value
    assert value not in [m.value for m in ptp_codes.OperationCode]  # not added to the class
    assert member.storage_enumeration is None and member.orig_id is None


def test_unknown_name_format() -> None:
    assert ptp_codes.OperationCode(0x9998).name == "UNKNOWN_0x9998"
    assert ptp_codes.ContainerType(7).name == "UNKNOWN_0x0007"


def test_coerce_returns_the_member() -> None:
    assert ptp_codes.ResponseCode.coerce(0x2001) is ptp_codes.ResponseCode.OK
    assert chdk_codes.ExecFlags.coerce(0x300) == (
        chdk_codes.ExecFlags.NOKILL | chdk_codes.ExecFlags.FLUSH_CAM_MSGS
    )
    unknown_bits = chdk_codes.ExecFlags.coerce(0x100 | 0x8000)
    assert int(unknown_bits) == 0x8100  # unknown bits are kept
    assert chdk_codes.ExecFlags.NOKILL in unknown_bits


def test_metadata_properties() -> None:
    assert ptp_codes.ResponseCode.OK.category == "ok"
    assert ptp_codes.ResponseCode.DEVICE_BUSY.category == "busy"
    storage = [m for m in ptp_codes.OperationCode if m.storage_enumeration == 1]
    assert {int(m) for m in storage} == {*range(0x1004, 0x100C), 0x101B}
    assert ptp_codes.OperationCode.GET_DEVICE_INFO.storage_enumeration is None
    cmd = chdk_codes.ChdkCommand.EXECUTE_SCRIPT
    assert cmd.data_phase == "out" and isinstance(cmd.since, str)
    assert isinstance(cmd.params_in, str) and isinstance(cmd.params_out, str)
    assert chdk_codes.ChdkCommand.READ_SCRIPT_MSG.data_phase == "in"
    assert ptp_codes.OperationCode.OPEN_SESSION.orig_id == "PTP_OC_OpenSession"
    models = [m.model for m in usb_codes.CanonProductId]
    assert "PowerShot SX160 IS" in models


def test_metadata_properties_are_read_only() -> None:
    with pytest.raises(AttributeError):
        ptp_codes.ResponseCode.OK.category = "x"  # type: ignore[misc]


def test_enums_reachable_from_top_level_class() -> None:
    assert ptp_codes.PtpCodes.OperationCode is ptp_codes.OperationCode
    assert chdk_codes.ChdkCodes.ExecFlags is chdk_codes.ExecFlags


def test_struct_fields_decode_unknown_enum_values() -> None:
    hdr = ptp_container_header.PtpContainerHeader.from_bytes(
        bytes.fromhex("0c000000 0900 0110 00000000")
    )
    assert hdr.container_type == 9 and hdr.container_type.name == "UNKNOWN_0x0009"
    ev = ptp_event.PtpEvent.from_bytes(bytes.fromhex("0c000000 0400 34c1 00000000"))
    assert isinstance(ev.code, ptp_codes.EventCode) and ev.code == 0xC134
    assert ev.to_bytes() == bytes.fromhex("0c000000 0400 34c1 00000000")


def test_keyword_construction_coerces_enums() -> None:
    hdr = ptp_container_header.PtpContainerHeader(container_type=2, code=0x1001)
    assert hdr.container_type is ptp_codes.ContainerType.DATA
    assert hdr.len_container == 12  # default from valid min

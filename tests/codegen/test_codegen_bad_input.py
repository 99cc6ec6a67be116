"""Hostile input: truncation, lying lengths and counts. Typed errors naming the spec field,
no allocation driven by the lying number, no hang."""

from __future__ import annotations

import functools
import struct
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from chdkptp._generated import chdk_lv_frame, ptp_container, ptp_device_info, ptp_event, ptp_types
from chdkptp._generated._runtime import SpecDecodeError
from tests.codegen._vectors import load_class, load_vectors

VECTORS = [v for v in load_vectors() if not v.decode_only]
KIB = 1024


def fails_small(fn: Callable[[], Any], field: str) -> SpecDecodeError:
    """Run ``fn``; it must raise SpecDecodeError for ``field`` without allocating much."""
    tracemalloc.start()
    try:
        with pytest.raises(SpecDecodeError) as info:
            fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.field == field, str(info.value)
    assert peak < 64 * KIB, f"peak {peak} bytes"
    assert isinstance(info.value, ValueError)
    return info.value


@pytest.mark.timeout(20)
@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: v.id)
def test_every_truncation_is_a_typed_error_or_a_shorter_valid_parse(vec: Any) -> None:
    cls = load_class(vec.type)
    for cut in range(len(vec.data)):
        try:
            obj = cls.from_bytes(vec.data[:cut])
        except SpecDecodeError as exc:
            assert exc.field.split(".")[0] == vec.type.split("/")[-1], str(exc)
            continue
        # Only to-end-of-stream layouts (repeat/size eos) may accept a prefix; it must rebuild.
        assert cls.from_bytes(obj.to_bytes()) == obj
        assert cls._fixed_size is None


@pytest.mark.timeout(10)
def test_string_count_255_with_3_bytes_left() -> None:
    err = fails_small(lambda: ptp_types.PtpString.from_bytes(b"\xff" + b"A\x00B"),
                      "ptp_string.num_chars")  # fmt: skip
    assert "510" in str(err)


@pytest.mark.timeout(10)
def test_array_count_2_pow_32_minus_1() -> None:
    data = struct.pack("<I", 0xFFFFFFFF) + b"\x01\x00\x02\x00"
    for cls in (ptp_types.PtpArrayU1, ptp_types.PtpArrayU2, ptp_types.PtpArrayU4):
        name = {ptp_types.PtpArrayU1: "ptp_array_u1", ptp_types.PtpArrayU2: "ptp_array_u2",
                ptp_types.PtpArrayU4: "ptp_array_u4"}[cls]  # fmt: skip
        fails_small(functools.partial(cls.from_bytes, data), f"{name}.num_items")


def device_info_prefix() -> bytes:
    info = ptp_device_info.PtpDeviceInfo(standard_version=100, vendor_extension_id=0xB)
    return info.to_bytes()


@pytest.mark.timeout(10)
def test_lying_counts_inside_device_info_name_the_nested_field() -> None:
    good = device_info_prefix()
    # fixed head: u2 u4 u2 = 8 bytes, then vendor_extension_desc (1 byte), u2, then arrays
    bad_string = good[:8] + b"\xff" + good[9:]
    fails_small(
        lambda: ptp_device_info.PtpDeviceInfo.from_bytes(bad_string),
        "ptp_device_info.vendor_extension_desc.num_chars",
    )
    bad_array = good[:11] + struct.pack("<I", 0xFFFFFFFF) + good[15:]
    fails_small(
        lambda: ptp_device_info.PtpDeviceInfo.from_bytes(bad_array),
        "ptp_device_info.operations_supported.num_items",
    )
    # the model string is the 3rd string from the end; lie in its count near the end
    model_at = len(good) - 3
    bad_model = good[:model_at] + b"\xff" + good[model_at + 1 :]
    fails_small(
        lambda: ptp_device_info.PtpDeviceInfo.from_bytes(bad_model),
        "ptp_device_info.model.num_chars",
    )


@pytest.mark.timeout(10)
def test_container_length_larger_than_buffer() -> None:
    data = struct.pack("<IHHI", 0xFFFFFFFF, 2, 0x1001, 7) + b"abc"
    err = fails_small(lambda: ptp_container.PtpContainer.from_bytes(data),
                      "ptp_container.header.len_container")  # fmt: skip
    assert "3 left" in str(err)


@pytest.mark.timeout(10)
def test_container_length_below_header_size() -> None:
    data = struct.pack("<IHHI", 4, 1, 0x1002, 0)
    fails_small(lambda: ptp_container.PtpContainer.from_bytes(data),
                "ptp_container.header.len_container")  # fmt: skip


@pytest.mark.timeout(10)
def test_event_with_bad_length() -> None:
    data = struct.pack("<IHHI", 0xFFFFFFF0, 4, 0x4002, 0) + b"\x01\x00\x00\x00"
    fails_small(lambda: ptp_event.PtpEvent.from_bytes(data), "ptp_event.len_container")
    short = struct.pack("<IHHI", 20, 4, 0x4002, 0) + b"\x01\x00\x00\x00"
    fails_small(lambda: ptp_event.PtpEvent.from_bytes(short), "ptp_event.len_container")


@pytest.mark.timeout(10)
def test_live_view_offset_outside_frame() -> None:
    header = chdk_lv_frame.ChdkLvFrame.LvDataHeader(version_minor=1, ofs_vp_desc=0x7FFFFFF0)
    frame = chdk_lv_frame.ChdkLvFrame.from_bytes(header.to_bytes())  # header parses lazily
    fails_small(lambda: frame.vp_desc, "chdk_lv_frame.header.ofs_vp_desc")
    desc_cut = chdk_lv_frame.ChdkLvFrame.LvDataHeader(version_minor=1, ofs_vp_desc=20)
    frame = chdk_lv_frame.ChdkLvFrame.from_bytes(desc_cut.to_bytes())
    fails_small(lambda: frame.vp_desc, "chdk_lv_frame.vp_desc.buffer_width")


def test_empty_input_names_first_field() -> None:
    fails_small(lambda: ptp_container.PtpContainer.from_bytes(b""),
                "ptp_container.header.len_container")  # fmt: skip
    fails_small(lambda: ptp_types.PtpString.from_bytes(b""), "ptp_string.num_chars")

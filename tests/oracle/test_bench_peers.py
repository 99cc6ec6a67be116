"""The hand-written ``struct`` peer of ``bench/parse.py`` reads and writes what ours does.

A benchmark figure means nothing if the peer parses something else; this keeps the peer honest
on every DeviceInfo and container golden vector (no timing here).
"""

from __future__ import annotations

import pytest

from bench.parse import (
    hand_build_container,
    hand_build_device_info,
    hand_parse_container,
    hand_parse_device_info,
)
from chdkptp._generated.ptp_container import PtpContainer
from chdkptp._generated.ptp_device_info import PtpDeviceInfo

from .test_oracle import VECTOR_LIST

INFO = [(n, d) for t, n, d in VECTOR_LIST if t == "ptp_device_info"]
CONTAINERS = [(n, d) for t, n, d in VECTOR_LIST if t == "ptp_container"]


@pytest.mark.parametrize(("name", "data"), INFO, ids=[n for n, _d in INFO])
def test_hand_device_info_matches_ours(name: str, data: bytes) -> None:
    ours = PtpDeviceInfo.from_bytes(data)
    hand = hand_parse_device_info(data)
    for field in PtpDeviceInfo._seq_fields:
        value = getattr(ours, field)
        if hasattr(value, "items"):
            value = value.items
        elif hasattr(value, "value"):
            value = value.value
        assert getattr(hand, field) == value, f"{name}.{field}"
    assert hand_build_device_info(hand) == data == ours.to_bytes()


@pytest.mark.parametrize(("name", "data"), CONTAINERS, ids=[n for n, _d in CONTAINERS])
def test_hand_container_matches_ours(name: str, data: bytes) -> None:
    ours = PtpContainer.from_bytes(data)
    hand = hand_parse_container(data)
    header = ours.header
    assert (hand.len_container, hand.container_type, hand.code, hand.transaction_id) == (
        header.len_container,
        header.container_type,
        header.code,
        header.transaction_id,
    ), name
    assert hand.payload == ours.payload
    built = hand_build_container(hand.container_type, hand.code, hand.transaction_id, hand.payload)
    assert built == data == ours.to_bytes()


def test_hand_parsers_reject_short_input() -> None:
    with pytest.raises(ValueError):
        hand_parse_container(bytes.fromhex("20 00 00 00 01 00 02 10 00 00 00 00"))
    with pytest.raises(ValueError):
        hand_parse_device_info(INFO[0][1][:100])

"""Hypothesis round trips: build∘parse for every generated struct.

Two properties: typed objects survive ``from_bytes(obj.to_bytes()) == obj`` (strategies per
struct), and for every struct any byte string that parses is rebuilt to a canonical form that
parses back to the same fields and is a fixed point of parse∘build.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chdkptp._generated as generated_pkg
from chdkptp._generated import (
    chdk_lv_frame,
    chdk_upload_file,
    ptp_codes,
    ptp_container,
    ptp_container_header,
    ptp_device_info,
    ptp_event,
    ptp_params,
    ptp_types,
)
from chdkptp._generated._runtime import SpecDecodeError
from tests.codegen._vectors import load_class, load_vectors, plain

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # same examples on every run: no flaky CI
    suppress_health_check=[HealthCheck.too_slow],
)

u1 = st.integers(0, 0xFF)
u2 = st.integers(0, 0xFFFF)
u4 = st.integers(0, 0xFFFFFFFF)
s4 = st.integers(-(2**31), 2**31 - 1)
_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
# UTF-16 text without NUL whose encoding (plus NUL) fits a u1 count of code units.
ptp_text = st.text(
    alphabet=st.characters(blacklist_categories=_SURROGATES, blacklist_characters="\x00"),
    max_size=40,
).filter(lambda s: len(s.encode("utf-16-le")) // 2 + 1 <= 255)

strings = st.builds(ptp_types.PtpString, value=ptp_text)
arrays_u2 = st.builds(ptp_types.PtpArrayU2, items=st.lists(u2, max_size=30))
header = st.builds(
    ptp_container_header.PtpContainerHeader,
    len_container=st.integers(12, 0xFFFFFFFF),
    container_type=st.integers(0, 6),
    code=u2,
    transaction_id=u4,
)
STRATEGIES: dict[type, Any] = {
    ptp_types.PtpString: strings,
    ptp_types.PtpArrayU1: st.builds(ptp_types.PtpArrayU1, items=st.lists(u1, max_size=50)),
    ptp_types.PtpArrayU2: arrays_u2,
    ptp_types.PtpArrayU4: st.builds(ptp_types.PtpArrayU4, items=st.lists(u4, max_size=20)),
    ptp_container_header.PtpContainerHeader: header,
    ptp_container.PtpContainer: st.builds(
        ptp_container.PtpContainer, header=header, payload=st.binary(max_size=600)
    ),
    ptp_params.PtpParams: st.builds(ptp_params.PtpParams, params=st.lists(u4, max_size=5)),
    ptp_event.PtpEvent: st.builds(
        ptp_event.PtpEvent,
        container_type=st.just(ptp_codes.ContainerType.EVENT),
        code=u2,
        transaction_id=u4,
        params=st.lists(u4, max_size=3),
    ),
    ptp_device_info.PtpDeviceInfo: st.builds(
        ptp_device_info.PtpDeviceInfo,
        standard_version=u2,
        vendor_extension_id=u4,
        vendor_extension_version=u2,
        vendor_extension_desc=strings,
        functional_mode=u2,
        operations_supported=arrays_u2,
        events_supported=arrays_u2,
        device_properties_supported=arrays_u2,
        capture_formats=arrays_u2,
        image_formats=arrays_u2,
        manufacturer=strings,
        model=strings,
        device_version=strings,
        serial_number=strings,
    ),
    chdk_upload_file.ChdkUploadFile: st.builds(
        chdk_upload_file.ChdkUploadFile,
        name=st.binary(min_size=1, max_size=64),
        contents=st.binary(max_size=300),
    ),
    chdk_lv_frame.ChdkLvFrame.LvDataHeader: st.builds(
        chdk_lv_frame.ChdkLvFrame.LvDataHeader,
        version_minor=st.integers(0, 1),
        lcd_aspect_ratio=s4,
        palette_type=s4,
        ofs_palette=st.integers(0, 2**31 - 1),
        ofs_vp_desc=st.integers(0, 2**31 - 1),
        ofs_bm_desc=st.integers(0, 2**31 - 1),
    )
    | st.builds(
        chdk_lv_frame.ChdkLvFrame.LvDataHeader,
        version_minor=st.integers(2, 2**31 - 1),
        lcd_aspect_ratio=s4,
        palette_type=s4,
        ofs_bmo_desc=st.integers(0, 2**31 - 1),
    ),
    chdk_lv_frame.ChdkLvFrame.LvFramebufferDesc: st.builds(
        chdk_lv_frame.ChdkLvFrame.LvFramebufferDesc,
        fb_type=s4,
        ofs_data=st.integers(0, 2**31 - 1),
        buffer_width=s4,
        visible_width=s4,
        visible_height=s4,
        margin_left=s4,
        margin_top=s4,
        margin_right=s4,
        margin_bot=s4,
    ),
}


def all_struct_classes() -> list[type]:
    """Every generated class that has fields (nested ones included)."""
    found: list[type] = []

    def walk(cls: type) -> None:
        if getattr(cls, "_seq_fields", ()) and cls not in found:
            found.append(cls)
        for value in vars(cls).values():
            if isinstance(value, type) and hasattr(value, "_seq_fields"):
                walk(value)

    for info in pkgutil.iter_modules(generated_pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"chdkptp._generated.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and hasattr(value, "_seq_fields"):
                walk(value)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


CLASSES = all_struct_classes()


def test_contract_structs_have_typed_strategies() -> None:
    """The structs docs/internals.md lists get typed strategies; every struct (new specs too)
    gets the bytes property below."""
    contract = {
        "PtpTypes.PtpString", "PtpTypes.PtpArrayU1", "PtpTypes.PtpArrayU2",
        "PtpTypes.PtpArrayU4", "PtpContainerHeader", "PtpContainer", "PtpParams", "PtpEvent",
        "PtpDeviceInfo", "ChdkUploadFile", "ChdkLvFrame.LvDataHeader",
        "ChdkLvFrame.LvFramebufferDesc",
    }  # fmt: skip
    assert contract <= {c.__qualname__ for c in STRATEGIES}
    assert contract <= {c.__qualname__ for c in CLASSES}


@pytest.mark.parametrize("cls", list(STRATEGIES), ids=lambda c: c.__qualname__)
def test_typed_round_trip(cls: type) -> None:
    @SETTINGS
    @given(STRATEGIES[cls])
    def check(obj: Any) -> None:
        data = obj.to_bytes()
        back = cls.from_bytes(data)  # type: ignore[attr-defined]
        assert back == obj
        assert back.to_bytes() == data

    check()


SEEDS: dict[type, list[bytes]] = {}
for _vec in load_vectors():
    SEEDS.setdefault(load_class(_vec.type), []).append(_vec.data)


def mutate(data: bytes, draw: Any) -> bytes:
    if not data:
        fresh: bytes = draw(st.binary(max_size=64))
        return fresh
    out = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(out) - 1))
        out[i] = draw(u1)
    cut = draw(st.integers(0, len(out)))
    tail = draw(st.binary(max_size=8))
    return bytes(out[:cut]) + tail if draw(st.booleans()) else bytes(out)


def core(value: Any) -> Any:
    """Like ``plain`` but without the fields ``to_bytes`` derives (at every nesting level)."""
    if hasattr(value, "_seq_fields"):
        derived = value._derived_fields
        out = {
            name: core(getattr(value, name))
            for name in (*value._seq_fields, *value._instance_fields)
            if name not in derived
        }
        for path in derived:
            head, _, rest = path.partition(".")
            if rest and isinstance(out.get(head), dict):
                out[head].pop(rest, None)
        return out
    if isinstance(value, list):
        return [core(v) for v in value]
    return plain(value)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_bytes_round_trip(cls: Any) -> None:
    seeds = SEEDS.get(cls, [b""])

    @SETTINGS
    @given(st.data())
    def check(data: Any) -> None:
        raw = mutate(data.draw(st.sampled_from(seeds)), data.draw)
        try:
            first = cls.from_bytes(raw)
            canonical = first.to_bytes()
        except SpecDecodeError:
            return
        except ValueError:
            # Only possible for parsed values that cannot be re-encoded (not in our specs).
            raise
        second = cls.from_bytes(canonical)
        assert core(second) == core(first)
        assert second.to_bytes() == canonical
        assert cls.from_bytes(canonical) == second

    check()

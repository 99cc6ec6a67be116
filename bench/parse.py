"""Parse and build rates of our generated classes against three peers, measured in one run.

Peers: the official Kaitai Struct compiler's Python output (``kaitai-struct-compiler`` 0.11 under
node, compiled through ``tests/oracle/ksc.py``; read-only, so it has no build figures), a
hand-written ``struct`` parser/builder (below: the floor a careful programmer gets by hand), and
ptpy 0.3.2 (construct 2.8.8; its offline DeviceInfo and USB container constructs, private API).
Inputs: the SX160 IS DeviceInfo golden vector, a 16-byte OpenSession command container and a
1 MiB data container. Targets: our parse rate at least 3x the official compiler's output and
within 1.5x of hand-written ``struct``.
"""

from __future__ import annotations

import collections
import collections.abc
import io
import logging
import struct
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from bench._table import Row, Table, rate
from chdkptp._generated.ptp_container import PtpContainer
from chdkptp._generated.ptp_device_info import PtpDeviceInfo

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
KSC = "ksc 0.11 Python"
STRUCT = "hand-written struct"
PTPY = "ptpy 0.3.2"
PARSE_VS_KSC = 3.0
PARSE_VS_STRUCT = 1 / 1.5


# ----------------------------------------------------------------- hand-written struct peer

_U2 = struct.Struct("<H")
_U4 = struct.Struct("<I")
_INFO_HEAD = struct.Struct("<HIH")
_HEADER = struct.Struct("<IHHI")


class HandDeviceInfo:
    """DeviceInfo as a hand-written parser would return it: plain attributes, str and lists."""

    __slots__ = (
        "capture_formats",
        "device_properties_supported",
        "device_version",
        "events_supported",
        "functional_mode",
        "image_formats",
        "manufacturer",
        "model",
        "operations_supported",
        "serial_number",
        "standard_version",
        "vendor_extension_desc",
        "vendor_extension_id",
        "vendor_extension_version",
    )

    standard_version: int
    vendor_extension_id: int
    vendor_extension_version: int
    vendor_extension_desc: str
    functional_mode: int
    operations_supported: list[int]
    events_supported: list[int]
    device_properties_supported: list[int]
    capture_formats: list[int]
    image_formats: list[int]
    manufacturer: str
    model: str
    device_version: str
    serial_number: str


def _hand_string(buf: bytes, pos: int) -> tuple[str, int]:
    count = buf[pos]
    pos += 1
    end = pos + 2 * count
    if end > len(buf):
        raise ValueError("PTP string runs past the data")
    raw = buf[pos:end]
    cut = raw.find(b"\0\0")
    while cut > 0 and cut % 2:
        cut = raw.find(b"\0\0", cut + 1)
    if cut >= 0:
        raw = raw[:cut]
    return raw.decode("utf-16-le"), end


def _hand_array_u2(buf: bytes, pos: int) -> tuple[list[int], int]:
    (count,) = _U4.unpack_from(buf, pos)
    pos += 4
    end = pos + 2 * count
    if end > len(buf):
        raise ValueError("PTP array runs past the data")
    return list(struct.unpack_from(f"<{count}H", buf, pos)), end


def hand_parse_device_info(buf: bytes) -> HandDeviceInfo:
    """Hand-written DeviceInfo parser (raises ``ValueError``/``struct.error`` on bad input)."""
    info = HandDeviceInfo()
    info.standard_version, info.vendor_extension_id, info.vendor_extension_version = (
        _INFO_HEAD.unpack_from(buf, 0)
    )
    info.vendor_extension_desc, pos = _hand_string(buf, 8)
    (info.functional_mode,) = _U2.unpack_from(buf, pos)
    pos += 2
    info.operations_supported, pos = _hand_array_u2(buf, pos)
    info.events_supported, pos = _hand_array_u2(buf, pos)
    info.device_properties_supported, pos = _hand_array_u2(buf, pos)
    info.capture_formats, pos = _hand_array_u2(buf, pos)
    info.image_formats, pos = _hand_array_u2(buf, pos)
    info.manufacturer, pos = _hand_string(buf, pos)
    info.model, pos = _hand_string(buf, pos)
    info.device_version, pos = _hand_string(buf, pos)
    info.serial_number, pos = _hand_string(buf, pos)
    return info


def _hand_put_string(out: bytearray, text: str) -> None:
    raw = text.encode("utf-16-le")
    if raw:
        raw += b"\0\0"
    out.append(len(raw) // 2)
    out += raw


def _hand_put_array_u2(out: bytearray, items: list[int]) -> None:
    out += _U4.pack(len(items))
    out += struct.pack(f"<{len(items)}H", *items)


def hand_build_device_info(info: HandDeviceInfo) -> bytes:
    """Hand-written DeviceInfo builder."""
    out = bytearray(
        _INFO_HEAD.pack(
            info.standard_version, info.vendor_extension_id, info.vendor_extension_version
        )
    )
    _hand_put_string(out, info.vendor_extension_desc)
    out += _U2.pack(info.functional_mode)
    for items in (
        info.operations_supported,
        info.events_supported,
        info.device_properties_supported,
        info.capture_formats,
        info.image_formats,
    ):
        _hand_put_array_u2(out, items)
    for text in (info.manufacturer, info.model, info.device_version, info.serial_number):
        _hand_put_string(out, text)
    return bytes(out)


class HandContainer:
    """A container as a hand-written parser would return it: plain attributes."""

    __slots__ = ("code", "container_type", "len_container", "payload", "transaction_id")

    len_container: int
    container_type: int
    code: int
    transaction_id: int
    payload: bytes


def hand_parse_container(buf: bytes) -> HandContainer:
    """Hand-written container parser (raises ``ValueError``/``struct.error`` on bad input)."""
    c = HandContainer()
    c.len_container, c.container_type, c.code, c.transaction_id = _HEADER.unpack_from(buf, 0)
    if c.len_container < 12 or c.len_container > len(buf):
        raise ValueError("bad container length")
    c.payload = buf[12 : c.len_container]
    return c


def hand_build_container(ctype: int, code: int, tid: int, payload: bytes) -> bytes:
    """Hand-written container builder."""
    return _HEADER.pack(12 + len(payload), ctype, code, tid) + payload


# ----------------------------------------------------------------- peers that may be missing


def load_official() -> dict[str, ModuleType] | None:
    """The official compiler's Python output, or None (with a log line) without node/npm."""
    try:
        from tests.oracle import ksc
    except ImportError as exc:  # running outside the repository
        logger.warning("official compiler peer unavailable: %s", exc)
        return None
    try:
        return ksc.load_python()
    except ksc.KscUnavailable as exc:
        logger.warning("official compiler peer unavailable: %s", exc)
        return None


def load_ptpy() -> Any | None:
    """An offline ptpy object with its little-endian constructs, or None if ptpy is missing."""
    if not hasattr(collections, "Sequence"):  # construct 2.8.8 on Python >= 3.10
        collections.Sequence = collections.abc.Sequence  # type: ignore[attr-defined]
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        from ptpy.ptp import PTP
        from ptpy.transports.usb import USBTransport
    except ImportError as exc:
        logger.warning("ptpy peer unavailable: %s", exc)
        return None
    finally:
        for handler in list(root.handlers):  # ptpy adds a handler at import
            if handler not in handlers:
                root.removeHandler(handler)

    class OfflinePtpy(USBTransport, PTP):  # type: ignore[misc]
        """ptpy's constructs without a device: nothing in __init__ runs."""

    obj = OfflinePtpy.__new__(OfflinePtpy)
    obj._USBTransport__setup_constructors()  # calls _set_endian('little')
    return obj


# ----------------------------------------------------------------- inputs


def device_info_vector() -> bytes:
    """The SX160 IS DeviceInfo golden vector."""
    vectors = yaml.safe_load((ROOT / "spec/vectors/ptp_device_info.yaml").read_text("utf-8"))
    vec = next(v for v in vectors if v["name"] == "powershot_sx160_is")
    return bytes.fromhex("".join(vec["hex"].split()))


def _command() -> bytes:
    from chdkptp._generated.ptp_codes import ContainerType, OperationCode

    return hand_build_container(ContainerType.COMMAND, OperationCode.OPEN_SESSION, 0, _U4.pack(1))


def _data_container(size: int) -> bytes:
    from chdkptp._generated.ptp_codes import ContainerType, OperationCode

    payload = bytes(range(256)) * (size // 256)
    return hand_build_container(ContainerType.DATA, OperationCode.GET_OBJECT, 7, payload)


# ----------------------------------------------------------------- the benchmark


def _check_agreement(
    info: bytes, command: bytes, official: dict[str, ModuleType] | None, ptpy: Any | None
) -> None:
    """Every parser must read the same values before its speed means anything."""
    ours = PtpDeviceInfo.from_bytes(info)
    hand = hand_parse_device_info(info)
    assert ours.model.value == hand.model and ours.serial_number.value == hand.serial_number
    assert ours.operations_supported.items == hand.operations_supported
    assert hand_build_device_info(hand) == info == ours.to_bytes()
    container = PtpContainer.from_bytes(command)
    assert hand_parse_container(command).payload == container.payload
    if official is not None:
        from kaitaistruct import KaitaiStream

        theirs = official["ptp_device_info"].PtpDeviceInfo(KaitaiStream(io.BytesIO(info)))
        assert theirs.model.value == hand.model
        assert [int(x) for x in theirs.operations_supported.items] == hand.operations_supported
    if ptpy is not None:
        parsed = ptpy._DeviceInfo.parse(info)
        assert str(parsed.Model) == hand.model and ptpy._DeviceInfo.build(parsed) == info
        transaction = ptpy._USBTransport__CommandTransaction
        assert bytes(transaction.parse(command).Payload) == container.payload


def run(quick: bool) -> list[Table]:
    """Measure parse/build rates (calls per second) of ours and every available peer."""
    min_time, repeat = (0.05, 2) if quick else (0.3, 5)

    def measure(fn: Callable[[], object]) -> float:
        return rate(fn, min_time=min_time, repeat=repeat)

    def paired(ours: Callable[[], object], peer: Callable[[], object]) -> tuple[float, float]:
        """Best-of rates of two functions measured in alternation, so that load changes on a
        shared machine hit both sides of a ratio alike."""
        best_ours = best_peer = 0.0
        for _ in range(repeat):
            best_ours = max(best_ours, rate(ours, min_time=min_time, repeat=1))
            best_peer = max(best_peer, rate(peer, min_time=min_time, repeat=1))
        return best_ours, best_peer

    official = load_official()
    ptpy = load_ptpy()
    info = device_info_vector()
    command = _command()
    big = _data_container(1 << 20)
    _check_agreement(info, command, official, ptpy)

    table = Table(title="bench/parse: generated parsers vs peers", unit="calls/s")
    parse_ratios: dict[str, list[tuple[str, float]]] = {KSC: [], STRUCT: []}

    def rows(
        case: str, ours: Callable[[], object], peers: dict[str, Callable[[], object] | None]
    ) -> None:
        for name, fn in peers.items():
            if fn is None:
                table.rows.append(Row(case, measure(ours), None, name))
                continue
            ours_rate, peer_rate = paired(ours, fn)
            table.rows.append(Row(case, ours_rate, peer_rate, name))
            if name in parse_ratios and case.endswith("parse"):
                parse_ratios[name].append((case.removesuffix(" parse"), ours_rate / peer_rate))

    ksc_stream: Callable[[bytes], Any] | None = None
    ksc_info: Any = None
    ksc_container: Any = None
    if official is not None:
        from kaitaistruct import KaitaiStream

        ksc_info = official["ptp_device_info"].PtpDeviceInfo
        ksc_container = official["ptp_container"].PtpContainer

        def ksc_stream(data: bytes) -> Any:
            return KaitaiStream(io.BytesIO(data))

    def official_parse(cls: Any, data: bytes) -> Callable[[], object] | None:
        if cls is None or ksc_stream is None:
            return None
        stream = ksc_stream
        return lambda: cls(stream(data))

    transaction = None if ptpy is None else ptpy._USBTransport__CommandTransaction

    # DeviceInfo
    rows(
        f"DeviceInfo {len(info)} B parse",
        lambda: PtpDeviceInfo.from_bytes(info),
        {
            KSC: official_parse(ksc_info, info),
            STRUCT: lambda: hand_parse_device_info(info),
            PTPY: None if ptpy is None else (lambda: ptpy._DeviceInfo.parse(info)),
        },
    )
    ours_info = PtpDeviceInfo.from_bytes(info)
    hand_info = hand_parse_device_info(info)
    ptpy_info = None if ptpy is None else ptpy._DeviceInfo.parse(info)
    rows(
        f"DeviceInfo {len(info)} B build",
        ours_info.to_bytes,
        {
            STRUCT: lambda: hand_build_device_info(hand_info),
            PTPY: None if ptpy is None else (lambda: ptpy._DeviceInfo.build(ptpy_info)),
        },
    )

    # command container
    rows(
        f"command container {len(command)} B parse",
        lambda: PtpContainer.from_bytes(command),
        {
            KSC: official_parse(ksc_container, command),
            STRUCT: lambda: hand_parse_container(command),
            PTPY: None if transaction is None else (lambda: transaction.parse(command)),
        },
    )
    ours_command = PtpContainer.from_bytes(command)
    ptpy_command: Any = None
    if transaction is not None:
        from construct import Container

        parsed = transaction.parse(command)
        ptpy_command = Container(
            Type=parsed.Type,
            OperationCode=parsed.OperationCode,
            TransactionID=parsed.TransactionID,
            Payload=parsed.Payload,
        )
    h = hand_parse_container(command)
    rows(
        f"command container {len(command)} B build",
        ours_command.to_bytes,
        {
            STRUCT: lambda: hand_build_container(
                h.container_type, h.code, h.transaction_id, h.payload
            ),
            PTPY: None if transaction is None else (lambda: transaction.build(ptpy_command)),
        },
    )

    # 1 MiB data container
    rows(
        "data container 1 MiB parse",
        lambda: PtpContainer.from_bytes(big),
        {
            KSC: official_parse(ksc_container, big),
            STRUCT: lambda: hand_parse_container(big),
            PTPY: None if transaction is None else (lambda: transaction.parse(big)),
        },
    )

    for name, missing in ((KSC, official is None), (PTPY, ptpy is None)):
        if missing:
            table.notes.append(f"{name}: not available in this environment (rows n/a)")
    for name, target, wording in (
        (KSC, PARSE_VS_KSC, f">= {PARSE_VS_KSC:.0f}x"),
        (STRUCT, PARSE_VS_STRUCT, "within 1.5x (ratio >= 0.67)"),
    ):
        ratios = parse_ratios[name]
        if ratios:
            verdict = "met" if min(r for _c, r in ratios) >= target else "NOT met"
            listed = ", ".join(f"{case} {r:.2f}x" for case, r in ratios)
            table.notes.append(f"target: parse {wording} of {name}: {verdict} ({listed})")
    return [table]

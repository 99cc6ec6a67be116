"""Simulator throughput: is the simulated camera ever the bottleneck of a client benchmark?

Measured through pyusb's real endpoint code on :class:`chdkptp.sim.SimulatedBackend`:

* transactions/s of a no-data CHDK command (Version) and of GetDeviceInfo, next to ptpy's
  GetDeviceInfo on the same simulated device (an independent PTP client);
* bulk IN MB/s of a CHDK DownloadFile data phase read in 2 MiB transfers into one
  preallocated buffer, next to the ceiling of pyusb + backend alone (a USB function that
  hands out one prebuilt container and does nothing else).

Targets (issue 3): ≥ 500 MB/s bulk, ≥ 20,000 no-data transactions/s.
"""

from __future__ import annotations

import array
import collections
import collections.abc
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import usb.core
import usb.util

from bench._table import Row, Table, rate
from chdkptp import sim
from chdkptp._generated.chdk_codes import ChdkCommand
from chdkptp._generated.ptp_codes import ContainerType, OperationCode, ResponseCode
from chdkptp._generated.usb_codes import CanonProductId, UsbVendorId
from chdkptp.ptp import containers
from chdkptp.sim.clock import SimClock
from chdkptp.sim.faults import Faults
from chdkptp.sim.usb import Stall
from tests.sim._ptplink import PtpLink

READ = 2 << 20


class _NullFunction:
    """A USB function that answers every read with the same prebuilt container (the ceiling)."""

    def __init__(self, container: bytes) -> None:
        self.container = container
        self._callback: Callable[[], None] | None = None

    def bulk_out(self, data: bytes) -> None:
        return None

    def bulk_in(self) -> bytes | None:
        return self.container

    def interrupt_in(self) -> bytes | None:
        return None

    def class_request(
        self, bm_request_type: int, request: int, value: int, index: int, data: bytes, length: int
    ) -> bytes:
        raise Stall("no class requests")

    def usb_reset(self) -> None:
        return None

    def set_ready_callback(self, cb: Callable[[], None]) -> None:
        self._callback = cb


def _read_container_into(ep: usb.core.Endpoint, buf: array.array[int]) -> int:
    """Read one whole container into ``buf`` (2 MiB at a time, reused); return its length."""
    got = ep.read(buf, 5000)
    if got == 0:  # a ZLP left over from the previous container
        got = ep.read(buf, 5000)
    total = containers.decode_header(memoryview(buf)[: containers.HEADER_SIZE]).length
    done = got
    while done < total:
        done += ep.read(buf, 5000)
    if total % 512 == 0:
        ep.read(buf, 5000)  # the terminating ZLP
    return total


def _transaction(link: PtpLink, buf: array.array[int], op: int, params: tuple[int, ...]) -> None:
    """One transaction with a preallocated read buffer: command, optional data IN, response."""
    tid = link.next_tid()
    link.write(containers.encode_command(op, tid, params))
    while True:
        total = _read_container_into(link.ep_in, buf)
        header = containers.decode_header(memoryview(buf)[: containers.HEADER_SIZE])
        if header.type == ContainerType.RESPONSE:
            if header.code != ResponseCode.OK or total < containers.HEADER_SIZE:
                raise RuntimeError(f"transaction failed: {header}")
            return


def _download_rate(link: PtpLink, camera_path: str, size: int, trials: int) -> float:
    buf = array.array("B", bytes(READ))
    best = 0.0
    for _ in range(trials):
        link.chdk(ChdkCommand.TEMP_DATA, 0, data=camera_path.encode())
        start = time.perf_counter()
        tid = link.send_command(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,))
        got = _read_container_into(link.ep_in, buf)
        elapsed = time.perf_counter() - start
        response = link.read_result(tid)
        if got != size + containers.HEADER_SIZE or response.params[0] != size:
            raise RuntimeError(f"download returned {got} bytes, expected {size}")
        best = max(best, size / elapsed / 1e6)
    return best


@dataclass
class _NullCamera:
    """The attributes the backend reads from a camera, around a :class:`_NullFunction`."""

    function: _NullFunction
    serial: str = "NULL0001"
    model: str = "PowerShot SX160 IS"
    product_id: int = int(CanonProductId.POWERSHOT_SX160_IS)
    manufacturer: str = "Canon Inc."
    faults: Faults = field(default_factory=Faults)
    clock: SimClock = field(default_factory=SimClock)
    powered: bool = True
    usb_bus: object = None


def _find(backend: object) -> usb.core.Device:
    dev = usb.core.find(backend=backend, idVendor=UsbVendorId.CANON)
    if dev is None:
        raise RuntimeError("simulated camera not found")
    return dev


def _ceiling_rate(size: int, trials: int) -> float:
    header = containers.encode_data_header(OperationCode.CHDK, 1, size)
    backend = sim.SimulatedBackend([_NullCamera(_NullFunction(header + bytes(size)))])
    dev = _find(backend)
    intf = dev.get_active_configuration()[(0, 0)]
    ep_in = usb.util.find_descriptor(
        intf,
        custom_match=lambda e: (
            usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN
            and usb.util.endpoint_type(e.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
        ),
    )
    buf = array.array("B", bytes(READ))
    best = 0.0
    for _ in range(trials):
        start = time.perf_counter()
        _read_container_into(ep_in, buf)
        best = max(best, size / (time.perf_counter() - start) / 1e6)
    return best


def _ptpy_device_info_rate(backend: object, min_time: float) -> float | None:
    collections.Sequence = collections.abc.Sequence  # type: ignore[attr-defined]  # ptpy shim
    try:
        import ptpy
    except ImportError:
        return None
    logging.getLogger("ptpy").setLevel(logging.CRITICAL)
    camera = ptpy.PTPy(device=_find(backend), raw=True)
    try:
        with camera.session():
            return rate(camera.get_device_info, min_time=min_time, repeat=3)
    finally:
        with contextlib.suppress(Exception):
            camera._shutdown()


def run(quick: bool = False) -> list[Table]:
    min_time = 0.2 if quick else 0.5
    size = (16 if quick else 64) << 20
    trials = 2 if quick else 4
    with sim.SimulatedCamera(serial="BENCH001") as camera:
        backend = sim.SimulatedBackend([camera])
        link = PtpLink(backend, serial="BENCH001", timeout_ms=5000)
        link.open_session()
        buf = array.array("B", bytes(READ))
        version = (ChdkCommand.VERSION,)
        version_rate = rate(
            lambda: _transaction(link, buf, OperationCode.CHDK, version), min_time=min_time
        )
        info_rate = rate(
            lambda: _transaction(link, buf, OperationCode.GET_DEVICE_INFO, ()), min_time=min_time
        )
        local = camera.card.to_local("A/BENCH.BIN")
        local.write_bytes(bytes(size))
        download = _download_rate(link, "A/BENCH.BIN", size, trials)
        link.transact(OperationCode.CLOSE_SESSION)
        link.close()
        ptpy_rate = _ptpy_device_info_rate(backend, min_time)
    ceiling = _ceiling_rate(size, trials)

    tx = Table("Simulator: transactions through pyusb + SimulatedBackend", "transactions/s")
    tx.rows.append(Row("CHDK Version (no data)", version_rate, note="target >= 20,000"))
    tx.rows.append(Row("GetDeviceInfo (data IN)", info_rate, ptpy_rate, "ptpy get_device_info"))
    tx.notes.append("Ours: a minimal pyusb host with one preallocated read buffer.")
    bulk = Table("Simulator: bulk IN through pyusb + SimulatedBackend", "MB/s")
    bulk.rows.append(
        Row(f"DownloadFile {size >> 20} MiB, 2 MiB reads", download, ceiling, "null USB function")
    )
    bulk.notes.append("Target >= 500 MB/s; a real PowerShot's USB 2.0 link gives ~30 MB/s at best.")
    return [tx, bulk]

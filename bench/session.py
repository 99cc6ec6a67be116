"""Host overhead of the client session on the simulated camera, next to ptpy on the same device.

Cases: one CHDK transaction without data (ScriptStatus) and one with a small data phase
(GetDeviceInfo) through our session vs ptpy 0.3.2's transport (``mesg`` / ``recv``, raw mode,
its event thread running as it does for users); a 16 MiB DownloadFile (ours streamed to a sink,
ptpy's whole in memory); ``run_lua("return 1")`` round trips; and the
time from a script's end to the host having its result (scripts that ``sleep`` 10, 30, 100 ms on
the camera: host wall time minus the sleep).  Everything runs over the simulated pyusb backend
with no added USB latency, so the figures are host-side costs only.
"""

from __future__ import annotations

import collections
import collections.abc
import logging
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import usb.core

from bench._table import Row, Table, rate
from chdkptp._generated.chdk_codes import ChdkCommand
from chdkptp._generated.ptp_codes import OperationCode
from chdkptp._generated.usb_codes import UsbVendorId
from chdkptp.camera import Camera, connect
from chdkptp.sim import SimulatedBackend, SimulatedCamera

PTPY = "ptpy 0.3.2"


@contextmanager
def _ours() -> Iterator[tuple[SimulatedCamera, Camera]]:
    sim = SimulatedCamera(serial="BENCH001")
    cam = connect(backend=SimulatedBackend([sim]))
    try:
        yield sim, cam
    finally:
        cam.close()
        sim.close()


def _ptpy_module() -> Any | None:
    if not hasattr(collections, "Sequence"):
        collections.Sequence = collections.abc.Sequence  # type: ignore[attr-defined]
    handlers = list(logging.getLogger().handlers)
    try:
        import ptpy
    except ImportError:
        return None
    for handler in list(logging.getLogger().handlers):  # ptpy adds handlers at import
        if handler not in handlers:
            logging.getLogger().removeHandler(handler)
    return ptpy


def _ptpy_rates(min_time: float) -> dict[str, float]:
    """Transactions per second through ptpy's own transport, on a fresh simulated camera."""
    ptpy = _ptpy_module()
    if ptpy is None:
        return {}
    from construct import Container

    sim = SimulatedCamera(serial="BENCH002")
    dev = usb.core.find(backend=SimulatedBackend([sim]), idVendor=int(UsbVendorId.CANON))
    camera = ptpy.PTPy(device=dev, raw=True)
    try:
        with camera.session():
            def status() -> object:
                return camera.mesg(Container(
                    OperationCode=int(OperationCode.CHDK), SessionID=camera._session,
                    TransactionID=camera._transaction,
                    Parameter=[int(ChdkCommand.SCRIPT_STATUS)]))

            def info() -> object:
                return camera.recv(Container(
                    OperationCode="GetDeviceInfo", SessionID=camera._session,
                    TransactionID=camera._transaction, Parameter=[]))

            sim.card.to_local(_BIG).write_bytes(_big_contents())

            def download() -> object:
                camera.send(Container(
                    OperationCode=int(OperationCode.CHDK), SessionID=camera._session,
                    TransactionID=camera._transaction,
                    Parameter=[int(ChdkCommand.TEMP_DATA), 0]), _BIG.encode())
                return camera.recv(Container(
                    OperationCode=int(OperationCode.CHDK), SessionID=camera._session,
                    TransactionID=camera._transaction,
                    Parameter=[int(ChdkCommand.DOWNLOAD_FILE)]))

            return {"status": rate(status, min_time=min_time),
                    "info": rate(info, min_time=min_time),
                    "download": rate(download, min_time=min_time, repeat=3) * _BIG_MB}
    finally:
        camera._shutdown()
        sim.close()


_BIG = "A/BENCH.BIN"
_BIG_SIZE = 16 << 20
_BIG_MB = _BIG_SIZE / 1e6


def _big_contents() -> bytes:
    return bytes(range(256)) * (_BIG_SIZE // 256)


def download_rate(sim: SimulatedCamera, cam: Camera, min_time: float) -> float:
    """MB/s of a 16 MiB CHDK DownloadFile streamed to a sink (TempData + DownloadFile)."""
    sim.card.to_local(_BIG).write_bytes(_big_contents())

    def sink(_chunk: memoryview) -> None:
        return None

    def download() -> object:
        cam.chdk(ChdkCommand.TEMP_DATA, 0, data_out=_BIG.encode())
        return cam.chdk(ChdkCommand.DOWNLOAD_FILE, sink=sink)

    return rate(download, min_time=min_time, repeat=3) * _BIG_MB


def end_to_result_ms(cam: Camera, sleep_ms: int, runs: int) -> float:
    """Median host wall time of ``sleep(sleep_ms)`` scripts minus the sleep itself, in ms."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        cam.run_lua(f"sleep({sleep_ms}) return 1")
        samples.append((time.perf_counter() - start) * 1000.0 - sleep_ms)
    return statistics.median(samples)


def transaction_rates(cam: Camera, min_time: float) -> dict[str, float]:
    """Our transactions per second: CHDK ScriptStatus and GetDeviceInfo."""
    session = cam.session
    calls: dict[str, Callable[[], object]] = {
        "status": lambda: session.transaction(OperationCode.CHDK,
                                              (int(ChdkCommand.SCRIPT_STATUS),)),
        "info": lambda: session.transaction(OperationCode.GET_DEVICE_INFO),
    }
    return {name: rate(fn, min_time=min_time) for name, fn in calls.items()}


def run(quick: bool = False) -> list[Table]:
    """Measure and return the tables (``quick``: shorter runs)."""
    min_time = 0.1 if quick else 0.4
    runs = 5 if quick else 21
    with _ours() as (_sim, cam):
        ours = transaction_rates(cam, min_time)
        ours["download"] = download_rate(_sim, cam, min_time)
        lua_rate = rate(lambda: cam.run_lua("return 1"), min_time=min_time)
        latency = {ms: end_to_result_ms(cam, ms, runs) for ms in (10, 30, 100)}
    peer = _ptpy_rates(min_time)
    tx = Table("Session: transactions on the simulated camera", "transactions/s")
    for key, label in (("status", "CHDK ScriptStatus (no data)"),
                       ("info", "GetDeviceInfo (data in)")):
        tx.rows.append(Row(label, ours[key], peer.get(key), PTPY if key in peer else ""))
    tx.rows.append(Row('run_lua("return 1")', lua_rate, note="exec + polls + message"))
    dl = Table("Session: 16 MiB CHDK DownloadFile on the simulated camera", "MB/s")
    dl.rows.append(Row("TempData + DownloadFile, streamed to a sink", ours["download"],
                       peer.get("download"), PTPY if "download" in peer else ""))
    tx.notes.append(f"host overhead per CHDK transaction: {1e6 / ours['status']:.0f} µs; "
                    f'per run_lua("return 1"): {1e3 / lua_rate:.2f} ms')
    lat = Table("Script end to result on the host", "ms", higher_is_better=False)
    for ms, value in latency.items():
        lat.rows.append(Row(f"sleep({ms}) script: wall time - {ms} ms", value))
    return [tx, dl, lat]

"""PTP/IP over loopback next to the USB simulator: transaction overhead and data throughput.

The same simulated camera model is reached two ways in one run: ``chdkptp.connect(host=...)``
to ``sim.serve_ptpip`` on 127.0.0.1 (TCP, server threads in this process) and
``chdkptp.connect(backend=SimulatedBackend(...))`` (the simulated pyusb backend, no added USB
latency).  Cases: CHDK ScriptStatus (no data phase), GetDeviceInfo (small data in),
``run_lua("return 1")``, and a 16 MiB CHDK DownloadFile / UploadFile.  "ours" is PTP/IP, the
"peer" column is the USB simulator.  Both are host-side costs only; a real Wi-Fi camera is far
slower.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench._table import Row, Table, rate
from chdkptp._generated.chdk_codes import ChdkCommand
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp._generated.ptp_codes import OperationCode
from chdkptp.camera import Camera, connect
from chdkptp.sim import SimulatedBackend, SimulatedCamera, serve_ptpip

USB = "USB sim"
_BIG = "A/BENCH.BIN"
_BIG_SIZE = 16 << 20
_BIG_MB = _BIG_SIZE / 1e6


@contextmanager
def _ptpip() -> Iterator[tuple[SimulatedCamera, Camera]]:
    sim = SimulatedCamera(serial="BENCHIP1")
    try:
        with serve_ptpip(sim) as server:
            cam = connect(host=server.host, port=server.port)
            try:
                yield sim, cam
            finally:
                cam.close()
    finally:
        sim.close()


@contextmanager
def _usb() -> Iterator[tuple[SimulatedCamera, Camera]]:
    sim = SimulatedCamera(serial="BENCHUS1")
    cam = connect(backend=SimulatedBackend([sim]))
    try:
        yield sim, cam
    finally:
        cam.close()
        sim.close()


def _measure(sim: SimulatedCamera, cam: Camera, min_time: float) -> dict[str, float]:
    session = cam.session
    contents = bytes(range(256)) * (_BIG_SIZE // 256)
    sim.card.to_local(_BIG).write_bytes(contents)
    upload = ChdkUploadFile(name=b"A/UP.BIN", contents=contents).to_bytes()

    def sink(_chunk: memoryview) -> None:
        return None

    def download() -> object:
        cam.chdk(ChdkCommand.TEMP_DATA, 0, data_out=_BIG.encode())
        return cam.chdk(ChdkCommand.DOWNLOAD_FILE, sink=sink)

    def up() -> object:
        return cam.chdk(ChdkCommand.UPLOAD_FILE, data_out=upload)

    calls: dict[str, Callable[[], object]] = {
        "status": lambda: session.transaction(OperationCode.CHDK,
                                              (int(ChdkCommand.SCRIPT_STATUS),)),
        "info": lambda: session.transaction(OperationCode.GET_DEVICE_INFO),
        "lua": lambda: cam.run_lua("return 1"),
    }
    out = {name: rate(fn, min_time=min_time) for name, fn in calls.items()}
    out["download"] = rate(download, min_time=min_time, repeat=3) * _BIG_MB
    out["upload"] = rate(up, min_time=min_time, repeat=3) * _BIG_MB
    return out


def run(quick: bool = False) -> list[Table]:
    """Measure PTP/IP (ours) and the USB simulator (peer column) in one run."""
    min_time = 0.1 if quick else 0.4
    with _ptpip() as (sim, cam):
        ip = _measure(sim, cam, min_time)
    with _usb() as (sim, cam):
        usb = _measure(sim, cam, min_time)
    tx = Table("PTP/IP over loopback vs the USB simulator: transactions", "transactions/s")
    for key, label in (("status", "CHDK ScriptStatus (no data)"),
                       ("info", "GetDeviceInfo (data in)"),
                       ("lua", 'run_lua("return 1")')):
        tx.rows.append(Row(label, ip[key], usb[key], USB))
    tx.notes.append(
        f"host overhead per CHDK transaction: PTP/IP {1e6 / ip['status']:.0f} µs, "
        f"USB sim {1e6 / usb['status']:.0f} µs"
    )
    dl = Table("PTP/IP over loopback vs the USB simulator: 16 MiB data phases", "MB/s")
    dl.rows.append(Row("TempData + DownloadFile, streamed to a sink", ip["download"],
                       usb["download"], USB))
    dl.rows.append(Row("UploadFile (bytes in memory)", ip["upload"], usb["upload"], USB))
    dl.notes.append("PTP/IP data in: 64 KiB Data packets from the server; data out: 1 MiB "
                    "Data packets from the client")
    return [tx, dl]

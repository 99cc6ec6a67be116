"""File transfer throughput through the simulated backend: is the host ever the bottleneck?

Measured through pyusb's real endpoint code on :class:`chdkptp.sim.SimulatedBackend`:

* ``Camera.download`` (TempData + DownloadFile, streamed to disk via a temp file and rename,
  camera Lua stat first) and ``Camera.upload`` (UploadFile streamed from disk), in MB/s of
  file payload, next to the simulator's own ceiling for the same operation: a minimal pyusb
  host (``tests/sim/_ptplink.py``) that reads the DownloadFile container into one reused
  2 MiB buffer, or sends a prebuilt UploadFile container in 1 MiB slices;
* the download again into a discarding sink (no disk), to show what the disk write costs;
* the Python allocation peak of a download (``tracemalloc``): memory does not grow with size.

Copies per payload byte on the client side (by construction, see ``chdkptp.files`` and
``chdkptp.transport.usb``): download — the backend copies each USB transfer into the
transport's preallocated 1 MiB read buffer (the copy a real libusb read makes), the sink hands
a memoryview of it to ``file.write`` (the kernel's copy); no Python-level copy.  Upload —
``readinto`` from the file into the transport's reused write buffer, then pyusb hands it to
the backend; no Python-level copy.  Target: host side >= 300 MB/s, so a real PowerShot's
USB 2.0 link (~30 MB/s at best) is the only limit.
"""

from __future__ import annotations

import array
import hashlib
import io
import logging
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench._table import Row, Table
from chdkptp import connect, sim
from chdkptp._generated.chdk_codes import ChdkCommand, TempDataFlags
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp._generated.ptp_codes import OperationCode, ResponseCode
from chdkptp.camera import Camera
from chdkptp.ptp import containers
from tests.sim._ptplink import PtpLink

REMOTE = "A/BENCH.BIN"
_PACKET = 512
_CHUNK = 1 << 20


class _Discard(io.RawIOBase):
    """A writable file that drops what it gets."""

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        return len(memoryview(b))  # type: ignore[arg-type]


def _best(fn: object, trials: int, size: int) -> float:
    best = 0.0
    for _ in range(trials):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        best = max(best, size / (time.perf_counter() - start) / 1e6)
    return best


def _ours(camera: sim.SimulatedCamera, size: int, trials: int, work: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    cam: Camera = connect(backend=sim.SimulatedBackend([camera]))
    try:
        target = work / "down.bin"
        out["download"] = _best(lambda: cam.download(REMOTE, target), trials, size)
        if hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(
            camera.card.to_local(REMOTE).read_bytes()
        ).digest():
            raise RuntimeError("downloaded bytes differ")
        out["discard"] = _best(lambda: cam.download(REMOTE, _Discard()), trials, size)  # type: ignore[arg-type]
        out["upload"] = _best(lambda: cam.upload(target, "A/UP.BIN"), trials, size)
        if camera.card.to_local("A/UP.BIN").stat().st_size != size:
            raise RuntimeError("uploaded size differs")
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        cam.download(REMOTE, target)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["py_peak_mib"] = (peak - base) / 2**20
    finally:
        cam.close()
    return out


def _ceiling(camera: sim.SimulatedCamera, size: int, trials: int, work: Path) -> dict[str, float]:
    link = PtpLink(sim.SimulatedBackend([camera]), serial=camera.serial, timeout_ms=10_000)
    link.open_session()
    view = array.array("B", bytes(2 << 20))

    def download() -> None:
        link.chdk(ChdkCommand.TEMP_DATA, int(TempDataFlags(0)), data=REMOTE.encode())
        tid = link.send_command(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,))
        got = link.ep_in.read(view, 10_000)
        if got == 0:
            got = link.ep_in.read(view, 10_000)
        total = size + 12
        while got < total:
            got += link.ep_in.read(view, 10_000)
        if total % 512 == 0:
            link.ep_in.read(view, 10_000)
        if link.read_result(tid).code != ResponseCode.OK:
            raise RuntimeError("DownloadFile failed")

    payload = ChdkUploadFile(name=b"A/UP2.BIN", contents=bytes(size)).to_bytes()
    pv = memoryview(payload)
    first = _PACKET - containers.HEADER_SIZE

    def upload() -> None:
        tid = link.send_command(OperationCode.CHDK, (ChdkCommand.UPLOAD_FILE,))
        head = containers.encode_data_header(OperationCode.CHDK, tid, len(payload))
        link.ep_out.write(head + payload[:first], 10_000)
        for pos in range(first, len(payload), _CHUNK):
            link.ep_out.write(bytes(pv[pos : pos + _CHUNK]), 10_000)
        if (len(payload) + containers.HEADER_SIZE) % _PACKET == 0:
            link.ep_out.write(b"", 10_000)
        if link.read_result(tid).code != ResponseCode.OK:
            raise RuntimeError("UploadFile failed")

    try:
        return {"download": _best(download, trials, size), "upload": _best(upload, trials, size)}
    finally:
        link.transact(OperationCode.CLOSE_SESSION)
        link.close()


def run(quick: bool = False) -> list[Table]:
    logging.getLogger("chdkptp").setLevel(logging.WARNING)
    size = (32 if quick else 128) << 20
    trials = 2 if quick else 3
    with tempfile.TemporaryDirectory(prefix="chdkptp-bench-files-") as tmp, \
            sim.SimulatedCamera(serial="BENCHF01") as camera:
        work = Path(tmp)
        local = camera.card.to_local(REMOTE)
        with open(local, "wb") as f:
            for i in range(size >> 20):
                f.write(hashlib.sha256(str(i).encode()).digest() * (1 << 15))
        ceiling = _ceiling(camera, size, trials, work)
        ours = _ours(camera, size, trials, work)

    mib = size >> 20
    rates = Table("Files: transfers through pyusb + SimulatedBackend", "MB/s")
    rates.rows.append(Row(f"download() {mib} MiB to disk", ours["download"],
                          ceiling["download"], "sim ceiling (minimal host)",
                          note="target >= 300"))
    rates.rows.append(Row(f"download() {mib} MiB, discarding sink", ours["discard"],
                          ceiling["download"], "sim ceiling (minimal host)"))
    rates.rows.append(Row(f"upload() {mib} MiB from disk", ours["upload"], ceiling["upload"],
                          "sim ceiling (minimal host)", note="target >= 300"))
    rates.notes.append(
        "Ours: the whole call (camera Lua stat, TempData, DownloadFile streamed to a temp file, "
        "rename). Ceiling: a minimal pyusb host doing only the PTP transaction."
    )
    rates.notes.append(
        "The simulator streams file data phases above 4 MiB from / to the card file "
        "(DownloadFile in 1 MiB pieces, UploadFile written as its 1 MiB transfers arrive); the "
        "minimal host reads into one 2 MiB buffer and writes 1 MiB slices of a prebuilt "
        "container."
    )
    rates.notes.append(
        "To disk depends on the machine's page cache and disk; the discarding sink isolates "
        "the client. A real PowerShot's USB 2.0 link gives ~30 MB/s at best."
    )
    memory = Table("Files: Python allocation peak during one download (tracemalloc)", "MiB",
                   higher_is_better=False)
    memory.rows.append(Row(f"download() {mib} MiB", ours["py_peak_mib"],
                           note="flat: independent of the file size"))
    memory.notes.append(
        "Copies per payload byte, client side: download 1 (USB transfer into the reused read "
        "buffer) + the kernel's file write; upload 1 (readinto the reused write buffer) + "
        "pyusb's hand-over; no Python-level payload copies."
    )
    return [rates, memory]

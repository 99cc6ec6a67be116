"""A 200 MB download (and upload back): SHA-256 matches, the process's peak memory stays flat.

Runs in a child process so ``ru_maxrss`` (peak resident set) measures this download only;
the simulator runs in the same process, so its side is measured too (it streams large
DownloadFile data phases from the card file); the warm-up download is a small file, so the
peak before the measured download is far below the size of the big one.  ``tracemalloc``
gives the peak of Python allocations during the download as a second figure.  No timing is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SIZE = 200 << 20
LIMIT = 32 << 20
WARMUP = 4 << 20  # the warm-up download: more than one transfer chunk, far below LIMIT

CHILD = r"""
import hashlib, json, os, resource, sys, tracemalloc
from pathlib import Path
from chdkptp import connect, sim

size, dest, WARMUP = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])

def maxrss():
    # Linux reports KiB, macOS bytes
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024

camera = sim.SimulatedCamera()
try:
    path = "A/DCIM/100CANON/MVI_0001.MOV"
    local = camera.card.to_local(path)
    local.parent.mkdir(parents=True, exist_ok=True)
    want = hashlib.sha256()
    with open(local, "wb") as f:
        for _ in range(size >> 20):
            block = os.urandom(1 << 20)
            want.update(block)
            f.write(block)
    del block
    warm = "A/DCIM/100CANON/MVI_0000.MOV"
    camera.card.to_local(warm).write_bytes(os.urandom(WARMUP))
    cam = connect(backend=sim.SimulatedBackend([camera]))
    # Warm up on a small file (imports, transfer buffers): a warm-up on the big file would
    # raise the peak before rss0 is taken and hide a download that holds the whole file.
    cam.download(warm, dest / "warmup.mov")
    (dest / "warmup.mov").unlink()
    seen = [0]
    rss0 = maxrss()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    out = cam.download(path, dest, progress=lambda d, t: seen.__setitem__(0, d))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = maxrss()
    leftovers = sorted(p.name for p in dest.iterdir() if p.name != out.name)
    cam.upload(out, "A/UP.MOV")  # and back: the simulator writes it to the card as it comes
    rss2 = maxrss()
    cam.close()

    def sha(p):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    print(json.dumps({
        "rss_growth": rss1 - rss0, "py_peak": peak - base, "bytes": seen[0],
        "want": want.hexdigest(), "got": sha(out), "size": os.path.getsize(out),
        "leftovers": leftovers, "up_rss_growth": rss2 - rss1,
        "up_sha": sha(camera.card.to_local("A/UP.MOV")),
    }))
finally:
    camera.close()
"""


@pytest.mark.timeout(120)
def test_200mb_download_sha256_and_flat_memory(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(SIZE), str(tmp_path), str(WARMUP)],
                          capture_output=True, text=True, env=env, timeout=110, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["size"] == SIZE and result["bytes"] == SIZE
    assert result["got"] == result["want"]
    assert result["leftovers"] == []
    assert result["rss_growth"] < LIMIT, result
    assert result["py_peak"] < LIMIT, result
    assert result["up_sha"] == result["want"]
    assert result["up_rss_growth"] < LIMIT, result
    print(f"peak RSS growth {result['rss_growth'] / 2**20:.1f} MiB, "
          f"Python allocation peak {result['py_peak'] / 2**20:.2f} MiB, upload peak RSS "
          f"growth {result['up_rss_growth'] / 2**20:.1f} MiB")

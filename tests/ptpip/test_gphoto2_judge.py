"""libgphoto2 (python-gphoto2) as an independent judge of the simulator's PTP/IP face.

libgphoto2 2.5.34 connects over PTP/IP, sees Canon's vendor id and 0x9999 in DeviceInfo and,
with ``ptp2=chdk=on`` in its settings, switches to its CHDK driver: it then uploads several KB
of its own Lua per call (summary, config tree, listing, capture), polls ScriptStatus, reads
script messages, downloads with TempData + DownloadFile and fetches live view with
GetDisplayData.  The simulator runs all of that for real.  Each libgphoto2 step runs in a child
process (python-gphoto2 keeps the GIL while it blocks on the socket, which would starve the
server thread in this process).  A failing test names the camera behaviour that differs.

Known libgphoto2 behaviour (not bent in the simulator): it never sends CloseSession in CHDK
mode (the server ends the session when the connection drops); its preview converts the
YUV411 viewport at one output pixel per two buffer pixels horizontally, so a 720x240 viewport
becomes a 360x240 JPEG.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chdkptp._generated.chdk_codes import LiveViewFlags
from chdkptp._generated.chdk_lv_frame import ChdkLvFrame
from chdkptp.sim import PtpipServer, SimulatedCamera, serve_ptpip
from chdkptp.sim.images import make_jpeg

gp = pytest.importorskip("gphoto2", reason="python-gphoto2 (peers extra) is not installed")
pytestmark = pytest.mark.peers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def judge_sim() -> Iterator[SimulatedCamera]:
    camera = SimulatedCamera(serial="JUDGE001")
    local = camera.card.to_local(camera.card.next_image_path("JPG"))
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(make_jpeg(320, 240, seed=7, label="judge"))
    yield camera
    camera.close()


@pytest.fixture(scope="module")
def judge_server(judge_sim: SimulatedCamera) -> Iterator[PtpipServer]:
    with serve_ptpip(judge_sim) as server:
        yield server


@pytest.fixture(scope="module")
def gphoto_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the child: libgphoto2 settings (CHDK mode on) in a temp config dir."""
    home = tmp_path_factory.mktemp("xdg")
    (home / "gphoto").mkdir()
    (home / "gphoto" / "settings").write_text("ptp2=chdk=on\n")
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_gphoto(server: PtpipServer, env: dict[str, str], step: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ptpip.gphoto_child", str(server.port), step, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False,
    )
    if proc.returncode != 0:
        errors = "\n".join(server.protocol_errors[-5:]) or "none"
        pytest.fail(
            f"libgphoto2 step {step!r} failed (exit {proc.returncode}):\n"
            f"{proc.stderr[-3000:]}\nserver protocol errors: {errors}"
        )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def card_files(sim: SimulatedCamera, folder: str) -> list[str]:
    return sorted(p.name for p in sim.card.to_local(folder).iterdir() if p.is_file())


def test_summary(judge_server: PtpipServer, judge_sim: SimulatedCamera,
                 gphoto_env: dict[str, str]) -> None:
    summary = run_gphoto(judge_server, gphoto_env, "summary")["summary"]
    assert "CHDK 2.9" in summary, f"libgphoto2 did not see CHDK 2.9 (Version reply): {summary!r}"
    state = judge_sim.state
    for line in (f"Zoom: {state.zoom}", f"Focus: {state.focus_mm}", f"SV96: {state.sv96}",
                 f"TV96: {state.tv96}", f"AV96: {state.av96}"):
        assert line in summary, (
            f"the camera's Lua answers differ from its state: {line!r} missing in {summary!r}"
        )


def test_config_tree(judge_server: PtpipServer, judge_sim: SimulatedCamera,
                     gphoto_env: dict[str, str]) -> None:
    tree = run_gphoto(judge_server, gphoto_env, "config")["config"]
    sections = {child["name"]: child for child in tree["children"]}
    assert "imgsettings" in sections, f"config tree without imgsettings: {tree}"
    values = {w["name"]: w.get("value") for w in sections["imgsettings"]["children"]}
    state = judge_sim.state
    expected = {"zoom": str(state.zoom), "focus": f"{state.focus_mm}mm", "chdk": "On"}
    for name, value in expected.items():
        assert values.get(name) == value, (
            f"config widget {name!r} reads {values.get(name)!r}, camera state says {value!r}"
        )
    assert values.get("capmode"), "capture mode (capmode module) not readable"


def test_listing_matches_the_card(judge_server: PtpipServer, judge_sim: SimulatedCamera,
                                  gphoto_env: dict[str, str]) -> None:
    files = run_gphoto(judge_server, gphoto_env, "list")["files"]
    folder = judge_sim.card.image_dir()
    gfolder = "/" + folder.removeprefix("A/")
    assert gfolder in files, f"image folder {gfolder} not listed (os.listdir/os.stat): {files}"
    assert sorted(files[gfolder]) == card_files(judge_sim, folder), (
        "file listing differs from the card"
    )
    assert "/CHDK" in files


def test_file_get_bytes_equal(judge_server: PtpipServer, judge_sim: SimulatedCamera,
                              gphoto_env: dict[str, str], tmp_path: Path) -> None:
    folder = judge_sim.card.image_dir()
    name = card_files(judge_sim, folder)[0]
    out = tmp_path / name
    result = run_gphoto(judge_server, gphoto_env, "get",
                        f"/{folder.removeprefix('A/')}/{name}", str(out))
    card = judge_sim.card.to_local(f"{folder}/{name}").read_bytes()
    assert result["size"] == len(card), "DownloadFile length differs from the card file"
    assert out.read_bytes() == card, "downloaded bytes differ from the card file"


def test_capture_and_download(judge_server: PtpipServer, judge_sim: SimulatedCamera,
                              gphoto_env: dict[str, str], tmp_path: Path) -> None:
    before = judge_sim.state.image_counter
    out = tmp_path / "capture.jpg"
    result = run_gphoto(judge_server, gphoto_env, "capture", str(out))
    assert judge_sim.state.image_counter == before + 1, "the camera did not take a picture"
    path = result["path"]
    local = judge_sim.card.to_local("A" + path)
    assert local.is_file(), f"capture reported {path}, which is not on the card"
    assert out.read_bytes() == local.read_bytes(), "captured file bytes differ from the card"
    assert out.read_bytes()[:2] == b"\xff\xd8", "captured file is not a JPEG"


def test_capture_preview_is_a_viewport_jpeg(judge_server: PtpipServer,
                                            judge_sim: SimulatedCamera,
                                            gphoto_env: dict[str, str], tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image")
    out = tmp_path / "preview.jpg"
    result = run_gphoto(judge_server, gphoto_env, "preview", str(out))
    assert result["mime"] == "image/jpeg"
    frame = ChdkLvFrame.from_bytes(judge_sim.liveview.frame(int(LiveViewFlags.VIEWPORT)))
    vp = frame.vp_desc
    with image.open(io.BytesIO(out.read_bytes())) as img:
        img.load()
        # libgphoto2 maps two YUV411 buffer pixels to one output pixel (see module doc)
        assert img.size == (vp.visible_width // 2, vp.visible_height), (
            f"preview {img.size} does not match the viewport "
            f"{vp.visible_width}x{vp.visible_height}"
        )


def test_no_protocol_errors(judge_server: PtpipServer, judge_sim: SimulatedCamera,
                            gphoto_env: dict[str, str]) -> None:
    run_gphoto(judge_server, gphoto_env, "summary")
    assert judge_server.protocol_errors == [], "libgphoto2 traffic broke the PTP/IP framing"
    assert judge_sim.storage_enumeration_count == 0


def test_capture_preview_digic6_viewport(gphoto_env: dict[str, str], tmp_path: Path) -> None:
    """Live view 2.2 (YUV422 viewport, Digic 6): libgphoto2 keeps every pixel."""
    image = pytest.importorskip("PIL.Image")
    camera = SimulatedCamera(serial="JUDGE422", display="yuv422")
    try:
        with serve_ptpip(camera) as server:
            out = tmp_path / "preview422.jpg"
            run_gphoto(server, gphoto_env, "preview", str(out))
        frame = ChdkLvFrame.from_bytes(camera.liveview.frame(int(LiveViewFlags.VIEWPORT)))
        vp = frame.vp_desc
        with image.open(io.BytesIO(out.read_bytes())) as img:
            img.load()
            assert img.size == (vp.visible_width, vp.visible_height), (
                f"preview {img.size} does not match the lv 2.2 viewport "
                f"{vp.visible_width}x{vp.visible_height}"
            )
    finally:
        camera.close()

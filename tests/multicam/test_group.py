"""CameraGroup on three simulated cameras: connecting, per-camera results and failures,
mode/status/download helpers (no clock sync here: see test_sync.py)."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import pytest

import chdkptp
from chdkptp import Camera, CameraGroup
from chdkptp.errors import (
    CameraNotFoundError,
    ChdkTimeoutError,
    DeviceBusy,
    DeviceDisconnectedError,
    GroupError,
    ScriptError,
    UnsupportedProtocolError,
)
from chdkptp.multicam import CameraResult, GroupResult, folder_name
from chdkptp.sim import SimulatedBackend, SimulatedCamera
from tests.multicam.conftest import OFFSETS


def test_connect_all_finds_every_camera(group: CameraGroup) -> None:
    assert chdkptp.CameraGroup is CameraGroup
    assert group.serials == list(OFFSETS)
    assert len(group) == 3 and group.connect_errors == {}
    assert all(isinstance(cam, Camera) and not cam.closed for cam in group)
    assert [group[s].serial for s in OFFSETS] == list(OFFSETS)
    assert "RIG0002" in group and "NOPE" not in group


def test_close_closes_every_camera(bus: SimulatedBackend) -> None:
    with CameraGroup.connect_all(backend=bus) as g:
        cams = list(g)
    assert all(cam.closed for cam in cams)


def test_connect_all_with_serials_reports_missing(bus: SimulatedBackend) -> None:
    with CameraGroup.connect_all(backend=bus, serials=["RIG0003", "NOPE", "RIG0001"]) as g:
        assert sorted(g.serials) == ["RIG0001", "RIG0003"]
        assert list(g.connect_errors) == ["NOPE"]
        assert isinstance(g.connect_errors["NOPE"], CameraNotFoundError)


def test_connect_all_skips_cameras_without_chdk(bus: SimulatedBackend) -> None:
    plain = SimulatedCamera(serial="PLAIN01", chdk_version=None)
    try:
        bus.add(plain)
        with CameraGroup.connect_all(backend=bus) as g:
            assert g.serials == list(OFFSETS)
            assert isinstance(g.connect_errors["PLAIN01"], UnsupportedProtocolError)
    finally:
        plain.close()


def test_connect_all_with_nothing_usable_raises() -> None:
    with pytest.raises(CameraNotFoundError, match="none found"):
        CameraGroup.connect_all(backend=SimulatedBackend([]))
    with pytest.raises(ValueError):
        CameraGroup.connect_all(backend=SimulatedBackend([]), timeout=0)


def test_connect_all_when_every_camera_fails(bus: SimulatedBackend) -> None:
    with pytest.raises(CameraNotFoundError, match="NOPE"):
        CameraGroup.connect_all(backend=bus, serials=["NOPE"])


def test_group_from_cameras_keys_are_unique(group: CameraGroup) -> None:
    cam = group["RIG0001"]
    g = CameraGroup([cam, cam, group["RIG0002"]])
    assert g.serials == ["RIG0001", "RIG0001#2", "RIG0002"]
    with pytest.raises(TypeError):
        g.add("RIG0001")  # type: ignore[arg-type]


def test_run_collects_per_camera_values(group: CameraGroup) -> None:
    res = group.run(lambda cam: cam.serial.lower())
    assert isinstance(res, GroupResult) and res.ok
    assert res.successes == {s: s.lower() for s in OFFSETS}
    assert res["RIG0002"] == CameraResult("RIG0002", value="rig0002")
    assert list(res) == list(OFFSETS) and len(res) == 3
    res.raise_for_errors()  # nothing to raise
    with pytest.raises(ValueError):
        group.run(lambda cam: None, timeout=-1)


def test_run_lua_values(group: CameraGroup, rig: dict[str, SimulatedCamera]) -> None:
    res = group.run_lua("return 6 * 7, get_tick_count()")
    assert res.ok, res.errors
    for serial, (answer, tick) in res.successes.items():
        assert answer == 42
        # each camera answers with its own clock: the offsets are hours apart
        assert abs(tick - rig[serial].clock.now_ms()) < 10_000
    with pytest.raises(TypeError):
        group.run_lua(b"return 1")  # type: ignore[arg-type]


def test_script_error_on_one_camera(group: CameraGroup, rig: dict[str, SimulatedCamera]) -> None:
    rig["RIG0002"].faults.script_runtime_error = "lens error"
    res = group.run_lua("return 1")
    assert not res.ok
    assert res.successes == {"RIG0001": 1, "RIG0003": 1}
    assert list(res.errors) == ["RIG0002"]
    err = res.errors["RIG0002"]
    assert isinstance(err, ScriptError) and "lens error" in str(err)
    with pytest.raises(ScriptError):
        res["RIG0002"].unwrap()
    with pytest.raises(GroupError, match="1 of 3 cameras failed: RIG0002") as info:
        res.raise_for_errors()
    assert info.value.errors == {"RIG0002": err}
    assert info.value.__cause__ is err
    copy = pickle.loads(pickle.dumps(info.value))
    assert isinstance(copy, GroupError) and list(copy.errors) == ["RIG0002"]
    # the failing camera works again afterwards
    assert group.run_lua("return 2").successes == dict.fromkeys(OFFSETS, 2)


def test_busy_camera_fails_alone(group: CameraGroup, rig: dict[str, SimulatedCamera]) -> None:
    rig["RIG0001"].faults.busy_responses = 10_000
    res = group.run_lua("return 'hi'", timeout=5.0)
    assert res.successes == {"RIG0002": "hi", "RIG0003": "hi"}
    assert isinstance(res.errors["RIG0001"], DeviceBusy)


def test_unplug_mid_run(group: CameraGroup, rig: dict[str, SimulatedCamera]) -> None:
    def work(cam: Camera) -> object:
        first = cam.run_lua("return 1")
        if cam.serial == "RIG0003":
            rig["RIG0003"].unplug()
        return first, cam.run_lua("return 2")

    res = group.run(work, timeout=30.0)
    assert res.successes == {"RIG0001": (1, 2), "RIG0002": (1, 2)}
    assert isinstance(res.errors["RIG0003"], DeviceDisconnectedError)


def test_run_timeout_marks_only_the_slow_camera(group: CameraGroup) -> None:
    release = threading.Event()

    def work(cam: Camera) -> str:
        if cam.serial == "RIG0001":
            release.wait(10.0)
        return cam.serial

    try:
        res = group.run(work, timeout=0.3)
    finally:
        release.set()
    assert res.successes == {"RIG0002": "RIG0002", "RIG0003": "RIG0003"}
    assert isinstance(res.errors["RIG0001"], ChdkTimeoutError)


def test_switch_mode_and_status(group: CameraGroup) -> None:
    assert group.switch_mode("record").ok
    status = group.status()
    assert status.ok, status.errors
    assert {s: st.mode for s, st in status.successes.items()} == dict.fromkeys(OFFSETS, "record")
    assert group.switch_mode("play").ok
    assert {c.mode() for c in group} == {"play"}
    with pytest.raises(ValueError):
        group.switch_mode("video")


def test_download_images_per_camera_folders(group: CameraGroup, rig: dict[str, SimulatedCamera],
                                            tmp_path: Path) -> None:
    shots = group.run(lambda cam: cam.shoot())
    assert shots.ok, shots.errors
    res = group.download_images(tmp_path)
    assert res.ok, res.errors
    for serial, path in shots.successes.items():
        rel = path.split("/", 2)[2]  # "A/DCIM/100CANON/IMG_0001.JPG" -> "100CANON/IMG_0001.JPG"
        local = tmp_path / serial / rel
        assert local.read_bytes() == rig[serial].card.to_local(path).read_bytes()
        assert [t.local for t in res[serial].value] == [local]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(OFFSETS)
    with pytest.raises(ValueError):
        group.download_images(tmp_path, progress=lambda done, total: None)


def test_folder_name() -> None:
    assert folder_name("RIG0001") == "RIG0001"
    assert folder_name("usb:1/12") == "usb_1_12"
    assert folder_name("..") == "camera"


def test_download_dry_run_with_a_camera_listed_twice(group: CameraGroup,
                                                     tmp_path: Path) -> None:
    cam = group["RIG0001"]
    assert group.run(lambda c: c.shoot()).ok
    twice = CameraGroup([cam, cam])
    res = twice.download_images(tmp_path, dry_run=True)
    assert res.ok, res.errors
    assert [t.local.parent.parent.name for t in res["RIG0001#2"].value] == ["RIG0001_2"]
    assert [t.action for t in res["RIG0001"].value] == ["planned"]
    assert not any(tmp_path.iterdir())

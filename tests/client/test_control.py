"""Camera control end to end: modes, shooting with exposure, zoom, focus, status, reconnect."""

from __future__ import annotations

import time

import pytest

import chdkptp
from chdkptp._generated.ptp_codes import EventCode, OperationCode
from chdkptp.camera import Camera
from chdkptp.errors import (
    CameraNotFoundError,
    ChdkError,
    DeviceDisconnectedError,
    RemoteProtocolError,
)
from chdkptp.sim import SimulatedBackend, SimulatedCamera

FAST = pytest.mark.sim_camera(time_scale=20.0)


@FAST
def test_switch_mode(cam: Camera, sim: SimulatedCamera) -> None:
    assert cam.mode() == "play"
    cam.switch_mode("record")
    assert sim.state.mode == "record"
    assert cam.mode() == "record"
    cam.switch_mode("record")  # already there: no-op
    cam.switch_mode("play")
    assert sim.state.mode == "play"
    with pytest.raises(ValueError):
        cam.switch_mode("video")


@FAST
def test_shoot_with_exposure(cam: Camera, sim: SimulatedCamera) -> None:
    path = cam.shoot(tv=1 / 250, av=4.0, iso=400, nd=True, focus=1500)
    assert path == "A/DCIM/100CANON/IMG_0001.JPG"
    assert sim.card.to_local(path).read_bytes()[:2] == b"\xff\xd8"
    assert sim.state.mode == "record"  # switched automatically
    shot = sim.state.shots[-1]
    assert shot.path == path
    assert shot.exposure["tv96"] == 765  # round(96 * log2(250))
    assert shot.exposure["av96"] == 384  # round(96 * 2 * log2(4))
    assert shot.exposure["sv96"] == 672  # round(96 * log2(400 / 3.125))
    assert sim.state.focus_mm == 1500
    second = cam.shoot(tv96=100, av96=300, sv96=500, nd="out")
    assert second.endswith("IMG_0002.JPG")
    exp = sim.state.shots[-1].exposure
    assert (exp["tv96"], exp["av96"], exp["sv96"]) == (100, 300, 500)


def test_shoot_rejects_nonsense(cam: Camera) -> None:
    with pytest.raises(ValueError):
        cam.shoot(tv=-1)
    with pytest.raises(ValueError):
        cam.shoot(tv=1, tv96=5)
    with pytest.raises(ValueError):
        cam.shoot(iso=100, sv=100)
    with pytest.raises(ValueError):
        cam.shoot(nd="half")
    with pytest.raises(TypeError):
        cam.shoot(av="f8")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cam.shoot(focus=-3)


def test_zoom_and_focus(cam: Camera, sim: SimulatedCamera) -> None:
    position, steps = cam.zoom()
    assert position == 0 and steps > 1
    assert cam.zoom(steps - 1) == (steps - 1, steps)
    assert sim.state.zoom == steps - 1
    with pytest.raises(ValueError):
        cam.zoom(steps)
    assert cam.focus(lock=True) >= 0
    assert sim.state.aflock
    assert cam.focus(manual=True, distance=800) == 800
    cam.focus(lock=False)
    assert not sim.state.aflock


def test_status(cam: Camera, sim: SimulatedCamera) -> None:
    status = cam.status()
    assert status.mode == "play"
    assert abs(status.battery_mv - sim.state.vbatt_mv()) < 50  # it drifts (with noise)
    assert set(status.temperatures) == {"optical", "ccd", "battery"}
    assert status.free_space is not None and status.free_space > 0
    assert status.build.get("os") in ("dryos", "vxworks")
    assert status.image_count == 0


def test_no_storage_enumeration_during_control(cam: Camera, sim: SimulatedCamera) -> None:
    cam.status()
    cam.shoot()
    assert sim.storage_enumeration_count == 0


def test_reconnect_after_unplug(cam: Camera, sim: SimulatedCamera,
                                backend: SimulatedBackend) -> None:
    old_location = backend.location(sim)
    sim.unplug()
    with pytest.raises(DeviceDisconnectedError):
        cam.run_lua("return 1")
    sim.replug()
    assert backend.location(sim) != old_location
    cam.reconnect(timeout=2.0)
    assert cam.run_lua("return 5") == 5


def test_reconnect_after_idle_power_down(cam: Camera, sim: SimulatedCamera) -> None:
    sim.faults.idle_power_down_s = 30.0
    cam.script_status()  # traffic: the idle timer starts
    sim.clock.advance(31_000)
    with pytest.raises(DeviceDisconnectedError):
        cam.script_status()
    sim.faults.idle_power_down_s = None
    sim.replug()  # the user switches it on again
    cam.reconnect(timeout=2.0)
    assert cam.run_lua("return 6") == 6


def test_reconnect_refuses_a_different_camera(backend: SimulatedBackend,
                                              sim: SimulatedCamera) -> None:
    cam = chdkptp.connect(backend=backend)
    impostor = SimulatedCamera(serial=sim.serial, model="PowerShot G12")
    try:
        backend.remove(sim)
        backend.add(impostor)
        with pytest.raises(CameraNotFoundError) as info:
            cam.reconnect(timeout=1.0)
        assert "refusing" in str(info.value)
    finally:
        cam.close()
        impostor.close()


def test_reconnect_times_out_when_camera_stays_away(cam: Camera, sim: SimulatedCamera) -> None:
    sim.unplug()
    with pytest.raises(CameraNotFoundError):
        cam.reconnect(timeout=0.1)


def test_close_sends_close_session(backend: SimulatedBackend, sim: SimulatedCamera) -> None:
    with chdkptp.connect(backend=backend) as cam:
        cam.status()
    assert cam.closed
    assert sim.operations_log[-1][0] == OperationCode.CLOSE_SESSION


def test_reboot_without_camera_support_raises(cam: Camera, sim: SimulatedCamera) -> None:
    """A camera whose ``reboot()`` refuses (returns false): ChdkError, the camera stays."""
    sim.scripts.on_reboot = None  # nothing can restart this camera: reboot() returns false
    with pytest.raises(ChdkError, match="returned False"):
        cam.reboot()
    assert not cam.closed
    assert cam.run_lua("return 1") == 1
    assert sim.reboots == []


@pytest.mark.sim_camera(time_scale=10.0)
def test_reboot_reconnects(cam: Camera, sim: SimulatedCamera, backend: SimulatedBackend) -> None:
    """The real path: Lua ``reboot()`` power-cycles the simulated camera, ``cam.reboot()``
    waits for it to leave and come back, and reconnects to the same camera."""
    first = cam.execute_script("return 1")
    assert first.wait(5) == 1
    cam.run_lua("return 2")
    before = backend.location(sim)
    cam.reboot(timeout=5.0)
    assert sim.reboots == [None]
    assert not cam.closed and cam.serial == "SIM00001"
    after = backend.location(sim)
    assert after is not None and after != before  # a new bus address
    script = cam.execute_script("return 7")
    assert script.id == 1  # the id counter restarted with CHDK
    assert script.wait(5) == 7
    assert sim.responder.session_id is not None
    assert cam.mode() == "play"


@pytest.mark.sim_camera(time_scale=10.0)
def test_reboot_without_reconnect_closes(cam: Camera, sim: SimulatedCamera,
                                         backend: SimulatedBackend) -> None:
    cam.reboot(reconnect=False)
    assert cam.closed
    assert backend.location(sim) is None  # still booting (1.5 s of camera time)
    deadline = time.monotonic() + 5.0
    while backend.location(sim) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    with chdkptp.connect(backend=backend) as again:
        assert again.serial == sim.serial
        assert again.execute_script("return 3").id == 1


@FAST
def test_mode_change_event(cam: Camera) -> None:
    while cam.read_event(0.01) is not None:  # drop anything from connecting
        pass
    cam.switch_mode("record")
    cam.script_status()
    event = cam.read_event(1.0)
    assert event is not None
    assert event.code == EventCode.CANON_CAMERA_MODE_CHANGED
    assert event.params == ()


def test_camera_values_of_the_wrong_type_are_protocol_errors(cam: Camera,
                                                             sim: SimulatedCamera) -> None:
    sim.state.zoom = b"wide"  # type: ignore[assignment]  # a broken camera-side value
    with pytest.raises(RemoteProtocolError, match="zoom"):
        cam.status()
    with pytest.raises(RemoteProtocolError, match="zoom"):
        cam.zoom()
    sim.state.zoom = 0
    sim.state.focus_mm = b"near"  # type: ignore[assignment]
    with pytest.raises(RemoteProtocolError, match="focus"):
        cam.focus()

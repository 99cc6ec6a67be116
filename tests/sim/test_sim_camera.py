"""SimulatedCamera (composition, identity, versions, bus coupling), the ``chdkptp.sim`` package
API and the pytest fixtures users get from ``chdkptp.sim.pytest_plugin``."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
import usb.core

from chdkptp._generated.chdk_codes import (
    CaptureFormatFlags,
    ChdkCommand,
    MessageSubtype,
    MessageType,
    ScriptLanguage,
    ScriptStatusFlags,
)
from chdkptp._generated.ptp_codes import OperationCode, ResponseCode
from chdkptp._generated.ptp_device_info import PtpDeviceInfo
from chdkptp._generated.usb_codes import CanonProductId, UsbVendorId
from chdkptp.sim.camera import (
    DEFAULT_MODEL,
    REBOOT_BOOT_MS,
    REBOOT_SHUTDOWN_MS,
    SimulatedCamera,
    product_id_for,
)
from chdkptp.sim.faults import Faults
from chdkptp.sim.lua_runtime import ScriptMsg
from chdkptp.sim.pytest_plugin import sim_backend, sim_camera, sim_connect
from chdkptp.sim.responder import PtpResponder
from chdkptp.sim.usb import SimulatedBackend
from tests.sim._ptplink import PtpLink

__all__ = ["sim_backend", "sim_camera", "sim_connect"]  # fixtures used below


def sx160_pid() -> int:
    return next(int(m) for m in CanonProductId if m.model == "PowerShot SX160 IS")


def test_defaults_and_identity() -> None:
    with SimulatedCamera() as cam:
        assert (cam.serial, cam.model, cam.manufacturer) == (
            "SIM00001",
            DEFAULT_MODEL,
            "Canon Inc.",
        )
        assert cam.product_id == sx160_pid()
        assert cam.chdk_version == (2, 9)
        assert isinstance(cam.function, PtpResponder) and cam.function is cam.responder
        assert cam.powered and cam.usb_bus is None
        assert cam.storage_enumeration_count == 0 and cam.operations_log == []
        assert cam.state.card is cam.card and cam.scripts is not None
        assert "SX160" in repr(cam)


@pytest.mark.parametrize("member", list(CanonProductId)[:5])
def test_product_id_per_model(member: CanonProductId) -> None:
    assert product_id_for(str(member.model)) == int(member)
    assert product_id_for(f"Canon {member.model}") == int(member)


def test_unknown_model_falls_back() -> None:
    assert product_id_for("PowerShot Imaginary 9000") == sx160_pid()
    with SimulatedCamera(model="Canon PowerShot G12") as cam:
        assert cam.model == "PowerShot G12"
        assert cam.product_id == product_id_for("PowerShot G12") != sx160_pid()
        info = PtpDeviceInfo.from_bytes(cam.device_info)
        assert info.model.value == "Canon PowerShot G12"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        SimulatedCamera(serial="")
    with pytest.raises(ValueError):
        SimulatedCamera(display="crt")
    with pytest.raises(ValueError):  # Digic 6 live view needs CHDK 2.7 (lv 2.2)
        SimulatedCamera(display="yuv422", chdk_version=(2, 6))


@pytest.mark.parametrize(("version", "lv"), [((2, 3), (2, 0)), ((2, 5), (2, 1)), ((2, 9), (2, 1))])
def test_live_view_version_follows_chdk(version: tuple[int, int], lv: tuple[int, int]) -> None:
    with SimulatedCamera(chdk_version=version) as cam:
        assert cam.liveview.lv_version == lv


def test_explicit_live_view_version() -> None:
    with SimulatedCamera(display="yuv422", lv_version=(2, 2)) as cam:
        assert cam.liveview.lv_version == (2, 2)


def test_craw_only_at_2_9() -> None:
    with SimulatedCamera(chdk_version=(2, 8)) as old, SimulatedCamera() as new:
        assert old.state.remote_capture is not None and new.state.remote_capture is not None
        assert not old.state.remote_capture.support_mask & CaptureFormatFlags.CRAW
        assert new.state.remote_capture.support_mask & CaptureFormatFlags.CRAW


def test_faults_shared_and_latency_copied() -> None:
    faults = Faults()
    with SimulatedCamera(faults=faults, latency_ms=2.5, jitter_ms=0.5) as cam:
        assert cam.faults is faults and cam.scripts is not None
        assert (faults.latency_ms, faults.jitter_ms) == (2.5, 0.5)


def test_card_dir_kept_temp_card_removed(tmp_path: Path) -> None:
    user = tmp_path / "card"
    with SimulatedCamera(card_dir=user) as cam:
        assert cam.card.root == user.resolve()
    assert user.is_dir()
    temp = SimulatedCamera()
    root = temp.card.root
    assert root.is_dir()
    temp.close()
    assert not root.exists()


def test_clock_offset() -> None:
    with SimulatedCamera(clock_offset_ms=1_000_000) as cam:
        assert cam.clock.now_ms() >= 1_000_000


def test_unplug_replug_through_backend() -> None:
    with SimulatedCamera(serial="PLUG0001") as cam:
        backend = SimulatedBackend([cam])
        assert cam.usb_bus is backend
        first = usb.core.find(backend=backend, idVendor=UsbVendorId.CANON)
        assert first is not None
        address = first.address
        link = PtpLink(backend)
        assert link.open_session().code == ResponseCode.OK
        cam.unplug()
        assert not cam.powered
        assert usb.core.find(backend=backend, idVendor=UsbVendorId.CANON) is None
        cam.replug()
        assert cam.powered
        again = usb.core.find(backend=backend, idVendor=UsbVendorId.CANON)
        assert again is not None and again.address != address
        link = PtpLink(backend)
        assert link.open_session().code == ResponseCode.OK  # the old session died with power
        assert link.chdk(ChdkCommand.VERSION).params == (2, 9)


def test_unplug_without_backend() -> None:
    with SimulatedCamera() as cam:
        cam.unplug()
        assert not cam.powered
        cam.replug()
        assert cam.powered


def test_two_cameras_one_backend() -> None:
    with (
        SimulatedCamera(serial="CAM_A") as a,
        SimulatedCamera(serial="CAM_B", model="PowerShot G12") as b,
    ):
        backend = SimulatedBackend([a, b])
        found = {
            d.serial_number: d.idProduct for d in usb.core.find(find_all=True, backend=backend)
        }
        assert found == {"CAM_A": a.product_id, "CAM_B": b.product_id}
        link_b = PtpLink(backend, serial="CAM_B")
        res = link_b.transact(OperationCode.GET_DEVICE_INFO)
        assert res.data is not None
        assert PtpDeviceInfo.from_bytes(res.data).serial_number.value == "CAM_B"
        assert a.operations_log == [] and b.operations_log


def test_sim_package_exports() -> None:
    from chdkptp import sim
    from chdkptp.sim.card import VirtualCard
    from chdkptp.sim.faults import StaleMessage

    assert sim.SimulatedCamera is SimulatedCamera
    assert sim.SimulatedBackend is SimulatedBackend
    assert sim.Faults is Faults and sim.StaleMessage is StaleMessage
    assert sim.VirtualCard is VirtualCard
    assert set(sim.__all__) <= set(dir(sim))
    with pytest.raises(AttributeError):
        _ = sim.NoSuchThing


# --- the pytest plugin's fixtures ----------------------------------------------------------


def test_fixture_sim_camera(sim_camera: SimulatedCamera) -> None:
    assert isinstance(sim_camera, SimulatedCamera) and sim_camera.card.root.is_dir()


def test_fixture_sim_backend(sim_backend: SimulatedBackend, sim_camera: SimulatedCamera) -> None:
    dev = usb.core.find(backend=sim_backend, idVendor=UsbVendorId.CANON)
    assert dev is not None and dev.serial_number == sim_camera.serial


def test_fixture_sim_connect(sim_connect: Any, sim_camera: SimulatedCamera) -> None:
    assert tuple(sim_connect.chdk_version) == (2, 9)
    assert sim_camera.storage_enumeration_count == 0


# --- Lua reboot() -----------------------------------------------------------------------------


def _run_lua(cam: SimulatedCamera, code: str) -> list[ScriptMsg]:
    """Start ``code`` on the camera's script host, pump once, return the queued messages."""
    cam.scripts.execute(code.encode() + b"\0", int(ScriptLanguage.LUA))
    cam.scripts.pump()
    out = []
    while (msg := cam.scripts.read_msg()) is not None:
        out.append(msg)
    return out


def test_lua_reboot_power_cycles_the_camera() -> None:
    # a slow clock: nothing happens by itself, only the manual advances move the camera
    with SimulatedCamera(serial="BOOT0001", time_scale=0.001) as cam:
        backend = SimulatedBackend([cam])
        link = PtpLink(backend)
        assert link.open_session().code == ResponseCode.OK
        address = link.dev.address
        assert link.chdk(ChdkCommand.TEMP_DATA, 0, data=b"A/X.JPG").code == ResponseCode.OK
        started = link.chdk(ChdkCommand.EXECUTE_SCRIPT, int(ScriptLanguage.LUA),
                            data=b"x = 1\nreboot()\nreturn 'not reached'\0")
        assert started.params == (1, 0)
        status = link.chdk(ChdkCommand.SCRIPT_STATUS)  # pumps: the script calls reboot()
        assert status.params[0] & ScriptStatusFlags.RUN
        assert cam.reboots == [None]
        assert cam.powered and backend.location(cam) is not None  # still shutting down
        cam.clock.advance(REBOOT_SHUTDOWN_MS)
        assert not cam.powered
        assert backend.location(cam) is None
        with pytest.raises(usb.core.USBError) as info:
            link.chdk(ChdkCommand.SCRIPT_STATUS)
        assert info.value.errno == errno.ENODEV
        assert not cam.scripts.running and cam.scripts.read_msg() is None
        assert cam.responder.session_id is None and cam.responder.temp_data is None
        cam.clock.advance(REBOOT_BOOT_MS - 1)
        assert usb.core.find(backend=backend, idVendor=UsbVendorId.CANON) is None  # booting
        cam.clock.advance(1)
        again = PtpLink(backend)
        assert again.dev.address != address
        assert again.open_session().code == ResponseCode.OK
        first = again.chdk(ChdkCommand.EXECUTE_SCRIPT, int(ScriptLanguage.LUA),
                           data=b"return 5\0")
        assert first.params == (1, 0)  # script ids start again after the reboot
        assert cam.reboots == [None]


def test_lua_reboot_with_a_file() -> None:
    with SimulatedCamera(time_scale=0.001) as cam:
        missing = _run_lua(cam, "return reboot('A/NOPE.BIN')")
        assert [(m.type, m.subtype, m.data) for m in missing] == [
            (MessageType.RET, MessageSubtype.BOOLEAN, (0).to_bytes(4, "little"))
        ]
        assert cam.reboots == [] and cam.powered
        bad = _run_lua(cam, "return reboot({})")
        assert bad[0].type == MessageType.ERROR and b"reboot" in bad[0].data
        local = cam.card.to_local("A/X.BIN")
        local.write_bytes(b"\x00" * 16)
        assert _run_lua(cam, "return reboot('a/x.bin')") == []  # never returns
        assert cam.scripts.running
        assert cam.reboots == ["a/x.bin"]
        cam.clock.advance(REBOOT_SHUTDOWN_MS)
        assert not cam.powered and not cam.scripts.running  # no bus: only the flag
        cam.clock.advance(REBOOT_BOOT_MS)
        assert cam.powered
        assert cam.scripts.execute(b"return 1\0", int(ScriptLanguage.LUA)) == (1, 0)


def test_reboot_refused_without_a_camera_hook() -> None:
    with SimulatedCamera(time_scale=0.001) as cam:
        cam.scripts.on_reboot = None
        msgs = _run_lua(cam, "return reboot()")
        assert msgs[0].type == MessageType.RET and msgs[0].data == bytes(4)
        assert cam.reboots == [] and cam.powered


def test_replug_during_reboot_cancels_it() -> None:
    with SimulatedCamera(time_scale=0.001) as cam:
        backend = SimulatedBackend([cam])
        _run_lua(cam, "reboot()")
        cam.clock.advance(REBOOT_SHUTDOWN_MS)
        assert backend.location(cam) is None
        cam.replug()  # power back by hand: the camera is there at once
        assert cam.powered and backend.location(cam) is not None
        cam.clock.advance(REBOOT_BOOT_MS)
        assert cam.powered

"""Discovery and connection: list_cameras, connect by each selector, not-found errors, udev."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest
import usb.core
import usb.util

import chdkptp
from chdkptp.discovery import CameraInfo, install_udev_rules, list_cameras, main, udev_rules
from chdkptp.errors import CameraNotFoundError
from chdkptp.sim import SimulatedBackend, SimulatedCamera


@pytest.fixture
def two() -> Iterator[tuple[SimulatedCamera, SimulatedCamera, SimulatedBackend]]:
    a = SimulatedCamera(serial="AAA111", model="PowerShot SX160 IS")
    b = SimulatedCamera(serial="BBB222", model="PowerShot G12")
    yield a, b, SimulatedBackend([a, b], buses=2)
    a.close()
    b.close()


def test_list_cameras(two: tuple[SimulatedCamera, SimulatedCamera, SimulatedBackend]) -> None:
    a, b, backend = two
    found = chdkptp.list_cameras(backend=backend)
    assert [c.serial for c in found] == ["AAA111", "BBB222"]
    assert all(isinstance(c, CameraInfo) for c in found)
    assert found[0].vendor_id == 0x04A9
    assert found[0].product_id == a.product_id
    assert found[1].model is not None and "G12" in found[1].model
    assert {(c.bus, c.address) for c in found} == {backend.location(a), backend.location(b)}
    assert "AAA111" in str(found[0])


def test_empty_bus() -> None:
    assert list_cameras(backend=SimulatedBackend([])) == []
    with pytest.raises(CameraNotFoundError) as info:
        chdkptp.connect(backend=SimulatedBackend([]))
    assert "no Canon PTP camera found" in str(info.value)


def test_connect_by_each_selector(
    two: tuple[SimulatedCamera, SimulatedCamera, SimulatedBackend],
) -> None:
    a, b, backend = two
    with chdkptp.connect(backend=backend) as cam:
        assert cam.serial == "AAA111"  # the first one
    with chdkptp.connect("BBB222", backend=backend) as cam:
        assert cam.serial == "BBB222"
        assert "G12" in cam.model
    with chdkptp.connect(model="g12", backend=backend) as cam:
        assert cam.serial == "BBB222"
    bus, address = backend.location(b)  # type: ignore[misc]
    with chdkptp.connect(bus=bus, address=address, backend=backend) as cam:
        assert cam.serial == "BBB222"
    bus_a, _ = backend.location(a)  # type: ignore[misc]
    with chdkptp.connect(bus=bus_a, backend=backend) as cam:
        assert cam.serial == "AAA111"


def test_not_found_lists_what_was_found(
    two: tuple[SimulatedCamera, SimulatedCamera, SimulatedBackend],
) -> None:
    _a, _b, backend = two
    with pytest.raises(CameraNotFoundError) as info:
        chdkptp.connect("NOPE", backend=backend)
    text = str(info.value)
    assert "serial='NOPE'" in text
    assert "AAA111" in text and "BBB222" in text
    assert len(info.value.found) == 2
    assert isinstance(info.value, LookupError)
    with pytest.raises(CameraNotFoundError):
        chdkptp.connect(model="SX160", address=99, backend=backend)


def test_bad_selector_types(backend: SimulatedBackend) -> None:
    with pytest.raises(TypeError):
        chdkptp.connect(123, backend=backend)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        chdkptp.connect(bus="1", backend=backend)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        chdkptp.connect(backend=backend, timeout=0)


def test_device_info_and_version(backend: SimulatedBackend, sim: SimulatedCamera) -> None:
    with chdkptp.connect(backend=backend) as cam:
        info = cam.device_info
        assert info.serial_number.value == sim.serial
        assert "Canon" in info.manufacturer.value
        assert cam.chdk_version == (2, 9)
        assert cam.info is not None and cam.info.serial == sim.serial
        assert "SX160" in repr(cam)


def test_powered_off_camera_is_not_listed(backend: SimulatedBackend, sim: SimulatedCamera) -> None:
    sim.unplug()
    assert list_cameras(backend=backend) == []
    sim.replug()
    assert len(list_cameras(backend=backend)) == 1


def test_udev_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = udev_rules()
    assert 'ATTR{idVendor}!="04a9"' in text
    assert "uaccess" in text
    path = install_udev_rules(tmp_path)
    assert path.read_text() == text
    assert main(["--udev"]) == 0
    assert "04a9" in capsys.readouterr().out
    assert main(["--install-udev", str(tmp_path)]) == 0


def test_unreadable_strings_fall_back_to_the_id_table(
    backend: SimulatedBackend, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without permission to open the device (Linux, no udev rule) strings cannot be read."""

    def denied(*_args: object, **_kwargs: object) -> str:
        raise usb.core.USBError("Access denied (insufficient permissions)", -3, errno.EACCES)

    monkeypatch.setattr(usb.util, "get_string", denied)
    (info,) = list_cameras(backend=backend)
    assert info.serial is None
    assert info.model == "PowerShot SX160 IS"  # from the product-id table
    assert info.access_error is not None and "permission" in info.access_error
    with pytest.raises(CameraNotFoundError) as err:
        chdkptp.connect("SIM00001", backend=backend)
    assert "could not be read" in str(err.value)

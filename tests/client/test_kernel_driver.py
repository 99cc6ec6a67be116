"""Opening a camera whose interface an OS driver holds: UsbTransport detaches the driver,
re-attaches it on close, and turns a refused detach into DeviceAccessError with the advice
(the simulated backend's ``set_kernel_driver`` knob plays the OS driver)."""

from __future__ import annotations

import errno

import pytest

import chdkptp
from chdkptp.discovery import find_device
from chdkptp.errors import DeviceAccessError
from chdkptp.sim import SimulatedBackend, SimulatedCamera
from chdkptp.transport.access import access_advice, busy_advice
from chdkptp.transport.usb import UsbTransport


def test_connect_detaches_the_kernel_driver_and_close_gives_it_back(
        sim: SimulatedCamera, backend: SimulatedBackend) -> None:
    backend.set_kernel_driver(sim)
    assert backend.kernel_driver_active(sim)
    with chdkptp.connect(backend=backend) as cam:
        assert not backend.kernel_driver_active(sim)
        assert cam.run_lua("return 6 * 7") == 42
    assert backend.kernel_driver_active(sim)


def test_no_kernel_driver_means_none_attached_on_close(
        sim: SimulatedCamera, backend: SimulatedBackend) -> None:
    device, _info = find_device(backend=backend)
    transport = UsbTransport.open(device, timeout=2.0)
    transport.close()
    assert not backend.kernel_driver_active(sim)


@pytest.mark.parametrize(("err", "cause", "advice"), [
    (errno.EACCES, "permission", access_advice()),
    (errno.EPERM, "permission", access_advice()),
    (errno.EBUSY, "busy", busy_advice()),
])
def test_refused_detach_is_an_access_error_with_advice(
        sim: SimulatedCamera, backend: SimulatedBackend, err: int, cause: str,
        advice: str) -> None:
    backend.set_kernel_driver(sim, detach_errno=err)
    with pytest.raises(DeviceAccessError) as info:
        chdkptp.connect(backend=backend)
    assert info.value.cause == cause
    assert advice in str(info.value)
    assert "claiming" in str(info.value)
    # The driver keeps the interface; nothing half-opened is left behind: once the OS lets
    # go, the next connect works.
    assert backend.kernel_driver_active(sim)
    backend.set_kernel_driver(sim)
    with chdkptp.connect(backend=backend) as cam:
        assert cam.run_lua("return 1") == 1
    assert backend.kernel_driver_active(sim)


def test_knob_needs_a_camera_on_the_backend(sim: SimulatedCamera) -> None:
    other = SimulatedBackend()
    with pytest.raises(ValueError, match="not on this backend"):
        other.set_kernel_driver(sim)
    with pytest.raises(ValueError, match="not on this backend"):
        other.kernel_driver_active(sim)

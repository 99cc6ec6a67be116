"""An independent client judges the simulator: unmodified ptpy over our pyusb backend.

ptpy 0.3.2 pins construct 2.8.8, which still uses ``collections.Sequence``; the documented shim
(engineering notes §6) restores that name before the import.  Nothing else is patched.
"""

from __future__ import annotations

import collections
import collections.abc
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import usb.core

from chdkptp._generated.ptp_codes import OperationCode
from chdkptp._generated.usb_codes import UsbVendorId
from chdkptp.sim.camera import SimulatedCamera
from chdkptp.sim.usb import SimulatedBackend

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def ptpy() -> Iterator[Any]:
    if not hasattr(collections, "Sequence"):
        collections.Sequence = collections.abc.Sequence  # type: ignore[attr-defined]
    handlers = list(logging.getLogger().handlers)
    module = pytest.importorskip("ptpy")
    yield module
    # ptpy attaches logging handlers at import; keep the test run's logging as it was
    for handler in list(logging.getLogger().handlers):
        if handler not in handlers:
            logging.getLogger().removeHandler(handler)


def _value(x: Any) -> Any:
    """ptpy turns known codes into names; compare on plain values."""
    return str(x) if not isinstance(x, int) else int(x)


def test_ptpy_reads_device_info_in_a_session(ptpy: Any) -> None:
    with SimulatedCamera(serial="PTPY0001") as cam:
        backend = SimulatedBackend([cam])
        dev = usb.core.find(backend=backend, idVendor=UsbVendorId.CANON)
        assert dev is not None
        camera = ptpy.PTPy(device=dev, raw=True)
        try:
            info = camera.get_device_info()
            with camera.session():
                in_session = camera.get_device_info()
        finally:
            # stop ptpy's event thread now rather than at interpreter exit (its atexit hook)
            camera._shutdown()
        assert str(info.Model) == "Canon PowerShot SX160 IS"
        assert str(info.SerialNumber) == "PTPY0001"
        assert str(info.Manufacturer) == "Canon Inc."
        assert str(in_session.Model) == str(info.Model)
        ops = [_value(op) for op in info.OperationsSupported]
        assert "GetDeviceInfo" in ops and "OpenSession" in ops
        assert int(OperationCode.CHDK) in ops  # unknown to ptpy, so it stays a number
        received = [op for op, _ in cam.operations_log]
        assert received.count(OperationCode.OPEN_SESSION) == 1
        assert received.count(OperationCode.CLOSE_SESSION) == 1
        assert cam.responder.session_id is None
        assert cam.storage_enumeration_count == 0

"""``list_cameras()`` / ``connect()`` without ``backend=``: the real libusb from libusb-package,
passed explicitly to pyusb (never pyusb's global default), on this machine's bus.

The tests that talk to the real libusb expect a machine without a Canon camera on USB (CI
and this sandbox have no USB stack at all: libusb enumerates nothing, without error); they
are skipped where a camera is plugged in.  Only the OS edge is patched: libusb-package's
loader and pyusb's ``usb.core.find``, each wrapped to record the call and pass it on.
"""

from __future__ import annotations

from typing import Any

import libusb_package
import pytest
import usb.core

import chdkptp
from chdkptp.discovery import default_backend
from chdkptp.errors import CameraNotFoundError, DeviceAccessError


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Wrap libusb-package's loader and ``usb.core.find``: record, then do the real thing."""
    calls: dict[str, list[Any]] = {"loader": [], "find": []}
    real_loader = libusb_package.get_libusb1_backend
    real_find = usb.core.find

    def loader(*args: Any, **kwargs: Any) -> Any:
        backend = real_loader(*args, **kwargs)
        calls["loader"].append(backend)
        return backend

    def find(*args: Any, **kwargs: Any) -> Any:
        calls["find"].append(kwargs)
        return real_find(*args, **kwargs)

    monkeypatch.setattr(libusb_package, "get_libusb1_backend", loader)
    monkeypatch.setattr(usb.core, "find", find)
    return calls


def _no_canon_here() -> bool:
    backend = libusb_package.get_libusb1_backend()
    return backend is not None and usb.core.find(idVendor=0x04A9, backend=backend) is None


needs_empty_bus = pytest.mark.skipif(not _no_canon_here(),
                                     reason="a Canon device is on this machine's USB bus")


@needs_empty_bus
def test_list_cameras_uses_libusb_package_backend(recorded: dict[str, list[Any]]) -> None:
    assert chdkptp.list_cameras() == []
    assert len(recorded["loader"]) == 1
    backend = recorded["loader"][0]
    assert backend is not None
    assert type(backend).__module__ == "usb.backend.libusb1"
    assert len(recorded["find"]) == 1
    assert recorded["find"][0]["backend"] is backend
    assert recorded["find"][0]["find_all"] is True


@needs_empty_bus
def test_connect_without_backend_finds_no_camera(recorded: dict[str, list[Any]]) -> None:
    with pytest.raises(CameraNotFoundError) as info:
        chdkptp.connect()
    assert "no Canon PTP camera found" in str(info.value)
    assert info.value.found == []
    assert recorded["find"] and all(kw["backend"] is recorded["loader"][i]
                                    for i, kw in enumerate(recorded["find"]))
    with pytest.raises(CameraNotFoundError, match="serial='XYZ'"):
        chdkptp.connect("XYZ")


def test_default_backend_is_libusb_package_s(recorded: dict[str, list[Any]]) -> None:
    backend = default_backend()
    assert recorded["loader"] == [backend]


def test_no_backend_error_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def find(*_args: Any, **_kwargs: Any) -> Any:
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb.core, "find", find)
    with pytest.raises(DeviceAccessError, match="no USB backend available"):
        chdkptp.list_cameras()
    with pytest.raises(DeviceAccessError, match="no USB backend available"):
        chdkptp.connect()


def test_libusb_missing_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """libusb-package has no libusb for this platform: its loader answers None."""
    monkeypatch.setattr(libusb_package, "get_libusb1_backend", lambda: None)
    with pytest.raises(DeviceAccessError, match=r"install libusb-1\.0"):
        chdkptp.list_cameras()
    with pytest.raises(DeviceAccessError, match=r"install libusb-1\.0"):
        chdkptp.connect()

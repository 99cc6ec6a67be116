"""The simulator's pyusb backend: simulated PowerShots as USB devices.

What belongs here: :class:`SimulatedBackend` (a ``usb.backend.IBackend`` that pyusb's real
``usb.core.find`` / ``Device`` / ``Endpoint`` code runs on), the USB descriptors of a Canon
PTP camera, packetisation at wMaxPacketSize 512 with zero-length packets, standard control
requests (descriptors, GET_STATUS, CLEAR/SET_FEATURE(ENDPOINT_HALT), configuration), endpoint
stalls, timeouts, unplug / replug with new bus addresses, idle power-down, per-camera latency
with jitter, and the USB-level fault knobs of :class:`~chdkptp.sim.faults.Faults`.

What does not: PTP.  Containers, sessions, transaction ids and CHDK live behind the small
:class:`UsbFunction` protocol (implemented by the PTP responder); this module only moves bytes
and never looks inside them, except to recognise a Data container for ``truncate_data_in``.

Bus coupling: :meth:`SimulatedBackend.add` sets ``camera.usb_bus = backend``; a camera's
``unplug()`` / ``replug()`` forward to :meth:`SimulatedBackend.unplug` /
:meth:`SimulatedBackend.replug`.  Setting ``camera.powered`` directly has the same effect,
noticed at the next USB call.
"""

from __future__ import annotations

import errno
import itertools
import logging
import random
import struct
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from enum import IntEnum
from types import SimpleNamespace
from typing import Any, Protocol

import usb.backend
import usb.control
import usb.core
import usb.util

from chdkptp._generated.ptp_codes import ContainerType
from chdkptp._generated.usb_codes import (
    UsbClassRequest,
    UsbInterfaceClass,
    UsbInterfaceProtocol,
    UsbInterfaceSubclass,
    UsbLangId,
    UsbStandardRequest,
    UsbVendorId,
)
from chdkptp.errors import RemoteProtocolError
from chdkptp.ptp.containers import HEADER_SIZE, decode_header
from chdkptp.sim.clock import SimClock
from chdkptp.sim.faults import Faults

__all__ = ["SimulatedBackend", "Stall", "UsbCamera", "UsbFunction"]

logger = logging.getLogger(__name__)


class Stall(Exception):
    """Raised by a :class:`UsbFunction` to refuse a request: the host sees a stall (EPIPE).

    From ``class_request`` it stalls the control pipe (the request fails, nothing stays
    halted); from ``bulk_out`` / ``bulk_in`` it halts that bulk endpoint until the host clears
    it with CLEAR_FEATURE(ENDPOINT_HALT) (``dev.clear_halt``).
    """


class UsbFunction(Protocol):
    """What the backend needs from a device's PTP function (the responder implements it)."""

    def bulk_out(self, data: bytes) -> None:
        """Accept one host→device bulk transfer (``b""`` for a zero-length packet)."""

    def bulk_in(self) -> bytes | None:
        """Return the next whole device→host container, or ``None`` if there is none yet."""

    def interrupt_in(self) -> bytes | None:
        """Return the next event container, or ``None``."""

    def class_request(
        self, bm_request_type: int, request: int, value: int, index: int, data: bytes, length: int
    ) -> bytes:
        """Answer a still-image class request; raise :class:`Stall` for unknown ones."""

    def usb_reset(self) -> None:
        """Port reset: abort the transaction in flight, keep the session."""

    def set_ready_callback(self, cb: Callable[[], None]) -> None:
        """Register ``cb``, to be called whenever bulk or interrupt data becomes available."""


class UsbCamera(Protocol):
    """What the backend needs from a simulated camera (``SimulatedCamera`` provides it)."""

    @property
    def serial(self) -> str:
        """USB serial number string (also the PTP DeviceInfo serial)."""

    @property
    def model(self) -> str:
        """USB product string, e.g. ``"PowerShot SX160 IS"``."""

    @property
    def product_id(self) -> int:
        """USB idProduct."""

    @property
    def manufacturer(self) -> str:
        """USB manufacturer string, ``"Canon Inc."``."""

    @property
    def function(self) -> UsbFunction:
        """The PTP function behind the interface."""

    @property
    def faults(self) -> Faults:
        """Shared fault knobs."""

    @property
    def clock(self) -> SimClock:
        """The camera's clock (idle power-down counts simulated time)."""

    powered: bool
    usb_bus: SimulatedBackend | None


class _LibusbError(IntEnum):
    """libusb-1.0 error codes, as the libusb1 backend puts them in ``backend_error_code``."""

    IO = -1
    INVALID_PARAM = -2
    ACCESS = -3
    NO_DEVICE = -4
    NOT_FOUND = -5
    BUSY = -6
    TIMEOUT = -7
    OVERFLOW = -8
    PIPE = -9


# --- Simulated device data (descriptor contents of the simulated camera) -------------------
# Standard request codes, the LANGID and the interface class triple come from usb_codes.
_PACKET = 512  # wMaxPacketSize of both bulk endpoints (high speed)
_INTR_PACKET = 64
_INTR_INTERVAL = 16
_EP_BULK_IN = 0x81
_EP_BULK_OUT = 0x02
_EP_INTR_IN = 0x83
_CONFIG_VALUE = 1
_BCD_USB = 0x0200
_BCD_DEVICE = 0x0002
_MAX_PACKET0 = 64
_CONFIG_ATTRIBUTES = 0xC0  # self-powered, no remote wakeup
_MAX_POWER = 1  # 2 mA units
_STR_MANUFACTURER = 1
_STR_PRODUCT = 2
_STR_SERIAL = 3
_FIRST_ADDRESS = 2  # address 1 is the root hub
_LAST_ADDRESS = 127
_DEVICE_DESC_LEN = 18
_CONFIG_DESC_LEN = 9
_INTERFACE_DESC_LEN = 9
_ENDPOINT_DESC_LEN = 7
_STATUS_LEN = 2

_WAIT_SLICE_S = 0.05  # waits re-check unplug / idle power-down at least this often


def _usb_error(text: str, code: _LibusbError, err: int) -> usb.core.USBError:
    return usb.core.USBError(text, int(code), err)


def _timeout_error() -> usb.core.USBError:
    return usb.core.USBTimeoutError(
        "Operation timed out", int(_LibusbError.TIMEOUT), errno.ETIMEDOUT
    )


def _stall_error() -> usb.core.USBError:
    return _usb_error("Pipe error", _LibusbError.PIPE, errno.EPIPE)


def _no_device_error() -> usb.core.USBError:
    return _usb_error(
        "No such device (it may have been disconnected)", _LibusbError.NO_DEVICE, errno.ENODEV
    )


def _overflow_error() -> usb.core.USBError:
    return _usb_error("Overflow", _LibusbError.OVERFLOW, errno.EOVERFLOW)


def _invalid_error(what: str) -> usb.core.USBError:
    return _usb_error(f"Invalid parameter: {what}", _LibusbError.INVALID_PARAM, errno.EINVAL)


def _libusb_errno_error(err: int) -> usb.core.USBError:
    """The USBError libusb reports for an OS call that failed with ``err``."""
    if err in (errno.EACCES, errno.EPERM):
        return _usb_error("Access denied (insufficient permissions)", _LibusbError.ACCESS, err)
    if err == errno.EBUSY:
        return _usb_error("Resource busy", _LibusbError.BUSY, err)
    return _usb_error("Input/Output Error", _LibusbError.IO, err)


class _Device:
    """Bus-side state of one camera: address, endpoint state, buffered IN data."""

    def __init__(self, camera: UsbCamera, bus: int, port: int) -> None:
        self.camera = camera
        self.function = camera.function
        self.faults = camera.faults
        self.bus = bus
        self.port = port
        self.address = 0
        self.generation = 0  # bumped on every attach and detach: stale handles fail
        self.attached = False
        self.removed = False  # taken off the backend: never comes back
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.configuration = _CONFIG_VALUE
        self.halted: set[int] = set()
        self.in_view: memoryview | None = None  # unread rest of the current IN container
        self.in_zlp = False  # a ZLP follows the container just finished
        self.muted = False  # truncate_data_in fired: bulk IN stays silent until reset
        self.in_more = False  # the IN container being sent continues in the next piece
        self.intr_view: memoryview | None = None
        self.last_traffic_ms: float | None = None
        self.rng = random.Random(f"usb-latency:{camera.serial}")
        self.wake_pending = False  # notify() ran while the lock was busy
        self.kernel_driver = False  # a (simulated) OS driver holds interface 0
        self.detach_errno: int | None = None  # detach_kernel_driver fails with this errno
        self.function.set_ready_callback(self.notify)

    def notify(self) -> None:
        """Ready callback: wake transfers waiting for data.

        Never blocks, so a function may call it from any thread while holding its own locks:
        if a transfer holds the device lock right now, a flag makes that transfer poll the
        function again instead of sleeping.
        """
        if self.lock.acquire(blocking=False):
            try:
                self.cond.notify_all()
            finally:
                self.lock.release()
        else:
            self.wake_pending = True

    def clear_pipes(self) -> None:
        """Forget buffered IN data, halts and the mute state (port or device reset)."""
        self.halted.clear()
        self.in_view = None
        self.in_zlp = False
        self.muted = False
        self.in_more = False
        self.intr_view = None

    def descriptor(self) -> SimpleNamespace:
        cam = self.camera
        return SimpleNamespace(
            bLength=_DEVICE_DESC_LEN,
            bDescriptorType=usb.util.DESC_TYPE_DEVICE,
            bcdUSB=_BCD_USB,
            bDeviceClass=0,  # defined at the interface
            bDeviceSubClass=0,
            bDeviceProtocol=0,
            bMaxPacketSize0=_MAX_PACKET0,
            idVendor=int(UsbVendorId.CANON),
            idProduct=int(cam.product_id),
            bcdDevice=_BCD_DEVICE,
            iManufacturer=_STR_MANUFACTURER,
            iProduct=_STR_PRODUCT,
            iSerialNumber=_STR_SERIAL,
            bNumConfigurations=1,
            bus=self.bus,
            address=self.address,
            port_number=self.port,
            port_numbers=(self.port,),
            speed=usb.util.SPEED_HIGH,
        )


class _DeviceRef:
    """What ``enumerate_devices`` yields: one device at one bus address (one attachment)."""

    __slots__ = ("desc", "dev", "generation")

    def __init__(self, dev: _Device) -> None:
        self.dev = dev
        self.generation = dev.generation
        self.desc = dev.descriptor()


class _Handle:
    """An open device handle; dead once the device leaves the bus."""

    __slots__ = ("dev", "generation")

    def __init__(self, dev: _Device, generation: int) -> None:
        self.dev = dev
        self.generation = generation


def _config_descriptor() -> SimpleNamespace:
    return SimpleNamespace(
        bLength=_CONFIG_DESC_LEN,
        bDescriptorType=usb.util.DESC_TYPE_CONFIG,
        wTotalLength=_CONFIG_DESC_LEN + _INTERFACE_DESC_LEN + 3 * _ENDPOINT_DESC_LEN,
        bNumInterfaces=1,
        bConfigurationValue=_CONFIG_VALUE,
        iConfiguration=0,
        bmAttributes=_CONFIG_ATTRIBUTES,
        bMaxPower=_MAX_POWER,
        extra_descriptors=[],
    )


def _interface_descriptor() -> SimpleNamespace:
    return SimpleNamespace(
        bLength=_INTERFACE_DESC_LEN,
        bDescriptorType=usb.util.DESC_TYPE_INTERFACE,
        bInterfaceNumber=0,
        bAlternateSetting=0,
        bNumEndpoints=3,
        bInterfaceClass=int(UsbInterfaceClass.STILL_IMAGE),
        bInterfaceSubClass=int(UsbInterfaceSubclass.STILL_IMAGE_CAPTURE),
        bInterfaceProtocol=int(UsbInterfaceProtocol.PTP),
        iInterface=0,
        extra_descriptors=[],
    )


def _endpoint_descriptor(address: int, kind: int, packet: int, interval: int) -> SimpleNamespace:
    return SimpleNamespace(
        bLength=_ENDPOINT_DESC_LEN,
        bDescriptorType=usb.util.DESC_TYPE_ENDPOINT,
        bEndpointAddress=address,
        bmAttributes=kind,
        wMaxPacketSize=packet,
        bInterval=interval,
        bRefresh=0,
        bSynchAddress=0,
        extra_descriptors=[],
    )


_CONFIG = _config_descriptor()
_INTERFACE = _interface_descriptor()
_ENDPOINTS = (
    _endpoint_descriptor(_EP_BULK_IN, usb.util.ENDPOINT_TYPE_BULK, _PACKET, 0),
    _endpoint_descriptor(_EP_BULK_OUT, usb.util.ENDPOINT_TYPE_BULK, _PACKET, 0),
    _endpoint_descriptor(_EP_INTR_IN, usb.util.ENDPOINT_TYPE_INTR, _INTR_PACKET, _INTR_INTERVAL),
)
_ENDPOINT_ADDRESSES = frozenset(ep.bEndpointAddress for ep in _ENDPOINTS)


def _pack_device_descriptor(d: SimpleNamespace) -> bytes:
    return struct.pack(
        "<BBHBBBBHHHBBBB",
        d.bLength,
        d.bDescriptorType,
        d.bcdUSB,
        d.bDeviceClass,
        d.bDeviceSubClass,
        d.bDeviceProtocol,
        d.bMaxPacketSize0,
        d.idVendor,
        d.idProduct,
        d.bcdDevice,
        d.iManufacturer,
        d.iProduct,
        d.iSerialNumber,
        d.bNumConfigurations,
    )


def _pack_config_descriptor() -> bytes:
    c, i = _CONFIG, _INTERFACE
    out = struct.pack(
        "<BBHBBBBB",
        c.bLength,
        c.bDescriptorType,
        c.wTotalLength,
        c.bNumInterfaces,
        c.bConfigurationValue,
        c.iConfiguration,
        c.bmAttributes,
        c.bMaxPower,
    )
    out += struct.pack(
        "<BBBBBBBBB",
        i.bLength,
        i.bDescriptorType,
        i.bInterfaceNumber,
        i.bAlternateSetting,
        i.bNumEndpoints,
        i.bInterfaceClass,
        i.bInterfaceSubClass,
        i.bInterfaceProtocol,
        i.iInterface,
    )
    for e in _ENDPOINTS:
        out += struct.pack(
            "<BBBBHB",
            e.bLength,
            e.bDescriptorType,
            e.bEndpointAddress,
            e.bmAttributes,
            e.wMaxPacketSize,
            e.bInterval,
        )
    return out


def _string_descriptor(text: str) -> bytes:
    body = text.encode("utf-16-le")
    return bytes((2 + len(body), usb.util.DESC_TYPE_STRING)) + body


def _is_data_container(container: bytes) -> bool:
    if len(container) < HEADER_SIZE:
        return False
    try:
        return bool(decode_header(container).type == ContainerType.DATA)
    except RemoteProtocolError:
        return False


class SimulatedBackend(usb.backend.IBackend):  # type: ignore[misc]
    """A pyusb backend serving simulated cameras (pass it as ``backend=`` to pyusb).

    Each camera appears as a Canon device (VID from ``UsbVendorId.CANON``, its own
    ``product_id``) with configuration 1 active, interface 0 of class 6/1/1 and endpoints 0x81
    bulk IN (512), 0x02 bulk OUT (512) and 0x83 interrupt IN (64).  Cameras are spread over
    ``buses`` buses (1..n); each gets address 2..127 on attach and a new one on every replug.

    USB errors are ``usb.core.USBError`` as the libusb1 backend raises them: timeout
    (``USBTimeoutError``, errno 110), stall (32), no device (19), overflow (75), bad
    argument (22).  ``timeout=0`` waits forever.

    Raises:
        ValueError: ``buses`` < 1, or the same camera added twice.
    """

    def __init__(self, cameras: Iterable[UsbCamera] = (), *, buses: int = 1) -> None:
        if isinstance(buses, bool) or not isinstance(buses, int):
            raise TypeError("buses must be an int")
        if buses < 1:
            raise ValueError("buses must be at least 1")
        self._buses = buses
        self._lock = threading.Lock()
        self._devices: dict[int, _Device] = {}  # id(camera) -> device, in plug order
        self._slots = itertools.count()
        self._ports: dict[int, itertools.count[int]] = {}
        self._next_address: dict[int, int] = {}
        for camera in cameras:
            self.add(camera)

    # --- hot-plug ----------------------------------------------------------------------------

    def add(self, camera: UsbCamera) -> None:
        """Plug ``camera`` into a free port (it appears on the bus if ``camera.powered``).

        Raises:
            ValueError: the camera is already on this backend.
        """
        with self._lock:
            if id(camera) in self._devices:
                raise ValueError(f"camera {camera.serial!r} is already on this backend")
            bus = 1 + next(self._slots) % self._buses
            port = next(self._ports.setdefault(bus, itertools.count(1)))
            dev = _Device(camera, bus, port)
            self._devices[id(camera)] = dev
        camera.usb_bus = self
        with dev.lock:
            if camera.powered:
                self._attach(dev)
        logger.debug("added %s on bus %d port %d", camera.serial, bus, port)

    def remove(self, camera: UsbCamera) -> None:
        """Take ``camera`` off this backend for good (open handles fail with errno 19).

        Raises:
            ValueError: the camera is not on this backend.
        """
        with self._lock:
            dev = self._devices.pop(id(camera), None)
        if dev is None:
            raise ValueError(f"camera {camera.serial!r} is not on this backend")
        with dev.lock:
            powered = camera.powered
            self._detach(dev, "removed")
            dev.removed = True
            camera.powered = powered
        if camera.usb_bus is self:
            camera.usb_bus = None

    def unplug(self, camera: UsbCamera) -> None:
        """Pull the cable: ``camera.powered`` becomes False, transfers fail with errno 19.

        Raises:
            ValueError: the camera is not on this backend.
        """
        dev = self._device(camera)
        with dev.lock:
            if dev.attached:
                self._detach(dev, "unplugged")
            camera.powered = False

    def replug(self, camera: UsbCamera) -> None:
        """Plug the cable back in: the camera reappears at a new address (powered again).

        Raises:
            ValueError: the camera is not on this backend.
        """
        dev = self._device(camera)
        with dev.lock:
            if dev.attached:
                self._detach(dev, "replugged")
            self._attach(dev)

    def location(self, camera: UsbCamera) -> tuple[int, int] | None:
        """``(bus, address)`` of ``camera``, or ``None`` while it is off the bus.

        Raises:
            ValueError: the camera is not on this backend.
        """
        dev = self._device(camera)
        with dev.lock:
            self._poll_power(dev)
            return (dev.bus, dev.address) if dev.attached else None

    def set_kernel_driver(self, camera: UsbCamera, active: bool = True, *,
                          detach_errno: int | None = None) -> None:
        """Pretend an OS driver (Linux: gvfs's usbfs claim, ``usb-storage``...) holds interface 0.

        ``is_kernel_driver_active`` answers ``active``; ``detach_kernel_driver`` clears it, or
        fails with ``detach_errno`` (``errno.EACCES``/``EPERM`` → libusb ACCESS, ``EBUSY`` →
        BUSY, others → IO) and leaves it active; ``attach_kernel_driver`` sets it again.

        Raises:
            ValueError: the camera is not on this backend.
        """
        dev = self._device(camera)
        with dev.lock:
            dev.kernel_driver = bool(active)
            dev.detach_errno = detach_errno

    def kernel_driver_active(self, camera: UsbCamera) -> bool:
        """Whether the simulated OS driver currently holds ``camera``'s interface 0.

        Raises:
            ValueError: the camera is not on this backend.
        """
        dev = self._device(camera)
        with dev.lock:
            return dev.kernel_driver

    def _device(self, camera: UsbCamera) -> _Device:
        with self._lock:
            dev = self._devices.get(id(camera))
        if dev is None:
            raise ValueError(f"camera {camera.serial!r} is not on this backend")
        return dev

    def _alloc_address(self, bus: int) -> int:
        with self._lock:
            used = {d.address for d in self._devices.values() if d.bus == bus and d.attached}
            span = _LAST_ADDRESS - _FIRST_ADDRESS + 1
            start = self._next_address.get(bus, _FIRST_ADDRESS)
            for i in range(span):
                candidate = _FIRST_ADDRESS + (start - _FIRST_ADDRESS + i) % span
                if candidate not in used:
                    self._next_address[bus] = (
                        _FIRST_ADDRESS + (candidate - _FIRST_ADDRESS + 1) % span
                    )
                    return candidate
        raise _usb_error("No free address on the bus", _LibusbError.IO, errno.EBUSY)

    def _attach(self, dev: _Device) -> None:
        """Bring ``dev`` onto the bus at a fresh address (caller holds ``dev.lock``)."""
        dev.address = self._alloc_address(dev.bus)
        dev.generation += 1
        dev.attached = True
        dev.configuration = _CONFIG_VALUE
        dev.clear_pipes()
        dev.last_traffic_ms = None
        dev.camera.powered = True
        logger.debug("%s attached at %03d/%03d", dev.camera.serial, dev.bus, dev.address)

    def _detach(self, dev: _Device, why: str) -> None:
        """Take ``dev`` off the bus (caller holds ``dev.lock``); waiters fail with errno 19."""
        was_attached = dev.attached
        dev.attached = False
        dev.generation += 1
        dev.clear_pipes()
        dev.camera.powered = False
        if was_attached:
            dev.function.usb_reset()  # the transaction in flight dies with the link
            logger.debug("%s left the bus (%s)", dev.camera.serial, why)
        dev.cond.notify_all()

    def _poll_power(self, dev: _Device) -> None:
        """Follow ``camera.powered`` flips and idle power-down (caller holds ``dev.lock``)."""
        if dev.removed:
            return
        powered = dev.camera.powered
        if powered != dev.attached:
            if powered:
                self._attach(dev)
            else:
                self._detach(dev, "powered off")
            return
        idle_s = dev.faults.idle_power_down_s
        if idle_s is not None and dev.attached:
            now = float(dev.camera.clock.now_ms())
            if dev.last_traffic_ms is None:
                dev.last_traffic_ms = now
            elif now - dev.last_traffic_ms >= idle_s * 1000.0:
                self._detach(dev, "idle power-down")

    def _check(self, handle: _Handle) -> _Device:
        """The handle's device, alive (caller holds ``dev.lock``), else errno 19."""
        dev = handle.dev
        if dev.faults.idle_power_down_s is not None or dev.camera.powered != dev.attached:
            self._poll_power(dev)
        if handle.generation != dev.generation or not dev.attached:
            raise _no_device_error()
        return dev

    @staticmethod
    def _traffic(dev: _Device) -> None:
        if dev.faults.idle_power_down_s is not None:
            dev.last_traffic_ms = float(dev.camera.clock.now_ms())

    @staticmethod
    def _latency(dev: _Device) -> None:
        faults = dev.faults
        latency = faults.latency_ms
        jitter = faults.jitter_ms
        if latency or jitter:
            delay = latency + (dev.rng.uniform(-jitter, jitter) if jitter else 0.0)
            if delay > 0:
                time.sleep(delay / 1000.0)

    def _spend(self, dev: _Device, n: int) -> None:
        """Charge ``n`` bulk bytes against ``disconnect_after_bytes`` (caller holds the lock)."""
        budget = dev.faults.disconnect_after_bytes
        if budget is None:
            return
        if n > budget:
            dev.faults.disconnect_after_bytes = None  # fires once: a replugged camera works
            self._detach(dev, "disconnect_after_bytes")
            raise _no_device_error()
        dev.faults.disconnect_after_bytes = budget - n
        if budget == n:
            dev.faults.disconnect_after_bytes = None
            self._detach(dev, "disconnect_after_bytes")

    def _wait(self, dev: _Device, handle: _Handle, deadline: float | None) -> None:
        """Sleep on the device condition until notified, a slice passes or the deadline."""
        if dev.wake_pending:
            dev.wake_pending = False
        elif deadline is None:
            dev.cond.wait(_WAIT_SLICE_S)
        else:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timeout_error()
            dev.cond.wait(min(remaining, _WAIT_SLICE_S))
        self._check(handle)

    # --- IBackend: enumeration and descriptors -----------------------------------------------

    def enumerate_devices(self) -> Iterator[_DeviceRef]:
        """Devices currently on the bus (idle power-down is applied first)."""
        with self._lock:
            devices = list(self._devices.values())
        refs = []
        for dev in devices:
            with dev.lock:
                self._poll_power(dev)
                if dev.attached:
                    refs.append(_DeviceRef(dev))
        return iter(refs)

    def get_parent(self, dev: _DeviceRef) -> None:
        """No hub is modelled: every device hangs off its root hub."""
        return None

    def get_device_descriptor(self, dev: _DeviceRef) -> SimpleNamespace:
        return dev.desc

    def get_configuration_descriptor(self, dev: _DeviceRef, config: int) -> SimpleNamespace:
        if config != 0:
            raise IndexError("configuration index out of range")
        return _CONFIG

    def get_interface_descriptor(
        self, dev: _DeviceRef, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        if config != 0 or intf != 0 or alt != 0:
            raise IndexError("interface / alternate setting out of range")
        return _INTERFACE

    def get_endpoint_descriptor(
        self, dev: _DeviceRef, ep: int, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        if config != 0 or intf != 0 or alt != 0 or not 0 <= ep < len(_ENDPOINTS):
            raise IndexError("endpoint index out of range")
        return _ENDPOINTS[ep]

    # --- IBackend: handles, configuration, interfaces ----------------------------------------

    def open_device(self, dev: _DeviceRef) -> _Handle:
        d = dev.dev
        with d.lock:
            self._poll_power(d)
            if not d.attached or d.generation != dev.generation:
                raise _no_device_error()
            return _Handle(d, dev.generation)

    def close_device(self, dev_handle: _Handle) -> None:
        return None

    def set_configuration(self, dev_handle: _Handle, config_value: int) -> None:
        with dev_handle.dev.lock:
            dev = self._check(dev_handle)
            if config_value not in (0, _CONFIG_VALUE):
                raise _invalid_error(f"configuration {config_value}")
            dev.configuration = config_value

    def get_configuration(self, dev_handle: _Handle) -> int:
        with dev_handle.dev.lock:
            return self._check(dev_handle).configuration

    def set_interface_altsetting(self, dev_handle: _Handle, intf: int, altsetting: int) -> None:
        with dev_handle.dev.lock:
            self._check(dev_handle)
            if intf != 0 or altsetting != 0:
                raise _usb_error("Entity not found", _LibusbError.NOT_FOUND, errno.ENOENT)

    def claim_interface(self, dev_handle: _Handle, intf: int) -> None:
        with dev_handle.dev.lock:
            self._check(dev_handle)
            if intf != 0:
                raise _usb_error("Entity not found", _LibusbError.NOT_FOUND, errno.ENOENT)

    def release_interface(self, dev_handle: _Handle, intf: int) -> None:
        with dev_handle.dev.lock:
            self._check(dev_handle)

    def is_kernel_driver_active(self, dev_handle: _Handle, intf: int) -> bool:
        with dev_handle.dev.lock:
            return self._check(dev_handle).kernel_driver and intf == 0

    def detach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        with dev_handle.dev.lock:
            dev = self._check(dev_handle)
            if intf != 0 or not dev.kernel_driver:
                raise _usb_error("Entity not found", _LibusbError.NOT_FOUND, errno.ENOENT)
            if dev.detach_errno is not None:
                raise _libusb_errno_error(dev.detach_errno)
            dev.kernel_driver = False

    def attach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        with dev_handle.dev.lock:
            dev = self._check(dev_handle)
            if intf != 0:
                raise _usb_error("Entity not found", _LibusbError.NOT_FOUND, errno.ENOENT)
            if dev.kernel_driver:
                raise _usb_error("Resource busy", _LibusbError.BUSY, errno.EBUSY)
            dev.kernel_driver = True

    def clear_halt(self, dev_handle: _Handle, ep: int) -> None:
        """CLEAR_FEATURE(ENDPOINT_HALT): un-halt ``ep`` (a no-op if it is not halted)."""
        with dev_handle.dev.lock:
            dev = self._check(dev_handle)
            if ep not in _ENDPOINT_ADDRESSES:
                raise _invalid_error(f"endpoint {ep:#x}")
            dev.halted.discard(ep)
            self._traffic(dev)

    def reset_device(self, dev_handle: _Handle) -> None:
        """Port reset: the function aborts its transaction; halts and buffered IN data go.

        The device keeps its address and session (what libusb_reset_device does for a device
        whose descriptors did not change).
        """
        with dev_handle.dev.lock:
            dev = self._check(dev_handle)
            dev.clear_pipes()
            dev.configuration = _CONFIG_VALUE
            dev.function.usb_reset()
            self._traffic(dev)

    # --- IBackend: transfers -----------------------------------------------------------------

    def bulk_write(self, dev_handle: _Handle, ep: int, intf: int, data: Any, timeout: int) -> int:
        """One bulk OUT transfer, handed whole to ``UsbFunction.bulk_out``."""
        dev = dev_handle.dev
        self._latency(dev)
        with dev.lock:
            self._check(dev_handle)
            if ep != _EP_BULK_OUT:
                raise _invalid_error(f"bulk OUT endpoint {ep:#x}")
            faults = dev.faults
            if faults.stall_bulk_out:
                faults.stall_bulk_out = False
                dev.halted.add(ep)
            if ep in dev.halted:
                raise _stall_error()
            if faults.write_timeouts > 0 and faults.take("write_timeouts"):
                raise _timeout_error()
            payload = data.tobytes() if isinstance(data, array) else bytes(data)
            n = len(payload)
            self._spend(dev, n)
            try:
                dev.function.bulk_out(payload)
            except Stall:
                dev.halted.add(ep)
                raise _stall_error() from None
            self._traffic(dev)
            return n

    def bulk_read(self, dev_handle: _Handle, ep: int, intf: int, buff: Any, timeout: int) -> int:
        """One bulk IN transfer into ``buff``: ends at a short packet, ZLP or a full buffer."""
        dev = dev_handle.dev
        self._latency(dev)
        with dev.lock:
            self._check(dev_handle)
            if ep != _EP_BULK_IN:
                raise _invalid_error(f"bulk IN endpoint {ep:#x}")
            faults = dev.faults
            if faults.stall_bulk_in:
                faults.stall_bulk_in = False
                dev.halted.add(ep)
            if ep in dev.halted:
                raise _stall_error()
            if faults.read_timeouts > 0 and faults.take("read_timeouts"):
                raise _timeout_error()
            with memoryview(buff) as target:
                filled = self._fill(dev, dev_handle, ep, target, timeout)
            self._traffic(dev)
            return filled

    def _fill(self, dev: _Device, handle: _Handle, ep: int, target: memoryview,
              timeout: int) -> int:
        """Copy IN data into ``target`` for one transfer (caller holds the lock); the count.

        The transfer ends at the end of a container, a full buffer or a ZLP.  Pieces of one
        streamed container are whole packets, so the transfer runs on into the next piece;
        past the first piece a function with ``bulk_in_into`` writes straight into
        ``target`` (the file is read into pyusb's buffer: no copy in between).
        """
        size = len(target)
        filled = 0
        while True:
            view = dev.in_view
            if view is None:
                if dev.in_zlp and not filled:
                    dev.in_zlp = False
                    return 0
                direct = getattr(dev.function, "bulk_in_into", None)
                if direct is not None and dev.in_more and not dev.muted \
                        and (size - filled) % _PACKET == 0:
                    got = direct(target[filled:])
                    if got is not None:
                        count, more = got
                        self._spend(dev, count)
                        dev.in_more = more
                        # every piece before was whole packets: the container's length
                        # is a multiple of the packet size exactly when this rest is
                        dev.in_zlp = not more and count % _PACKET == 0
                        return filled + int(count)
                view = self._next_in(dev, handle, ep, timeout)
                if view is None:  # a zero-length container is a ZLP
                    return filled
            remaining = len(view)
            space = size - filled
            if remaining > space and space % _PACKET:
                # The packet that does not fit is lost, as on a real host controller.
                lost = min(remaining, (space // _PACKET + 1) * _PACKET)
                self._spend(dev, lost)
                dev.in_view = view[lost:] if lost < remaining else None
                raise _overflow_error()
            take = min(remaining, space)
            self._spend(dev, take)
            if take:
                target[filled : filled + take] = view[:take]
            filled += take
            dev.in_view = view[take:] if take < remaining else None
            if dev.in_view is not None or not dev.in_more or filled == size \
                    or (size - filled) % _PACKET:
                return filled

    def _next_in(self, dev: _Device, handle: _Handle, ep: int, timeout: int) -> memoryview | None:
        """Wait for the function's next IN container (caller holds the lock); None for a ZLP."""
        deadline = None if timeout == 0 else time.monotonic() + timeout / 1000.0
        function = dev.function
        # A function with bulk_in_part (the responder) may hand a large container out in
        # pieces (``more`` True until the last); no ZLP between pieces of one container.
        # bulk_in_view is the same with pieces in a reused buffer (valid until the next call:
        # this backend asks for the next piece only once ``in_view`` is used up).
        part = getattr(function, "bulk_in_view", None) or getattr(function, "bulk_in_part", None)
        more = False
        while True:
            if not dev.muted:
                try:
                    if part is not None:
                        got = part()
                        container, more = got if got is not None else (None, False)
                    else:
                        container = function.bulk_in()
                except Stall:
                    dev.halted.add(ep)
                    raise _stall_error() from None
                if container is not None:
                    break
            self._wait(dev, handle, deadline)
        first, dev.in_more = not dev.in_more, more
        faults = dev.faults
        if faults.truncate_data_in is not None and first and _is_data_container(container):
            keep = max(0, faults.truncate_data_in)
            faults.truncate_data_in = None
            if keep < len(container):
                container = container[:keep]
                dev.muted = True
                logger.debug("%s: data phase truncated to %d bytes", dev.camera.serial, keep)
                if not container:
                    return self._next_in(dev, handle, ep, timeout)
        if not container:
            return None
        # A container that fills its last packet exactly is terminated by a ZLP.
        dev.in_zlp = len(container) % _PACKET == 0 and not dev.muted and not more
        return memoryview(container)

    def intr_read(self, dev_handle: _Handle, ep: int, intf: int, buff: Any, timeout: int) -> int:
        """One interrupt IN transfer (events); a container longer than ``buff`` is kept."""
        dev = dev_handle.dev
        with dev.lock:
            self._check(dev_handle)
            if ep != _EP_INTR_IN:
                raise _invalid_error(f"interrupt IN endpoint {ep:#x}")
            if ep in dev.halted:
                raise _stall_error()
            view = dev.intr_view
            if view is None:
                deadline = None if timeout == 0 else time.monotonic() + timeout / 1000.0
                while True:
                    event = dev.function.interrupt_in()
                    if event is not None:
                        break
                    self._wait(dev, dev_handle, deadline)
                if not event:
                    return 0
                view = memoryview(event)
            take = min(len(buff), len(view))
            with memoryview(buff) as target:
                target[:take] = view[:take]
            dev.intr_view = view[take:] if take < len(view) else None
            return take

    def intr_write(self, dev_handle: _Handle, ep: int, intf: int, data: Any, timeout: int) -> int:
        raise _invalid_error(f"no interrupt OUT endpoint {ep:#x}")

    def ctrl_transfer(
        self,
        dev_handle: _Handle,
        bmRequestType: int,  # noqa: N803 (pyusb's parameter names)
        bRequest: int,  # noqa: N803
        wValue: int,  # noqa: N803
        wIndex: int,  # noqa: N803
        data: Any,
        timeout: int,
    ) -> int:
        """A control transfer on endpoint 0: standard requests here, class requests to the
        function (``UsbFunction.class_request``); anything else stalls (errno 32)."""
        dev = dev_handle.dev
        self._latency(dev)
        with dev.lock:
            self._check(dev_handle)
            device_to_host = bool(bmRequestType & usb.util.CTRL_IN)
            length = len(data)
            kind = bmRequestType & (3 << 5)
            if kind == usb.util.CTRL_TYPE_STANDARD:
                reply = self._standard_request(dev, bmRequestType, bRequest, wValue, wIndex, data)
            elif kind == usb.util.CTRL_TYPE_CLASS:
                payload = b"" if device_to_host else bytes(data)
                try:
                    reply = dev.function.class_request(
                        bmRequestType, bRequest, wValue, wIndex, payload, length
                    )
                except Stall:
                    raise _stall_error() from None
                self._after_class_request(dev, bRequest)
            else:
                raise _stall_error()
            self._traffic(dev)
            if not device_to_host:
                return length
            take = min(length, len(reply))
            if take:
                with memoryview(data) as target:
                    target[:take] = memoryview(reply)[:take]
            return take

    @staticmethod
    def _after_class_request(dev: _Device, request: int) -> None:
        if request in (UsbClassRequest.CANCEL, UsbClassRequest.DEVICE_RESET):
            # The data phase in progress is abandoned: drop what the host has not read yet.
            dev.in_view = None
            dev.in_zlp = False
            dev.muted = False
            if request == UsbClassRequest.DEVICE_RESET:
                dev.halted.clear()

    def _standard_request(
        self, dev: _Device, request_type: int, request: int, value: int, index: int, data: Any
    ) -> bytes:
        recipient = request_type & 3
        if request == UsbStandardRequest.GET_DESCRIPTOR:
            return self._get_descriptor(dev, value >> 8, value & 0xFF)
        if request == UsbStandardRequest.GET_STATUS:
            if recipient == usb.util.CTRL_RECIPIENT_ENDPOINT:
                if index not in _ENDPOINT_ADDRESSES:
                    raise _stall_error()
                return struct.pack("<H", 1 if index in dev.halted else 0)
            return bytes(_STATUS_LEN)
        if request in (UsbStandardRequest.CLEAR_FEATURE, UsbStandardRequest.SET_FEATURE):
            if (
                recipient != usb.util.CTRL_RECIPIENT_ENDPOINT
                or value != usb.control.ENDPOINT_HALT
                or index not in _ENDPOINT_ADDRESSES
            ):
                raise _stall_error()
            if request == UsbStandardRequest.CLEAR_FEATURE:
                dev.halted.discard(index)
            else:
                dev.halted.add(index)
            return b""
        if request == UsbStandardRequest.GET_CONFIGURATION:
            return bytes((dev.configuration,))
        if request == UsbStandardRequest.SET_CONFIGURATION:
            if value not in (0, _CONFIG_VALUE):
                raise _stall_error()
            dev.configuration = value
            return b""
        if request == UsbStandardRequest.GET_INTERFACE:
            return b"\x00"
        if request == UsbStandardRequest.SET_INTERFACE:
            if value != 0 or index != 0:
                raise _stall_error()
            return b""
        raise _stall_error()

    @staticmethod
    def _get_descriptor(dev: _Device, kind: int, index: int) -> bytes:
        cam = dev.camera
        if kind == usb.util.DESC_TYPE_DEVICE:
            return _pack_device_descriptor(dev.descriptor())
        if kind == usb.util.DESC_TYPE_CONFIG:
            if index != 0:
                raise _stall_error()
            return _pack_config_descriptor()
        if kind == usb.util.DESC_TYPE_STRING:
            if index == 0:
                return bytes((4, usb.util.DESC_TYPE_STRING)) + struct.pack(
                    "<H", UsbLangId.ENGLISH_US
                )
            strings = {
                _STR_MANUFACTURER: cam.manufacturer,
                _STR_PRODUCT: cam.model,
                _STR_SERIAL: cam.serial,
            }
            text = strings.get(index)
            if text is None:
                raise _stall_error()
            return _string_descriptor(text)
        raise _stall_error()

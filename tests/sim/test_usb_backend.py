"""chdkptp.sim.usb: the simulated pyusb backend, driven through pyusb's real core.

The PTP function behind the interface is a small canned-response stand-in implementing the
``UsbFunction`` protocol (it answers every Command container with an OK Response and serves
whatever IN containers a test queues), so these tests exercise USB behaviour only.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from array import array
from collections import deque
from collections.abc import Callable, Iterator

import pytest
import usb.control
import usb.core
import usb.util

from chdkptp._generated.ptp_codes import ContainerType, EventCode, OperationCode, ResponseCode
from chdkptp._generated.usb_codes import UsbClassRequest, UsbInterfaceClass, UsbVendorId
from chdkptp.ptp.containers import (
    HEADER_SIZE,
    decode_header,
    encode_command,
    encode_data_header,
    encode_event,
    encode_response,
)
from chdkptp.sim.clock import SimClock
from chdkptp.sim.faults import Faults
from chdkptp.sim.usb import SimulatedBackend, Stall

CANON = int(UsbVendorId.CANON)
EP_IN, EP_OUT, EP_INTR = 0x81, 0x02, 0x83
# bmRequestType values of the still-image class requests (fact sheet §1.7)
CLASS_IN = usb.util.build_request_type(
    usb.util.CTRL_IN, usb.util.CTRL_TYPE_CLASS, usb.util.CTRL_RECIPIENT_INTERFACE
)
CLASS_OUT = usb.util.build_request_type(
    usb.util.CTRL_OUT, usb.util.CTRL_TYPE_CLASS, usb.util.CTRL_RECIPIENT_INTERFACE
)
STATUS_OK = struct.pack("<HH", 4, ResponseCode.OK)
ANY_EVENT = next(iter(EventCode))


class CannedFunction:
    """UsbFunction stand-in: OK response to every command, plus test-queued containers."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.bulk: deque[bytes] = deque()
        self.events: deque[bytes] = deque()
        self.class_requests: list[tuple[int, int, int, int, bytes, int]] = []
        self.resets = 0
        self._ready: Callable[[], None] = lambda: None

    def push(self, container: bytes) -> None:
        self.bulk.append(container)
        self._ready()

    def push_event(self, container: bytes) -> None:
        self.events.append(container)
        self._ready()

    # UsbFunction
    def bulk_out(self, data: bytes) -> None:
        self.received.append(data)
        if len(data) >= HEADER_SIZE:
            header = decode_header(data)
            if header.type == ContainerType.COMMAND:
                self.bulk.append(encode_response(ResponseCode.OK, header.transaction_id))

    def bulk_in(self) -> bytes | None:
        return self.bulk.popleft() if self.bulk else None

    def interrupt_in(self) -> bytes | None:
        return self.events.popleft() if self.events else None

    def class_request(
        self, bm_request_type: int, request: int, value: int, index: int, data: bytes, length: int
    ) -> bytes:
        self.class_requests.append((bm_request_type, request, value, index, data, length))
        if request == UsbClassRequest.GET_DEVICE_STATUS:
            return STATUS_OK
        if request in (UsbClassRequest.CANCEL, UsbClassRequest.DEVICE_RESET):
            self.bulk.clear()
            return b""
        raise Stall(f"unknown class request {request:#x}")

    def usb_reset(self) -> None:
        self.resets += 1

    def set_ready_callback(self, cb: Callable[[], None]) -> None:
        self._ready = cb


class StandInCamera:
    """The attributes SimulatedBackend reads from a camera, and the unplug/replug forwarding."""

    def __init__(
        self,
        serial: str = "SIM00001",
        model: str = "PowerShot SX160 IS",
        product_id: int = 0x325A,
        *,
        clock_offset_ms: int = 0,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
    ) -> None:
        self.serial = serial
        self.model = model
        self.product_id = product_id
        self.manufacturer = "Canon Inc."
        self.function = CannedFunction()
        self.faults = Faults(latency_ms=latency_ms, jitter_ms=jitter_ms)
        self.clock = SimClock(offset_ms=clock_offset_ms)
        self.powered = True
        self.usb_bus: SimulatedBackend | None = None

    def unplug(self) -> None:
        assert self.usb_bus is not None
        self.usb_bus.unplug(self)

    def replug(self) -> None:
        assert self.usb_bus is not None
        self.usb_bus.replug(self)


def find_all(be: SimulatedBackend) -> list[usb.core.Device]:
    return list(usb.core.find(find_all=True, backend=be, idVendor=CANON))


def is_ptp(dev: usb.core.Device) -> bool:
    return any(
        usb.util.find_descriptor(cfg, bInterfaceClass=int(UsbInterfaceClass.STILL_IMAGE))
        is not None
        for cfg in dev
    )


@pytest.fixture
def cam() -> StandInCamera:
    return StandInCamera()


@pytest.fixture
def be(cam: StandInCamera) -> SimulatedBackend:
    return SimulatedBackend([cam])


@pytest.fixture
def dev(be: SimulatedBackend) -> Iterator[usb.core.Device]:
    (d,) = find_all(be)
    d.set_configuration()
    yield d
    usb.util.dispose_resources(d)


def endpoints(d: usb.core.Device) -> tuple[usb.core.Endpoint, usb.core.Endpoint, usb.core.Endpoint]:
    intf = d.get_active_configuration()[(0, 0)]
    ep_in = usb.util.find_descriptor(
        intf,
        custom_match=lambda e: (
            usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN
            and usb.util.endpoint_type(e.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
        ),
    )
    ep_out = usb.util.find_descriptor(
        intf,
        custom_match=lambda e: (
            usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT
        ),
    )
    ep_intr = usb.util.find_descriptor(
        intf,
        custom_match=lambda e: (
            usb.util.endpoint_type(e.bmAttributes) == usb.util.ENDPOINT_TYPE_INTR
        ),
    )
    return ep_in, ep_out, ep_intr


def data_container(total: int, fill: int = 0x5A) -> bytes:
    """A Data container of exactly ``total`` bytes."""
    return encode_data_header(OperationCode.GET_OBJECT, 7, total - HEADER_SIZE) + bytes([fill]) * (
        total - HEADER_SIZE
    )


# --- enumeration and descriptors ---------------------------------------------------------


def test_enumerates_canon_device_with_descriptors(cam: StandInCamera, be: SimulatedBackend) -> None:
    (d,) = find_all(be)
    assert d.idVendor == CANON
    assert d.idProduct == cam.product_id
    assert d.bus == 1
    assert 2 <= d.address <= 127
    assert d.port_number == 1 and d.port_numbers == (1,)
    assert d.speed == usb.util.SPEED_HIGH
    assert d.bNumConfigurations == 1
    assert is_ptp(d)
    assert "Bus 001" in str(d)  # walks every descriptor; alt setting 1 must raise, not hang
    assert be.location(cam) == (d.bus, d.address)


def test_configuration_interface_endpoints(dev: usb.core.Device) -> None:
    cfg = dev.get_active_configuration()
    assert cfg.bConfigurationValue == 1
    intf = usb.util.find_descriptor(cfg, bInterfaceClass=int(UsbInterfaceClass.STILL_IMAGE))
    assert intf is not None
    assert (intf.bInterfaceNumber, intf.bInterfaceSubClass, intf.bInterfaceProtocol) == (0, 1, 1)
    ep_in, ep_out, ep_intr = endpoints(dev)
    assert (ep_in.bEndpointAddress, ep_in.wMaxPacketSize) == (EP_IN, 512)
    assert (ep_out.bEndpointAddress, ep_out.wMaxPacketSize) == (EP_OUT, 512)
    assert (ep_intr.bEndpointAddress, ep_intr.wMaxPacketSize) == (EP_INTR, 64)


def test_configuration_one_is_active_without_set_configuration(be: SimulatedBackend) -> None:
    (d,) = find_all(be)
    ep_in, ep_out, _ = endpoints(d)
    assert ep_out.write(encode_command(OperationCode.GET_DEVICE_INFO, 0)) == 12
    assert decode_header(bytes(ep_in.read(512))).code == ResponseCode.OK
    usb.util.dispose_resources(d)


def test_string_descriptors(cam: StandInCamera, dev: usb.core.Device) -> None:
    assert dev.langids == (0x0409,)
    assert dev.serial_number == cam.serial
    assert dev.product == "PowerShot SX160 IS"
    assert dev.manufacturer == "Canon Inc."
    assert usb.util.get_string(dev, dev.iSerialNumber) == cam.serial
    with pytest.raises(usb.core.USBError) as err:
        usb.util.get_string(dev, 9)
    assert err.value.errno == 32


def test_raw_device_and_config_descriptors(cam: StandInCamera, dev: usb.core.Device) -> None:
    raw = usb.control.get_descriptor(dev, 18, usb.util.DESC_TYPE_DEVICE, 0)
    length, kind, _bcd, *_rest = struct.unpack_from("<BBH", raw)
    assert (length, kind) == (18, usb.util.DESC_TYPE_DEVICE)
    assert struct.unpack_from("<HH", raw, 8) == (CANON, cam.product_id)
    cfg = usb.control.get_descriptor(dev, 255, usb.util.DESC_TYPE_CONFIG, 0)
    assert struct.unpack_from("<H", cfg, 2)[0] == len(cfg) == 9 + 9 + 3 * 7
    assert cfg[9 + 5] == UsbInterfaceClass.STILL_IMAGE


def test_find_by_serial_and_custom_match() -> None:
    a, b = StandInCamera("AAA111"), StandInCamera("BBB222", product_id=0x3244)
    be = SimulatedBackend([a, b])
    found = list(usb.core.find(find_all=True, backend=be, custom_match=is_ptp))
    assert {d.serial_number for d in found} == {"AAA111", "BBB222"}
    d = usb.core.find(backend=be, idVendor=CANON, serial_number="BBB222")
    assert d is not None and d.idProduct == 0x3244
    assert len({(x.bus, x.address) for x in found}) == 2


def test_cameras_spread_over_buses() -> None:
    cams = [StandInCamera(f"S{i}") for i in range(5)]
    be = SimulatedBackend(cams, buses=2)
    devs = find_all(be)
    assert {d.bus for d in devs} == {1, 2}
    assert len({(d.bus, d.address) for d in devs}) == 5
    assert all(2 <= d.address <= 127 for d in devs)


# --- bulk transfers ----------------------------------------------------------------------


def test_command_response_round_trip(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, ep_out, _ = endpoints(dev)
    for tid in range(50):
        cmd = encode_command(OperationCode.CHDK, tid, [0])
        assert ep_out.write(cmd) == len(cmd)
        reply = bytes(ep_in.read(512))
        header = decode_header(reply)
        assert (header.type, header.code, header.transaction_id) == (
            ContainerType.RESPONSE,
            ResponseCode.OK,
            tid,
        )
    assert cam.function.received[-1] == encode_command(OperationCode.CHDK, 49, [0])


def test_read_into_buffer_fills_in_place(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    container = data_container(300, fill=0x11)
    cam.function.push(container)
    buf = usb.util.create_buffer(1024)
    assert ep_in.read(buf) == 300
    assert buf[:300].tobytes() == container
    assert buf[300:].tobytes() == bytes(724)


def test_each_write_is_one_transfer_and_zlp_write(cam: StandInCamera, dev: usb.core.Device) -> None:
    _, ep_out, _ = endpoints(dev)
    payload = data_container(772)
    assert ep_out.write(payload[:512]) == 512
    assert ep_out.write(payload[512:]) == 260
    assert ep_out.write(b"") == 0
    assert cam.function.received == [payload[:512], payload[512:], b""]


@pytest.mark.parametrize(
    ("length", "packet_reads", "big_reads"),
    [
        (511, [511], [511]),
        (512, [512, 0], [512, 0]),
        (513, [512, 1], [513]),
        (1024, [512, 512, 0], [1024, 0]),
    ],
)
def test_zlp_rules(
    cam: StandInCamera,
    dev: usb.core.Device,
    length: int,
    packet_reads: list[int],
    big_reads: list[int],
) -> None:
    ep_in, _, _ = endpoints(dev)
    for read_size, expected in ((512, packet_reads), (4096, big_reads)):
        container = data_container(length)
        cam.function.push(container)
        got = [len(ep_in.read(read_size, timeout=200)) for _ in expected]
        assert got == expected
        # nothing else is pending: the next read times out (the ZLP was consumed)
        with pytest.raises(usb.core.USBTimeoutError):
            ep_in.read(512, timeout=10)


def test_zlp_then_next_container(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, ep_out, _ = endpoints(dev)
    cam.function.push(data_container(512))
    ep_out.write(encode_command(OperationCode.GET_OBJECT, 8, [1]))  # queues the response
    assert len(ep_in.read(512)) == 512
    assert len(ep_in.read(512)) == 0  # the ZLP, as a 0-byte read
    assert decode_header(bytes(ep_in.read(512))).transaction_id == 8


def test_read_never_spans_two_containers(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    cam.function.push(data_container(100))
    cam.function.push(data_container(200))
    assert [len(ep_in.read(4096)) for _ in range(2)] == [100, 200]


def test_zero_length_container_is_a_zlp(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    cam.function.push(b"")
    assert len(ep_in.read(512)) == 0


def test_short_buffer_overflows(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    cam.function.push(data_container(1000))
    with pytest.raises(usb.core.USBError) as err:
        ep_in.read(100)
    assert err.value.errno == 75
    # the packet that did not fit is gone; the rest of the container follows
    assert len(ep_in.read(512)) == 1000 - 512


def test_large_transfer_in_2mb_reads(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    total = 50 * 1024 * 1024
    payload = bytes(range(256)) * ((total - HEADER_SIZE) // 256) + bytes(
        (total - HEADER_SIZE) % 256
    )
    container = encode_data_header(OperationCode.GET_OBJECT, 3, len(payload)) + payload
    cam.function.push(container)
    buf = usb.util.create_buffer(2 * 1024 * 1024)
    digest = hashlib.sha256()
    got = 0
    while got < total:
        n = ep_in.read(buf, timeout=1000)
        assert n > 0
        digest.update(memoryview(buf)[:n])
        got += n
    assert got == total
    assert digest.digest() == hashlib.sha256(container).digest()
    assert ep_in.read(buf) == 0  # 50 MiB is a multiple of 512: a ZLP ends it


# --- timeouts and faults -----------------------------------------------------------------


def test_read_timeout_when_no_data(dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    with pytest.raises(usb.core.USBTimeoutError) as err:
        ep_in.read(512, timeout=20)
    assert err.value.errno == 110
    assert err.value.backend_error_code == -7


def test_timeout_zero_waits_until_data_arrives(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(bytes(ep_in.read(512, timeout=0))))
    reader.start()
    reader.join(0.1)
    cam.function.push(data_container(40))
    reader.join(5)
    assert not reader.is_alive()
    assert result == [data_container(40)]


def test_read_and_write_timeout_faults(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, ep_out, _ = endpoints(dev)
    cam.faults.write_timeouts = 1
    cmd = encode_command(OperationCode.OPEN_SESSION, 0, [1])
    with pytest.raises(usb.core.USBTimeoutError):
        ep_out.write(cmd)
    assert cam.function.received == []  # the timed-out write was discarded
    ep_out.write(cmd)
    cam.faults.read_timeouts = 2
    for _ in range(2):
        with pytest.raises(usb.core.USBTimeoutError):
            ep_in.read(512)
    assert decode_header(bytes(ep_in.read(512))).code == ResponseCode.OK  # not consumed
    assert cam.faults.read_timeouts == 0 and cam.faults.write_timeouts == 0


def test_truncated_data_phase_then_cancel(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    cam.faults.truncate_data_in = 700
    cam.function.push(data_container(2000))
    cam.function.push(encode_response(ResponseCode.OK, 7))
    assert [len(ep_in.read(512)) for _ in range(2)] == [512, 188]
    with pytest.raises(usb.core.USBTimeoutError):
        ep_in.read(512, timeout=20)  # the rest never comes, nor the response
    cancel = bytes(range(6))  # opaque to the backend: passed through to the function
    assert dev.ctrl_transfer(CLASS_OUT, UsbClassRequest.CANCEL, 0, 0, cancel) == 6
    assert cam.function.class_requests[-1][4] == cancel
    cam.function.push(data_container(100))
    assert len(ep_in.read(512)) == 100  # the pipe works again after the cancel


def test_truncate_ignores_non_data_containers(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    cam.faults.truncate_data_in = 5
    cam.function.push(encode_response(ResponseCode.OK, 1))
    assert len(ep_in.read(512)) == 12
    assert cam.faults.truncate_data_in == 5


def test_stall_bulk_in_until_clear_halt(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, _, _ = endpoints(dev)
    cam.function.push(data_container(64))
    cam.faults.stall_bulk_in = True
    for _ in range(2):
        with pytest.raises(usb.core.USBError) as err:
            ep_in.read(512)
        assert err.value.errno == 32
    assert usb.control.get_status(dev, ep_in) == 1
    dev.clear_halt(ep_in)
    assert usb.control.get_status(dev, ep_in) == 0
    assert len(ep_in.read(512)) == 64


def test_stall_bulk_out_cleared_by_clear_feature(cam: StandInCamera, dev: usb.core.Device) -> None:
    _, ep_out, _ = endpoints(dev)
    cam.faults.stall_bulk_out = True
    with pytest.raises(usb.core.USBError) as err:
        ep_out.write(b"abc")
    assert err.value.errno == 32
    assert usb.control.get_status(dev, ep_out) == 1
    usb.control.clear_feature(dev, usb.control.ENDPOINT_HALT, ep_out)
    assert ep_out.write(b"abc") == 3
    assert cam.function.received == [b"abc"]


def test_set_feature_halt_and_stall_recovery_sequence(dev: usb.core.Device) -> None:
    ep_in, _, ep_intr = endpoints(dev)
    usb.control.set_feature(dev, usb.control.ENDPOINT_HALT, ep_intr)
    with pytest.raises(usb.core.USBError):
        ep_intr.read(64, timeout=10)
    # cp-main's recovery: status, clear halts, status, device reset, status
    assert bytes(dev.ctrl_transfer(CLASS_IN, UsbClassRequest.GET_DEVICE_STATUS, 0, 0, 4)) == (
        STATUS_OK
    )
    for ep in (ep_in, ep_intr):
        if usb.control.get_status(dev, ep):
            dev.clear_halt(ep)
    assert dev.ctrl_transfer(CLASS_OUT, UsbClassRequest.DEVICE_RESET, 0, 0, None) == 0
    assert usb.control.get_status(dev, ep_intr) == 0


def test_disconnect_after_bytes(
    cam: StandInCamera, be: SimulatedBackend, dev: usb.core.Device
) -> None:
    ep_in, _, _ = endpoints(dev)
    cam.faults.disconnect_after_bytes = 1000
    cam.function.push(data_container(2048))
    assert len(ep_in.read(512)) == 512
    with pytest.raises(usb.core.USBError) as err:
        ep_in.read(512)
    assert err.value.errno == 19
    assert not cam.powered
    assert find_all(be) == []
    assert cam.function.resets == 1  # the link loss aborted the transaction


def test_idle_power_down(cam: StandInCamera, be: SimulatedBackend, dev: usb.core.Device) -> None:
    _, ep_out, _ = endpoints(dev)
    cam.faults.idle_power_down_s = 30
    ep_out.write(b"x")
    cam.clock.advance(29_000)
    ep_out.write(b"y")  # traffic resets the idle timer
    cam.clock.advance(29_000)
    assert len(find_all(be)) == 1
    cam.clock.advance(1_000)
    assert find_all(be) == []
    assert not cam.powered
    with pytest.raises(usb.core.USBError) as err:
        ep_out.write(b"z")
    assert err.value.errno == 19
    cam.replug()
    assert len(find_all(be)) == 1


# --- class requests, reset -----------------------------------------------------------------


def test_class_requests(cam: StandInCamera, dev: usb.core.Device) -> None:
    status = dev.ctrl_transfer(CLASS_IN, UsbClassRequest.GET_DEVICE_STATUS, 0, 0, 4)
    assert bytes(status) == bytes.fromhex("04000120")
    buf = array("B", bytes(8))
    assert dev.ctrl_transfer(CLASS_IN, UsbClassRequest.GET_DEVICE_STATUS, 0, 0, buf) == 4
    assert buf.tobytes() == STATUS_OK + bytes(4)
    short = dev.ctrl_transfer(CLASS_IN, UsbClassRequest.GET_DEVICE_STATUS, 0, 0, 2)
    assert bytes(short) == STATUS_OK[:2]
    bm, req, value, index, data, length = cam.function.class_requests[0]
    assert (bm, req, value, index, data, length) == (
        CLASS_IN,
        UsbClassRequest.GET_DEVICE_STATUS,
        0,
        0,
        b"",
        4,
    )
    with pytest.raises(usb.core.USBError) as err:
        dev.ctrl_transfer(CLASS_IN, UsbClassRequest.GET_EXTENDED_EVENT_DATA, 0, 0, 16)
    assert err.value.errno == 32
    vendor = usb.util.build_request_type(
        usb.util.CTRL_IN, usb.util.CTRL_TYPE_VENDOR, usb.util.CTRL_RECIPIENT_DEVICE
    )
    with pytest.raises(usb.core.USBError) as err:
        dev.ctrl_transfer(vendor, 1, 0, 0, 4)
    assert err.value.errno == 32
    # a stalled control request does not halt anything: the next one works
    assert bytes(dev.ctrl_transfer(CLASS_IN, UsbClassRequest.GET_DEVICE_STATUS, 0, 0, 4)) == (
        STATUS_OK
    )


def test_device_reset_keeps_address_and_clears_state(
    cam: StandInCamera, be: SimulatedBackend, dev: usb.core.Device
) -> None:
    ep_in, ep_out, _ = endpoints(dev)
    address = dev.address
    cam.faults.stall_bulk_in = True
    with pytest.raises(usb.core.USBError):
        ep_in.read(512)
    dev.reset()
    assert cam.function.resets == 1
    assert be.location(cam) == (dev.bus, address)
    ep_out.write(encode_command(OperationCode.GET_DEVICE_INFO, 1))  # reopens the handle
    assert decode_header(bytes(ep_in.read(512))).transaction_id == 1


# --- interrupt endpoint ---------------------------------------------------------------------


def test_interrupt_read_concurrent_with_bulk(cam: StandInCamera, dev: usb.core.Device) -> None:
    ep_in, ep_out, ep_intr = endpoints(dev)
    events: list[bytes] = []
    poller = threading.Thread(target=lambda: events.append(bytes(ep_intr.read(64, timeout=5000))))
    poller.start()
    for tid in range(20):  # bulk traffic while the poller waits
        ep_out.write(encode_command(OperationCode.GET_DEVICE_INFO, tid))
        assert decode_header(bytes(ep_in.read(512))).transaction_id == tid
    event = encode_event(ANY_EVENT, 0, [1])
    cam.function.push_event(event)
    poller.join(5)
    assert not poller.is_alive()
    assert events == [event]


def test_interrupt_timeout_and_partial_reads(cam: StandInCamera, dev: usb.core.Device) -> None:
    _, _, ep_intr = endpoints(dev)
    with pytest.raises(usb.core.USBTimeoutError):
        ep_intr.read(64, timeout=10)
    event = encode_event(ANY_EVENT, 0, [1, 2])
    cam.function.push_event(event)
    first = bytes(ep_intr.read(8))  # chdkptp reads 8 bytes, then the rest
    rest = bytes(ep_intr.read(64))
    assert first + rest == event


# --- unplug / replug, several cameras -----------------------------------------------------


def test_unplug_during_a_read(
    cam: StandInCamera, be: SimulatedBackend, dev: usb.core.Device
) -> None:
    ep_in, ep_out, _ = endpoints(dev)
    errors: list[usb.core.USBError] = []

    def reader() -> None:
        try:
            ep_in.read(512, timeout=0)
        except usb.core.USBError as exc:
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    thread.join(0.05)
    cam.unplug()
    thread.join(5)
    assert not thread.is_alive()
    assert [e.errno for e in errors] == [19]
    assert not cam.powered
    assert find_all(be) == []
    assert be.location(cam) is None
    with pytest.raises(usb.core.USBError) as err:
        ep_out.write(b"x")
    assert err.value.errno == 19


def test_replug_gives_a_new_address(cam: StandInCamera, be: SimulatedBackend) -> None:
    (old,) = find_all(be)
    old_address = old.address
    seen = {old_address}
    for _ in range(3):
        cam.unplug()
        cam.replug()
        (new,) = find_all(be)
        assert new.address not in seen
        assert 2 <= new.address <= 127
        assert new.serial_number == cam.serial
        seen.add(new.address)
    # the stale Device object cannot reach the camera at its new address
    with pytest.raises(usb.core.USBError) as err:
        old.write(EP_OUT, b"x")
    assert err.value.errno == 19
    usb.util.dispose_resources(old)


def test_addresses_wrap_within_range_and_never_collide() -> None:
    a, b = StandInCamera("A"), StandInCamera("B")
    be = SimulatedBackend([a, b])
    for _ in range(300):
        a.replug()
        (la, lb) = be.location(a), be.location(b)
        assert la is not None and lb is not None
        assert la != lb
        assert 2 <= la[1] <= 127


def test_powered_flag_flip_is_noticed(cam: StandInCamera, be: SimulatedBackend) -> None:
    (d,) = find_all(be)
    first = d.address
    cam.powered = False
    assert find_all(be) == []
    cam.powered = True
    (d2,) = find_all(be)
    assert d2.address != first


def test_two_cameras_with_own_serials_clocks_and_latency() -> None:
    fast = StandInCamera("FAST0001", clock_offset_ms=1_000)
    slow = StandInCamera(
        "SLOW0002",
        model="PowerShot G12",
        product_id=0x320F,
        clock_offset_ms=9_000_000,
        latency_ms=2.0,
        jitter_ms=1.0,
    )
    be = SimulatedBackend([fast, slow])
    devs = {d.serial_number: d for d in find_all(be)}
    assert set(devs) == {"FAST0001", "SLOW0002"}
    assert devs["SLOW0002"].product == "PowerShot G12"
    assert slow.clock.now_ms() > fast.clock.now_ms()
    results: dict[str, list[int]] = {}

    def run(serial: str) -> None:
        d = devs[serial]
        ep_in, ep_out, _ = endpoints(d)
        tids = []
        for tid in range(10):
            ep_out.write(encode_command(OperationCode.GET_DEVICE_INFO, tid))
            tids.append(decode_header(bytes(ep_in.read(512))).transaction_id)
        results[serial] = tids

    threads = [threading.Thread(target=run, args=(s,)) for s in devs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {"FAST0001": list(range(10)), "SLOW0002": list(range(10))}
    assert len(fast.function.received) == len(slow.function.received) == 10
    slow.unplug()
    assert [d.serial_number for d in find_all(be)] == ["FAST0001"]
    for d in devs.values():
        usb.util.dispose_resources(d)


def test_hot_plug_add_and_remove(cam: StandInCamera, be: SimulatedBackend) -> None:
    other = StandInCamera("SIM00002")
    be.add(other)
    assert other.usb_bus is be
    assert len(find_all(be)) == 2
    (stale,) = [d for d in find_all(be) if d.serial_number == cam.serial]
    be.remove(cam)
    assert cam.usb_bus is None
    assert cam.powered  # removed from this bus, not switched off
    assert [d.serial_number for d in find_all(be)] == ["SIM00002"]
    with pytest.raises(usb.core.USBError) as err:
        stale.write(EP_OUT, b"x")
    assert err.value.errno == 19
    assert [d.serial_number for d in find_all(be)] == ["SIM00002"]
    usb.util.dispose_resources(stale)


# --- bad input -----------------------------------------------------------------------------


def test_bad_arguments(cam: StandInCamera, be: SimulatedBackend, dev: usb.core.Device) -> None:
    with pytest.raises(ValueError):
        SimulatedBackend(buses=0)
    with pytest.raises(TypeError):
        SimulatedBackend(buses=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        be.add(cam)
    stranger = StandInCamera("NOPE")
    for op in (be.unplug, be.replug, be.remove, be.location):
        with pytest.raises(ValueError):
            op(stranger)
    with pytest.raises(usb.core.USBError) as err:
        dev.write(EP_IN, b"x")  # an IN endpoint cannot be written
    assert err.value.errno == 22
    with pytest.raises(ValueError):
        dev.read(0x05, 64)  # pyusb: no such endpoint


class LockedFunction(CannedFunction):
    """A function that signals readiness from its own thread while holding its own lock."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def bulk_in(self) -> bytes | None:
        with self.lock:
            return super().bulk_in()

    def produce_from_worker(self, container: bytes) -> None:
        with self.lock:
            self.bulk.append(container)
            self._ready()  # must not block even if a transfer holds the device lock


def test_ready_callback_from_another_thread_never_deadlocks() -> None:
    cam = StandInCamera()
    function = LockedFunction()
    cam.function = function
    be = SimulatedBackend([cam])
    (d,) = find_all(be)
    ep_in, _, _ = endpoints(d)
    got: list[int] = []
    reader = threading.Thread(target=lambda: got.extend(len(ep_in.read(512)) for _ in range(50)))
    reader.start()
    for i in range(50):
        function.produce_from_worker(data_container(20 + i))
    reader.join(10)
    assert not reader.is_alive()
    assert got == [20 + i for i in range(50)]
    usb.util.dispose_resources(d)


class StallingFunction(CannedFunction):
    """Refuses OUT data it cannot parse and IN requests while broken (stalls the pipe)."""

    broken = False

    def bulk_out(self, data: bytes) -> None:
        if len(data) < HEADER_SIZE:
            raise Stall("runt container")
        super().bulk_out(data)

    def bulk_in(self) -> bytes | None:
        if self.broken:
            raise Stall("broken")
        return super().bulk_in()


def test_function_stall_halts_the_bulk_endpoint() -> None:
    cam = StandInCamera()
    function = StallingFunction()
    cam.function = function
    be = SimulatedBackend([cam])
    (d,) = find_all(be)
    ep_in, ep_out, _ = endpoints(d)
    with pytest.raises(usb.core.USBError) as err:
        ep_out.write(b"abc")
    assert err.value.errno == 32
    assert usb.control.get_status(d, ep_out) == 1
    d.clear_halt(ep_out)
    ep_out.write(encode_command(OperationCode.GET_DEVICE_INFO, 4))
    function.broken = True
    with pytest.raises(usb.core.USBError):
        ep_in.read(512)
    assert usb.control.get_status(d, ep_in) == 1
    function.broken = False
    d.clear_halt(ep_in)
    assert decode_header(bytes(ep_in.read(512))).transaction_id == 4
    usb.util.dispose_resources(d)

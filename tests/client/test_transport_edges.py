"""Transport edge cases no well-behaved device produces, on a scripted pyusb backend.

The backend below stands in for libusb (the OS edge): each bulk IN transfer returns whatever
bytes the test queued, up to the buffer size, ignoring packet boundaries — like a device that
sends no zero-length packet after a container of an exact multiple of 512 bytes, so the next
container arrives in the same transfer.
"""

from __future__ import annotations

import array
from collections import deque
from types import SimpleNamespace
from typing import Any

import pytest
import usb.backend
import usb.core

from chdkptp._generated.chdk_codes import ChdkCommand
from chdkptp._generated.ptp_codes import ContainerType, OperationCode, ResponseCode
from chdkptp.errors import RemoteProtocolError
from chdkptp.ptp.containers import encode_response
from chdkptp.session import Session
from chdkptp.transport.usb import UsbTransport


def _ns(**kw: Any) -> SimpleNamespace:
    return SimpleNamespace(bLength=0, bDescriptorType=0, extra_descriptors=b"", **kw)


class ScriptedBackend(usb.backend.IBackend):  # type: ignore[misc]
    """One PTP device whose bulk IN data is a byte stream the test fills."""

    def __init__(self) -> None:
        self.stream = bytearray()
        self.chunks: deque[bytes] = deque()  # if non-empty: one transfer per entry
        self.written: list[bytes] = []

    def enumerate_devices(self) -> list[str]:
        return ["dev"]

    def get_device_descriptor(self, dev: Any) -> SimpleNamespace:
        return _ns(bcdUSB=0x200, bDeviceClass=0, bDeviceSubClass=0, bDeviceProtocol=0,
                   bMaxPacketSize0=64, idVendor=0x04A9, idProduct=0x325A, bcdDevice=1,
                   iManufacturer=0, iProduct=0, iSerialNumber=0, bNumConfigurations=1,
                   bus=1, address=9, port_number=1, port_numbers=(1,), speed=3)

    def get_configuration_descriptor(self, dev: Any, config: int) -> SimpleNamespace:
        return _ns(wTotalLength=39, bNumInterfaces=1, bConfigurationValue=1,
                   iConfiguration=0, bmAttributes=0xC0, bMaxPower=1)

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int,
                                 config: int) -> SimpleNamespace:
        if intf or alt:
            raise IndexError("no such interface")
        return _ns(bInterfaceNumber=0, bAlternateSetting=0, bNumEndpoints=3,
                   bInterfaceClass=6, bInterfaceSubClass=1, bInterfaceProtocol=1, iInterface=0)

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int,
                                config: int) -> SimpleNamespace:
        address, attrs, size = [(0x81, 2, 512), (0x02, 2, 512), (0x83, 3, 64)][ep]
        return _ns(bEndpointAddress=address, bmAttributes=attrs, wMaxPacketSize=size,
                   bInterval=0, bRefresh=0, bSynchAddress=0)

    def open_device(self, dev: Any) -> str:
        return "handle"

    def close_device(self, handle: Any) -> None:
        return None

    def get_configuration(self, handle: Any) -> int:
        return 1

    def set_configuration(self, handle: Any, value: int) -> None:
        return None

    def claim_interface(self, handle: Any, intf: int) -> None:
        return None

    def release_interface(self, handle: Any, intf: int) -> None:
        return None

    def bulk_write(self, handle: Any, ep: int, intf: int, data: array.array[int],
                   timeout: int) -> int:
        self.written.append(data.tobytes())
        return len(data)

    def bulk_read(self, handle: Any, ep: int, intf: int, buff: array.array[int],
                  timeout: int) -> int:
        if self.chunks:
            piece = self.chunks.popleft()
        else:
            if not self.stream:
                raise usb.core.USBTimeoutError("Operation timed out", -7, 110)
            piece = bytes(self.stream[: len(buff)])
            del self.stream[: len(buff)]
        if piece:  # (an empty slice assignment counts as a resize of an exported array)
            buff[: len(piece)] = array.array("B", piece)
        return len(piece)


@pytest.fixture
def scripted() -> tuple[ScriptedBackend, UsbTransport]:
    backend = ScriptedBackend()
    device = usb.core.find(backend=backend)
    transport = UsbTransport.open(device, timeout=0.1)
    return backend, transport


def _data(op: int, tid: int, payload: bytes) -> bytes:
    from chdkptp.ptp.containers import encode_data_header

    return encode_data_header(op, tid, len(payload)) + payload


def test_container_and_response_in_one_transfer(
    scripted: tuple[ScriptedBackend, UsbTransport],
) -> None:
    """No ZLP after a 1024-byte data container: the response arrives in the same read."""
    backend, transport = scripted
    payload = bytes(range(256)) * 4
    payload = payload[: 1024 - 12]
    backend.stream += _data(OperationCode.GET_DEVICE_INFO, 1, payload)
    backend.stream += encode_response(ResponseCode.OK, 1, (7,))
    data = transport.receive_container()
    assert data.header.type == ContainerType.DATA
    assert data.payload == payload
    resp = transport.receive_container()  # from the bytes kept, no USB read needed
    assert resp.header.type == ContainerType.RESPONSE
    assert resp.payload == (7).to_bytes(4, "little")


def test_leftover_after_a_streamed_payload(
    scripted: tuple[ScriptedBackend, UsbTransport],
) -> None:
    backend, transport = scripted
    payload = b"x" * (3 * 1024 * 1024 - 12)  # spans several 1 MiB reads
    backend.stream += _data(OperationCode.CHDK, 2, payload)
    backend.stream += encode_response(ResponseCode.OK, 2, ())
    got = bytearray()
    transport.receive_container(lambda chunk: got.extend(chunk))
    assert got == payload
    assert transport.receive_container().header.type == ContainerType.RESPONSE


def test_leftover_shorter_than_a_header(scripted: tuple[ScriptedBackend, UsbTransport]) -> None:
    backend, transport = scripted
    response = encode_response(ResponseCode.OK, 3, ())
    backend.chunks.extend([_data(OperationCode.CHDK, 3, b"y" * 500) + response[:5],
                           response[5:]])
    assert transport.receive_container().payload == b"y" * 500
    assert transport.receive_container().header.transaction_id == 3


def test_zlp_then_container(scripted: tuple[ScriptedBackend, UsbTransport]) -> None:
    backend, transport = scripted
    backend.chunks.extend([b"", encode_response(ResponseCode.OK, 4, ())])
    assert transport.receive_container().header.code == ResponseCode.OK


def test_only_zlps_is_a_protocol_error(scripted: tuple[ScriptedBackend, UsbTransport]) -> None:
    backend, transport = scripted
    backend.chunks.extend([b"", b""])
    with pytest.raises(RemoteProtocolError):
        transport.receive_container()


def test_short_header_and_truncated_data(scripted: tuple[ScriptedBackend, UsbTransport]) -> None:
    backend, transport = scripted
    backend.chunks.append(b"\x01\x02\x03")
    with pytest.raises(RemoteProtocolError):
        transport.receive_container()
    head = _data(OperationCode.CHDK, 5, b"z" * 2000)
    backend.chunks.extend([head[:1024], b""])  # the device stops early
    with pytest.raises(RemoteProtocolError, match="early"):
        transport.receive_container()


def test_session_rejects_wrong_data_code_and_bad_response(
    scripted: tuple[ScriptedBackend, UsbTransport],
) -> None:
    backend, transport = scripted
    session = Session(transport)
    backend.chunks.append(encode_response(ResponseCode.OK, 0, ()))
    session.open()
    tid = session.last_transaction_id + 1
    backend.chunks.append(_data(OperationCode.GET_OBJECT, tid, b"a"))
    with pytest.raises(RemoteProtocolError, match="data container"):
        session.transaction(OperationCode.GET_DEVICE_INFO)


def test_first_write_is_header_plus_500(scripted: tuple[ScriptedBackend, UsbTransport]) -> None:
    backend, transport = scripted
    from chdkptp.ptp.containers import encode_data_header

    payload = b"p" * 1500
    transport.send_data(encode_data_header(OperationCode.CHDK, 1, len(payload)), payload)
    assert [len(w) for w in backend.written] == [512, 1000]
    backend.written.clear()
    exact = b"q" * (1024 - 12)
    transport.send_data(encode_data_header(OperationCode.CHDK, 2, len(exact)), exact)
    assert [len(w) for w in backend.written] == [512, 512, 0]  # ZLP after 1024 bytes


def test_stale_data_phase_never_reaches_the_sink(
    scripted: tuple[ScriptedBackend, UsbTransport],
) -> None:
    """A data container left over from an earlier transaction is dropped before the user's
    sink sees a byte: only the current transaction's data phase is written."""
    backend, transport = scripted
    session = Session(transport)
    backend.chunks.append(encode_response(ResponseCode.OK, 0, ()))
    session.open()
    tid = session.last_transaction_id + 1
    stale = b"S" * (2 * 1024 * 1024 + 100)  # spans several reads
    backend.stream += _data(OperationCode.CHDK, tid - 1, stale)
    backend.stream += encode_response(ResponseCode.OK, tid - 1, ())
    backend.stream += _data(OperationCode.CHDK, tid, b"good" * 300)
    backend.stream += encode_response(ResponseCode.OK, tid, (1200,))
    got = bytearray()
    resp = session.transaction(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,),
                               sink=lambda chunk: got.extend(chunk))
    assert got == b"good" * 300
    assert resp.params == (1200,)


def test_wrong_operation_data_never_reaches_the_sink(
    scripted: tuple[ScriptedBackend, UsbTransport],
) -> None:
    backend, transport = scripted
    session = Session(transport)
    backend.chunks.append(encode_response(ResponseCode.OK, 0, ()))
    session.open()
    tid = session.last_transaction_id + 1
    backend.stream += _data(OperationCode.GET_DEVICE_INFO, tid, b"D" * 5000)
    got = bytearray()
    with pytest.raises(RemoteProtocolError, match="data container"):
        session.transaction(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,),
                            sink=lambda chunk: got.extend(chunk))
    assert got == b""


@pytest.mark.parametrize("link", ["usb", "ptpip"])
def test_stale_data_phase_on_the_simulator_leaves_the_download_intact(
    link: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unanswered GetDeviceInfo (sent under a foreign transaction id) leaves its data
    phase in front of a DownloadFile: the user's sink gets only the file."""
    from chdkptp.discovery import find_device
    from chdkptp.lua import encode_str
    from chdkptp.ptp.containers import encode_command
    from chdkptp.sim import SimulatedBackend, SimulatedCamera, serve_ptpip
    from chdkptp.transport.ptpip import PtpipTransport

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    contents = bytes(range(256)) * 40
    with SimulatedCamera() as sim:
        local = sim.card.to_local("A/X.BIN")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(contents)
        server = serve_ptpip(sim) if link == "ptpip" else None
        try:
            transport: Any
            if server is not None:
                transport = PtpipTransport.open(server.host, server.port, timeout=2.0)
            else:
                device, _info = find_device(backend=SimulatedBackend([sim]))
                transport = UsbTransport.open(device, timeout=2.0)
            session = Session(transport)
            session.open()
            session.transaction(OperationCode.CHDK, (ChdkCommand.TEMP_DATA, 0),
                                data_out=encode_str("A/X.BIN"))
            transport.send(encode_command(OperationCode.GET_DEVICE_INFO, 999, ()))
            got = bytearray()
            resp = session.transaction(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,),
                                       sink=lambda chunk: got.extend(chunk))
            session.close()
        finally:
            if server is not None:
                server.close()
    assert got == contents
    assert resp.params[:1] == (len(contents),)

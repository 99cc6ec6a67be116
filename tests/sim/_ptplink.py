"""A minimal PTP-over-USB host used by the simulator tests (pyusb endpoints, no chdkptp client).

It writes like chdkptp does (header + at most 500 payload bytes first, then the rest, then a
ZLP when the container is a multiple of 512) and reads whole containers from the bulk IN
endpoint, so the tests exercise the simulated backend and the responder through pyusb's real
``usb.core.find`` / endpoint code.
"""

from __future__ import annotations

from dataclasses import dataclass

import usb.core
import usb.util

from chdkptp._generated.ptp_codes import ContainerType, OperationCode
from chdkptp._generated.usb_codes import UsbClassRequest, UsbRequestType, UsbVendorId
from chdkptp.ptp import containers as c

PACKET = 512
READ_SIZE = 1 << 20


@dataclass
class Result:
    """Outcome of one transaction."""

    code: int
    params: tuple[int, ...]
    data: bytes | None
    tid: int


class PtpLink:
    """One pyusb connection to a simulated camera."""

    def __init__(self, backend: object, serial: str | None = None, timeout_ms: int = 2000) -> None:
        kwargs: dict[str, object] = {"backend": backend, "idVendor": UsbVendorId.CANON}
        if serial is not None:
            kwargs["custom_match"] = lambda d: d.serial_number == serial
        dev = usb.core.find(**kwargs)
        assert dev is not None, "simulated camera not found"
        self.dev = dev
        intf = dev.get_active_configuration()[(0, 0)]
        self.interface = intf.bInterfaceNumber

        def ep(direction: int, kind: int) -> usb.core.Endpoint:
            found = usb.util.find_descriptor(
                intf,
                custom_match=lambda e: (
                    usb.util.endpoint_direction(e.bEndpointAddress) == direction
                    and usb.util.endpoint_type(e.bmAttributes) == kind
                ),
            )
            assert found is not None
            return found

        self.ep_out = ep(usb.util.ENDPOINT_OUT, usb.util.ENDPOINT_TYPE_BULK)
        self.ep_in = ep(usb.util.ENDPOINT_IN, usb.util.ENDPOINT_TYPE_BULK)
        self.ep_intr = ep(usb.util.ENDPOINT_IN, usb.util.ENDPOINT_TYPE_INTR)
        self.timeout = timeout_ms
        self.tid = 0

    # --- raw I/O ------------------------------------------------------------------------------

    def write(self, raw: bytes) -> None:
        """Send one container the way chdkptp does (split after 512 bytes, ZLP rule)."""
        first = raw[:PACKET]
        self.ep_out.write(first, self.timeout)
        if len(raw) > PACKET:
            self.ep_out.write(raw[PACKET:], self.timeout)
        if len(raw) % PACKET == 0:
            self.ep_out.write(b"", self.timeout)

    def read_container(self) -> bytes:
        """Read one whole container (skipping a leading ZLP)."""
        buf = bytes(self.ep_in.read(READ_SIZE, self.timeout))
        if not buf:
            buf = bytes(self.ep_in.read(READ_SIZE, self.timeout))
        header = c.decode_header(buf)
        while len(buf) < header.length:
            buf += bytes(self.ep_in.read(READ_SIZE, self.timeout))
        return buf

    # --- transactions -------------------------------------------------------------------------

    def next_tid(self) -> int:
        tid = self.tid
        self.tid += 1
        return tid

    def send_command(
        self, op: int, params: tuple[int, ...] | list[int] = (), tid: int | None = None
    ) -> int:
        tid = self.next_tid() if tid is None else tid
        self.write(c.encode_command(op, tid, params))
        return tid

    def send_data(self, op: int, tid: int, payload: bytes) -> None:
        self.write(c.encode_data_header(op, tid, len(payload)) + payload)

    def read_result(self, tid: int) -> Result:
        """Read an optional data container, then the response."""
        raw = self.read_container()
        header = c.decode_header(raw)
        data = None
        if header.type == ContainerType.DATA:
            assert header.transaction_id == tid
            data = raw[c.HEADER_SIZE : header.length]
            raw = self.read_container()
            header = c.decode_header(raw)
        assert header.type == ContainerType.RESPONSE, header
        return Result(
            header.code, c.decode_params(raw[c.HEADER_SIZE :]), data, header.transaction_id
        )

    def transact(
        self,
        op: int,
        params: tuple[int, ...] | list[int] = (),
        data: bytes | None = None,
        tid: int | None = None,
    ) -> Result:
        tid = self.send_command(op, params, tid)
        if data is not None:
            self.send_data(op, tid, data)
        return self.read_result(tid)

    def chdk(self, *params: int, data: bytes | None = None) -> Result:
        return self.transact(OperationCode.CHDK, params, data)

    def open_session(self, session_id: int = 1) -> Result:
        self.tid = 0
        return self.transact(OperationCode.OPEN_SESSION, (session_id,))

    # --- class requests -----------------------------------------------------------------------

    def device_status(self) -> bytes:
        return bytes(
            self.dev.ctrl_transfer(
                UsbRequestType.CLASS_INTERFACE_IN,
                UsbClassRequest.GET_DEVICE_STATUS,
                0,
                self.interface,
                4,
            )
        )

    def device_reset(self) -> None:
        self.dev.ctrl_transfer(
            UsbRequestType.CLASS_INTERFACE_OUT, UsbClassRequest.DEVICE_RESET, 0, self.interface
        )

    def cancel(self, tid: int, code: int) -> None:
        payload = code.to_bytes(2, "little") + tid.to_bytes(4, "little")
        self.dev.ctrl_transfer(
            UsbRequestType.CLASS_INTERFACE_OUT, UsbClassRequest.CANCEL, 0, self.interface, payload
        )

    def read_event(self, timeout_ms: int = 200) -> bytes | None:
        try:
            return bytes(self.ep_intr.read(64, timeout_ms))
        except usb.core.USBTimeoutError:
            return None

    def close(self) -> None:
        usb.util.dispose_resources(self.dev)

"""PTP over USB through pyusb: claim the still-image interface, move containers, class requests.

This module owns the USB rules of ISO 15740 / the USB Still Image class as CHDK cameras need
them: the first bulk write of a data container carries the header plus at most
``wMaxPacketSize - 12`` payload bytes, a container whose length is an exact multiple of the
packet size is followed by a zero-length packet, a 0-byte read is a leftover ZLP and is
retried, reads go into one preallocated buffer (no per-packet copies) and large data phases
stream to a sink.  It knows nothing about transactions (that is :mod:`chdkptp.session`).
"""

from __future__ import annotations

import array
import contextlib
import logging
import struct
import threading
from typing import Any, BinaryIO

import usb.core
import usb.util

from chdkptp._generated.ptp_codes import ContainerType, EventCode
from chdkptp._generated.usb_codes import UsbClassRequest, UsbInterfaceClass
from chdkptp.errors import (
    ChdkTimeoutError,
    DeviceDisconnectedError,
    RemoteProtocolError,
    TransportError,
)
from chdkptp.ptp.containers import HEADER_SIZE, decode_header
from chdkptp.transport.access import map_usb_error
from chdkptp.transport.base import DataSink, DataSource, Received, sink_writer

__all__ = ["DEFAULT_BULK_TIMEOUT", "DEFAULT_CONTROL_TIMEOUT", "UsbTransport", "find_ptp_interface"]

log = logging.getLogger(__name__)

#: chdkptp's timeouts: 5 s on bulk transfers, 3 s on control requests.
DEFAULT_BULK_TIMEOUT = 5.0
DEFAULT_CONTROL_TIMEOUT = 3.0
#: Largest single bulk transfer (one preallocated buffer per direction); a multiple of 512.
DEFAULT_CHUNK = 1 << 20
_FALLBACK_PACKET = 512

_CLASS_OUT = usb.util.build_request_type(
    usb.util.CTRL_OUT, usb.util.CTRL_TYPE_CLASS, usb.util.CTRL_RECIPIENT_INTERFACE
)
_CLASS_IN = usb.util.build_request_type(
    usb.util.CTRL_IN, usb.util.CTRL_TYPE_CLASS, usb.util.CTRL_RECIPIENT_INTERFACE
)
_STATUS_LEN = 64  # wLength for Get Device Status: u16 length, u16 code, optional u32 params


#: libusb's timeout value for "no timeout"; only ever passed on an explicit request.
_FOREVER_MS = 0


def _ms(timeout: float | None, default: float) -> int:
    """Seconds → libusb milliseconds.  ``None`` takes ``default``; a value <= 0 is a poll.

    pyusb/libusb treat 0 ms as "wait forever", so neither a zero nor a tiny positive timeout
    may turn into 0: both become the shortest real wait, 1 ms.
    """
    value = default if timeout is None else timeout
    if value <= 0:
        return 1
    return max(1, round(value * 1000))


def find_ptp_interface(device: Any) -> tuple[Any, Any] | None:
    """Return ``(configuration, interface)`` of the still-image interface, or None.

    Reads descriptors only (no USB traffic beyond what pyusb cached); safe without access
    rights on every OS.
    """
    for cfg in device:
        for intf in cfg:
            if intf.bInterfaceClass == UsbInterfaceClass.STILL_IMAGE:
                return cfg, intf
    return None


class UsbTransport:
    """A claimed PTP interface on one USB device (implements :class:`Transport`).

    Construct with :meth:`open`.  Not thread-safe on its own: the session serialises bulk
    transfers; :meth:`read_event` may run concurrently in another thread.
    """

    def __init__(
        self,
        device: Any,
        interface: Any,
        *,
        timeout: float = DEFAULT_BULK_TIMEOUT,
        control_timeout: float = DEFAULT_CONTROL_TIMEOUT,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> None:
        self.device = device
        self._intf = interface
        self._intf_num: int = interface.bInterfaceNumber
        self.timeout = timeout
        self.control_timeout = control_timeout
        self._ep_in: Any = None
        self._ep_out: Any = None
        self._ep_int: Any = None
        for ep in interface:
            direction = usb.util.endpoint_direction(ep.bEndpointAddress)
            kind = usb.util.endpoint_type(ep.bmAttributes)
            if kind == usb.util.ENDPOINT_TYPE_BULK and direction == usb.util.ENDPOINT_IN:
                self._ep_in = ep
            elif kind == usb.util.ENDPOINT_TYPE_BULK and direction == usb.util.ENDPOINT_OUT:
                self._ep_out = ep
            elif kind == usb.util.ENDPOINT_TYPE_INTR and direction == usb.util.ENDPOINT_IN:
                self._ep_int = ep
        if self._ep_in is None or self._ep_out is None:
            raise TransportError("the still-image interface lacks bulk IN/OUT endpoints")
        self.packet_size: int = int(self._ep_in.wMaxPacketSize) or _FALLBACK_PACKET
        chunk = max(self.packet_size, chunk_size - chunk_size % self.packet_size)
        self._rbuf = array.array("B", bytes(chunk))
        self._rview = memoryview(self._rbuf)
        self._chunk = chunk
        self._wbuf: array.array[int] | None = None  # allocated by the first file upload
        self._pending = b""  # bytes of the next container already read (device sent no ZLP)
        self._detached = False
        self._claimed = False
        self._closed = False
        self._event_lock = threading.Lock()
        self.description = _describe(device)

    # --- opening and closing ------------------------------------------------------------

    @classmethod
    def open(cls, device: Any, **kwargs: Any) -> UsbTransport:
        """Claim the PTP interface of ``device`` (a ``usb.core.Device``).

        Detaches a kernel driver where one holds the interface (Linux), sets the configuration
        if none is active.  Raises ``DeviceAccessError`` (with the fix for this OS) when the
        OS refuses, ``DeviceDisconnectedError`` if the device is gone, ``TransportError`` if
        it has no still-image interface.
        """
        try:
            found = find_ptp_interface(device)
        except usb.core.USBError as exc:
            raise map_usb_error(exc, "reading descriptors") from exc
        if found is None:
            raise TransportError(f"{_describe(device)} has no still-image (PTP) interface")
        cfg, intf = found
        self = cls(device, intf, **kwargs)
        try:
            self._claim(cfg)
        except BaseException:
            self.close()
            raise
        return self

    def _claim(self, cfg: Any) -> None:
        dev = self.device
        try:
            # Only Linux has kernel drivers to detach; elsewhere libusb answers NOT_SUPPORTED.
            active = dev.is_kernel_driver_active(self._intf_num)
        except (NotImplementedError, usb.core.USBError):
            active = False
        try:
            if active:
                dev.detach_kernel_driver(self._intf_num)
                self._detached = True
                log.debug("detached kernel driver from interface %d", self._intf_num)
            try:
                config = dev.get_active_configuration()
            except usb.core.USBError:
                config = None
            if config is None or config.bConfigurationValue != cfg.bConfigurationValue:
                dev.set_configuration(cfg.bConfigurationValue)
            usb.util.claim_interface(dev, self._intf_num)
            self._claimed = True
        except usb.core.USBError as exc:
            raise map_usb_error(exc, f"claiming {self.description}") from exc

    def close(self) -> None:
        """Release the interface and the device handle; idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        dev = self.device
        try:
            if self._claimed:
                usb.util.release_interface(dev, self._intf_num)
            if self._detached:
                with contextlib.suppress(NotImplementedError, usb.core.USBError):
                    dev.attach_kernel_driver(self._intf_num)
        except (usb.core.USBError, NotImplementedError) as exc:
            log.debug("ignoring error while releasing %s: %s", self.description, exc)
        finally:
            try:
                usb.util.dispose_resources(dev)
            except Exception as exc:  # pragma: no cover - defensive: device already gone
                log.debug("ignoring error while disposing %s: %s", self.description, exc)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceDisconnectedError(f"{self.description}: transport is closed")

    # --- bulk OUT -----------------------------------------------------------------------

    def _write(self, data: array.array[int] | bytes, timeout_ms: int) -> None:
        try:
            written = self._ep_out.write(data, timeout_ms)
        except usb.core.USBError as exc:
            raise map_usb_error(exc, "sending to the camera") from exc
        if written != len(data):
            raise TransportError(f"short bulk write: {written} of {len(data)} bytes")

    def send(self, container: bytes | bytearray | memoryview, *,
             timeout: float | None = None) -> None:
        """Send one whole container (used for commands): one write, ZLP if needed."""
        self._check_open()
        tms = _ms(timeout, self.timeout)
        data = bytes(container)
        self._write(data, tms)
        if len(data) % self.packet_size == 0:
            self._write(b"", tms)

    def send_data(self, header: bytes, source: DataSource, *, timeout: float | None = None) -> None:
        """Send a data container: header + first ``packet - 12`` bytes, the rest, then a ZLP.

        ``source`` is bytes-like or a binary file (read in chunks into a reused buffer).
        Raises ``LocalProtocolError``-free ``ValueError`` if the source is shorter than the
        header's length field says.
        """
        self._check_open()
        tms = _ms(timeout, self.timeout)
        total = decode_header(header).length
        remaining = total - HEADER_SIZE
        first_room = self.packet_size - HEADER_SIZE
        if isinstance(source, (bytes, bytearray, memoryview)):
            view = memoryview(source).cast("B")
            if len(view) != remaining:
                raise ValueError(
                    f"data source has {len(view)} bytes, the container header says {remaining}"
                )
            first = bytes(header) + bytes(view[:first_room])
            self._write(first, tms)
            pos = min(first_room, remaining)
            step = self._chunk
            while pos < remaining:
                chunk = array.array("B")
                chunk.frombytes(view[pos : pos + step])
                self._write(chunk, tms)
                pos += len(chunk)
        else:
            self._send_from_file(header, source, remaining, first_room, tms)
        if total % self.packet_size == 0:
            self._write(b"", tms)

    def _send_from_file(self, header: bytes, source: BinaryIO, remaining: int,
                        first_room: int, tms: int) -> None:
        head = _read_exact(source, min(first_room, remaining))
        self._write(bytes(header) + head, tms)
        left = remaining - len(head)
        if self._wbuf is None:
            self._wbuf = array.array("B", bytes(self._chunk))
        buf = self._wbuf
        view = memoryview(buf)
        while left > 0:
            want = min(left, len(buf))
            got = _readinto_exact(source, view[:want])
            self._write(buf if got == len(buf) else buf[:got], tms)
            left -= got

    # --- bulk IN ------------------------------------------------------------------------

    def _read(self, timeout_ms: int) -> int:
        try:
            return int(self._ep_in.read(self._rbuf, timeout_ms))
        except usb.core.USBError as exc:
            raise map_usb_error(exc, "reading from the camera") from exc

    def _first_chunk(self, timeout_ms: int) -> tuple[memoryview, int]:
        """Return the buffer holding the start of the next container and its byte count."""
        if self._pending:
            pending, self._pending = self._pending, b""
            if len(pending) >= HEADER_SIZE:
                return memoryview(pending), len(pending)
            n = self._read_nonempty(timeout_ms)
            joined = pending + bytes(self._rview[:n])
            return memoryview(joined), len(joined)
        n = self._read_nonempty(timeout_ms)
        return self._rview, n

    def _read_nonempty(self, timeout_ms: int) -> int:
        n = self._read(timeout_ms)
        if n == 0:  # the ZLP that ended the previous data phase: read again (once)
            n = self._read(timeout_ms)
            if n == 0:
                raise RemoteProtocolError("the camera sent zero-length packets, no container")
        return n

    def receive_container(self, sink: DataSink | None = None, *,
                          timeout: float | None = None,
                          expect: tuple[int, int] | None = None) -> Received:
        """Read one container; stream a data container's payload to ``sink`` if given.

        With ``expect=(tid, operation)`` a data container of another transaction or operation
        is checked from its header before any byte reaches ``sink``, read to its end and
        discarded (returned with an empty payload, ``streamed`` False).  Raises
        ``RemoteProtocolError`` on a malformed header or a transfer that ends before the
        container's length, ``ChdkTimeoutError`` if the camera sends nothing in time.
        """
        self._check_open()
        tms = _ms(timeout, self.timeout)
        view, n = self._first_chunk(tms)
        if n < HEADER_SIZE:
            raise RemoteProtocolError(f"short container: {n} bytes, a header needs {HEADER_SIZE}")
        header = decode_header(view[:HEADER_SIZE])
        length = header.length
        if length < HEADER_SIZE:
            raise RemoteProtocolError(f"container length {length} is smaller than its header")
        streaming = sink is not None and header.type == ContainerType.DATA
        if (streaming and expect is not None
                and (header.transaction_id, header.code) != tuple(expect)):
            log.debug("discarding a data container of tid %d / op %#06x (expected %d / %#06x)",
                      header.transaction_id, header.code, *expect)
            if n >= length:
                if n > length:
                    self._keep(view[length:n])
            else:
                self._read_rest(length - n, _discard, tms)
            return Received(header, b"")
        if n >= length:
            if n > length:
                self._keep(view[length:n])
            if streaming:
                assert sink is not None
                sink_writer(sink)(view[HEADER_SIZE:length])
                return Received(header, b"", True)
            return Received(header, bytes(view[HEADER_SIZE:length]))
        if streaming:
            assert sink is not None
            write = sink_writer(sink)
            write(view[HEADER_SIZE:n])
            self._read_rest(length - n, write, tms)
            return Received(header, b"", True)
        payload = bytearray(length - HEADER_SIZE)
        got = n - HEADER_SIZE
        payload[:got] = view[HEADER_SIZE:n]
        target = memoryview(payload)

        def into(chunk: memoryview) -> None:
            nonlocal got
            target[got : got + len(chunk)] = chunk
            got += len(chunk)

        self._read_rest(length - n, into, tms)
        return Received(header, payload)

    def _read_rest(self, remaining: int, write: Any, tms: int) -> None:
        total = remaining
        rview = self._rview
        while remaining > 0:
            k = self._read(tms)
            if k == 0:
                raise RemoteProtocolError(
                    f"data phase ended {remaining} bytes early ({total - remaining} of {total})"
                )
            if k > remaining:
                self._keep(rview[remaining:k])
                k = remaining
            write(rview[:k])
            remaining -= k

    def _keep(self, extra: memoryview) -> None:
        log.debug("keeping %d bytes read past the end of a container", len(extra))
        self._pending += bytes(extra)

    # --- interrupt IN (events) ----------------------------------------------------------

    def read_event(self, timeout: float | None) -> bytes | None:
        """Read one event container from the interrupt endpoint, or None on timeout.

        ``timeout`` <= 0 polls (1 ms); ``None`` waits until an event comes.  Raises
        ``DeviceDisconnectedError`` / ``TransportError`` (mapped USB errors).
        """
        self._check_open()
        if self._ep_int is None:
            return None
        tms = _FOREVER_MS if timeout is None else _ms(timeout, self.timeout)
        with self._event_lock:
            size = int(self._ep_int.wMaxPacketSize) or 64
            buf = array.array("B", bytes(size))
            try:
                n = int(self._ep_int.read(buf, tms))
            except usb.core.USBError as exc:
                err = map_usb_error(exc, "reading an event")
                if isinstance(err, ChdkTimeoutError):
                    return None
                raise err from exc
            data = bytes(buf[:n])
            if n >= HEADER_SIZE:
                length = decode_header(data[:HEADER_SIZE]).length
                while len(data) < length:
                    try:
                        k = int(self._ep_int.read(buf, tms))
                    except usb.core.USBError as exc:
                        raise map_usb_error(exc, "reading an event") from exc
                    if k == 0:
                        break
                    data += bytes(buf[:k])
            return data or None

    # --- class requests -----------------------------------------------------------------

    def _control(self, request_type: int, request: int, data: Any, what: str) -> Any:
        self._check_open()
        try:
            return self.device.ctrl_transfer(
                request_type, request, 0, self._intf_num, data,
                _ms(self.control_timeout, DEFAULT_CONTROL_TIMEOUT),
            )
        except usb.core.USBError as exc:
            raise map_usb_error(exc, what) from exc
        except NotImplementedError as exc:  # a backend without control transfers
            raise TransportError(f"{what}: not supported by this USB backend") from exc

    def get_device_status(self) -> int:
        """Class request Get Device Status; return the PTP response code the device reports."""
        raw = bytes(self._control(_CLASS_IN, UsbClassRequest.GET_DEVICE_STATUS, _STATUS_LEN,
                                  "getting the device status"))
        if len(raw) < 4:
            raise RemoteProtocolError(f"device status reply too short ({len(raw)} bytes)")
        _length, code = struct.unpack_from("<HH", raw)
        return int(code)

    def cancel(self, transaction_id: int) -> None:
        """Class request Cancel for ``transaction_id`` (cancellation code CancelTransaction)."""
        payload = struct.pack("<HI", EventCode.CANCEL_TRANSACTION, transaction_id & 0xFFFFFFFF)
        self._control(_CLASS_OUT, UsbClassRequest.CANCEL, payload, "cancelling a transaction")

    def reset(self) -> None:
        """Class request Device Reset; also drops bytes kept from an unfinished container."""
        self._pending = b""
        self._control(_CLASS_OUT, UsbClassRequest.DEVICE_RESET, None, "resetting the device")

    def clear_halts(self) -> None:
        """Clear a stall on both bulk endpoints (stall recovery); errors are mapped."""
        for ep in (self._ep_in, self._ep_out):
            try:
                self.device.clear_halt(ep.bEndpointAddress)
            except NotImplementedError:
                pass
            except usb.core.USBError as exc:
                raise map_usb_error(exc, "clearing an endpoint stall") from exc


def _discard(chunk: memoryview) -> None:
    """A sink that drops what it gets (a stale data phase)."""


def _describe(device: Any) -> str:
    bus = getattr(device, "bus", None)
    address = getattr(device, "address", None)
    if bus is None or address is None:
        return f"usb:{getattr(device, 'idVendor', 0):04x}:{getattr(device, 'idProduct', 0):04x}"
    return f"usb:{bus:03d}/{address:03d}"


def _read_exact(source: BinaryIO, n: int) -> bytes:
    data = source.read(n)
    if len(data) != n:
        raise ValueError(f"data source ended after {len(data)} of {n} bytes")
    return data


def _readinto_exact(source: BinaryIO, view: memoryview) -> int:
    got = 0
    readinto = getattr(source, "readinto", None)
    while got < len(view):
        if readinto is not None:
            k = readinto(view[got:])
        else:
            piece = source.read(len(view) - got)
            k = len(piece)
            view[got : got + k] = piece
        if not k:
            raise ValueError(f"data source ended {len(view) - got} bytes early")
        got += k
    return got

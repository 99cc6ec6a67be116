"""The simulated camera's PTP/CHDK responder: bytes in, bytes out, no USB.

:class:`PtpResponder` implements the backend's ``UsbFunction`` contract (docs/internals.md):
it assembles OUT containers across bulk transfers, runs one transaction at a time (command →
optional data OUT → data IN → response), keeps the session and answers the USB still-image
class requests.  The CHDK extension (operation 0x9999, every sub-command of protocol 2.9, gated
by the configured protocol version) is answered the way CHDK's ``core/ptp.c`` does, including
the 1-dummy-byte + GeneralError data phases (fact sheet §1-§4).

Decisions where real cameras differ or the facts are silent (documented for test writers):

* Transaction ids are **not** checked for order, like PowerShots (they accept repeated or
  decreasing ids); only a Data container whose id or code differs from its Command's is refused
  (GeneralError).  Pass ``strict_transaction_ids=True`` to get InvalidTransactionID when an id
  is not the previous one + 1 within a session.
* Device Reset (class request) aborts the transaction **and closes the session**, so chdkptp's
  recovery (OpenSession fails → Device Reset → OpenSession again) succeeds.  A USB port reset
  aborts the transaction and keeps the session.  Cancel aborts the current data phase; no
  response is sent for the cancelled transaction.
* A data phase OUT ends at its announced length; if a transfer ends with a short packet before
  that (and after more than the bare header), the phase is incomplete → IncompleteTransfer.
  Announced lengths above :data:`MAX_DATA_OUT` are refused without allocating.
* Storage enumeration (GetStorageIDs, GetObjectHandles, ...) is answered like an empty card
  would be, counted, and sets ``state.record_refused`` (real PowerShots then refuse record mode).
* A DownloadFile data phase above :data:`STREAM_THRESHOLD` is read from the card file piece by
  piece (:meth:`PtpResponder.bulk_in_part`; the USB backend uses :meth:`~PtpResponder.
  bulk_in_view`, the same pieces read into one reused buffer), so the simulator never holds a
  large file in memory; :meth:`PtpResponder.bulk_in` still hands out whole containers.
  An UploadFile data phase above the same size is written to the card as it arrives.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from chdkptp._generated._runtime import SpecDecodeError
from chdkptp._generated.chdk_codes import (
    CaptureFormatFlags,
    ChdkCommand,
    ExecFlags,
    GetMemoryMode,
    MessageType,
    ScriptLanguage,
    ScriptSupportFlags,
    TempDataFlags,
)
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp._generated.ptp_codes import (
    ContainerType,
    EventCode,
    ObjectFormat,
    OperationCode,
    ResponseCode,
    VendorExtensionId,
)
from chdkptp._generated.ptp_device_info import PtpDeviceInfo
from chdkptp._generated.ptp_types import PtpArrayU2, PtpArrayU4, PtpString
from chdkptp._generated.usb_cancel_request import UsbCancelRequest
from chdkptp._generated.usb_codes import UsbClassRequest, UsbRequestType
from chdkptp._generated.usb_device_status import UsbDeviceStatus
from chdkptp.errors import RemoteProtocolError
from chdkptp.ptp import containers
from chdkptp.sim.usb import Stall

if TYPE_CHECKING:
    from chdkptp.sim.card import VirtualCard
    from chdkptp.sim.clock import SimClock
    from chdkptp.sim.faults import Faults
    from chdkptp.sim.liveview import LiveViewSource
    from chdkptp.sim.lua_runtime import ScriptHost
    from chdkptp.sim.state import CameraState

__all__ = ["MAX_DATA_OUT", "FakeMemory", "PtpResponder", "SimulatedIdentity"]

log = logging.getLogger(__name__)

HEADER = containers.HEADER_SIZE
PACKET_SIZE = 512
"""wMaxPacketSize of the bulk endpoints (high speed); used to see short-packet transfer ends."""

MAX_DATA_OUT = 256 * 1024 * 1024
"""Largest host→camera data container accepted; longer announced lengths are refused."""

STREAM_THRESHOLD = 4 << 20
"""DownloadFile data phases larger than this are streamed from the card file in pieces."""

STREAM_PIECE = 1 << 20
"""Size of one streamed piece (a multiple of :data:`PACKET_SIZE`: only the last piece of a
container may end in a short packet)."""

_MAX_COMMAND = HEADER + 4 * containers.MAX_PARAMS
_OPLOG_LIMIT = 100_000
_COMMAND = ContainerType.COMMAND
_CHDK = int(OperationCode.CHDK)
_STORAGE_ENUMERATION = frozenset(int(op) for op in OperationCode if op.storage_enumeration)
_U32 = 0xFFFFFFFF

# --- simulated data --------------------------------------------------------------------------
# These values are what the simulated PowerShot reports; they are data of the simulation, not
# protocol constants (nobody has a dump of a real PowerShot's DeviceInfo, fact sheet §1.6).
SIM_STANDARD_VERSION = 100  # PTP 1.00
SIM_VENDOR_EXTENSION_ID = VendorExtensionId.CANON  # from cp-ptp.h's table; unconfirmed on a camera
SIM_VENDOR_EXTENSION_VERSION = 100
SIM_VENDOR_EXTENSION_DESC = ""
SIM_FUNCTIONAL_MODE = 0
SIM_MANUFACTURER = "Canon Inc."
SIM_DEVICE_VERSION = "1-6.0.1.0"  # what a D10 running 100a reports (cp-main comment)
SIM_IMAGE_FORMATS = (ObjectFormat.EXIF_JPEG, ObjectFormat.ASSOCIATION)  # shots, folders
SIM_STORAGE_ID = 0x00010001  # first physical store, first logical partition
# StorageInfo of the empty-looking card: type removable RAM (4), generic hierarchical
# filesystem (2), read-write (0).
SIM_STORAGE_TYPE = 4
SIM_FILESYSTEM_TYPE = 2
SIM_ACCESS_CAPABILITY = 0
SIM_STORAGE_DESC = "SD"
# Fake memory map for GetMemory / SetMemory: a writable RAM window at 0 and a read-only "ROM".
SIM_RAM_BASE = 0x00000000
SIM_RAM_SIZE = 0x10000
SIM_ROM_BASE = 0xFF810000
SIM_ROM_SIZE = 0x10000
SIM_FUNC_SUM = SIM_ROM_BASE + 0x100  # CallFunction target that returns the sum of its args
# ----------------------------------------------------------------------------------------------

# Protocol versions that changed a sub-command's behaviour (fact sheet §2.1-§2.2); the
# sub-commands themselves are gated on the generated ``ChdkCommand.since``.
EXEC_FLAGS_SINCE = (2, 6)  # ExecuteScript flags NOKILL / FLUSH_*; ignored (treated as 0) before
GET_MEMORY_MODE_SINCE = (2, 8)  # GetMemory p4 mode; must be DIRECT before
CRAW_SINCE = (2, 9)  # RemoteCaptureGetData CAPTURE_CRAW
CALL_ARGS_UNLIMITED_SINCE = (2, 5)  # CallFunction: at most MAX_CALL_ARGS_OLD args before
MAX_CALL_ARGS_OLD = 10
# ExecuteScript p2: the language sits in the bits below the lowest exec flag (SL_MASK).
_LANGUAGE_MASK = min(int(f) for f in ExecFlags) - 1


@dataclass(frozen=True)
class SimulatedIdentity:
    """What the camera says about itself in DeviceInfo."""

    model: str
    serial: str
    manufacturer: str = SIM_MANUFACTURER
    device_version: str = SIM_DEVICE_VERSION


class FakeMemory:
    """A tiny camera memory map: writable RAM at :data:`SIM_RAM_BASE`, read-only ROM.

    Reads and writes outside both windows fail (a real camera would return garbage or crash).
    """

    def __init__(self) -> None:
        self.ram = bytearray((i * 7 + 3) & 0xFF for i in range(SIM_RAM_SIZE))
        rom_text = b"SIMULATED POWERSHOT FIRMWARE\x00"
        self.rom = bytes((rom_text * (SIM_ROM_SIZE // len(rom_text) + 1))[:SIM_ROM_SIZE])

    def read(self, address: int, size: int) -> bytes | None:
        """Bytes at ``address`` (``None`` if any of them is unmapped)."""
        for base, blob in ((SIM_RAM_BASE, self.ram), (SIM_ROM_BASE, self.rom)):
            if base <= address and address + size <= base + len(blob):
                return bytes(blob[address - base : address - base + size])
        return None

    def write(self, address: int, data: bytes) -> bool:
        """Write into RAM; ROM writes are ignored like on flash; False if unmapped."""
        if address >= SIM_RAM_BASE and address + len(data) <= SIM_RAM_BASE + SIM_RAM_SIZE:
            self.ram[address - SIM_RAM_BASE : address - SIM_RAM_BASE + len(data)] = data
            return True
        return address >= SIM_ROM_BASE and address + len(data) <= SIM_ROM_BASE + SIM_ROM_SIZE


@dataclass
class _Reply:
    code: int
    params: tuple[int, ...] = ()
    data: bytes | None = None
    stream: tuple[io.BufferedIOBase, int] | None = None  # (open file, size): streamed data


class _UploadStream:
    """An UploadFile data phase written to the card file as its transfers arrive."""

    _MAX_HEAD = 1 << 16  # the name must arrive within this many bytes

    def __init__(self, txn: _Txn, length: int, card: VirtualCard) -> None:
        self.txn = txn
        self.left = length  # payload bytes still to come
        self.card = card
        self.head = bytearray()
        self.fh: BinaryIO | None = None
        self.failed = False

    def feed(self, data: bytes | memoryview) -> None:
        self.left -= len(data)
        if self.failed:
            return
        if self.fh is not None:
            self.fh.write(data)
            return
        self.head += data
        try:
            upload = ChdkUploadFile.from_bytes(bytes(self.head))
        except SpecDecodeError:
            if len(self.head) > self._MAX_HEAD:
                log.info("UploadFile refused: no file name in the first %d bytes", len(self.head))
                self.failed = True
            return  # the name is not complete yet
        name = bytes(upload.name).split(b"\x00", 1)[0].decode("latin-1")
        try:
            self.fh = open(self.card.to_local(name), "wb")  # noqa: SIM115 - closed in finish
            self.fh.write(bytes(upload.contents))
        except (ValueError, OSError) as exc:
            log.info("UploadFile refused: %s", exc)
            self.failed = True
        self.head = bytearray()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def finish(self) -> _Reply:
        self.close()
        return _Reply(ResponseCode.GENERAL_ERROR if self.failed else ResponseCode.OK)


class _StreamedIn:
    """A data container IN whose payload is read from an open file as the host reads it."""

    __slots__ = ("buf", "fh", "head", "left")

    def __init__(self, head: bytes, fh: io.BufferedIOBase, size: int) -> None:
        self.head = head
        self.fh = fh
        self.left = size
        self.buf: bytearray | None = None  # reused by view(): one allocation per stream

    def piece(self, limit: int) -> bytes:
        """The next ``limit`` bytes of the container (fewer only at its end)."""
        head, self.head = self.head, b""
        want = min(self.left, limit - len(head))
        data = self.fh.read(want)
        if len(data) < want:  # the file shrank under us: keep the announced length
            data += bytes(want - len(data))
        self.left -= want
        if self.left == 0:
            self.close()
        return head + data if head else data

    def view(self, limit: int) -> memoryview:
        """Like :meth:`piece`, read with ``readinto`` into a buffer this stream reuses: the
        view is only valid until the next call."""
        if self.buf is None or len(self.buf) < limit:
            self.buf = bytearray(limit)
        out = memoryview(self.buf)
        filled = len(self.head)
        if filled:
            out[:filled] = self.head
            self.head = b""
        return out[: filled + self.readinto(out[filled:limit])]

    def readinto(self, target: memoryview) -> int:
        """Read the next payload bytes (at most ``len(target)``) straight into ``target``."""
        want = min(self.left, len(target))
        filled = 0
        while filled < want:
            got = self.fh.readinto(target[filled:want])
            if not got:  # the file shrank under us: keep the announced length
                target[filled:want] = bytes(want - filled)
                break
            filled += got
        self.left -= want
        if self.left == 0:
            self.close()
        return want

    @property
    def done(self) -> bool:
        return self.left == 0 and not self.head

    def whole(self) -> bytes:
        return self.piece(len(self.head) + self.left)

    def close(self) -> None:
        self.fh.close()


class _Txn:
    """The transaction in progress."""

    __slots__ = ("code", "expects_out", "params", "pending", "tid")

    def __init__(self, code: int, tid: int, params: tuple[int, ...]) -> None:
        self.code = code
        self.tid = tid
        self.params = params
        self.expects_out = False
        self.pending: int | None = None  # response code decided before the data phase


def _version(text: str | int | None) -> tuple[int, int]:
    if text is None:
        return (0, 0)
    major, _, minor = str(text).partition(".")
    return (int(major), int(minor or 0))


def _param(params: tuple[int, ...], index: int) -> int:
    return params[index] if len(params) > index else 0


class PtpResponder:
    """Sans-IO PTP responder of one simulated camera (implements ``UsbFunction``).

    Args:
        identity: model, serial, ... reported in DeviceInfo.
        clock, faults, state, card, scripts, liveview: the camera's parts.
        chdk_version: CHDK protocol (major, minor), or ``None`` for a camera without CHDK
            (operation 0x9999 then answers OperationNotSupported).
        strict_transaction_ids: refuse out-of-order transaction ids (real PowerShots do not).

    USB-level faults (timeouts, stalls, truncated data phases, idle power-down, disconnects)
    belong to the backend (``sim/usb.py``); this class fires the PTP-level ones: busy
    responses and the slow-camera minimum gap.
    """

    def __init__(
        self,
        *,
        identity: SimulatedIdentity,
        clock: SimClock,
        faults: Faults,
        state: CameraState,
        card: VirtualCard,
        scripts: ScriptHost,
        liveview: LiveViewSource,
        chdk_version: tuple[int, int] | None,
        strict_transaction_ids: bool = False,
    ) -> None:
        self.identity = identity
        self.clock = clock
        self.faults = faults
        self.state = state
        self.card = card
        self.scripts = scripts
        self.liveview = liveview
        self.chdk_version = chdk_version
        self.strict_transaction_ids = strict_transaction_ids
        self.memory = FakeMemory()
        self.session_id: int | None = None
        self.temp_data: bytes | None = None
        self.storage_enumeration_count = 0
        self.operations_log: list[tuple[int, tuple[int, ...]]] = []
        self._lock = threading.RLock()
        self._ready: Callable[[], None] | None = None
        self._rx: list[bytes] = []  # OUT transfers of the container being assembled
        self._rx_len = 0
        self._rx_header: containers.Header | None = None
        self._discarding = False
        self._upload: _UploadStream | None = None  # a streamed UploadFile data phase
        self._txn: _Txn | None = None
        self._busy = False  # a transaction is in progress (command seen, response not read)
        self._bulk_in: deque[bytes | _StreamedIn] = deque()
        self._events: deque[bytes] = deque()
        self._last_tid: int | None = None
        self._last_response_ms: float | None = None
        self._last_mode: str | None = None
        self._device_info = self._build_device_info()
        self._chdk_enabled: dict[int, bool] = {}
        self._chdk_out: dict[int, bool] = {}  # sub-commands with a data phase OUT
        if chdk_version is not None:
            for cmd in ChdkCommand:
                enabled = chdk_version >= _version(cmd.since)
                self._chdk_enabled[int(cmd)] = enabled
                self._chdk_out[int(cmd)] = enabled and cmd.data_phase == "out"
        self._chdk_handlers: dict[int, Callable[[_Txn, bytes | None], _Reply]] = {
            ChdkCommand.VERSION: self._chdk_version,
            ChdkCommand.GET_MEMORY: self._chdk_get_memory,
            ChdkCommand.SET_MEMORY: self._chdk_set_memory,
            ChdkCommand.CALL_FUNCTION: self._chdk_call_function,
            ChdkCommand.TEMP_DATA: self._chdk_temp_data,
            ChdkCommand.UPLOAD_FILE: self._chdk_upload_file,
            ChdkCommand.DOWNLOAD_FILE: self._chdk_download_file,
            ChdkCommand.EXECUTE_SCRIPT: self._chdk_execute_script,
            ChdkCommand.SCRIPT_STATUS: self._chdk_script_status,
            ChdkCommand.SCRIPT_SUPPORT: self._chdk_script_support,
            ChdkCommand.READ_SCRIPT_MSG: self._chdk_read_script_msg,
            ChdkCommand.WRITE_SCRIPT_MSG: self._chdk_write_script_msg,
            ChdkCommand.GET_DISPLAY_DATA: self._chdk_get_display_data,
            ChdkCommand.REMOTE_CAPTURE_IS_READY: self._chdk_rc_is_ready,
            ChdkCommand.REMOTE_CAPTURE_GET_DATA: self._chdk_rc_get_data,
        }
        self._storage_handlers: dict[int, Callable[[_Txn], _Reply]] = {
            OperationCode.GET_STORAGE_IDS: self._get_storage_ids,
            OperationCode.GET_STORAGE_INFO: self._get_storage_info,
            OperationCode.GET_NUM_OBJECTS: self._get_num_objects,
            OperationCode.GET_OBJECT_HANDLES: self._get_object_handles,
        }

    # --- DeviceInfo ---------------------------------------------------------------------------

    def supported_operations(self) -> list[int]:
        """Operation codes listed in DeviceInfo (the standard ones answered, plus CHDK)."""
        ops = [
            OperationCode.GET_DEVICE_INFO,
            OperationCode.OPEN_SESSION,
            OperationCode.CLOSE_SESSION,
        ]
        ops += [op for op in OperationCode if op.storage_enumeration]
        if self.chdk_version is not None:
            ops.append(OperationCode.CHDK)
        return [int(op) for op in ops]

    def _build_device_info(self) -> bytes:
        events = [
            EventCode.DEVICE_PROP_CHANGED,
            EventCode.CANON_DEVICE_INFO_CHANGED,
            EventCode.CANON_REQUEST_OBJECT_TRANSFER,
            EventCode.CANON_CAMERA_MODE_CHANGED,
        ]
        info = PtpDeviceInfo(
            standard_version=SIM_STANDARD_VERSION,
            vendor_extension_id=int(SIM_VENDOR_EXTENSION_ID),
            vendor_extension_version=SIM_VENDOR_EXTENSION_VERSION,
            vendor_extension_desc=PtpString(value=SIM_VENDOR_EXTENSION_DESC),
            functional_mode=SIM_FUNCTIONAL_MODE,
            operations_supported=PtpArrayU2(items=self.supported_operations()),
            events_supported=PtpArrayU2(items=[int(e) for e in events]),
            device_properties_supported=PtpArrayU2(items=[]),
            capture_formats=PtpArrayU2(items=[]),
            image_formats=PtpArrayU2(items=[int(f) for f in SIM_IMAGE_FORMATS]),
            manufacturer=PtpString(value=self.identity.manufacturer),
            model=PtpString(value=f"Canon {self.identity.model}"),
            device_version=PtpString(value=self.identity.device_version),
            serial_number=PtpString(value=self.identity.serial),
        )
        data: bytes = info.to_bytes()
        return data

    @property
    def device_info(self) -> bytes:
        """The DeviceInfo dataset this camera sends."""
        return self._device_info

    # --- UsbFunction --------------------------------------------------------------------------

    def set_ready_callback(self, cb: Callable[[], None]) -> None:
        """Register the backend's wake-up call (called when bulk or interrupt data appear)."""
        self._ready = cb

    def bulk_out(self, data: bytes) -> None:
        """One host→camera bulk transfer (``b""`` is a zero-length packet, ignored)."""
        if not data:
            return
        with self._lock:
            queued = self._receive(data)
        if queued and self._ready is not None:
            self._ready()

    def bulk_in(self) -> bytes | None:
        """Next whole camera→host container, or ``None`` if nothing is queued."""
        with self._lock:
            if not self._bulk_in:
                return None
            item = self._bulk_in.popleft()
            if not self._bulk_in and self._txn is None:
                self._busy = False
            return item.whole() if isinstance(item, _StreamedIn) else item

    def bulk_in_part(self) -> tuple[bytes, bool] | None:
        """Next piece of camera→host data and whether the same container continues after it.

        Small containers come whole (``more`` False); a streamed DownloadFile container comes
        in :data:`STREAM_PIECE` pieces, every one but the last a multiple of the packet size.
        ``None`` if nothing is queued.
        """
        part = self._next_part(reuse=False)
        return None if part is None else (bytes(part[0]), part[1])

    def bulk_in_view(self) -> tuple[bytes | memoryview, bool] | None:
        """:meth:`bulk_in_part` without the per-piece allocation: a streamed piece is a view of
        a buffer the responder reuses, valid only until the next call (the USB backend uses
        this; callers that keep pieces use :meth:`bulk_in_part`)."""
        return self._next_part(reuse=True)

    def bulk_in_into(self, target: memoryview) -> tuple[int, bool] | None:
        """Continue a streamed container (its header already sent) straight into ``target``:
        ``(bytes written, more)``; ``None`` if no such container is under way.  ``target``
        should be whole packets, so that only the container's end can be a short packet."""
        with self._lock:
            item = self._bulk_in[0] if self._bulk_in else None
            if not isinstance(item, _StreamedIn) or item.head:
                return None
            count = item.readinto(target)
            if not item.done:
                return count, True
            self._bulk_in.popleft()
            if not self._bulk_in and self._txn is None:
                self._busy = False
            return count, False

    def _next_part(self, *, reuse: bool) -> tuple[bytes | memoryview, bool] | None:
        with self._lock:
            if not self._bulk_in:
                return None
            item = self._bulk_in[0]
            data: bytes | memoryview
            if isinstance(item, _StreamedIn):
                data = item.view(STREAM_PIECE) if reuse else item.piece(STREAM_PIECE)
                if not item.done:
                    return data, True
            else:
                data = item
            self._bulk_in.popleft()
            if not self._bulk_in and self._txn is None:
                self._busy = False
            return data, False

    def interrupt_in(self) -> bytes | None:
        """Next event container, or ``None``."""
        with self._lock:
            return self._events.popleft() if self._events else None

    def class_request(
        self, bm_request_type: int, request: int, value: int, index: int, data: bytes, length: int
    ) -> bytes:
        """USB still-image class requests: Get Device Status, Cancel, Device Reset.

        Raises:
            Stall: an unknown request or a wrong direction (the backend stalls endpoint 0).
        """
        with self._lock:
            if (
                request == UsbClassRequest.GET_DEVICE_STATUS
                and bm_request_type == UsbRequestType.CLASS_INTERFACE_IN
            ):
                code = ResponseCode.DEVICE_BUSY if self._busy else ResponseCode.OK
                status: bytes = UsbDeviceStatus(code=code).to_bytes()
                return status[:length]
            if bm_request_type != UsbRequestType.CLASS_INTERFACE_OUT:
                raise Stall(f"class request 0x{request:02x} not supported")
            if request == UsbClassRequest.CANCEL:
                try:
                    cancel = UsbCancelRequest.from_bytes(data)
                except SpecDecodeError as exc:
                    raise Stall(f"malformed cancel request: {exc}") from exc
                log.debug("cancel request for transaction %d", cancel.transaction_id)
                self._abort()
                self._discarding = True  # the rest of a cancelled data phase may still come
                return b""
            if request == UsbClassRequest.DEVICE_RESET:
                log.debug("device reset: transaction aborted, session closed")
                self._abort()
                self._discarding = True
                self.session_id = None
                self._last_tid = None
                return b""
        raise Stall(f"class request 0x{request:02x} not supported")

    def power_cycle(self, *, reboot: bool = False) -> None:
        """The camera was off: no session, no transaction, no TempData, no queued events.

        ``reboot``: CHDK restarted too (Lua ``reboot()``): the script host is powered off as
        well (no script, empty queues, script ids start again at 1).
        """
        with self._lock:
            self._abort()
            self._events.clear()
            self.session_id = None
            self._last_tid = None
            self._last_response_ms = None
            self.temp_data = None
            if reboot:
                self.scripts.power_off()

    def usb_reset(self) -> None:
        """USB port reset: abort the transaction, keep the session."""
        with self._lock:
            self._abort()

    def post_event(self, code: int, params: tuple[int, ...] = ()) -> None:
        """Queue an event container on the interrupt endpoint."""
        with self._lock:
            self._events.append(containers.encode_event(code, 0, params))
        if self._ready is not None:
            self._ready()

    @property
    def busy(self) -> bool:
        """True while a transaction is in progress (Get Device Status answers DeviceBusy)."""
        return self._busy

    # --- container assembly -------------------------------------------------------------------

    def _abort(self) -> None:
        self._txn = None
        self._rx.clear()
        self._rx_len = 0
        self._rx_header = None
        for item in self._bulk_in:
            if isinstance(item, _StreamedIn):
                item.close()
        if self._upload is not None:
            self._upload.close()
            self._upload = None
        self._bulk_in.clear()
        self._busy = False
        self._discarding = False

    def _receive(self, data: bytes) -> bool:
        """Feed one OUT transfer; return True if something was queued for the host."""
        if self._upload is not None:
            return self._feed_upload(data)
        size = len(data)
        if HEADER <= size <= _MAX_COMMAND and not self._rx and not self._discarding:
            # fast path: one whole Command container in one transfer (the usual case)
            try:
                first: containers.Header | None = containers.decode_header(data)
            except RemoteProtocolError:
                first = None  # handled (and refused) below
            whole = first is not None and first.length == size and not size % 4
            if whole and first is not None and first.type == _COMMAND:
                return self._container(first, data[HEADER:])
        short_end = size % PACKET_SIZE != 0
        if self._discarding:
            if not self._plausible_command(data):
                log.debug("discarding %d bytes after a refused container", len(data))
                return False
            self._discarding = False
        # Transfers are kept as a list and joined once the container is complete: one copy
        # per container however many transfers it took (a growing bytearray copies ~8x).
        self._rx.append(bytes(data))
        self._rx_len += size
        queued = False
        while self._rx_len:
            header = self._rx_header
            if header is None:
                if self._rx_len < HEADER:
                    break
                try:
                    header = containers.decode_header(self._head())
                except RemoteProtocolError as exc:
                    log.warning("bad container from host: %s", exc)
                    self._refuse()
                    return False
                if not self._header_acceptable(header):
                    return self._refuse_header(header)
                self._rx_header = header
                if self._start_upload(header):
                    blob = b"".join(self._rx)
                    self._rx, self._rx_len, self._rx_header = [], 0, None
                    return self._feed_upload(memoryview(blob)[HEADER:], short_end)
            have = self._rx_len
            if have < header.length:
                if short_end and header.type == ContainerType.DATA and have > HEADER:
                    log.warning("data phase ended after %d of %d bytes", have, header.length)
                    txn = self._txn
                    self._refuse()
                    code, tid = (txn.code, txn.tid) if txn else (header.code, header.transaction_id)
                    self._reply(code, tid, _Reply(ResponseCode.INCOMPLETE_TRANSFER))
                    return True
                break
            blob = self._rx[0] if len(self._rx) == 1 else b"".join(self._rx)
            payload = blob[HEADER : header.length]
            rest = blob[header.length :]
            self._rx = [rest] if rest else []
            self._rx_len = len(rest)
            self._rx_header = None
            queued = self._container(header, payload) or queued
        return queued

    def _start_upload(self, header: containers.Header) -> bool:
        """Switch to streaming for a large UploadFile data container (True if it did)."""
        txn = self._txn
        if (
            header.type != ContainerType.DATA
            or header.length <= STREAM_THRESHOLD
            or txn is None
            or not txn.expects_out
            or txn.pending is not None
            or txn.code != _CHDK
            or _param(txn.params, 0) != ChdkCommand.UPLOAD_FILE
            or header.code != txn.code
            or header.transaction_id != txn.tid
        ):
            return False
        self._txn = None
        self._upload = _UploadStream(txn, header.length - HEADER, self.card)
        return True

    def _feed_upload(self, data: bytes | memoryview, short_end: bool | None = None) -> bool:
        """Write one OUT transfer of a streamed UploadFile; reply when the container is done."""
        upload = self._upload
        assert upload is not None
        if short_end is None:
            short_end = len(data) % PACKET_SIZE != 0
        take = min(len(data), upload.left)
        upload.feed(data[:take])
        txn = upload.txn
        if upload.left == 0:
            self._upload = None
            self._reply(txn.code, txn.tid, upload.finish())
            rest = bytes(data[take:])
            if rest:
                self._receive(rest)
            return True
        if short_end:
            log.warning("UploadFile data phase ended %d bytes early", upload.left)
            upload.close()
            self._upload = None
            self._refuse()
            self._reply(txn.code, txn.tid, _Reply(ResponseCode.INCOMPLETE_TRANSFER))
            return True
        return False

    def _head(self) -> bytes:
        """The first bytes assembled (at least a header's worth)."""
        first = self._rx[0]
        if len(first) >= HEADER:
            return first
        joined = b"".join(self._rx)
        self._rx = [joined]
        return joined

    @staticmethod
    def _plausible_command(data: bytes) -> bool:
        if len(data) < HEADER:
            return False
        try:
            header = containers.decode_header(data)
        except RemoteProtocolError:
            return False
        return (
            header.type == ContainerType.COMMAND
            and header.length <= _MAX_COMMAND
            and header.length % 4 == 0
            and len(data) >= header.length
        )

    def _header_acceptable(self, header: containers.Header) -> bool:
        if header.type == ContainerType.COMMAND:
            return header.length <= _MAX_COMMAND and header.length % 4 == 0
        if header.type == ContainerType.DATA:
            return header.length <= MAX_DATA_OUT
        return False

    def _refuse(self) -> None:
        """Drop what was assembled and ignore OUT data until the next plausible command."""
        self._rx.clear()
        self._rx_len = 0
        self._rx_header = None
        self._discarding = True
        self._txn = None

    def _refuse_header(self, header: containers.Header) -> bool:
        log.warning("refusing container type %s length %d from host", header.type, header.length)
        txn = self._txn
        self._refuse()
        if header.type == ContainerType.COMMAND:
            self._reply(header.code, header.transaction_id, _Reply(ResponseCode.GENERAL_ERROR))
            return True
        if header.type == ContainerType.DATA and txn is not None:
            self._reply(txn.code, txn.tid, _Reply(ResponseCode.INCOMPLETE_TRANSFER))
            return True
        return False

    def _container(self, header: containers.Header, payload: bytes) -> bool:
        """Act on one whole container from the host (``payload`` excludes the header)."""
        if header.type == ContainerType.COMMAND:
            try:
                params = containers.decode_params(payload)
            except RemoteProtocolError:
                self._reply(header.code, header.transaction_id, _Reply(ResponseCode.GENERAL_ERROR))
                return True
            if self._txn is not None:
                log.warning("command 0x%04x while a data phase OUT was expected", header.code)
                self._txn = None
            return self._command(header.code, header.transaction_id, params)
        # a data container
        txn = self._txn
        if txn is None or not txn.expects_out:
            log.warning("unexpected data container (code 0x%04x), discarded", header.code)
            return False
        if header.code != txn.code or header.transaction_id != txn.tid:
            log.warning("data container does not match its command, refused")
            self._txn = None
            self._reply(txn.code, txn.tid, _Reply(ResponseCode.GENERAL_ERROR))
            return True
        self._txn = None
        return self._run(txn, payload)

    # --- transactions -------------------------------------------------------------------------

    def _reply(self, code: int, tid: int, reply: _Reply) -> None:
        """Queue the data phase (if any) and the response of a transaction."""
        if reply.stream is not None:
            fh, size = reply.stream
            self._bulk_in.append(
                _StreamedIn(containers.encode_data_header(code, tid, size), fh, size)
            )
        elif reply.data is not None:
            self._bulk_in.append(
                containers.encode_data_header(code, tid, len(reply.data)) + reply.data
            )
        self._bulk_in.append(containers.encode_response(reply.code, tid, reply.params))
        self._last_response_ms = self.clock.now_ms()

    def _command(self, code: int, tid: int, params: tuple[int, ...]) -> bool:
        oplog = self.operations_log
        oplog.append((code, params))
        if len(oplog) > _OPLOG_LIMIT:
            del oplog[: _OPLOG_LIMIT // 2]
        if code in _STORAGE_ENUMERATION:
            self.storage_enumeration_count += 1  # counted even when refused
        self._busy = True
        self.scripts.pump()
        self._check_mode_event()
        txn = _Txn(code, tid, params)
        txn.expects_out = self._expects_out(code, params)
        txn.pending = self._precheck(txn)
        if txn.expects_out:
            self._txn = txn
            return False
        return self._run(txn, None)

    def _precheck(self, txn: _Txn) -> int | None:
        """A response decided before any data phase (busy, session, transaction id)."""
        faults = self.faults
        gap = faults.min_transaction_gap_ms
        last = self._last_response_ms
        if gap > 0 and last is not None and self.clock.now_ms() - last < gap:
            return int(ResponseCode.DEVICE_BUSY)
        if faults.busy_responses > 0 and faults.take("busy_responses"):
            return int(ResponseCode.DEVICE_BUSY)
        if txn.code == OperationCode.CHDK and self.chdk_version is None:
            return int(ResponseCode.OPERATION_NOT_SUPPORTED)
        if txn.code in (OperationCode.GET_DEVICE_INFO, OperationCode.OPEN_SESSION):
            return None
        if self.session_id is None:
            if self._known(txn.code):
                return int(ResponseCode.SESSION_NOT_OPEN)
            return None
        if self.strict_transaction_ids:
            expected = None if self._last_tid is None else (self._last_tid + 1) & _U32
            if expected is not None and txn.tid != expected:
                return int(ResponseCode.INVALID_TRANSACTION_ID)
        self._last_tid = txn.tid
        return None

    def _known(self, code: int) -> bool:
        return code in _STORAGE_ENUMERATION or code in (
            OperationCode.CLOSE_SESSION,
            OperationCode.CHDK,
        )

    def _expects_out(self, code: int, params: tuple[int, ...]) -> bool:
        if code != _CHDK or not params:
            return False
        sub = params[0]
        if sub == ChdkCommand.TEMP_DATA and self._chdk_out.get(sub, False):
            flags = _param(params, 1)
            return not flags & (TempDataFlags.DOWNLOAD | TempDataFlags.CLEAR)
        return self._chdk_out.get(sub, False)

    def _run(self, txn: _Txn, data: bytes | None) -> bool:
        pending = txn.pending
        reply = _Reply(pending) if pending is not None else self._dispatch(txn, data)
        self._reply(txn.code, txn.tid, reply)
        return True

    def _dispatch(self, txn: _Txn, data: bytes | None) -> _Reply:
        code = txn.code
        if code == OperationCode.CHDK:
            return self._chdk(txn, data)
        if code == OperationCode.GET_DEVICE_INFO:
            return _Reply(ResponseCode.OK, (), self._device_info)
        if code == OperationCode.OPEN_SESSION:
            return self._open_session(txn)
        if code == OperationCode.CLOSE_SESSION:
            self.session_id = None
            self._last_tid = None
            return _Reply(ResponseCode.OK)
        if code in _STORAGE_ENUMERATION:
            return self._storage_trap(txn)
        return _Reply(ResponseCode.OPERATION_NOT_SUPPORTED)

    def _open_session(self, txn: _Txn) -> _Reply:
        session = _param(txn.params, 0)
        if session == 0:
            return _Reply(ResponseCode.INVALID_PARAMETER)
        if self.session_id is not None:
            return _Reply(ResponseCode.SESSION_ALREADY_OPEN, (self.session_id,))
        self.session_id = session
        self._last_tid = txn.tid
        return _Reply(ResponseCode.OK)

    def _check_mode_event(self) -> None:
        mode = self.state.mode
        if self._last_mode is not None and mode != self._last_mode:
            self._events.append(containers.encode_event(EventCode.CANON_CAMERA_MODE_CHANGED, 0, ()))
        self._last_mode = mode

    # --- storage enumeration (the trap) -------------------------------------------------------

    def _storage_trap(self, txn: _Txn) -> _Reply:
        self.state.record_refused = True
        log.warning("storage enumeration 0x%04x received: camera now refuses record mode", txn.code)
        handler = self._storage_handlers.get(txn.code)
        if handler is not None:
            return handler(txn)
        return _Reply(ResponseCode.INVALID_OBJECT_HANDLE)

    def _get_storage_ids(self, txn: _Txn) -> _Reply:
        return _Reply(ResponseCode.OK, (), PtpArrayU4(items=[SIM_STORAGE_ID]).to_bytes())

    def _get_storage_info(self, txn: _Txn) -> _Reply:
        if _param(txn.params, 0) != SIM_STORAGE_ID:
            return _Reply(ResponseCode.INVALID_STORAGE_ID)
        free = self.card.free_bytes()
        fixed = struct.pack(
            "<HHHQQI",
            SIM_STORAGE_TYPE,
            SIM_FILESYSTEM_TYPE,
            SIM_ACCESS_CAPABILITY,
            self.card.total_bytes,
            free,
            _U32,
        )
        strings = PtpString(value=SIM_STORAGE_DESC).to_bytes() + PtpString(value="").to_bytes()
        return _Reply(ResponseCode.OK, (), fixed + strings)

    def _get_num_objects(self, txn: _Txn) -> _Reply:
        return _Reply(ResponseCode.OK, (0,))

    def _get_object_handles(self, txn: _Txn) -> _Reply:
        return _Reply(ResponseCode.OK, (), PtpArrayU4(items=[]).to_bytes())

    # --- CHDK ---------------------------------------------------------------------------------

    def _chdk(self, txn: _Txn, data: bytes | None) -> _Reply:
        sub = _param(txn.params, 0)
        handler = self._chdk_handlers.get(sub)
        if handler is None or not self._chdk_enabled.get(sub, False) or not txn.params:
            return _Reply(ResponseCode.PARAMETER_NOT_SUPPORTED)
        return handler(txn, data)

    @staticmethod
    def _dummy_error(params: tuple[int, ...] = ()) -> _Reply:
        """CHDK's error data phase: one zero byte, then GeneralError."""
        return _Reply(ResponseCode.GENERAL_ERROR, params, b"\x00")

    def _chdk_version(self, txn: _Txn, data: bytes | None) -> _Reply:
        assert self.chdk_version is not None
        return _Reply(ResponseCode.OK, self.chdk_version)

    def _chdk_get_memory(self, txn: _Txn, data: bytes | None) -> _Reply:
        address, size, mode = (_param(txn.params, i) for i in (1, 2, 3))
        if size < 1:
            return _Reply(ResponseCode.GENERAL_ERROR)
        assert self.chdk_version is not None
        if self.chdk_version < GET_MEMORY_MODE_SINCE:
            if mode != GetMemoryMode.DIRECT:
                return _Reply(ResponseCode.PARAMETER_NOT_SUPPORTED)
        elif mode not in (GetMemoryMode.DIRECT, GetMemoryMode.BUFFER):
            return _Reply(ResponseCode.PARAMETER_NOT_SUPPORTED)
        blob = self.memory.read(address, size)
        if blob is None:
            return _Reply(ResponseCode.GENERAL_ERROR)
        return _Reply(ResponseCode.OK, (), blob)

    def _chdk_set_memory(self, txn: _Txn, data: bytes | None) -> _Reply:
        address, size = _param(txn.params, 1), _param(txn.params, 2)
        payload = data or b""
        if address == 0 or size < 1 or len(payload) < size:
            return _Reply(ResponseCode.GENERAL_ERROR)
        if not self.memory.write(address, payload[:size]):
            return _Reply(ResponseCode.GENERAL_ERROR)
        return _Reply(ResponseCode.OK)

    def _chdk_call_function(self, txn: _Txn, data: bytes | None) -> _Reply:
        payload = data or b""
        if not payload or len(payload) % 4:
            return _Reply(ResponseCode.GENERAL_ERROR)
        words = struct.unpack(f"<{len(payload) // 4}I", payload)
        func, args = words[0], words[1:]
        assert self.chdk_version is not None
        if self.chdk_version < CALL_ARGS_UNLIMITED_SINCE and len(args) > MAX_CALL_ARGS_OLD:
            return _Reply(ResponseCode.GENERAL_ERROR)
        result = sum(args) & _U32 if func == SIM_FUNC_SUM else 0
        return _Reply(ResponseCode.OK, (result,))

    def _chdk_temp_data(self, txn: _Txn, data: bytes | None) -> _Reply:
        flags = _param(txn.params, 1)
        if flags & TempDataFlags.DOWNLOAD:
            stored = self.temp_data
            if flags & TempDataFlags.CLEAR:
                self.temp_data = None
            if stored is None:
                return _Reply(ResponseCode.GENERAL_ERROR)
            return _Reply(ResponseCode.OK, (), stored)
        if flags & TempDataFlags.CLEAR:
            self.temp_data = None
            return _Reply(ResponseCode.OK)
        self.temp_data = bytes(data or b"")
        return _Reply(ResponseCode.OK)

    def _chdk_upload_file(self, txn: _Txn, data: bytes | None) -> _Reply:
        try:
            upload = ChdkUploadFile.from_bytes(data or b"")
            name = bytes(upload.name).split(b"\x00", 1)[0].decode("latin-1")
            local = self.card.to_local(name)
            local.write_bytes(bytes(upload.contents))
        except (SpecDecodeError, ValueError, OSError) as exc:
            log.info("UploadFile refused: %s", exc)
            return _Reply(ResponseCode.GENERAL_ERROR)
        return _Reply(ResponseCode.OK)

    def _chdk_download_file(self, txn: _Txn, data: bytes | None) -> _Reply:
        name_bytes, self.temp_data = self.temp_data, None
        if name_bytes is None:
            return self._dummy_error()
        name = name_bytes.split(b"\x00", 1)[0].decode("latin-1")
        try:
            fh = open(self.card.to_local(name), "rb")  # noqa: SIM115 - closed by _StreamedIn
        except (ValueError, OSError) as exc:
            log.info("DownloadFile %r failed: %s", name, exc)
            return self._dummy_error()
        try:
            size = os.fstat(fh.fileno()).st_size
            if size > STREAM_THRESHOLD:
                return _Reply(ResponseCode.OK, (size,), stream=(fh, size))
            contents = fh.read()
        except OSError as exc:
            fh.close()
            log.info("DownloadFile %r failed: %s", name, exc)
            return self._dummy_error()
        fh.close()
        return _Reply(ResponseCode.OK, (len(contents),), contents)

    def _chdk_execute_script(self, txn: _Txn, data: bytes | None) -> _Reply:
        word = _param(txn.params, 1)
        language = word & _LANGUAGE_MASK
        if language != ScriptLanguage.LUA:
            return _Reply(ResponseCode.PARAMETER_NOT_SUPPORTED)
        flags = word & ~_LANGUAGE_MASK
        assert self.chdk_version is not None
        if self.chdk_version < EXEC_FLAGS_SINCE:
            flags = 0
        source = (data or b"").split(b"\x00", 1)[0]
        script_id, status = self.scripts.execute(source, int(ScriptLanguage.LUA) | flags)
        self.scripts.pump()  # the script starts running at once, as on the camera
        return _Reply(ResponseCode.OK, (script_id, status))

    def _chdk_script_status(self, txn: _Txn, data: bytes | None) -> _Reply:
        return _Reply(ResponseCode.OK, (int(self.scripts.status()),))

    def _chdk_script_support(self, txn: _Txn, data: bytes | None) -> _Reply:
        return _Reply(ResponseCode.OK, (int(ScriptSupportFlags.LUA),))

    def _chdk_read_script_msg(self, txn: _Txn, data: bytes | None) -> _Reply:
        msg = self.scripts.read_msg()
        if msg is None:
            return _Reply(ResponseCode.OK, (int(MessageType.NONE), 0, 0, 0), b"\x00")
        params = (int(msg.type), int(msg.subtype), int(msg.script_id), len(msg.data))
        return _Reply(ResponseCode.OK, params, bytes(msg.data) or b"\x00")

    def _chdk_write_script_msg(self, txn: _Txn, data: bytes | None) -> _Reply:
        if not data:
            log.warning("WriteScriptMsg with an empty message refused")
            return _Reply(ResponseCode.GENERAL_ERROR)
        status = self.scripts.write_msg(bytes(data), _param(txn.params, 1))
        return _Reply(ResponseCode.OK, (int(status),))

    def _chdk_get_display_data(self, txn: _Txn, data: bytes | None) -> _Reply:
        try:
            frame = self.liveview.frame(_param(txn.params, 1))
        except ValueError as exc:
            log.info("GetDisplayData failed: %s", exc)
            return self._dummy_error()
        return _Reply(ResponseCode.OK, (len(frame),), frame)

    def _chdk_rc_is_ready(self, txn: _Txn, data: bytes | None) -> _Reply:
        status, image_number = self.state.remote_capture.is_ready()
        return _Reply(ResponseCode.OK, (status & _U32, image_number & _U32))

    def _chdk_rc_get_data(self, txn: _Txn, data: bytes | None) -> _Reply:
        bit = _param(txn.params, 1)
        assert self.chdk_version is not None
        if bit == CaptureFormatFlags.CRAW and self.chdk_version < CRAW_SINCE:
            return self._dummy_error((0, 0))
        chunk = self.state.remote_capture.get_data(bit)
        if chunk is None:
            return self._dummy_error((0, 0))
        payload, more, offset = chunk
        return _Reply(ResponseCode.OK, (len(payload), int(more), offset & _U32), payload or b"\x00")

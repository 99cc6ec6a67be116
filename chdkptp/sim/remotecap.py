"""Remote (USB-direct) capture state of the simulated camera (CHDK ``remotecap.c``).

What belongs here: the capture target set by ``init_usb_capture``, the data a shot leaves for
the host, and how it is handed out: one type at a time in the order DNG header, RAW, JPG, CR2;
``RemoteCaptureIsReady`` / ``RemoteCaptureGetData`` answers; the per-type download timeout that
cancels capture; asking for a type that is not available resets capture.  The Lua bindings
(``init_usb_capture`` …) and the PTP sub-commands call in here; this module does no I/O.

JPEG and CR2 data come in chunks the way a real camera's file-write hook delivers them: the
body first, starting at a non-zero file offset, then sequential chunks (offset :data:`SEQUENTIAL`),
and the file header last at offset 0, so a host that ignores offsets writes a corrupt file.
RAW and the DNG header are one sequential chunk each.  Several shots taken before the host
downloads are queued (a real camera would hold the next shot back instead; see :attr:`pending`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field

from chdkptp._generated.chdk_codes import CaptureFormatFlags, RemoteCaptureOffset
from chdkptp.sim.clock import SimClock

log = logging.getLogger(__name__)

#: Offset value meaning "write right after the previous chunk" (spec: remote_capture_offset).
SEQUENTIAL = int(RemoteCaptureOffset.SEQUENTIAL)
#: Default per-type download timeout (CHDK: 3000 × 10 ms).
DEFAULT_TIMEOUT_MS = 30_000
#: Size of the header chunk a real SX160 IS sent last (0x4600 bytes).
JPEG_HEADER_CHUNK = 0x4600
#: Largest body chunk (a real camera sent chunks up to about 0xDE600 bytes).
JPEG_MAX_CHUNK = 0xDE600
#: Body chunks a JPEG is split into when it is small enough.
JPEG_BODY_CHUNKS = 4
_BLOCK = 512
#: Order in which the types of one shot become available.
_ORDER = (
    CaptureFormatFlags.DNGHDR,
    CaptureFormatFlags.RAW,
    CaptureFormatFlags.JPG,
    CaptureFormatFlags.CRAW,
)
_ALL = int(
    CaptureFormatFlags.JPG
    | CaptureFormatFlags.RAW
    | CaptureFormatFlags.DNGHDR
    | CaptureFormatFlags.CRAW
)


def hook_chunks(
    data: bytes, *, header: int = JPEG_HEADER_CHUNK, max_chunk: int = JPEG_MAX_CHUNK
) -> list[tuple[bytes, int]]:
    """Split a file the way the file-write hook delivers it: (chunk, offset) pairs.

    The first body chunk carries its real offset, later body chunks :data:`SEQUENTIAL`, the
    header (the first ``header`` bytes, at most a quarter of the file) comes last at offset 0.
    Body chunks are whole 512-byte blocks except the last one.
    A file of fewer than 2 bytes is one chunk at offset 0.
    """
    if len(data) < 2:
        return [(data, 0)]
    head = max(1, min(header, len(data) // 4))
    body = len(data) - head
    size = max(1, min(max_chunk, -(-body // JPEG_BODY_CHUNKS)))
    if size > _BLOCK:  # whole 512-byte blocks, as the camera's file writes are
        size = min(max_chunk, -(-size // _BLOCK) * _BLOCK)
    chunks: list[tuple[bytes, int]] = []
    pos = head
    while pos < len(data):
        chunks.append((data[pos : pos + size], pos if pos == head else SEQUENTIAL))
        pos += size
    chunks.append((data[:head], 0))
    return chunks


@dataclass
class _Shot:
    image_number: int
    queue: deque[tuple[int, list[tuple[bytes, int]]]] = field(default_factory=deque)


class RemoteCapture:
    """CHDK's remote-capture state machine, driven by simulated time.

    Attributes the camera model sets: :attr:`support_mask` (what ``get_usb_capture_support``
    returns), :attr:`raw_possible`, :attr:`canon_formats` (JPG and/or CRAW: what the Canon
    image-quality setting writes), :attr:`raw_height` (sensor rows, for the line range).
    """

    def __init__(self, clock: SimClock, *, support_mask: int | None = None) -> None:
        self.clock = clock
        # CHDK 2.9 (the simulator's default) supports CRAW; SimulatedCamera clears the bit
        # for older protocol versions.  canon_formats keeps CRAW from succeeding until the
        # Canon image format is set to include it.
        self.support_mask = _ALL if support_mask is None else support_mask
        self.raw_possible = True
        self.canon_formats = int(CaptureFormatFlags.JPG)
        self.raw_height = 3000
        self._lock = threading.RLock()
        self._target = 0
        self._startline = 0
        self._numlines = 0
        self._timeout_ms = DEFAULT_TIMEOUT_MS
        self._shots: deque[_Shot] = deque()
        self._since = 0

    # -- set-up (Lua side) -----------------------------------------------------------------

    def _reset(self) -> None:
        self._target = 0
        self._shots.clear()

    def init(self, mask: int, startline: int = 0, numlines: int = 0, *, record_mode: bool) -> bool:
        """``init_usb_capture(mask, startline, numlines)``: True if capture is now set up.

        Fails, and resets capture, when the mask has unsupported bits, the camera is not in
        record mode, RAW is asked for but raw is impossible, JPG/CRAW is asked for but the
        Canon format does not write it, or the line range is invalid.  Mask 0 clears capture.
        """
        with self._lock:
            reason = self._refusal(mask, startline, numlines, record_mode)
            self._reset()
            if reason:
                log.debug(
                    "init_usb_capture(%#x, %d, %d) refused: %s", mask, startline, numlines, reason
                )
                return False
            self._target = mask
            self._startline, self._numlines = startline, numlines
            return True

    def _refusal(self, mask: int, startline: int, numlines: int, record_mode: bool) -> str:
        """Why ``init`` must fail, or "" if it may succeed (fact sheet §4.2)."""
        if not record_mode:
            return "not in record mode"
        if mask & ~self.support_mask or mask & ~_ALL:
            return "unsupported format bits"
        if mask & CaptureFormatFlags.RAW and not self.raw_possible:
            return "raw not possible"
        if mask & int(CaptureFormatFlags.JPG | CaptureFormatFlags.CRAW) & ~self.canon_formats:
            return "the Canon image format does not include JPG/CRAW"
        if mask & CaptureFormatFlags.RAW:
            end = self.raw_height if numlines == 0 else startline + numlines
            if startline < 0 or numlines < 0 or startline >= self.raw_height:
                return "bad line range"
            if end > self.raw_height:
                return "bad line range"
        return ""

    @property
    def target(self) -> int:
        """``get_usb_capture_target()``: the active mask, 0 once cleared or timed out."""
        with self._lock:
            self._check_timeout()
            return self._target

    def set_timeout(self, ms: int) -> None:
        """``set_usb_capture_timeout(ms)``: per-type download timeout; ms <= 0 → 30 s."""
        with self._lock:
            self._timeout_ms = ms if ms > 0 else DEFAULT_TIMEOUT_MS

    @property
    def timeout_ms(self) -> int:
        """The per-type download timeout in force."""
        return self._timeout_ms

    @property
    def pending(self) -> bool:
        """True while a shot's data waits for the host (the camera's shot is not finished)."""
        with self._lock:
            self._check_timeout()
            return bool(self._shots)

    # -- a shot ----------------------------------------------------------------------------

    def on_shot(self, image_number: int, files: dict[int, bytes]) -> None:
        """Hand a new shot's files (format bit → whole file) to capture, if it is set up.

        Only the targeted formats present in ``files`` are queued; RAW is cut to the line
        range given to :meth:`init`.
        """
        with self._lock:
            self._check_timeout()
            if not self._target:
                return
            shot = _Shot(image_number)
            for bit in _ORDER:
                if not (self._target & bit) or int(bit) not in files:
                    continue
                data = files[int(bit)]
                if bit == CaptureFormatFlags.RAW:
                    shot.queue.append((int(bit), [(self._raw_lines(data), SEQUENTIAL)]))
                elif bit == CaptureFormatFlags.DNGHDR:
                    shot.queue.append((int(bit), [(data, SEQUENTIAL)]))
                else:
                    shot.queue.append((int(bit), hook_chunks(data)))
            if not shot.queue:
                return
            if not self._shots:
                self._since = self.clock.now_ms()
            self._shots.append(shot)

    def _raw_lines(self, data: bytes) -> bytes:
        if self.raw_height <= 0 or len(data) % self.raw_height:
            return data
        row = len(data) // self.raw_height
        count = self._numlines or (self.raw_height - self._startline)
        return data[self._startline * row : (self._startline + count) * row]

    def _check_timeout(self) -> None:
        if self._shots and self.clock.now_ms() - self._since > self._timeout_ms:
            log.debug("remote capture timed out after %d ms", self._timeout_ms)
            self._reset()

    # -- PTP side --------------------------------------------------------------------------

    def is_ready(self) -> tuple[int, int]:
        """RemoteCaptureIsReady: (available bit or 0, image number) or (NOTSET, 0).

        NOTSET when capture is not set up or was cancelled by the timeout.
        """
        with self._lock:
            self._check_timeout()
            if not self._target:
                return int(CaptureFormatFlags.NOTSET), 0
            if not self._shots:
                return 0, 0
            shot = self._shots[0]
            return shot.queue[0][0], shot.image_number

    def get_data(self, bit: int) -> tuple[bytes, bool, int] | None:
        """RemoteCaptureGetData: (chunk, more, offset or SEQUENTIAL) of the available type.

        None when ``bit`` is not the type available now: capture is then reset (target 0).
        """
        with self._lock:
            self._check_timeout()
            if not self._shots or self._shots[0].queue[0][0] != bit:
                log.debug("get_data(%#x) for a type not available: capture reset", bit)
                self._reset()
                return None
            shot = self._shots[0]
            _kind, chunks = shot.queue[0]
            chunk, offset = chunks.pop(0)
            more = bool(chunks)
            if not more:
                shot.queue.popleft()
                if not shot.queue:
                    self._shots.popleft()
                self._since = self.clock.now_ms()
            return chunk, more, offset

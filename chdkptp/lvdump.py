"""Live-view dump files (``.lvdump``): recording GetDisplayData frames and playing them back.

What belongs here: the writer and the streaming reader of chdkptp's dump format
(``spec/chdk_lvdump.ksy``, fact sheet §3.6: the magic ``chlv``, a header length, the dump
version 1.0, then one record per frame: the frame length and the raw GetDisplayData payload),
plus :func:`record` (camera → file) and :func:`play` (file → frames).  Files written here play
in chdkptp's GUI and dumps made by chdkptp's ``lvdump`` command read here; payloads are stored
byte for byte, so every live-view version and plane survives a round trip.

Errors: a file that is not a dump, or whose records are cut short, raises
:class:`~chdkptp.errors.RemoteProtocolError` (it is recorded camera data gone bad); a dump
major version other than 1 raises :class:`~chdkptp.errors.UnsupportedProtocolError`.  OS
errors (missing file, disk full) propagate as ``OSError``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal, TypeAlias

from chdkptp._generated._runtime import SpecDecodeError
from chdkptp._generated.chdk_lvdump import ChdkLvdump, LvdumpVersion
from chdkptp.errors import RemoteProtocolError, UnsupportedProtocolError
from chdkptp.liveview import LiveFrame, LiveView

__all__ = ["LvDumpReader", "LvDumpWriter", "play", "read_frames", "record"]

log = logging.getLogger(__name__)

_Header = ChdkLvdump.LvdumpHeader
_Record = ChdkLvdump.LvdumpRecord
#: A dump with no frames, as this library writes it (the derived len_header included).
_EMPTY_DUMP = ChdkLvdump(
    header=_Header(version_major=int(LvdumpVersion.MAJOR), version_minor=int(LvdumpVersion.MINOR))
).to_bytes()
_HEADER_SIZE = len(_EMPTY_DUMP)
_HEADER_BASE = _Header.from_bytes(_EMPTY_DUMP).len_header  # len_header of a 1.0 header
_LEN_SIZE = len(_Record(frame=b"").to_bytes())  # the u4 length before each frame
_LEN_BYTEORDER: Literal["little"] = "little"  # spec: endian le

Target: TypeAlias = "str | os.PathLike[str] | BinaryIO"


def _open(target: Target, write: bool) -> tuple[BinaryIO, bool]:
    """(file, owned): paths are opened (and later closed) here, file objects are borrowed."""
    if isinstance(target, (str, os.PathLike)):
        path = Path(target)
        return (path.open("wb") if write else path.open("rb")), True
    return target, False


class LvDumpWriter:
    """Writes a ``.lvdump`` file: the version 1.0 header at once, then one record per frame.

    ``target`` is a path (created or truncated) or a binary file object (borrowed, not
    closed).  Use as a context manager or call :meth:`close`.
    """

    def __init__(self, target: Target) -> None:
        self._file, self._owned = _open(target, write=True)
        self.frames = 0
        self.bytes_written = 0
        self._write(_EMPTY_DUMP)

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self.bytes_written += len(data)

    def write(self, frame: LiveFrame | bytes | bytearray | memoryview) -> None:
        """Append one frame (a :class:`LiveFrame` or a raw GetDisplayData payload)."""
        payload = frame.payload if isinstance(frame, LiveFrame) else bytes(frame)
        if len(payload) >= 1 << (8 * _LEN_SIZE):
            raise ValueError(f"frame of {len(payload)} bytes is too large for a dump record")
        self._write(_Record(frame=payload).to_bytes())
        self.frames += 1

    def flush(self) -> None:
        """Flush the file object."""
        self._file.flush()

    def close(self) -> None:
        """Flush, and close the file if this writer opened it; idempotent."""
        if self._file.closed:
            return
        self._file.flush()
        if self._owned:
            self._file.close()

    def __enter__(self) -> LvDumpWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LvDumpReader:
    """Reads a ``.lvdump`` file one record at a time (dumps can be large).

    Iterating yields :class:`LiveFrame` objects; :meth:`payloads` yields the raw bytes.
    ``allow_truncated``: a last record cut short (a recording that was killed) ends the
    iteration with a warning instead of raising ``RemoteProtocolError``.  ``version`` is the
    dump's (major, minor).
    """

    def __init__(self, source: Target, *, allow_truncated: bool = False) -> None:
        self._file, self._owned = _open(source, write=False)
        self.allow_truncated = allow_truncated
        self.frames = 0
        try:
            self.version = self._read_header()
        except BaseException:
            self.close()
            raise

    def _read_exact(self, size: int) -> bytes:
        data = self._file.read(size)
        return data if data is not None else b""

    def _read_header(self) -> tuple[int, int]:
        raw = self._read_exact(_HEADER_SIZE)
        try:
            header = _Header.from_bytes(raw)
        except SpecDecodeError as exc:
            raise RemoteProtocolError(f"not a live-view dump (.lvdump) file: {exc}") from exc
        version = (header.version_major, header.version_minor)
        if header.version_major != LvdumpVersion.MAJOR:
            raise UnsupportedProtocolError(
                f"lvdump version {version[0]}.{version[1]} is not supported (this library "
                f"reads {int(LvdumpVersion.MAJOR)}.x)",
                version=version,
            )
        extra = header.len_header - _HEADER_BASE
        if extra and len(self._read_exact(extra)) != extra:
            raise RemoteProtocolError("lvdump header is cut short")
        return version

    def read_payload(self) -> bytes | None:
        """The next frame's raw payload, or None at the end of the file."""
        head = self._read_exact(_LEN_SIZE)
        if not head:
            return None
        size = int.from_bytes(head, _LEN_BYTEORDER) if len(head) == _LEN_SIZE else -1
        payload = self._read_exact(size) if size >= 0 else b""
        if size < 0 or len(payload) != size:
            message = (
                f"lvdump record {self.frames + 1} is cut short "
                f"({len(head) + len(payload)} bytes of a record)"
            )
            if self.allow_truncated:
                log.warning("%s; stopping", message)
                return None
            raise RemoteProtocolError(message)
        self.frames += 1
        return payload

    def payloads(self) -> Iterator[bytes]:
        """Iterate over the raw payloads."""
        while (payload := self.read_payload()) is not None:
            yield payload

    def __iter__(self) -> Iterator[LiveFrame]:
        for payload in self.payloads():
            yield LiveFrame.from_bytes(payload)

    def close(self) -> None:
        """Close the file if this reader opened it; idempotent."""
        if self._owned and not self._file.closed:
            self._file.close()

    def __enter__(self) -> LvDumpReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_frames(source: Target, *, allow_truncated: bool = False) -> list[LiveFrame]:
    """Every frame of a dump, parsed (errors as :class:`LvDumpReader`)."""
    with LvDumpReader(source, allow_truncated=allow_truncated) as reader:
        return list(reader)


def record(
    cam: Any,
    target: Target,
    *,
    count: int | None = None,
    duration: float | None = None,
    fps: float | None = None,
    flags: int | None = None,
    timeout: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Record live view from ``cam`` into a dump, like chdkptp's ``lvdump`` command.

    Each frame is one CHDK GetDisplayData with ``flags`` (``LiveViewFlags``; default, like
    chdkptp's 0x1D: viewport, bitmap and palette, plus the opacity plane only when the
    camera's ``chdk_version`` is 2.7 or newer, see :func:`chdkptp.liveview.request_flags`),
    paced to ``fps`` (None: as fast as the camera answers).  Stops after
    ``count`` frames and/or when ``duration`` seconds have passed (one of them is required;
    a frame that arrives after the window is dropped).  Returns the
    number of frames written.  Raises ``ValueError`` for neither ``count`` nor ``duration``
    (or a negative count), ``OSError`` writing the file, and what
    :func:`chdkptp.liveview.get_payload` raises (frames already written stay in the file).
    """
    if count is None and duration is None:
        raise ValueError("give count and/or duration")
    if count is not None and count < 0:
        raise ValueError("count must be >= 0")
    stream = LiveView(
        cam,
        fps=fps,
        flags=None if flags is None else int(flags),
        bitmap=True,
        palette=True,
        max_frames=count,
        timeout=timeout,
        clock=clock,
        sleep=sleep,
    )
    start = clock()
    with LvDumpWriter(target) as writer:
        for payload in stream.payloads():
            if duration is not None and clock() - start >= duration:
                break  # this frame came after the end of the recording window
            writer.write(payload)
        log.info("recorded %d live-view frames (%.1f fps)", writer.frames, stream.achieved_fps)
        return writer.frames


def play(
    source: Target,
    *,
    fps: float | None = None,
    allow_truncated: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LiveFrame]:
    """Yield the frames of a dump, paced to ``fps`` if given (dumps store no timestamps).

    Reads the file only (no camera).  Raises ``OSError`` opening it,
    ``RemoteProtocolError`` for a malformed dump or frame (a truncated last record only
    without ``allow_truncated``).
    """
    with LvDumpReader(source, allow_truncated=allow_truncated) as reader:
        due: float | None = None
        for frame in reader:
            if fps is not None:
                now = clock()
                if due is not None and now < due:
                    sleep(due - now)
                    now = due
                due = now + 1.0 / fps
            yield frame

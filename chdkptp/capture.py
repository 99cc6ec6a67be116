"""Remote (USB-direct) capture: shoot and receive the image data over USB, not via the card.

What belongs here: the host side of CHDK remote capture (protocol >= 2.5) in the spirit of
chdkptp's ``rs`` command: the camera-side set-up and shooting scripts
(``camera_lua/capture.lua``), polling ScriptStatus + RemoteCaptureIsReady, fetching each data
type's chunks with RemoteCaptureGetData and writing them by their file offsets, DNG assembly
from the DNG header and the raw framebuffer, the per-type chunk limits, and the clean-up that
always clears capture (``init_usb_capture(0)``).

Files are written to a temporary name in the destination and renamed once a shot's data is
complete, so nothing exists under a final name after a failure.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from chdkptp._generated.chdk_codes import (
    CaptureFormatFlags,
    ChdkCommand,
    RemoteCaptureOffset,
)
from chdkptp.errors import (
    ChdkPtpError,
    ChdkTimeoutError,
    RemoteCaptureError,
    RemoteProtocolError,
    ResponseError,
    ScriptError,
)
from chdkptp.files import _open_temp, safe_local_path
from chdkptp.lua import camera_lua_source, dumps
from chdkptp.ptp.chdk import PollSchedule, check_feature, supports

if TYPE_CHECKING:
    from chdkptp.camera import Camera, Script

__all__ = ["FORMATS", "MAX_CHUNKS", "remote_capture"]

log = logging.getLogger(__name__)

_JPG = int(CaptureFormatFlags.JPG)
_RAW = int(CaptureFormatFlags.RAW)
_DNGHDR = int(CaptureFormatFlags.DNGHDR)
_CRAW = int(CaptureFormatFlags.CRAW)
_NOTSET = int(CaptureFormatFlags.NOTSET)
_SEQUENTIAL = int(RemoteCaptureOffset.SEQUENTIAL)

#: Format name → (capture bits it needs, file extension).  "dng" is assembled from the DNG
#: header and the raw data.
FORMATS: dict[str, tuple[int, str]] = {
    "jpg": (_JPG, "jpg"),
    "raw": (_RAW, "raw"),
    "dng": (_DNGHDR | _RAW, "dng"),
    "craw": (_CRAW, "cr2"),
}
#: Most chunks accepted per data type and shot (chdkptp's sanity limits).
MAX_CHUNKS: dict[int, int] = {_JPG: 100, _RAW: 1, _DNGHDR: 1, _CRAW: 100}
#: Largest file position a chunk may reach (a bad offset must not make a huge sparse file).
MAX_FILE_SIZE = 1 << 31
#: DNG thumbnail the host adds after the header (CHDK's DNG header describes 128×96 RGB).
THUMB_WIDTH, THUMB_HEIGHT = 128, 96
_TIFF_SHORT = 3
_BIT_ORDER = (_DNGHDR, _RAW, _JPG, _CRAW)
_SCRIPT_END_TIMEOUT = 30.0
_STOP_WAIT = 1.0
_LUA = "capture.lua"

Progress = Callable[[int, int], object]


@dataclass
class _Part:
    """One data type of a shot being received: a temp file (or memory for DNG parts)."""

    bit: int
    fh: IO[bytes]
    tmp: Path | None
    size: int = 0


def _swap16(data: bytes) -> bytes:
    """Swap each byte pair (CHDK raw words → DNG byte order)."""
    if len(data) % 2:
        raise RemoteProtocolError(f"raw data of {len(data)} bytes is not whole 16-bit words")
    out = bytearray(len(data))
    out[0::2] = data[1::2]
    out[1::2] = data[0::2]
    return bytes(out)


def _ifd(head: bytes, at: int) -> dict[int, tuple[int, int, bytes]]:
    """A little-endian TIFF IFD: tag → (type, count, 4-byte value/offset field)."""
    (entries,) = struct.unpack_from("<H", head, at)
    out: dict[int, tuple[int, int, bytes]] = {}
    for i in range(entries):
        tag, typ, count = struct.unpack_from("<HHI", head, at + 2 + 12 * i)
        out[tag] = (typ, count, head[at + 10 + 12 * i : at + 14 + 12 * i])
    return out


def _one(ifd: dict[int, tuple[int, int, bytes]], tag: int) -> int:
    """A single SHORT or LONG value stored in the entry itself."""
    typ, _count, field = ifd[tag]
    return int(struct.unpack_from("<H" if typ == _TIFF_SHORT else "<I", field)[0])


def _sub_ifd(head: bytes) -> dict[int, tuple[int, int, bytes]]:
    """SubIFD0 of CHDK's little-endian DNG header (the raw image); ValueError/KeyError/
    struct.error when it is not there."""
    if head[:4] != b"II*\x00":
        raise ValueError("not a little-endian TIFF header")
    return _ifd(head, _one(_ifd(head, struct.unpack_from("<I", head, 4)[0]), 0x014A))


def _raw_geometry(head: bytes) -> tuple[int, int, int]:
    """(width, height, bits per sample) of the raw image the DNG header describes."""
    try:
        sub = _sub_ifd(head)
        return _one(sub, 0x0100), _one(sub, 0x0101), _one(sub, 0x0102)
    except (struct.error, KeyError, ValueError) as exc:
        raise RemoteProtocolError(f"unreadable DNG header from the camera: {exc}") from exc


def _thumbnail(head: bytes, raw: bytes) -> bytes:
    """A 128×96 RGB preview of the (byte-swapped, MSB-first) raw strip: one 2×2 CFA block
    sampled per thumbnail pixel, levels from the DNG header, grey-world white balance,
    square-root gamma.  Black when the header cannot be read (little-endian layout, as
    CHDK writes it)."""
    try:
        sub = _sub_ifd(head)
        width, height, bpp = _one(sub, 0x0100), _one(sub, 0x0101), _one(sub, 0x0102)
        black = _one(sub, 0xC61A) if 0xC61A in sub else 0
        white = _one(sub, 0xC61D) if 0xC61D in sub else (1 << bpp) - 1
        pattern = sub[0x828E][2] if 0x828E in sub else bytes((0, 1, 1, 2))
        if not (width >= 2 and height >= 2 and 8 <= bpp <= 16 and white > black):
            raise ValueError("implausible raw geometry")
        if len(raw) * 8 < width * height * bpp:
            raise ValueError("raw data shorter than the header says")
    except (struct.error, KeyError, ValueError) as exc:
        log.debug("DNG thumbnail left black: %s", exc)
        return bytes(THUMB_WIDTH * THUMB_HEIGHT * 3)
    mask = (1 << bpp) - 1
    span = white - black

    def pixel(x: int, y: int) -> int:
        bit = (y * width + x) * bpp
        word = int.from_bytes(raw[bit // 8 : bit // 8 + 3].ljust(3, b"\0"), "big")
        value = (word >> (24 - bpp - bit % 8)) & mask
        return min(span, max(0, value - black))

    samples: list[tuple[float, float, float]] = []
    for ty in range(THUMB_HEIGHT):
        y = (ty * height // THUMB_HEIGHT) & ~1
        for tx in range(THUMB_WIDTH):
            x = (tx * width // THUMB_WIDTH) & ~1
            rgb = [0, 0, 0]
            seen = [0, 0, 0]
            for i, (dx, dy) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1))):
                colour = pattern[i] if pattern[i] < 3 else 1
                rgb[colour] += pixel(min(x + dx, width - 1), min(y + dy, height - 1))
                seen[colour] += 1
            r, g, b = (rgb[c] / max(1, seen[c]) / span for c in range(3))
            samples.append((r, g, b))
    # grey-world white balance (raw is greenish), gains kept within 1/4..4
    means = [sum(px[c] for px in samples) / len(samples) for c in range(3)]
    gains = [min(4.0, max(0.25, means[1] / m)) if m > 0 else 1.0 for m in means]
    out = bytearray()
    for px in samples:
        out += bytes(round(255 * math.sqrt(min(1.0, px[c] * gains[c]))) for c in range(3))
    return bytes(out)


def _apex96(name: str, value: float | None, fn: Callable[[float], float]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return round(96 * fn(float(value)))


def _format_mask(formats: Sequence[str]) -> int:
    if isinstance(formats, str):
        formats = (formats,)
    if not formats:
        raise ValueError("formats must name at least one of " + ", ".join(FORMATS))
    mask = 0
    for name in formats:
        if name not in FORMATS:
            raise ValueError(f"unknown capture format {name!r}; known: {', '.join(FORMATS)}")
        mask |= FORMATS[name][0]
    return mask


class _Capture:
    """One remote-capture run: set-up script, shooting script, per-shot downloads, clean-up."""

    def __init__(self, cam: Camera, dest: Path, formats: tuple[str, ...], mask: int,
                 name_template: str, timeout: float, progress: Progress | None,
                 raw_lines: tuple[int, int] | None = None) -> None:
        self.cam = cam
        self.raw_lines = raw_lines
        self.dest = dest
        self.formats = formats
        self.mask = mask
        self.name_template = name_template
        self.timeout = timeout
        self.progress = progress
        self.script: Script | None = None

    # -- camera scripts ----------------------------------------------------------------------

    def init(self, opts: dict[str, Any]) -> None:
        result = self.cam._call_helper(_LUA, "chdkptp_rc_init", opts, timeout=30.0)
        ok, why = (result[0], result[1]) if isinstance(result, tuple) else (result, None)
        if ok is not True:
            raise RemoteCaptureError(f"remote capture set-up failed: {why}")

    def start(self, opts: dict[str, Any]) -> None:
        code = camera_lua_source(_LUA) + f"return chdkptp_rc_shoot({dumps(opts)})\n"
        self.script = self.cam.execute_script(code)

    def finish(self) -> None:
        """Wait for the shooting script and check what it returned."""
        assert self.script is not None
        try:
            result = self.script.wait(_SCRIPT_END_TIMEOUT)
        except ScriptError as exc:
            raise RemoteCaptureError(f"the shooting script failed: {exc}") from exc
        if isinstance(result, tuple) and result and result[0] is False:
            raise RemoteCaptureError(f"the shooting script failed: {result[1]}")

    def abort(self) -> None:
        """After a failure: ask the script to stop ('stop'), else end it (protocol >= 2.6)."""
        script = self.script
        if script is None or script.done:
            return
        with contextlib.suppress(ChdkPtpError):
            script.send("stop")
        try:
            script.wait(_STOP_WAIT)
            return
        except ChdkTimeoutError:
            pass
        except ChdkPtpError:
            return
        if supports(self.cam.chdk_version, "exec_flags"):
            with contextlib.suppress(ChdkPtpError):
                script.kill()
        else:
            with contextlib.suppress(ChdkPtpError):
                script.wait(_SCRIPT_END_TIMEOUT)

    def cleanup(self) -> None:
        """``init_usb_capture(0)`` (after the last shot finished); never raises."""
        try:
            self.cam._call_helper(_LUA, "chdkptp_rc_cleanup", timeout=10.0)
        except ChdkPtpError as exc:
            log.warning("remote capture clean-up failed: %s", exc)

    # -- data ----------------------------------------------------------------------------------

    def wait_ready(self) -> tuple[int, int]:
        """Poll ScriptStatus + RemoteCaptureIsReady until a type is available."""
        assert self.script is not None
        schedule = PollSchedule(clock=time.monotonic)
        deadline = time.monotonic() + self.timeout
        while True:
            running = True
            if not self.script.done:
                running, _got = self.script._poll_once()
            resp = self.cam.chdk(ChdkCommand.REMOTE_CAPTURE_IS_READY)
            params = (*resp.params, 0, 0)
            status, number = int(params[0]), int(params[1])
            if status & _NOTSET:
                raise RemoteCaptureError(
                    "remote capture is not set up or was cancelled by the camera's timeout",
                    status=status,
                )
            if status:
                return status, number
            if not running:
                # the script ended without data: take its error or result for the message
                try:
                    self.script.wait(1.0)
                except ScriptError as exc:
                    raise RemoteCaptureError(f"the shooting script failed: {exc}") from exc
                raise RemoteCaptureError("the shooting script ended before the data came")
            left = deadline - time.monotonic()
            if left <= 0:
                raise RemoteCaptureError(
                    f"no capture data within {self.timeout:g} s", status=status
                )
            time.sleep(min(schedule.next_delay(), left))

    def fetch(self, part: _Part) -> None:
        """RemoteCaptureGetData until the last chunk, each written at its offset."""
        bit = part.bit
        limit = MAX_CHUNKS[bit]
        pos = 0
        for count in range(1, limit + 1):
            try:
                resp = self.cam.chdk(ChdkCommand.REMOTE_CAPTURE_GET_DATA, bit)
            except ResponseError as exc:
                raise RemoteCaptureError(
                    f"RemoteCaptureGetData({bit:#x}) refused: {exc}", bit=bit
                ) from exc
            params = (*resp.params, 0, 0, 0)
            size, more, offset = int(params[0]), int(params[1]), int(params[2])
            data = bytes(resp.data or b"")
            if len(data) < size:
                raise RemoteProtocolError(
                    f"capture chunk announced {size} bytes, {len(data)} came", bit=bit
                )
            if offset != _SEQUENTIAL:
                pos = offset
            if pos + size > MAX_FILE_SIZE:
                raise RemoteProtocolError(
                    f"capture chunk at {pos}+{size} is beyond {MAX_FILE_SIZE} bytes", bit=bit
                )
            part.fh.seek(pos)
            part.fh.write(data[:size])
            pos += size
            part.size = max(part.size, pos)
            if not more:
                log.debug("capture type %#x: %d chunks, %d bytes", bit, count, part.size)
                return
        raise RemoteCaptureError(
            f"capture type {bit:#x} sent more than {limit} chunks", bit=bit, limit=limit
        )

    def shot(self, index: int) -> list[Path]:
        """Receive one shot: every requested type, then assemble and rename its files."""
        parts: dict[int, _Part] = {}
        number = 0
        final: list[tuple[Path, Path]] = []
        try:
            while len(parts) < bin(self.mask).count("1"):
                status, number = self.wait_ready()
                for bit in _BIT_ORDER:
                    if not status & bit:
                        continue
                    if not self.mask & bit or bit in parts:
                        raise RemoteCaptureError(
                            f"the camera offered capture type {bit:#x}, which was not "
                            f"requested (or came twice)", status=status
                        )
                    parts[bit] = self._open_part(bit, number)
                    self.fetch(parts[bit])
                if status & ~(_JPG | _RAW | _DNGHDR | _CRAW):
                    raise RemoteCaptureError(f"unknown capture status {status:#x}",
                                             status=status)
            final = self._assemble(parts, number, index)
            for tmp, target in final:
                os.replace(tmp, target)
            return [target for _tmp, target in final]
        finally:
            for part in parts.values():
                part.fh.close()
                if part.tmp is not None:
                    with contextlib.suppress(FileNotFoundError):
                        part.tmp.unlink()
            for tmp, _target in final:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()

    def _target(self, name: str, number: int, index: int) -> Path:
        ext = FORMATS[name][1]
        try:
            rel = self.name_template.format(number=number, ext=ext, shot=index, format=name)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad name_template {self.name_template!r}: {exc}") from exc
        return safe_local_path(self.dest, rel)

    def _open_part(self, bit: int, number: int) -> _Part:
        """A temp file next to the final name for JPG/CR2/RAW; DNG parts too (read back)."""
        fd, tmp = _open_temp(self.dest / f"capture_{number:04d}_{bit:x}")
        os.close(fd)  # created write-only; the DNG assembly reads parts back
        try:
            return _Part(bit, open(tmp, "r+b"), tmp)
        except BaseException:
            tmp.unlink()
            raise

    def _assemble(self, parts: dict[int, _Part], number: int,
                  index: int) -> list[tuple[Path, Path]]:
        """Turn the received parts into (temp, final) pairs, one per requested format."""
        for part in parts.values():
            part.fh.truncate(part.size)
            part.fh.flush()
        out: list[tuple[Path, Path]] = []
        try:
            for name in self.formats:
                bits, _ext = FORMATS[name]
                target = self._target(name, number, index)
                target.parent.mkdir(parents=True, exist_ok=True)
                whole = parts.get(bits)
                if whole is not None and not (name == "raw" and "dng" in self.formats):
                    whole.fh.close()  # handed over as it is: the temp file becomes the file
                    assert whole.tmp is not None
                    out.append((whole.tmp, target))
                    whole.tmp = None
                    continue
                fd, tmp = _open_temp(target)
                out.append((tmp, target))
                with open(fd, "wb") as fh:
                    if name == "dng":
                        self._write_dng(fh, parts[_DNGHDR], parts[_RAW])
                    else:  # raw also needed for the DNG: copy it
                        raw = parts[_RAW]
                        raw.fh.seek(0)
                        fh.write(raw.fh.read(raw.size))
        except BaseException:
            for tmp, _target in out:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
            raise
        return out

    def _write_dng(self, fh: IO[bytes], header: _Part, raw: _Part) -> None:
        """DNG = header, 4-byte aligned 128×96 RGB thumbnail, raw with byte pairs swapped;
        a line range is padded with 0xFF to the full frame the header describes."""
        header.fh.seek(0)
        head = header.fh.read(header.size)
        if head[:4] not in (b"II*\x00", b"MM\x00*"):
            raise RemoteProtocolError("the DNG header from the camera is not a TIFF header")
        raw.fh.seek(0)
        strip = _swap16(raw.fh.read(raw.size))
        if self.raw_lines is not None:
            width, height, bpp = _raw_geometry(head)
            before = width * self.raw_lines[0] * bpp // 8
            after = width * height * bpp // 8 - before - len(strip)
            if after < 0:
                raise RemoteProtocolError(
                    f"raw line range data ({len(strip)} bytes) overruns the {width}x{height} "
                    f"frame of the DNG header"
                )
            strip = b"\xff" * before + strip + b"\xff" * after
        fh.write(head)
        fh.write(b"\0" * (-len(head) % 4))
        fh.write(_thumbnail(head, strip))
        fh.write(strip)

    def run(self, count: int) -> list[Path]:
        written: list[Path] = []
        for index in range(count):
            written += self.shot(index)
            if self.progress is not None:
                self.progress(index + 1, count)
        self.finish()
        return written


def remote_capture(
    cam: Camera,
    dest: str | os.PathLike[str] = ".",
    *,
    formats: Sequence[str] = ("jpg",),
    count: int = 1,
    tv: float | None = None,
    av: float | None = None,
    iso: float | None = None,
    name_template: str = "IMG_{number:04d}.{ext}",
    timeout: float | None = None,
    capture_timeout_ms: int = 0,
    raw_lines: tuple[int, int] | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Shoot ``count`` pictures and receive them over USB (CHDK remote capture, chdkptp ``rs``).

    ``formats``: any of ``"jpg"``, ``"raw"`` (CHDK raw framebuffer), ``"dng"`` (assembled
    from the camera's DNG header and the raw data: header, a 128×96 RGB preview made from
    the raw data, raw with byte pairs swapped) and ``"craw"`` (Canon CR2, protocol 2.9; the
    camera's Canon image quality must already include RAW, it is not switched here).
    Files go to ``dest`` (created if missing) named by ``name_template`` (fields ``number``:
    the camera's image number, ``ext``, ``shot`` (0-based), ``format``); returns their
    paths, shot by shot in the order of ``formats``.  ``tv`` (seconds), ``av`` (f-number),
    ``iso`` override the exposure.  ``timeout``: seconds to wait for each shot's data
    (default 20, or 10 + 2·tv).
    ``capture_timeout_ms``: the camera's per-type download timeout (0: CHDK's 30 s).
    ``raw_lines=(start, count)``: only these sensor rows of RAW (count 0: to the end); a DNG
    gets the other rows filled with 0xFF.
    ``progress(done_shots, count)`` is called after each shot.

    Operations: camera Lua (ExecuteScript) switches to record mode, checks
    ``get_usb_capture_support`` and calls ``init_usb_capture``; a second script shoots without
    being waited for while the host polls ScriptStatus + RemoteCaptureIsReady and fetches
    chunks with RemoteCaptureGetData; a last script calls ``init_usb_capture(0)``, always.

    Raises ``ValueError`` / ``TypeError`` for bad arguments, ``UnsupportedProtocolError``
    (protocol < 2.5, or < 2.9 for ``craw``), ``RemoteCaptureError`` (set-up refused, capture
    cancelled (NOTSET), no data in time, a refused chunk, too many chunks, the shooting
    script failed), ``RemoteProtocolError`` (malformed chunk), transport errors
    (``DeviceDisconnectedError``, ``ChdkTimeoutError``), ``OSError`` from the local disk.
    On failure the script is sent ``'stop'`` and nothing is left under a final name of the
    failed shot.
    """
    formats_t = (formats,) if isinstance(formats, str) else tuple(formats)
    mask = _format_mask(formats_t)
    if len(set(formats_t)) != len(formats_t):
        raise ValueError("formats must not repeat a name")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive int")
    if not isinstance(capture_timeout_ms, int) or capture_timeout_ms < 0:
        raise ValueError("capture_timeout_ms must be a non-negative int")
    opts: dict[str, Any] = {"count": count}
    for key, value in (
        ("tv96", _apex96("tv", tv, lambda v: -math.log2(v))),
        ("av96", _apex96("av", av, lambda v: 2 * math.log2(v))),
        ("sv96", _apex96("iso", iso, lambda v: math.log2(v / 3.125))),
    ):
        if value is not None:
            opts[key] = value
    if raw_lines is not None:
        if (not isinstance(raw_lines, tuple) or len(raw_lines) != 2
                or any(isinstance(v, bool) or not isinstance(v, int) or v < 0
                       for v in raw_lines)):
            raise ValueError("raw_lines must be (start, count), non-negative ints")
        if not mask & _RAW:
            raise ValueError("raw_lines needs the raw or dng format")
    if timeout is None:
        timeout = 20.0 if tv is None else 10.0 + 2 * tv
    elif not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError("timeout must be a positive number of seconds")
    check_feature(cam.chdk_version, "remote_capture")
    if mask & _CRAW:
        check_feature(cam.chdk_version, "remote_capture_craw")
    target = Path(dest)
    target.mkdir(parents=True, exist_ok=True)
    run = _Capture(cam, target, formats_t, mask, name_template, float(timeout), progress,
                   raw_lines)
    # validate the template before anything happens on the camera
    for name in formats_t:
        run._target(name, 0, 0)
    with cam._script_lock:
        start, lines = raw_lines or (0, 0)
        run.init({"fmt": mask, "lstart": start, "lcount": lines,
                  "timeout_ms": capture_timeout_ms, "mode_timeout": 5000})
        try:
            run.start(opts)
            try:
                return run.run(count)
            except BaseException:
                run.abort()
                raise
        finally:
            run.cleanup()

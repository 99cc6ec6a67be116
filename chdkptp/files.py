"""Files on the camera's card: upload, download, list, stat, walk, remove, mkdir, bulk copies.

What belongs here: camera path rules (``A/`` prefix, 8.3 names, the ~32-character path limit
of some models), the byte transfers (CHDK TempData + DownloadFile streamed to disk, UploadFile
streamed from disk), the camera-side Lua helpers of ``camera_lua/files.lua`` that list and
change the card, and the bulk operations built on them (``download_tree``, ``upload_tree``,
``download_images`` in the spirit of chdkptp's ``imdl``).

Every function takes a connected :class:`~chdkptp.camera.Camera` first; ``Camera`` exposes
them as methods (``cam.download(...)``).  Standard PTP storage enumeration is never used: the
card is seen only through CHDK.

Safety rules kept here:

* a download goes to a temporary name in the destination directory and is renamed into place
  only after the byte count matched what the camera announced; on any failure the temporary
  file is removed and nothing exists under the final name;
* names that come from the camera are checked before anything is written: ``..``, absolute
  paths, NUL, backslashes and drive letters raise ``RemoteProtocolError`` and nothing is
  written outside the destination (or at all, for bulk copies: they plan first);
* remote paths reach camera Lua only as ``chdkptp.lua.dumps`` literals.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import logging
import os
import re
import secrets
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from chdkptp._generated.chdk_codes import ChdkCommand, TempDataFlags
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp.errors import ChdkError, RemoteProtocolError, ResponseError
from chdkptp.lua import encode_str
from chdkptp.script import ScriptMessage

if TYPE_CHECKING:
    from chdkptp.camera import Camera

__all__ = [
    "MAX_PATH_LENGTH",
    "RemoteEntry",
    "Transfer",
    "camera_path",
    "check_camera_path",
    "download",
    "download_images",
    "download_tree",
    "listdir",
    "mkdir",
    "remove",
    "safe_local_path",
    "stat",
    "upload",
    "upload_tree",
    "walk",
]

log = logging.getLogger(__name__)

#: Longest camera path (bytes, ``A/`` included) accepted for files and directories we create:
#: some models fail on longer paths (chdkptp's upload help says "about 32 characters").
MAX_PATH_LENGTH = 32
#: Default time limit (seconds) of one camera-side file helper script.
LUA_TIMEOUT = 60.0
#: Entries per listing message sent by the camera.
_BATCH = 64

Progress = Callable[[int, int], object]
Match = str | Callable[["RemoteEntry"], bool] | None

_NAME_CHARS = r"A-Za-z0-9!#$%&'()\-@^_`{}~"
_NAME_83 = re.compile(rf"^[{_NAME_CHARS}]{{1,8}}(\.[{_NAME_CHARS}]{{1,3}})?$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_IMAGE_NAME = re.compile(r"^(.{4})([0-9]{4})\.([A-Za-z0-9]{1,4})$")
_IMAGE_DIR = re.compile(r"^([1-9][0-9]{2})[A-Za-z0-9_]{5}$")


@dataclass(frozen=True)
class RemoteEntry:
    """A file or directory on the card.

    Attributes:
        name: the last path component (``"IMG_0001.JPG"``).
        path: the full camera path (``"A/DCIM/100CANON/IMG_0001.JPG"``).
        size: size in bytes (0 for directories).
        mtime: modification time as the camera reports it (seconds since the epoch of the
            camera's clock, which is usually local time).
        is_dir: True for a directory.
    """

    name: str
    path: str
    size: int
    mtime: int
    is_dir: bool


@dataclass(frozen=True)
class Transfer:
    """One file of a bulk copy and what happened to it.

    ``action`` is ``"downloaded"`` / ``"uploaded"``, ``"skipped"`` (the local file existed and
    ``overwrite`` was false) or ``"planned"`` (dry run: nothing was transferred).
    """

    remote: RemoteEntry
    local: Path
    action: str


# --- paths ------------------------------------------------------------------------------------


def camera_path(path: str) -> str:
    """Normalise a camera path: ``"DCIM/X"``, ``"/DCIM/X"``, ``"a/DCIM//X/"`` → ``"A/DCIM/X"``.

    The card root is ``"A/"``.  Raises ``TypeError`` for a non-str, ``ValueError`` for an
    empty path, a NUL (CHDK paths are C strings) or a ``..`` component.
    """
    if not isinstance(path, str):
        raise TypeError(f"a camera path must be a str, not {type(path).__name__}")
    if not path:
        raise ValueError("empty camera path (use 'A/' for the card root)")
    if "\x00" in path:
        raise ValueError(f"NUL in camera path {path!r}")
    if path[:2] in ("A/", "a/"):
        rest = path[2:]
    elif path in ("A", "a"):
        rest = ""
    else:
        rest = path.lstrip("/")
    parts = [p for p in rest.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"'..' in camera path {path!r}")
    return "A/" + "/".join(parts)


def _join(directory: str, name: str) -> str:
    return directory.rstrip("/") + "/" + name


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def check_camera_path(path: str, *, names_83: bool = True,
                      max_length: int | None = MAX_PATH_LENGTH) -> str:
    """Check a path we are about to create on the card; return it normalised.

    ``names_83``: every component must be a DOS 8.3 name (DryOS handles others badly).
    ``max_length``: the whole path, ``A/`` included, may have at most this many bytes (some
    models fail beyond about 32).  Raises ``ValueError`` naming the rule, before anything is
    sent to the camera.
    """
    norm = camera_path(path)
    if norm == "A/":
        raise ValueError("the card root is not a file name")
    if names_83:
        for part in norm[2:].split("/"):
            if not _NAME_83.match(part):
                raise ValueError(
                    f"{part!r} in {norm!r} is not an 8.3 name (1-8 characters, optional "
                    "extension of 1-3, letters, digits and !#$%&'()-@^_`{}~); pass "
                    "check_names=False to send it anyway"
                )
    if max_length is not None and len(encode_str(norm)) > max_length:
        raise ValueError(
            f"camera path {norm!r} has {len(encode_str(norm))} bytes; some cameras fail on "
            f"paths longer than {max_length}; pass max_path=None to send it anyway"
        )
    return norm


def _name_problem(rel: str) -> str | None:
    """Why ``rel`` (a '/'-separated relative path) may not be used under a local root."""
    if not rel:
        return "empty name"
    if "\x00" in rel:
        return "NUL in name"
    if rel.startswith(("/", "\\")) or _DRIVE.match(rel) or os.path.isabs(rel):
        return "absolute path"
    for part in rel.split("/"):
        if part in ("", ".", ".."):
            return f"path component {part!r}"
        if "\\" in part:
            return "backslash in name"
        if ":" in part:
            return "drive or stream separator ':' in name"
    return None


def safe_local_path(root: str | os.PathLike[str], relative: str) -> Path:
    """``root / relative`` if that stays inside ``root``; else ``ValueError``.

    ``relative`` uses ``/`` separators.  Refused: empty, absolute or drive paths, ``.`` /
    ``..`` / empty components, NUL, backslashes, ``:``, and paths that leave ``root``
    through a symlink.  Local only (no camera traffic).  Raises ``ValueError`` for a
    refused name, ``OSError`` if resolving the paths fails.
    """
    problem = _name_problem(relative)
    if problem is not None:
        raise ValueError(f"unsafe local name {relative!r}: {problem}")
    base = Path(root)
    target = base.joinpath(*relative.split("/"))
    resolved_root = base.resolve()
    resolved = target.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise ValueError(f"{relative!r} leaves the destination {base} (symlink?)")
    return target


def _checked_rel(rel: Any, where: str) -> str:
    """A camera-supplied relative name, validated (``RemoteProtocolError`` if hostile)."""
    if not isinstance(rel, str):
        raise RemoteProtocolError(f"camera sent a non-text file name {rel!r} in {where}")
    problem = _name_problem(rel)
    if problem is not None:
        raise RemoteProtocolError(f"camera sent an unsafe file name {rel!r} in {where}: {problem}")
    return rel


# --- camera-side Lua --------------------------------------------------------------------------


def _lua(cam: Camera, call: str, *args: Any, timeout: float | None = LUA_TIMEOUT,
         on_message: Callable[[ScriptMessage], object] | None = None) -> Any:
    """Run ``call(args...)`` of ``camera_lua/files.lua`` on the camera; return its value."""
    return cam._call_helper("files.lua", call, *args, timeout=timeout, on_message=on_message)


def _ok(result: Any, what: str, **extra: Any) -> Any:
    """Unpack ``true, value`` / ``false, message`` from a helper; raise ``ChdkError``."""
    if isinstance(result, tuple) and result and result[0] is True:
        return result[1] if len(result) > 1 else None
    if isinstance(result, tuple) and len(result) >= 2 and result[0] is False:
        raise ChdkError(f"{what}: {result[1]}", **extra)
    raise RemoteProtocolError(f"{what}: unexpected helper result {result!r}")


def _entry(path: str, raw: Any) -> RemoteEntry:
    if not isinstance(raw, dict):
        raise RemoteProtocolError(f"stat of {path!r} returned {raw!r}")
    try:
        is_dir = bool(raw.get("d", False))
        return RemoteEntry(name=_basename(path) if path != "A/" else "A", path=path,
                           size=0 if is_dir else int(raw.get("s", 0)),
                           mtime=int(raw.get("m", 0)), is_dir=is_dir)
    except (TypeError, ValueError) as exc:
        raise RemoteProtocolError(f"stat of {path!r} returned {raw!r}") from exc


def stat(cam: Camera, remote: str, *, timeout: float | None = LUA_TIMEOUT) -> RemoteEntry:
    """Size, modification time and kind of a camera path (camera Lua ``os.stat``).

    Runs one script (CHDK ExecuteScript, ReadScriptMsg).  Raises ``ChdkError`` (with
    ``.path``) if the camera cannot stat it (missing, bad name), ``ValueError`` /
    ``TypeError`` for a malformed path.
    """
    path = camera_path(remote)
    raw = _ok(_lua(cam, "chdkptp_stat", path, timeout=timeout), f"stat {path}", path=path)
    return _entry(path, raw)


def _list(cam: Camera, remote: str, max_depth: int | None,
          timeout: float | None) -> list[tuple[str, RemoteEntry]]:
    """Flat listing ``(relative path, entry)`` of a directory, directories before contents."""
    path = camera_path(remote)
    if max_depth is not None and (not isinstance(max_depth, int) or max_depth < 0):
        raise ValueError("max_depth must be a non-negative int or None")
    out: list[tuple[str, RemoteEntry]] = []
    errors: list[str] = []
    ended: list[int] = []

    def take(msg: ScriptMessage) -> None:
        batch = msg.value
        if isinstance(batch, dict) and isinstance(batch.get("n"), int):
            ended.append(batch["n"])
            return
        if not isinstance(batch, list):
            raise RemoteProtocolError(f"listing of {path!r}: bad batch {batch!r}")
        for item in batch:
            if not isinstance(item, dict):
                raise RemoteProtocolError(f"listing of {path!r}: bad entry {item!r}")
            rel = item.get("r")
            if "e" in item and rel == "":  # the directory itself could not be listed
                errors.append(f"{path}: {item['e']}")
                continue
            rel = _checked_rel(rel, f"the listing of {path}")
            if "e" in item:
                errors.append(f"{rel}: {item['e']}")
                continue
            out.append((rel, _entry(_join(path, rel), item)))

    depth = -1 if max_depth is None else max_depth
    result = _lua(cam, "chdkptp_list", path, depth, _BATCH, timeout=timeout, on_message=take)
    if not ended:  # no end marker: the helper failed before listing (or the result was lost)
        _ok(result, f"list {path}", path=path)
        raise RemoteProtocolError(f"listing of {path!r} ended without its end marker")
    if errors:
        raise ChdkError(f"listing {path}: {'; '.join(errors)}", path=path)
    if ended[0] != len(out):
        raise RemoteProtocolError(
            f"listing of {path!r}: the camera counted {ended[0]} entries, {len(out)} arrived"
        )
    return out


def listdir(cam: Camera, remote: str = "A/", *,
            timeout: float | None = LUA_TIMEOUT) -> list[RemoteEntry]:
    """The entries of a camera directory, sorted by name (camera Lua ``os.listdir`` +
    ``os.stat``; one script, entries sent in batches with ``write_usb_msg``).

    Raises ``ChdkError`` if ``remote`` is missing or not a directory, ``RemoteProtocolError``
    if the camera sends an unsafe name (``..``, ``/``, NUL, ...).
    """
    return [entry for _rel, entry in _list(cam, remote, 0, timeout)]


def walk(cam: Camera, remote: str = "A/", *, max_depth: int | None = None,
         timeout: float | None = LUA_TIMEOUT
         ) -> Iterator[tuple[str, list[RemoteEntry], list[RemoteEntry]]]:
    """Like ``os.walk`` (top-down): yield ``(dirpath, dirs, files)`` for ``remote`` and below.

    The whole tree is listed by one camera script first (camera Lua ``os.listdir`` /
    ``os.stat``), so changing ``dirs`` does not prune.  ``max_depth`` 0 lists ``remote``
    only.  Raises as :func:`listdir`.
    """
    root = camera_path(remote)
    listing = _list(cam, root, max_depth, timeout)
    children: dict[str, tuple[list[RemoteEntry], list[RemoteEntry]]] = {root: ([], [])}
    for rel, entry in listing:
        parent = entry.path.rsplit("/", 1)[0] if "/" in rel else root
        dirs, files = children.setdefault(parent, ([], []))
        (dirs if entry.is_dir else files).append(entry)
        if entry.is_dir:
            children.setdefault(entry.path, ([], []))
    stack = [root]
    while stack:  # depth-first, parents before children, names in order (os.walk top-down)
        dirpath = stack.pop()
        dirs, files = children[dirpath]
        yield dirpath, dirs, files
        stack.extend(reversed([d.path for d in dirs]))


def remove(cam: Camera, remote: str | list[str], *, recursive: bool = False,
           missing_ok: bool = False, timeout: float | None = LUA_TIMEOUT) -> int:
    """Delete files or directories on the card (camera Lua ``os.remove``); return the count.

    A directory must be empty unless ``recursive``.  ``remote`` may be a list (one script
    for all).  Raises ``ChdkError`` (missing path unless ``missing_ok``, non-empty directory,
    write-protected card) after removing the paths before the failing one; ``ValueError``
    for a malformed path or the card root.
    """
    paths = [camera_path(p) for p in ([remote] if isinstance(remote, str) else remote)]
    if "A/" in paths:
        raise ValueError("refusing to remove the card root")
    if not paths:
        return 0
    result = _lua(cam, "chdkptp_remove", paths, recursive, missing_ok, timeout=timeout)
    return int(_ok(result, f"remove {', '.join(paths)}", path=paths[0]))


def mkdir(cam: Camera, remote: str | list[str], *, check_names: bool = True,
          max_path: int | None = MAX_PATH_LENGTH, timeout: float | None = LUA_TIMEOUT) -> int:
    """Create directories with their missing parents (camera Lua ``os.mkdir``); return how
    many were created (0 if all existed).

    Paths are checked first (:func:`check_camera_path`: 8.3 names, ``max_path``) and a
    ``ValueError`` names the rule before anything is sent.  Raises ``ChdkError`` if a
    component exists as a file or the camera refuses.
    """
    items = [remote] if isinstance(remote, str) else list(remote)
    paths = [check_camera_path(p, names_83=check_names, max_length=max_path) for p in items]
    if not paths:
        return 0
    result = _lua(cam, "chdkptp_mkdirs", paths, timeout=timeout)
    return int(_ok(result, f"mkdir {', '.join(paths)}", path=paths[0]))


# --- byte transfers ---------------------------------------------------------------------------


class _ProgressSink:
    """Writes each data-phase chunk to a file and reports progress (no copies of its own)."""

    def __init__(self, fh: Any, total: int, progress: Progress | None) -> None:
        self.write_to = fh.write
        self.total = total
        self.progress = progress
        self.count = 0

    def __call__(self, chunk: memoryview) -> None:
        self.write_to(chunk)
        self.count += len(chunk)
        if self.progress is not None:
            self.progress(self.count, self.total)


def _pull(cam: Camera, path: str, fh: Any, total: int, progress: Progress | None,
          timeout: float | None) -> int:
    """TempData (the name) + DownloadFile streamed into ``fh``; return the byte count."""
    sink = _ProgressSink(fh, total, progress)
    with cam._tempdata_lock:  # nothing may replace the TempData name before DownloadFile
        cam.chdk(ChdkCommand.TEMP_DATA, int(TempDataFlags(0)), data_out=encode_str(path),
                 timeout=timeout)
        try:
            resp = cam.chdk(ChdkCommand.DOWNLOAD_FILE, sink=sink, timeout=timeout)
        except ResponseError as exc:
            raise ChdkError(f"the camera could not read {path} ({exc})", path=path) from exc
    announced = resp.params[0] if resp.params else None
    if announced is not None and announced != sink.count:
        raise RemoteProtocolError(
            f"download of {path}: received {sink.count} bytes, the camera announced {announced}",
            path=path,
        )
    if total >= 0 and sink.count != total:
        raise RemoteProtocolError(
            f"download of {path}: received {sink.count} bytes, the file has {total}", path=path
        )
    return sink.count


def _open_temp(target: Path) -> tuple[int, Path]:
    """Create ``.<name>.<random>.part`` next to ``target`` (mode 0666 minus the umask, like
    any new file; ``tempfile.mkstemp`` would make it 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {target}")


def _download_to(cam: Camera, entry: RemoteEntry, target: Path, *, keep_mtime: bool,
                 progress: Progress | None, timeout: float | None) -> int:
    """Download ``entry`` atomically to ``target`` (temp file + rename)."""
    fd, tmp = _open_temp(target)
    try:
        with open(fd, "wb") as fh:
            count = _pull(cam, entry.path, fh, entry.size, progress, timeout)
        if keep_mtime and entry.mtime > 0:
            os.utime(tmp, (entry.mtime, entry.mtime))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    log.debug("downloaded %s -> %s (%d bytes)", entry.path, target, count)
    return count


def download(cam: Camera, remote: str, local: str | os.PathLike[str] | BinaryIO, *,
             overwrite: bool = True, keep_mtime: bool = True, progress: Progress | None = None,
             timeout: float | None = None) -> Path | None:
    """Download one file: camera Lua ``os.stat`` (size, mtime), then CHDK TempData (the path)
    and DownloadFile, whose data phase is written to disk as it arrives (memory stays flat).

    ``local`` is a file path, an existing directory (the remote name is kept) or a writable
    binary file object (written as is; returns None).  For paths the data goes to a temporary
    file next to the target, renamed into place once the byte count matched both the stat
    size and DownloadFile's announced size; on any failure nothing is left under the final
    name.  ``keep_mtime`` copies the camera's modification time.  ``progress(done, total)``
    is called per received chunk.  Returns the local path written.

    Raises ``ChdkError`` (missing remote file, a directory), ``RemoteProtocolError`` (size
    mismatch, unsafe name), ``FileExistsError`` (target exists and ``overwrite`` is false),
    ``DeviceDisconnectedError`` / ``ChdkTimeoutError`` from the link, ``OSError`` from the
    local disk.
    """
    entry = stat(cam, remote)
    if entry.is_dir:
        raise ChdkError(f"{entry.path} is a directory (use download_tree)", path=entry.path)
    if hasattr(local, "write"):
        _pull(cam, entry.path, local, entry.size, progress, timeout)
        return None
    target = Path(local)
    if target.is_dir():
        target = safe_local_path(target, _checked_rel(entry.name, f"stat of {entry.path}"))
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists (pass overwrite=True to replace it)")
    _download_to(cam, entry, target, keep_mtime=keep_mtime, progress=progress,
                 timeout=timeout)
    return target


class _UploadSource(io.RawIOBase):
    """The UploadFile data phase: the name header, then the file, read as the link needs it."""

    def __init__(self, head: bytes, fh: BinaryIO, size: int, progress: Progress | None) -> None:
        super().__init__()
        self.head = memoryview(head)
        self.fh = fh
        self.size = size
        self.progress = progress
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = 0
        if self.head:
            n = min(len(self.head), len(view))
            view[:n] = self.head[:n]
            self.head = self.head[n:]
            if n == len(view):
                return n
        readinto = getattr(self.fh, "readinto", None)
        if readinto is not None:
            got = readinto(view[n:]) or 0
        else:
            piece = self.fh.read(len(view) - n)
            got = len(piece)
            view[n : n + got] = piece
        if got:
            self.sent += got
            if self.progress is not None:
                self.progress(self.sent, self.size)
        return n + got

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self.head) + self.size - self.sent
        buf = bytearray(size)
        got = 0
        while got < size:
            k = self.readinto(memoryview(buf)[got:])
            if not k:
                break
            got += k
        return bytes(buf[:got])


def _push(cam: Camera, fh: BinaryIO, size: int, path: str, progress: Progress | None,
          timeout: float | None) -> None:
    """CHDK UploadFile: ``u32 name length, name, contents`` streamed from ``fh``."""
    head = ChdkUploadFile(name=encode_str(path), contents=b"").to_bytes()
    source = _UploadSource(head, fh, size, progress)
    try:
        cam.chdk(ChdkCommand.UPLOAD_FILE, data_out=cast(BinaryIO, source),
                 data_size=len(head) + size, timeout=timeout)
    except ResponseError as exc:
        raise ChdkError(f"the camera could not write {path} ({exc}); does the directory "
                        "exist?", path=path) from exc


def upload(cam: Camera, local: str | os.PathLike[str] | BinaryIO,
           remote: str | os.PathLike[str], *,
           check_names: bool = True, max_path: int | None = MAX_PATH_LENGTH,
           keep_mtime: bool = False, progress: Progress | None = None,
           timeout: float | None = None) -> str:
    """Upload one file with CHDK UploadFile, reading it as the link sends (memory stays flat).

    ``remote`` ending in ``/`` (or ``"A/"``) is a directory: the local name is appended.
    The camera path is checked first (:func:`check_camera_path`; ``check_names=False`` /
    ``max_path=None`` lift the 8.3 / length rules).  ``local`` may be a path or a seekable
    binary file.  ``keep_mtime`` then sets the camera file's time (camera Lua ``os.utime``).
    ``remote`` is a str or an ``os.PathLike`` such as ``PurePosixPath("A/DCIM/X.JPG")``.
    Returns the camera path written.  Raises ``TypeError`` for another ``remote`` type,
    ``ValueError`` (path rules), ``ChdkError`` (the camera could not write, e.g. missing
    directory), link errors, ``OSError`` locally.
    """
    if isinstance(remote, os.PathLike):
        remote = os.fspath(remote)
    if not isinstance(remote, str):
        raise TypeError(f"remote must be a str or os.PathLike[str], not {type(remote).__name__}")
    is_file_obj = hasattr(local, "read")
    if remote.endswith("/") or camera_path(remote) == "A/":
        if is_file_obj:
            raise ValueError("give the remote file name when uploading from a file object")
        remote = _join(camera_path(remote), Path(cast("str | os.PathLike[str]", local)).name)
    path = check_camera_path(remote, names_83=check_names, max_length=max_path)
    if is_file_obj:
        fh = cast(BinaryIO, local)
        start = fh.tell()
        size = fh.seek(0, os.SEEK_END) - start
        fh.seek(start)
        _push(cam, fh, size, path, progress, timeout)
        return path
    src = Path(cast("str | os.PathLike[str]", local))
    with open(src, "rb") as fh2:
        st = os.fstat(fh2.fileno())
        _push(cam, fh2, st.st_size, path, progress, timeout)
    if keep_mtime:
        raw = _ok(_lua(cam, "chdkptp_utime", path, int(st.st_mtime)), f"utime {path}",
                  path=path)
        entry = _entry(path, raw)
        if entry.size != st.st_size:
            raise RemoteProtocolError(
                f"upload of {path}: the camera has {entry.size} bytes, sent {st.st_size}",
                path=path,
            )
    return path


# --- bulk -------------------------------------------------------------------------------------


def _matcher(match: Match) -> Callable[[RemoteEntry], bool]:
    if match is None:
        return lambda entry: True
    if isinstance(match, str):
        pattern = match.lower()
        return lambda entry: fnmatch.fnmatchcase(entry.name.lower(), pattern)
    if callable(match):
        return match
    raise TypeError("match must be a glob string, a callable or None")


class _Totals:
    def __init__(self, total: int, progress: Progress | None) -> None:
        self.base = 0
        self.total = total
        self.progress = progress

    def file(self) -> Progress | None:
        if self.progress is None:
            return None
        base, report = self.base, self.progress
        return lambda done, _size: report(base + done, self.total)


def _run_downloads(cam: Camera, plan: list[Transfer], *, keep_mtime: bool,
                   progress: Progress | None, timeout: float | None) -> None:
    totals = _Totals(sum(t.remote.size for t in plan if t.action == "downloaded"), progress)
    for item in plan:
        if item.action != "downloaded":
            continue
        item.local.parent.mkdir(parents=True, exist_ok=True)
        _download_to(cam, item.remote, item.local, keep_mtime=keep_mtime,
                     progress=totals.file(), timeout=timeout)
        totals.base += item.remote.size


def download_tree(cam: Camera, remote: str, local: str | os.PathLike[str], *,
                  match: Match = None, max_depth: int | None = None, overwrite: bool = False,
                  keep_mtime: bool = True, dry_run: bool = False,
                  progress: Progress | None = None,
                  timeout: float | None = None) -> list[Transfer]:
    """Copy the files under camera directory ``remote`` into ``local`` (like chdkptp ``mdl``).

    One camera script lists the tree (camera Lua ``os.listdir`` / ``os.stat``), then each
    file is downloaded as :func:`download` does (TempData + DownloadFile, temp file +
    rename).  ``match``: a glob on file names (case-insensitive) or a predicate on
    :class:`RemoteEntry`; directories are always descended down to ``max_depth`` (0: files of
    ``remote`` only).  Existing local files are skipped unless ``overwrite``.  ``dry_run``
    lists what would happen and writes nothing.  Every name is checked before the first byte
    is written.  ``progress(done, total)`` counts bytes over the whole copy.

    Raises ``RemoteProtocolError`` for an unsafe camera name (nothing written), ``ChdkError``
    if ``remote`` is missing, link errors (files already complete stay; the one in flight
    does not exist under its final name).
    """
    root = Path(local)
    listing = _list(cam, remote, max_depth, LUA_TIMEOUT)
    want = _matcher(match)
    plan: list[Transfer] = []
    for rel, entry in listing:
        if entry.is_dir or not want(entry):
            continue
        try:
            target = safe_local_path(root, rel)
        except ValueError as exc:
            raise RemoteProtocolError(f"camera name {rel!r}: {exc}") from exc
        plan.append(_planned(entry, target, dry_run=dry_run, overwrite=overwrite))
    _carry_out(cam, plan, root, dry_run=dry_run, keep_mtime=keep_mtime, progress=progress,
               timeout=timeout)
    return plan


def _planned(entry: RemoteEntry, target: Path, *, dry_run: bool, overwrite: bool) -> Transfer:
    """The download of ``entry`` to ``target``: planned (dry run), skipped or downloaded."""
    if dry_run:
        action = "planned"
    elif target.exists() and not overwrite:
        action = "skipped"
    else:
        action = "downloaded"
    return Transfer(entry, target, action)


def _carry_out(cam: Camera, plan: list[Transfer], root: Path, *, dry_run: bool,
               keep_mtime: bool, progress: Progress | None, timeout: float | None) -> None:
    """Run a download plan (nothing for a dry run): create ``root``, then each transfer."""
    if dry_run:
        return
    root.mkdir(parents=True, exist_ok=True)
    _run_downloads(cam, plan, keep_mtime=keep_mtime, progress=progress, timeout=timeout)


def upload_tree(cam: Camera, local: str | os.PathLike[str], remote: str, *,
                match: str | Callable[[Path], bool] | None = None,
                max_depth: int | None = None, check_names: bool = True,
                max_path: int | None = MAX_PATH_LENGTH, keep_mtime: bool = False,
                dry_run: bool = False, progress: Progress | None = None,
                timeout: float | None = None) -> list[Transfer]:
    """Copy the local directory tree ``local`` into camera directory ``remote`` (chdkptp
    ``mup``): missing camera directories are created in one script (camera Lua
    ``os.mkdir``), then each file goes up with CHDK UploadFile.

    ``match``: a glob on file names (case-insensitive) or a predicate on the local
    ``Path``.  Every camera path is checked (:func:`check_camera_path`) before anything is
    sent.  Returns one :class:`Transfer` per file (``"planned"`` with ``dry_run``).  Raises
    ``ValueError`` (path rules, ``local`` not a directory), ``ChdkError``, link errors.
    """
    base = Path(local)
    if not base.is_dir():
        raise ValueError(f"{base} is not a directory")
    top = camera_path(remote)
    want: Callable[[Path], bool]
    if isinstance(match, str):
        pattern = match.lower()
        want = lambda p: fnmatch.fnmatchcase(p.name.lower(), pattern)  # noqa: E731
    elif match is None:
        want = lambda p: True  # noqa: E731
    else:
        want = match
    dirs: list[str] = [] if top == "A/" else [top]
    plan: list[Transfer] = []
    for dirpath, dirnames, filenames in os.walk(base):
        here = Path(dirpath)
        rel_dir = here.relative_to(base).as_posix()
        depth = 0 if rel_dir == "." else rel_dir.count("/") + 1
        if max_depth is not None and depth >= max_depth:
            dirnames.clear()
        dirnames.sort()
        cam_dir = top if rel_dir == "." else _join(top, rel_dir)
        if rel_dir != ".":
            dirs.append(check_camera_path(cam_dir, names_83=check_names, max_length=max_path))
        for name in sorted(filenames):
            path = here / name
            if not path.is_file() or not want(path):
                continue
            cam_file = check_camera_path(_join(cam_dir, name), names_83=check_names,
                                         max_length=max_path)
            st = path.stat()
            entry = RemoteEntry(name=name, path=cam_file, size=st.st_size,
                                mtime=int(st.st_mtime), is_dir=False)
            plan.append(Transfer(entry, path, "planned" if dry_run else "uploaded"))
    if dry_run:
        return plan
    if dirs:
        mkdir(cam, dirs, check_names=check_names, max_path=max_path)
    totals = _Totals(sum(t.remote.size for t in plan), progress)
    for item in plan:
        upload(cam, item.local, item.remote.path, check_names=check_names, max_path=max_path,
               keep_mtime=keep_mtime, progress=totals.file(), timeout=timeout)
        totals.base += item.remote.size
    return plan


def _image_key(entry: RemoteEntry) -> tuple[int, int] | None:
    """(folder number, image number) of a DCIM image, or None for other files."""
    parts = entry.path.split("/")
    if len(parts) < 2:
        return None
    folder = _IMAGE_DIR.match(parts[-2])
    image = _IMAGE_NAME.match(entry.name)
    if folder is None or image is None:
        return None
    return int(folder.group(1)), int(image.group(2))


def _timestamp(value: datetime | float | int) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("since must be a datetime or seconds since the epoch")
    return float(value)


def download_images(cam: Camera, dest: str | os.PathLike[str], *, last: int | None = None,
                    since: datetime | float | None = None,
                    numbers: Collection[int] | None = None, match: Match = None,
                    name_template: str = "{subdir}/{name}", overwrite: bool = False,
                    keep_mtime: bool = True, delete_after: bool = False,
                    dry_run: bool = False, progress: Progress | None = None,
                    timeout: float | None = None) -> list[Transfer]:
    """Download the camera's images from ``A/DCIM`` (in the spirit of chdkptp ``imdl``).

    One script lists ``A/DCIM/*/`` (camera Lua), then the selection is downloaded as
    :func:`download` does.  Selection (combined): ``numbers`` image numbers (``range(1,
    50)``), ``since`` a modification time (datetime or epoch seconds), ``match`` a glob or
    predicate, then ``last`` keeps the ``last`` most recent shots (a JPG and its raw/DNG
    share a shot number and count once).  ``name_template`` places each file under ``dest``;
    fields: ``subdir`` (``100CANON``), ``name``, ``stem``, ``ext``, ``number`` (int),
    ``folder`` (int), ``date`` (YYYYMMDD), ``time`` (HHMMSS), ``serial``.  Existing files
    are skipped unless ``overwrite``.  ``delete_after`` removes, after all downloads
    succeeded, every selected file whose local copy is complete.  ``dry_run`` plans only.

    Raises ``ValueError`` for a template that leaves ``dest`` or unknown fields (before
    anything is written), ``RemoteProtocolError`` for unsafe camera names, ``ChdkError``,
    link errors.
    """
    if last is not None and (not isinstance(last, int) or isinstance(last, bool) or last < 0):
        raise ValueError("last must be a non-negative int")
    since_ts = None if since is None else _timestamp(since)
    want = _matcher(match)
    root = Path(dest)
    selected: list[tuple[tuple[int, int], RemoteEntry]] = []
    for _rel, entry in _list(cam, "A/DCIM", 1, LUA_TIMEOUT):
        if entry.is_dir:
            continue
        key = _image_key(entry)
        if key is None:
            continue
        if numbers is not None and key[1] not in numbers:
            continue
        if since_ts is not None and entry.mtime < since_ts:
            continue
        if not want(entry):
            continue
        selected.append((key, entry))
    selected.sort(key=lambda ke: (ke[0], ke[1].name))
    if last is not None:
        keys = sorted({k for k, _ in selected})
        keep = set(keys[len(keys) - last:]) if last else set()
        selected = [(k, e) for k, e in selected if k in keep]
    plan: list[Transfer] = []
    seen: set[Path] = set()
    for (folder, number), entry in selected:
        stem, _, ext = entry.name.rpartition(".")
        when = datetime.fromtimestamp(entry.mtime) if entry.mtime > 0 else None
        fields = {
            "subdir": entry.path.split("/")[-2],
            "name": entry.name,
            "stem": stem,
            "ext": ext,
            "number": number,
            "folder": folder,
            "date": when.strftime("%Y%m%d") if when else "00000000",
            "time": when.strftime("%H%M%S") if when else "000000",
            "serial": cam.serial or "noserial",
        }
        try:
            rel = name_template.format(**fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad name_template {name_template!r}: {exc}") from exc
        target = safe_local_path(root, rel)
        if target in seen:
            raise ValueError(f"name_template {name_template!r} maps two images to {rel!r}")
        seen.add(target)
        plan.append(_planned(entry, target, dry_run=dry_run, overwrite=overwrite))
    _carry_out(cam, plan, root, dry_run=dry_run, keep_mtime=keep_mtime, progress=progress,
               timeout=timeout)
    if delete_after and not dry_run:
        done = [t.remote.path for t in plan if t.action == "downloaded"
                or (t.local.is_file() and t.local.stat().st_size == t.remote.size)]
        if done:
            remove(cam, done)
    return plan

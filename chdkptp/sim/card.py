"""The simulated camera's SD card: a real local directory tree behind CHDK paths ``A/...``.

What belongs here: translating camera paths to local paths (and back) without letting a path
escape the card, Canon's ``DCIM/1xxCANON/IMG_nnnn.JPG`` numbering (counter, folder roll-over,
resuming from files already on a user-supplied card), and the card's size / free-space figures.
Image *contents* live in :mod:`chdkptp.sim.images`; shooting lives in ``sim/state.py``.

Numbering model (what a PowerShot does with continuous file numbering):

* file numbers run 0001..9999 and continue across folders;
* a new folder (``100CANON`` → ``101CANON``) starts when the current one holds
  :data:`FOLDER_CAPACITY` (2000) images, or when the number passes 9999 (the number then
  restarts at 0001);
* after ``999CANON`` / 9999 the card is "full" for numbering: :class:`OSError` ``ENOSPC``.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: Images a DCIM folder may hold before the camera opens the next folder.
FOLDER_CAPACITY = 2000
#: Highest file number; the next shot goes to a new folder as number 1.
MAX_FILE_NUMBER = 9999
FIRST_FOLDER = 100
LAST_FOLDER = 999
#: Simulated card capacity when none is given (4 GiB, a typical small SD card).
DEFAULT_TOTAL_BYTES = 4 * 1024**3

_FOLDER_RE = re.compile(r"^([1-9][0-9]{2})[A-Za-z0-9_]{5}$")
_FILE_RE = re.compile(r"^[A-Za-z_]{4}([0-9]{4})\.[A-Za-z0-9]{1,4}$")
_EXT_RE = re.compile(r"^[A-Za-z0-9]{1,4}$")


class VirtualCard:
    """A directory that plays the role of the camera's card ``A/``.

    ``root=None`` makes a private temporary directory that :meth:`cleanup` removes; a folder the
    user names is used as it is (files already there stay visible and numbering resumes after
    them) and is never deleted.
    """

    def __init__(
        self, root: str | Path | None = None, *, total_bytes: int = DEFAULT_TOTAL_BYTES
    ) -> None:
        if total_bytes <= 0:
            raise ValueError("total_bytes must be positive")
        self._lock = threading.Lock()
        self._owned = root is None
        if root is None:
            self.root = Path(tempfile.mkdtemp(prefix="chdkptp-sim-card-")).resolve()
            # What a freshly prepared CHDK card looks like.
            (self.root / "DCIM").mkdir()
            (self.root / "CHDK" / "SCRIPTS").mkdir(parents=True)
        else:
            path = Path(root)
            if path.exists() and not path.is_dir():
                raise ValueError(f"card root {path} is not a directory")
            path.mkdir(parents=True, exist_ok=True)
            self.root = path.resolve()
        self.total_bytes = total_bytes
        self._folder, self._number = self._scan()
        log.debug("card at %s: folder %d, last number %d", self.root, self._folder, self._number)

    # -- paths -----------------------------------------------------------------------------

    def to_local(self, camera_path: str) -> Path:
        """Local path for a camera path (``"A/DCIM/X"`` or ``"DCIM/X"``, case kept as given).

        ``"A"``, ``"A/"`` and ``""`` are the card root. Raises ValueError for paths that would
        leave the card: ``..`` components, NUL, backslashes, absolute paths, drive letters.
        """
        if not isinstance(camera_path, str):
            raise TypeError(f"camera path must be str, not {type(camera_path).__name__}")
        if "\x00" in camera_path:
            raise ValueError(f"NUL in camera path {camera_path!r}")
        if "\\" in camera_path:
            raise ValueError(f"backslash in camera path {camera_path!r} (use '/')")
        if camera_path.startswith("/"):
            raise ValueError(f"absolute camera path {camera_path!r}")
        parts = camera_path.split("/")
        if parts and parts[0] in ("A", "a"):
            parts = parts[1:]
        local = self.root
        for part in parts:
            if part in ("", "."):
                continue
            if part == "..":
                raise ValueError(f"'..' in camera path {camera_path!r}")
            if ":" in part:
                raise ValueError(f"drive or device name in camera path {camera_path!r}")
            local = local / part
        return local

    def to_camera(self, local: Path | str) -> str:
        """Camera path ``"A/..."`` of a local path inside the card; ValueError if outside."""
        path = Path(local)
        if not path.is_absolute():
            path = self.root / path
        try:
            rel = Path(os.path.normpath(path)).relative_to(self.root)
        except ValueError:
            try:  # the same place reached through a symlink
                rel = path.resolve().relative_to(self.root)
            except ValueError:
                raise ValueError(f"{local} is not on the card {self.root}") from None
        text = rel.as_posix()
        return "A/" if text == "." else "A/" + text

    # -- numbering -------------------------------------------------------------------------

    def _scan(self) -> tuple[int, int]:
        """Highest DCIM folder number and highest file number on the card (0 if none)."""
        dcim = self.root / "DCIM"
        folder, number = FIRST_FOLDER, 0
        if not dcim.is_dir():
            return folder, number
        folders = []
        for entry in dcim.iterdir():
            m = _FOLDER_RE.match(entry.name)
            if m and entry.is_dir():
                folders.append((int(m.group(1)), entry))
        if not folders:
            return folder, number
        folders.sort()
        folder = folders[-1][0]
        for _, path in folders:
            for name in os.listdir(path):
                fm = _FILE_RE.match(name)
                if fm:
                    number = max(number, int(fm.group(1)))
        return folder, number

    def _folder_path(self, folder: int) -> Path:
        dcim = self.root / "DCIM"
        if dcim.is_dir():
            for entry in dcim.iterdir():
                m = _FOLDER_RE.match(entry.name)
                if m and int(m.group(1)) == folder and entry.is_dir():
                    return entry
        return dcim / f"{folder:03d}CANON"

    @staticmethod
    def _image_count(folder: Path) -> int:
        if not folder.is_dir():
            return 0
        numbers = set()
        for name in os.listdir(folder):
            m = _FILE_RE.match(name)
            if m:
                numbers.add(m.group(1))
        return len(numbers)

    def next_image_path(self, ext: str = "JPG") -> str:
        """Reserve the next image name, ``"A/DCIM/1xxCANON/IMG_nnnn.EXT"``, creating the folder.

        Each call takes a new number (files of one shot in other formats share it: see
        :meth:`sibling_path`). Raises ValueError for a bad extension and OSError(ENOSPC) when
        folder 999 and number 9999 are used up.
        """
        if not _EXT_RE.match(ext):
            raise ValueError(f"bad image file extension {ext!r}")
        with self._lock:
            folder, number = self._folder, self._number + 1
            if number > MAX_FILE_NUMBER:
                folder, number = folder + 1, 1
            elif self._image_count(self._folder_path(folder)) >= FOLDER_CAPACITY:
                folder += 1
            while True:
                if folder > LAST_FOLDER:
                    raise OSError(errno.ENOSPC, "no free DCIM folder or file number left")
                fpath = self._folder_path(folder)
                fpath.mkdir(parents=True, exist_ok=True)
                taken = {m.group(1) for n in os.listdir(fpath) if (m := _FILE_RE.match(n))}
                while f"{number:04d}" in taken and number <= MAX_FILE_NUMBER:
                    number += 1
                if number <= MAX_FILE_NUMBER:
                    break
                folder, number = folder + 1, 1
            self._folder, self._number = folder, number
            return self.to_camera(fpath / f"IMG_{number:04d}.{ext}")

    @staticmethod
    def sibling_path(camera_path: str, ext: str, prefix: str | None = None) -> str:
        """The same shot's file in another format: ``IMG_0001.JPG`` → ``CRW_0001.DNG``.

        ``prefix`` replaces the 4-character name prefix (CHDK raw files use ``CRW_``).
        """
        if not _EXT_RE.match(ext):
            raise ValueError(f"bad image file extension {ext!r}")
        head, _, name = camera_path.rpartition("/")
        m = _FILE_RE.match(name)
        if not m:
            raise ValueError(f"{camera_path!r} is not a camera image name")
        if prefix is not None and not re.match(r"^[A-Za-z_]{4}$", prefix):
            raise ValueError(f"bad file name prefix {prefix!r}")
        stem = (prefix if prefix is not None else name[:4]) + m.group(1)
        return f"{head}/{stem}.{ext}" if head else f"{stem}.{ext}"

    def image_dir(self) -> str:
        """Camera path of the folder the last (or next) image goes to (CHDK ``get_image_dir``)."""
        with self._lock:
            return self.to_camera(self._folder_path(self._folder))

    @property
    def exp_count(self) -> int:
        """Number of the last image taken (CHDK ``get_exp_count``), 0 before the first shot."""
        with self._lock:
            return self._number

    # -- space -----------------------------------------------------------------------------

    def used_bytes(self) -> int:
        """Bytes taken by the files on the card."""
        total = 0
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                try:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
                except OSError:
                    continue
        return total

    def free_bytes(self) -> int:
        """Simulated free space: ``total_bytes`` minus what the files use (never negative)."""
        return max(0, self.total_bytes - self.used_bytes())

    # -- lifetime --------------------------------------------------------------------------

    def cleanup(self) -> None:
        """Remove the card's directory if it is a private temp dir; a user folder is kept."""
        if self._owned and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> VirtualCard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"VirtualCard({str(self.root)!r})"

"""The simulated camera's own state: mode, lens, exposure, props, power, keys and shooting.

What belongs here: everything a camera-side Lua function reads or changes that is not a file
on the card or a message queue — record/play mode (switching takes simulated time and can be
refused), zoom and focus, APEX96 exposure values and the per-shot overrides, a small table of
property cases, battery voltage and temperatures, pressed keys, and :meth:`CameraState.shoot`,
which writes the shot's files through the card (or hands them to remote capture).

All numbers that look like camera values (mode words, propcase ids, voltages) are
**simulated values** chosen to resemble a DIGIC 4 PowerShot running CHDK; they are not
protocol constants and nothing on the host side may rely on them.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from chdkptp._generated.chdk_codes import CaptureFormatFlags
from chdkptp.sim import images
from chdkptp.sim.card import VirtualCard
from chdkptp.sim.clock import SimClock
from chdkptp.sim.remotecap import RemoteCapture

__all__ = [
    "CAPTURE_MODES",
    "CONFIG_IDS",
    "KEY_NAMES",
    "MODE_PLAY",
    "MODE_REC",
    "PROPCASES",
    "VALID_CAPTURE_MODES",
    "CameraState",
    "ShotInfo",
]

log = logging.getLogger(__name__)

# --- simulated data: the CHDK mode word (Lua get_mode()'s third value) -------------------------
# Not protocol numbers: no PTP field carries them, the host only sees them inside Lua return
# values, and the client never decodes them.  They follow CHDK's modelist.h layout (mode bits
# 0x0100/0x0200 over a capture-mode low byte) so scripts written for a camera behave alike.

#: Bit set in the mode word while the camera is in record (shooting) mode.
MODE_REC = 0x0100
#: Bit set in the mode word while the camera is in playback mode.
MODE_PLAY = 0x0200
#: Capture modes (low byte of the mode word in record mode), by CHDK-style name.
CAPTURE_MODES: dict[str, int] = {
    "AUTO": 1,
    "P": 2,
    "TV": 3,
    "AV": 4,
    "M": 5,
    "PORTRAIT": 6,
    "NIGHT": 7,
    "LANDSCAPE": 8,
    "VIDEO_STD": 9,
}
#: The capture mode a fresh simulated camera is in ("P", program AE).
CAPTURE_MODE_P = CAPTURE_MODES["P"]
#: Capture modes this simulated camera accepts (no video: set_capture_mode refuses it).
VALID_CAPTURE_MODES = frozenset(v for k, v in CAPTURE_MODES.items() if k != "VIDEO_STD")

# -- simulated CHDK configuration values (get_config_value ids, as CHDK numbers them) --------

#: Ids of the CHDK settings the simulator keeps (those remote-shoot helpers read).
CONFIG_IDS: dict[str, int] = {
    "RAW_IN_DIR": 35,
    "RAW_PREFIX": 36,
    "RAW_EXT": 37,
    "DNG_FORMAT": 226,
    "DNG_EXT": 234,
}

#: Simulated time a switch between play and record takes.
MODE_SWITCH_MS = 200

# -- simulated propcases (a propset-4-like selection; values are the sim's, not Canon's) -------

#: Property case ids the simulator knows, by CHDK-style name.
PROPCASES: dict[str, int] = {
    "AV": 23,
    "USER_AV": 26,
    "QUALITY": 57,
    "DRIVE_MODE": 102,
    "EV_CORRECTION_1": 107,
    "FOCUS_MODE": 133,
    "FLASH_MODE": 143,
    "ISO_MODE": 149,
    "SHOOTING": 206,
    "RESOLUTION": 218,
    "SV": 247,
    "TV": 262,
    "USER_TV": 264,
}

#: Key names press()/release()/click() accept (CHDK spelling).
KEY_NAMES = frozenset(
    {
        "shoot_half",
        "shoot_full",
        "shoot_full_only",
        "zoom_in",
        "zoom_out",
        "menu",
        "set",
        "up",
        "down",
        "left",
        "right",
        "display",
        "playback",
        "erase",
        "video",
        "print",
        "face",
        "iso",
        "flash",
        "mf",
        "macro",
        "timer",
        "expo_corr",
        "wheel_l",
        "wheel_r",
        "power",
    }
)

#: Time from a half press to focus and exposure being locked (get_shooting() turns true).
HALF_PRESS_MS = 300
_HALF_KEYS = frozenset({"shoot_half", "shoot_full"})

#: Simulated sensor / image sizes (kept small: the encoders are pure Python).
JPEG_SIZE = (320, 240)
RAW_SIZE = (160, 120)
RAW_BPP = 12

_SHOT_MS = (300, 600)


@dataclass(frozen=True)
class ShotInfo:
    """What one shot used and produced (for tests and for remote capture)."""

    number: int
    path: str
    files: tuple[str, ...]
    exposure: dict[str, int] = field(default_factory=dict)
    remote: bool = False
    duration_ms: int = 0


def _apex_tv_ms(tv96: int) -> float:
    """Exposure time in ms for an APEX96 Tv value (tv96 = 96·log2(1/t))."""
    return 1000.0 * math.pow(2.0, -tv96 / 96.0)


class CameraState:
    """Mutable state of one simulated PowerShot (shared by the script host and the responder).

    Time comes from ``clock`` (ticks in ms).  Thread-safe for the simple reads and writes the
    responder and script host do (one lock around compound updates).
    """

    def __init__(self, card: VirtualCard, clock: SimClock, *, model: str, seed: int = 0) -> None:
        self.card = card
        self.clock = clock
        self.model = model
        self.seed = seed
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        # mode
        self._mode = "play"
        self._pending_mode: tuple[str, int] | None = None
        self.record_refused = False
        # lens
        self.zoom_steps = 64
        self.zoom = 0
        self.focus_mm = 2000
        self.aflock = False
        self.mf = False
        # exposure (APEX96): 1/60 s, ISO 100, f/3.4, ND out
        self.tv96 = 567
        self.sv96 = 480
        self.av96 = 339
        self.nd = 0
        self.nd_present = True
        self.iso_mode = 0
        self.ev96 = 0
        #: per-shot overrides from set_*_direct / set_*96, cleared by the next shot
        self.overrides: dict[str, int] = {}
        # files
        self.raw_enabled = False
        self.dng_enabled = False
        self.capture_mode = CAPTURE_MODE_P
        #: CHDK settings by id (simulated values; DNG_FORMAT lives in dng_enabled)
        self.config: dict[int, int] = {
            CONFIG_IDS["RAW_IN_DIR"]: 1,
            CONFIG_IDS["RAW_PREFIX"]: 1,  # "CRW_"
            CONFIG_IDS["RAW_EXT"]: 1,  # ".CRW"
            CONFIG_IDS["DNG_EXT"]: 1,  # ".DNG" for DNG files
        }
        self.image_size = JPEG_SIZE
        self.raw_size = RAW_SIZE
        # power
        self._vbatt_base = 4050
        self._temps = [31.0, 33.0, 29.0]
        # keys, shooting
        self.pressed: set[str] = set()
        self._half_since: int | None = None
        self._busy_until = -1
        self.shots: list[ShotInfo] = []
        self.props: dict[int, int] = {
            PROPCASES["AV"]: self.av96,
            PROPCASES["USER_AV"]: self.av96,
            PROPCASES["QUALITY"]: 0,
            PROPCASES["DRIVE_MODE"]: 0,
            PROPCASES["EV_CORRECTION_1"]: 0,
            PROPCASES["FOCUS_MODE"]: 0,
            PROPCASES["FLASH_MODE"]: 2,
            PROPCASES["ISO_MODE"]: 0,
            PROPCASES["SHOOTING"]: 0,
            PROPCASES["RESOLUTION"]: 0,
            PROPCASES["SV"]: self.sv96,
            PROPCASES["TV"]: self.tv96,
            PROPCASES["USER_TV"]: self.tv96,
        }
        #: remote capture; its raw line range refers to the simulated sensor rows
        self.remote_capture = RemoteCapture(clock)
        self.remote_capture.raw_height = self.raw_size[1]

    # -- mode ------------------------------------------------------------------------------

    def _settle(self) -> None:
        pending = self._pending_mode
        if pending is not None and self.clock.now_ms() >= pending[1]:
            self._mode = pending[0]
            self._pending_mode = None
            log.debug("mode is now %s", self._mode)

    @property
    def mode(self) -> str:
        """``"play"`` or ``"record"`` (a requested switch shows once its time has passed)."""
        with self._lock:
            self._settle()
            return self._mode

    def switch_mode(self, record: bool) -> bool:
        """Start switching to record (True) or play (False), as CHDK ``switch_mode_usb`` does.

        Returns True: the request is accepted at once and takes effect after
        :data:`MODE_SWITCH_MS` of simulated time.  When :attr:`record_refused` is set (the
        storage-enumeration trap) a switch to record is accepted but never happens.
        """
        with self._lock:
            self._settle()
            target = "record" if record else "play"
            if record and self.record_refused:
                log.info("switch to record refused (camera in storage-enumeration state)")
                self._pending_mode = None
                return True
            if target == self._mode and self._pending_mode is None:
                return True
            self._pending_mode = (target, self.clock.now_ms() + MODE_SWITCH_MS)
            return True

    def mode_word(self) -> int:
        """CHDK-style mode word (third value of ``get_mode()``), a simulated value."""
        return MODE_REC | self.capture_mode if self.mode == "record" else MODE_PLAY

    def set_capture_mode(self, mode: int) -> bool:
        """Select a capture mode (CHDK ``set_capture_mode``); only in record mode, valid ids."""
        if self.mode != "record" or mode not in VALID_CAPTURE_MODES:
            return False
        self.capture_mode = mode
        return True

    # -- CHDK settings -----------------------------------------------------------------------

    def get_config(self, config_id: int) -> int:
        """A CHDK setting (``get_config_value``): raw files go next to the JPEG, named
        ``CRW_nnnn`` with the ``.CRW`` extension, or ``.DNG`` when DNG_FORMAT is on."""
        cid = int(config_id)
        if cid == CONFIG_IDS["DNG_FORMAT"]:
            return 1 if self.dng_enabled else 0
        return self.config.get(cid, 0)

    def set_config(self, config_id: int, value: int) -> None:
        """Change a CHDK setting (``set_config_value``); DNG_FORMAT switches DNG output."""
        cid = int(config_id)
        if cid == CONFIG_IDS["DNG_FORMAT"]:
            self.dng_enabled = bool(value)
        self.config[cid] = int(value)

    # -- lens ------------------------------------------------------------------------------

    def set_zoom(self, step: int) -> None:
        """Move the zoom to ``step``, clamped to 0 … zoom_steps - 1."""
        self.zoom = max(0, min(self.zoom_steps - 1, int(step)))

    def focal_length_um(self) -> int:
        """Simulated focal length in µm for the current zoom step (5.0 … 80.0 mm)."""
        return 5000 + (75000 * self.zoom) // max(1, self.zoom_steps - 1)

    # -- exposure --------------------------------------------------------------------------

    def exposure(self) -> dict[str, int]:
        """The exposure the next shot uses: the current values with the overrides applied."""
        values = {"tv96": self.tv96, "sv96": self.sv96, "av96": self.av96, "nd": self.nd}
        values.update(self.overrides)
        return values

    def get_exposure(self, name: str) -> int:
        """One value of :meth:`exposure` (``"tv96"``, ``"sv96"``, ``"av96"`` or ``"nd"``)."""
        return self.exposure()[name]

    def set_override(self, name: str, value: int) -> None:
        """Override ``name`` for the next shot only (CHDK ``set_tv96_direct`` and friends)."""
        if name not in ("tv96", "sv96", "av96", "nd"):
            raise ValueError(f"unknown exposure value {name!r}")
        self.overrides[name] = int(value)

    @property
    def iso(self) -> int:
        """Market ISO of the current sv96 (ISO 100 ↔ sv96 480 in this simulation)."""
        return round(100 * math.pow(2.0, (self.get_exposure("sv96") - 480) / 96.0))

    # -- props -----------------------------------------------------------------------------

    def get_prop(self, prop_id: int) -> int:
        """Value of a property case (live for TV/AV/SV/SHOOTING; 0 for unknown ids)."""
        pid = int(prop_id)
        live: dict[int, Callable[[], int]] = {
            PROPCASES["TV"]: lambda: self.get_exposure("tv96"),
            PROPCASES["AV"]: lambda: self.get_exposure("av96"),
            PROPCASES["SV"]: lambda: self.get_exposure("sv96"),
            PROPCASES["SHOOTING"]: lambda: 1 if self.shooting else 0,
        }
        if pid in live:
            return int(live[pid]())
        return self.props.get(pid, 0)

    def set_prop(self, prop_id: int, value: int) -> None:
        """Set a property case (TV/AV/SV also set the exposure used by the next shot)."""
        pid, val = int(prop_id), int(value)
        self.props[pid] = val
        if pid == PROPCASES["TV"]:
            self.set_override("tv96", val)
        elif pid == PROPCASES["AV"]:
            self.set_override("av96", val)
        elif pid == PROPCASES["SV"]:
            self.set_override("sv96", val)
        elif pid == PROPCASES["USER_TV"]:
            self.tv96 = val
        elif pid == PROPCASES["USER_AV"]:
            self.av96 = val

    # -- power -----------------------------------------------------------------------------

    def vbatt_mv(self) -> int:
        """Battery voltage in mV: slowly falling with time and shots, with a little noise."""
        minutes = self.clock.now_ms() / 60000.0
        drop = 0.5 * len(self.shots) + 1.0 * minutes
        return max(3300, int(self._vbatt_base - drop) + self._rng.randint(-5, 5))

    def temperature(self, which: int = 0) -> int:
        """Temperature in °C: 0 optics, 1 sensor, 2 battery (CHDK ``get_temperature``)."""
        if which not in (0, 1, 2):
            raise ValueError(f"temperature sensor must be 0, 1 or 2, not {which}")
        warm = 0.05 * len(self.shots) * (1.5 if which == 1 else 1.0)
        return round(self._temps[which] + min(warm, 15.0) + self._rng.uniform(-0.5, 0.5))

    # -- keys ------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """Hold ``key`` down (ValueError for a name CHDK does not know).

        Holding ``shoot_half`` (or ``shoot_full``, which includes it) in record mode starts
        focus and metering: :attr:`shooting` turns True :data:`HALF_PRESS_MS` later, as
        scripts expect when they wait for ``get_shooting()`` after a half press.
        """
        if key not in KEY_NAMES:
            raise ValueError(f"unknown key {key!r}")
        self.pressed.add(key)
        if key in _HALF_KEYS and self._half_since is None:
            self._half_since = self.clock.now_ms()

    def release(self, key: str) -> None:
        """Let ``key`` go (ValueError for a name CHDK does not know)."""
        if key not in KEY_NAMES:
            raise ValueError(f"unknown key {key!r}")
        self.pressed.discard(key)
        if not self.pressed & _HALF_KEYS:
            self._half_since = None

    def release_all(self) -> None:
        """Release every key (CHDK does this when a script ends)."""
        self.pressed.clear()
        self._half_since = None

    # -- shooting --------------------------------------------------------------------------

    @property
    def shooting(self) -> bool:
        """CHDK ``get_shooting``: True while a shot is in progress (including while its
        remote-capture data waits for the host) and while a half press holds focus."""
        now = self.clock.now_ms()
        if now < self._busy_until or self.remote_capture.pending:
            return True
        half = self._half_since
        return half is not None and now >= half + HALF_PRESS_MS and self.mode == "record"

    @property
    def image_counter(self) -> int:
        """Number of the last image taken (CHDK ``get_exp_count``)."""
        return self.card.exp_count

    def shot_duration_ms(self, exposure: dict[str, int] | None = None) -> int:
        """Simulated time a shot takes: 300-600 ms of processing plus the exposure time."""
        exp = exposure if exposure is not None else self.exposure()
        base = self._rng.randint(*_SHOT_MS)
        return base + int(_apex_tv_ms(exp["tv96"]))

    def shoot(self) -> str:
        """Take one picture; return the camera path of the main (JPEG) file.

        In play mode nothing happens and ``""`` is returned (a real camera ignores the
        request).  With a remote-capture target set, the shot's data goes to
        :attr:`remote_capture` instead of the card, and the path returned is the name the
        file would have had.  The exposure overrides are applied and then cleared; the
        exposure is written into the JPEG's label (Exif ImageDescription and COM segment).
        Raises OSError when the card has no file number left.
        """
        with self._lock:
            if self.mode != "record":
                log.info("shoot() ignored: camera is in play mode")
                return ""
            exp = self.exposure()
            duration = self.shot_duration_ms(exp)
            path = self.card.next_image_path("JPG")
            number = int(path.rsplit("_", 1)[1].split(".", 1)[0])
            seed = self.seed * 100003 + number
            label = (
                f"IMG_{number:04d} tv96={exp['tv96']} sv96={exp['sv96']} av96={exp['av96']}"
                f" nd={exp['nd']} zoom={self.zoom} focus={self.focus_mm}"
            )
            w, h = self.image_size
            rw, rh = self.raw_size
            rc = self.remote_capture
            target = int(rc.target)
            written: list[str] = []
            remote = bool(target) and not (target & CaptureFormatFlags.NOTSET)
            if remote:
                files: dict[int, bytes] = {}
                if target & CaptureFormatFlags.JPG:
                    files[int(CaptureFormatFlags.JPG)] = images.make_jpeg(
                        w, h, seed=seed, label=label, model=self.model
                    )
                if target & CaptureFormatFlags.RAW:
                    files[int(CaptureFormatFlags.RAW)] = images.make_chdk_raw(
                        rw, rh, RAW_BPP, seed=seed
                    )
                if target & CaptureFormatFlags.DNGHDR:
                    files[int(CaptureFormatFlags.DNGHDR)] = images.dng_header(
                        rw, rh, RAW_BPP, model=self.model
                    )
                if target & CaptureFormatFlags.CRAW:
                    # no CR2 writer in the simulator: a DNG stands in for the Canon raw file
                    files[int(CaptureFormatFlags.CRAW)] = images.make_dng(rw, rh, seed=seed)
                rc.on_shot(number, files)
            else:
                jpeg = images.make_jpeg(w, h, seed=seed, label=label, model=self.model)
                self._write(path, jpeg)
                written.append(path)
                if self.raw_enabled:
                    if self.dng_enabled:
                        raw_path = VirtualCard.sibling_path(path, "DNG", "CRW_")
                        data = images.make_dng(rw, rh, seed=seed, model=self.model)
                    else:
                        raw_path = VirtualCard.sibling_path(path, "CRW", "CRW_")
                        data = images.make_chdk_raw(rw, rh, RAW_BPP, seed=seed)
                    self._write(raw_path, data)
                    written.append(raw_path)
            self._busy_until = self.clock.now_ms() + duration
            self.overrides.clear()
            info = ShotInfo(number, path, tuple(written), exp, remote, duration)
            self.shots.append(info)
            log.debug("shot %s (%d ms, remote=%s)", path, duration, remote)
            return path

    def _write(self, camera_path: str, data: bytes) -> None:
        local = self.card.to_local(camera_path)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)

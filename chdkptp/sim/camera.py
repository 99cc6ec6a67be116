"""``SimulatedCamera``: one virtual PowerShot running CHDK, composed of the simulator parts.

What belongs here: wiring the clock, fault knobs, virtual card, camera state, Lua script host,
live-view source and PTP responder together with the documented constructor
(docs/internals.md "SimulatedCamera"), the USB identity (serial, model, Canon product id) and
the bus coupling the backend uses (``powered``, ``usb_bus``, ``unplug()`` / ``replug()``).
Protocol behaviour lives in :mod:`chdkptp.sim.responder`; USB in :mod:`chdkptp.sim.usb`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from chdkptp._generated.chdk_codes import CaptureFormatFlags, ProtocolVersion
from chdkptp._generated.usb_codes import CanonProductId
from chdkptp.sim.card import VirtualCard
from chdkptp.sim.clock import SimClock
from chdkptp.sim.faults import Faults
from chdkptp.sim.liveview import LiveViewSource
from chdkptp.sim.lua_runtime import ScriptHost
from chdkptp.sim.responder import CRAW_SINCE, PtpResponder, SimulatedIdentity
from chdkptp.sim.state import CameraState

if TYPE_CHECKING:
    from types import TracebackType

    from chdkptp.sim.usb import SimulatedBackend

__all__ = [
    "DEFAULT_MODEL",
    "REBOOT_BOOT_MS",
    "REBOOT_SHUTDOWN_MS",
    "SimulatedCamera",
    "product_id_for",
]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "PowerShot SX160 IS"
"""The model of the real capture camera (fact sheet §9); also the fallback product id."""

MANUFACTURER = "Canon Inc."

REBOOT_SHUTDOWN_MS = 50
"""Camera time from Lua ``reboot()`` until the camera leaves the bus."""
REBOOT_BOOT_MS = 1500
"""Camera time the rebooting camera stays off the bus before it is back (a new address)."""

# CHDK protocol versions that brought the live-view sub-protocol versions (fact sheet §2.1).
_LV_2_1_SINCE = (2, 4)
_LV_2_2_SINCE = (2, 7)
_DISPLAY_LV_DEFAULT = {"yuv411": (2, 1), "yuv422": (2, 2), "yuv422c": (2, 2)}


def product_id_for(model: str) -> int:
    """The Canon USB product id of ``model`` (e.g. ``"PowerShot SX160 IS"``).

    Unknown model names get the product id of :data:`DEFAULT_MODEL`, like a camera whose
    firmware the simulator does not know.
    """
    wanted = model.removeprefix("Canon ").strip().casefold()
    fallback: int | None = None
    for member in CanonProductId:
        name = str(member.model or "")
        if name.casefold() == wanted:
            return int(member)
        if name == DEFAULT_MODEL:
            fallback = int(member)
    if fallback is None:  # pragma: no cover - the table always has the capture camera
        raise LookupError(f"no product id for {model!r} and no {DEFAULT_MODEL!r} entry")
    return fallback


class SimulatedCamera:
    """A virtual Canon PowerShot running CHDK (protocol 2.9 unless told otherwise).

    Args:
        serial: USB and DeviceInfo serial number.
        model: model name without "Canon " (``"PowerShot SX160 IS"``); picks the product id.
        card_dir: folder used as the card ``A/``; ``None`` → a private temporary folder that
            :meth:`close` removes.
        chdk_version: CHDK protocol (major, minor); ``None`` simulates a camera without CHDK.
            Older versions drop features: exec flags below 2.6, remote capture below 2.5,
            live view below 2.3, CR2 capture below 2.9.
        display: ``"yuv411"`` (Digic 4/5, live view 2.1) or ``"yuv422"`` (Digic 6, 2.2).
        lv_version: live-view sub-protocol version; default per display, capped by
            ``chdk_version``.
        faults: shared fault knobs (a fresh :class:`Faults` by default).
        clock_offset_ms, time_scale: the camera's tick counter (:class:`SimClock`).
        latency_ms, jitter_ms: USB latency per transfer (copied into ``faults``).
        seed: seeds the test patterns and image contents.
        strict_transaction_ids: refuse out-of-order transaction ids (real PowerShots accept
            them).

    Lua ``reboot([file])`` power-cycles the camera: :data:`REBOOT_SHUTDOWN_MS` of camera time
    after the call it leaves the bus (session, TempData, script and both message queues gone;
    script ids start again at 1; play mode), and :data:`REBOOT_BOOT_MS` later it is back at a
    new address.  ``reboot("A/X.BIN")`` only logs the file name (:attr:`reboots`); a missing
    file makes it return false, as on CHDK.  The schedule follows the camera clock
    (``time_scale``) and is applied whenever :attr:`powered` is read (every USB call and bus
    enumeration does).

    Raises:
        ValueError: a bad display / live-view combination or clock setting.
    """

    def __init__(
        self,
        serial: str = "SIM00001",
        model: str = DEFAULT_MODEL,
        card_dir: str | Path | None = None,
        *,
        chdk_version: tuple[int, int] | None = (ProtocolVersion.MAJOR, ProtocolVersion.MINOR),
        display: str = "yuv411",
        lv_version: tuple[int, int] | None = None,
        faults: Faults | None = None,
        clock_offset_ms: int = 0,
        time_scale: float = 1.0,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        seed: int = 0,
        strict_transaction_ids: bool = False,
    ) -> None:
        if not isinstance(serial, str) or not serial:
            raise ValueError("serial must be a non-empty string")
        if chdk_version is not None:
            chdk_version = (int(chdk_version[0]), int(chdk_version[1]))
        self._powered = True
        self._power_lock = threading.Lock()
        # (off at, back at, file) in camera ms while a reboot is under way; one assignment, so
        # the Lua hook never needs the power lock (it runs under the responder's lock)
        self._reboot_plan: tuple[int, int, str | None] | None = None
        self._rebooting = False  # the planned power-off has happened
        #: What Lua ``reboot()`` was asked to boot, per accepted call (None: the normal boot).
        self.reboots: list[str | None] = []
        self.serial = serial
        self.model = model.removeprefix("Canon ")
        self.manufacturer = MANUFACTURER
        self.product_id = product_id_for(self.model)
        self.chdk_version = chdk_version
        self.faults = faults if faults is not None else Faults()
        if latency_ms:
            self.faults.latency_ms = latency_ms
        if jitter_ms:
            self.faults.jitter_ms = jitter_ms
        self.clock = SimClock(offset_ms=clock_offset_ms, time_scale=time_scale)
        self.liveview = LiveViewSource(
            self.clock,
            display=display,
            lv_version=self._lv_version(display, lv_version, chdk_version),
            seed=seed,
        )
        self.card = VirtualCard(card_dir)
        self.state = CameraState(self.card, self.clock, model=self.model, seed=seed)
        capture = self.state.remote_capture
        if capture is not None and chdk_version is not None and chdk_version < CRAW_SINCE:
            capture.support_mask &= ~int(CaptureFormatFlags.CRAW)
        self.scripts = ScriptHost(self.state, self.card, self.clock, self.faults)
        self.scripts.on_reboot = self._schedule_reboot
        self.responder = PtpResponder(
            identity=SimulatedIdentity(
                model=self.model, serial=serial, manufacturer=self.manufacturer
            ),
            clock=self.clock,
            faults=self.faults,
            state=self.state,
            card=self.card,
            scripts=self.scripts,
            liveview=self.liveview,
            chdk_version=chdk_version,
            strict_transaction_ids=strict_transaction_ids,
        )
        #: set by :class:`~chdkptp.sim.usb.SimulatedBackend` when the camera is added.
        self.usb_bus: SimulatedBackend | None = None

    @staticmethod
    def _lv_version(
        display: str, wanted: tuple[int, int] | None, chdk: tuple[int, int] | None
    ) -> tuple[int, int] | None:
        if wanted is not None:
            return wanted
        if chdk is None:
            return None
        default = _DISPLAY_LV_DEFAULT.get(display)
        if default is None:
            return None  # LiveViewSource names the bad display
        if chdk < _LV_2_1_SINCE:
            return (default[0], 0)
        if chdk < _LV_2_2_SINCE:
            return min(default, (default[0], 1))
        return default

    # --- power --------------------------------------------------------------------------------

    @property
    def powered(self) -> bool:
        """False after unplug, idle power-down or while rebooting; the backend follows changes
        (setting it takes the camera off / onto the bus at the next USB call)."""
        if self._reboot_plan is not None:
            self._advance_reboot()
        return self._powered

    @powered.setter
    def powered(self, value: bool) -> None:
        self._powered = bool(value)

    def _schedule_reboot(self, filename: str | None) -> bool:
        """Lua ``reboot()`` hook: plan the power cycle on the camera clock."""
        off_at = self.clock.now_ms() + REBOOT_SHUTDOWN_MS
        self.reboots.append(filename)
        self._reboot_plan = (off_at, off_at + REBOOT_BOOT_MS, filename)
        log.info("%s: rebooting%s", self.serial, f" into {filename}" if filename else "")
        return True

    def _advance_reboot(self) -> None:
        with self._power_lock:
            plan = self._reboot_plan
            if plan is None:
                return
            off_at, on_at, filename = plan
            now = self.clock.now_ms()
            if not self._rebooting and now >= off_at:
                self._rebooting = True
                self._powered = False
                self.responder.power_cycle(reboot=True)
                self.state.release_all()
                self.state.record_refused = False
                self.state.switch_mode(False)  # CHDK starts in play mode
                log.info("%s: off (reboot)", self.serial)
            if self._rebooting and now >= on_at:
                self._reboot_plan = None
                self._rebooting = False
                self._powered = True
                log.info("%s: booted%s", self.serial, f" {filename}" if filename else "")

    def _cancel_reboot(self) -> None:
        with self._power_lock:
            self._reboot_plan = None
            self._rebooting = False

    # --- what the USB backend needs -----------------------------------------------------------

    @property
    def function(self) -> PtpResponder:
        """The PTP function behind the USB interface (the responder)."""
        return self.responder

    def unplug(self) -> None:
        """Pull the cable: the camera leaves the bus; open handles fail with errno 19."""
        self._cancel_reboot()
        if self.usb_bus is not None:
            self.usb_bus.unplug(self)
        else:
            self.powered = False
            self.responder.usb_reset()

    def replug(self) -> None:
        """Plug the cable back in: the camera reappears at a new bus address.

        Like a real power cycle, the PTP session is gone and any script was stopped.
        """
        self._cancel_reboot()
        self.responder.power_cycle()
        self.scripts.kill()
        if self.usb_bus is not None:
            self.usb_bus.replug(self)
        else:
            self.powered = True

    # --- for tests ----------------------------------------------------------------------------

    @property
    def storage_enumeration_count(self) -> int:
        """How many storage-enumeration operations (GetStorageIDs, ...) the camera received."""
        return self.responder.storage_enumeration_count

    @property
    def operations_log(self) -> list[tuple[int, tuple[int, ...]]]:
        """``(operation code, params)`` of every command received (most recent 100,000)."""
        return self.responder.operations_log

    @property
    def device_info(self) -> bytes:
        """The DeviceInfo dataset the camera sends."""
        return self.responder.device_info

    def close(self) -> None:
        """Stop any script and remove the temporary card folder (a user's folder stays)."""
        try:
            self.scripts.kill()
        finally:
            self.card.cleanup()

    def __enter__(self) -> SimulatedCamera:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        ver = self.chdk_version
        version = "no CHDK" if ver is None else f"CHDK {ver[0]}.{ver[1]}"
        return f"<SimulatedCamera {self.model} serial={self.serial!r} {version}>"

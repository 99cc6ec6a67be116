"""Many cameras at once: :class:`CameraGroup`, per-camera results, synchronized shooting.

What belongs here (layer L6): running the same operation on every camera of a rig (book
scanners, stereo and photogrammetry rigs), one thread per camera (libusb releases the GIL, and
PTP is one transaction at a time per camera anyway); the per-camera result types
:class:`CameraResult` / :class:`GroupResult`; clock synchronisation (:class:`ClockSync`, tick
count round trips) and the synchronized shot (:class:`GroupShot`), whose camera side is
``camera_lua/multicam.lua``.  Host time is :func:`time.monotonic` seconds throughout.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chdkptp.camera import Camera, CameraStatus, connect
from chdkptp.discovery import CameraInfo, list_cameras
from chdkptp.errors import (
    CameraNotFoundError,
    ChdkError,
    ChdkPtpError,
    ChdkTimeoutError,
    GroupError,
    RemoteProtocolError,
    UnsupportedProtocolError,
)
from chdkptp.files import Transfer, safe_local_path
from chdkptp.lua import camera_lua_source, dumps
from chdkptp.transport.usb import DEFAULT_BULK_TIMEOUT

__all__ = [
    "CameraGroup",
    "CameraResult",
    "ClockSync",
    "GroupResult",
    "GroupShot",
    "ShotResult",
    "folder_name",
    "offset_from_samples",
]

log = logging.getLogger(__name__)

#: Round trips per camera that :meth:`CameraGroup.sync_clocks` makes by default.
SYNC_SAMPLES = 8


@dataclass(frozen=True)
class CameraResult:
    """What one camera's part of a group operation gave: a ``value`` or an ``error``."""

    serial: str
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the camera's call returned (``error`` is None)."""
        return self.error is None

    def unwrap(self) -> Any:
        """The value; re-raises the camera's error instead if there was one."""
        if self.error is not None:
            raise self.error
        return self.value


class GroupResult(Mapping[str, CameraResult]):
    """Serial → :class:`CameraResult`, in the group's camera order."""

    def __init__(self, results: Iterable[CameraResult]) -> None:
        self._results = {r.serial: r for r in results}

    def __getitem__(self, serial: str) -> CameraResult:
        return self._results[serial]

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def __repr__(self) -> str:
        parts = ", ".join(f"{s}: {'ok' if r.ok else type(r.error).__name__}"
                          for s, r in self._results.items())
        return f"<GroupResult {parts}>"

    @property
    def ok(self) -> bool:
        """True when every camera succeeded."""
        return all(r.ok for r in self._results.values())

    @property
    def successes(self) -> dict[str, Any]:
        """Serial → value of the cameras that succeeded."""
        return {s: r.value for s, r in self._results.items() if r.ok}

    @property
    def errors(self) -> dict[str, BaseException]:
        """Serial → exception of the cameras that failed."""
        return {s: r.error for s, r in self._results.items() if r.error is not None}

    def raise_for_errors(self) -> None:
        """Raise one ``GroupError`` carrying every camera's error (``.errors``), if any failed.

        The first failure is chained as the cause.
        """
        errors = self.errors
        if not errors:
            return
        detail = "; ".join(f"{s}: {type(e).__name__}: {e}" for s, e in errors.items())
        raise GroupError(f"{len(errors)} of {len(self)} cameras failed: {detail}",
                         errors=errors) from next(iter(errors.values()))


@dataclass(frozen=True)
class ClockSync:
    """One camera's tick counter against host time.

    ``offset_ms``: camera tick minus host time (``time.monotonic()`` in ms), from the round
    trip with the smallest duration ``rtt_ms``; the tick was read somewhere within that round
    trip, so the offset is right to ``uncertainty_ms`` (half of it).  ``samples``: round
    trips made.
    """

    offset_ms: float
    uncertainty_ms: float
    rtt_ms: float
    samples: int

    def to_tick(self, host_time: float) -> int:
        """The camera tick at host time ``host_time`` (monotonic seconds), rounded."""
        return round(host_time * 1000.0 + self.offset_ms)

    def to_host(self, tick: float) -> float:
        """The host time (monotonic seconds) of camera tick ``tick``."""
        return (tick - self.offset_ms) / 1000.0


def offset_from_samples(samples: Iterable[tuple[float, float, float]]) -> ClockSync:
    """Best offset from ``(host_sent, tick, host_received)`` samples (host times in seconds).

    Takes the sample with the smallest round trip: the tick is assumed read at the round
    trip's midpoint, uncertain by half its length.  Raises ``ValueError`` with no samples or
    a sample whose answer came before its question.
    """
    best: tuple[float, float, float] | None = None
    count = 0
    for sent, tick, received in samples:
        if received < sent:
            raise ValueError("a sample was received before it was sent")
        count += 1
        if best is None or received - sent < best[2] - best[0]:
            best = (sent, tick, received)
    if best is None:
        raise ValueError("no clock samples")
    sent, tick, received = best
    rtt_ms = (received - sent) * 1000.0
    return ClockSync(offset_ms=tick - (sent + received) * 500.0, uncertainty_ms=rtt_ms / 2.0,
                     rtt_ms=rtt_ms, samples=count)


@dataclass(frozen=True)
class ShotResult:
    """One camera's part of a synchronized shot.

    ``path``: the new image on the card; ``target`` / ``fired`` / ``prepared``: camera ticks
    (scheduled, full press, focus and exposure ready); ``host_time``: ``fired`` in host time
    (monotonic seconds) through the camera's :class:`ClockSync`; ``late_ms``: fired - target.
    """

    path: str
    target: int
    fired: int
    prepared: int
    host_time: float

    @property
    def late_ms(self) -> int:
        """How many ms after the scheduled tick the shutter was pressed."""
        return self.fired - self.target


@dataclass(frozen=True)
class GroupShot:
    """A synchronized shot of the group.

    ``results``: serial → :class:`ShotResult` (or the camera's error); ``at``: the scheduled
    host time; ``spread``: seconds between the first and last camera to fire (host time; None
    if fewer than one camera fired); ``uncertainty``: how far ``spread`` may be off because of
    the clock offsets' uncertainties (the two largest added, seconds).
    """

    results: GroupResult
    at: float
    spread: float | None
    uncertainty: float

    @property
    def paths(self) -> dict[str, str]:
        """Serial → camera path of the new image, for the cameras that fired."""
        return {s: v.path for s, v in self.results.successes.items()}


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and (isinstance(timeout, bool) or timeout <= 0):
        raise ValueError("timeout must be positive (or None)")


def _name(info: CameraInfo) -> str:
    return info.serial or f"usb:{info.bus}/{info.address}"


class CameraGroup:
    """Several connected cameras, each addressed by its serial; a context manager.

    Group calls run on every camera at once, one thread each, and return a
    :class:`GroupResult`: one camera failing never stops the others.  A camera object should
    be used by one thread at a time; the group runs one call per camera at a time.
    """

    def __init__(self, cameras: Iterable[Camera] | None = None) -> None:
        self._cameras: dict[str, Camera] = {}
        self._sync: dict[str, ClockSync] = {}
        #: Cameras that :meth:`connect_all` found but could not use: name → exception.
        self.connect_errors: dict[str, BaseException] = {}
        for cam in cameras or ():
            self.add(cam)

    # --- membership -------------------------------------------------------------------------

    def add(self, camera: Camera) -> str:
        """Add a connected camera; returns its key (the serial; ``#2`` … appended if taken).

        Raises ``TypeError`` for something that is not a ``Camera``.
        """
        if not isinstance(camera, Camera):
            raise TypeError(f"expected a Camera, not {type(camera).__name__}")
        base = camera.serial or f"camera{len(self._cameras) + 1}"
        key, n = base, 1
        while key in self._cameras:
            n += 1
            key = f"{base}#{n}"
        self._cameras[key] = camera
        return key

    @classmethod
    def connect_all(cls, *, backend: Any = None, serials: Iterable[str] | None = None,
                    timeout: float = DEFAULT_BULK_TIMEOUT) -> CameraGroup:
        """Connect every CHDK camera on the bus (or only those with the given ``serials``).

        Lists the bus (:func:`chdkptp.list_cameras`, USB descriptors), then opens a session
        to each camera in its own thread (:func:`chdkptp.connect`: GetDeviceInfo, CHDK
        Version).  A camera that fails, lacks CHDK, or is named in ``serials`` but absent
        ends up in :attr:`connect_errors` instead (``UnsupportedProtocolError``,
        ``CameraNotFoundError``, the connect errors).  Raises ``CameraNotFoundError`` only
        when no camera at all could be connected, ``ValueError`` for a bad ``timeout``.
        """
        _check_timeout(timeout)
        wanted = None if serials is None else list(dict.fromkeys(serials))
        infos = list_cameras(backend=backend)
        if wanted is not None:
            infos = [i for i in infos if i.serial in wanted]
        group = cls()
        found = {i.serial for i in infos}
        for serial in wanted or ():
            if serial not in found:
                group.connect_errors[serial] = CameraNotFoundError(
                    f"no camera with serial {serial!r} on the bus")

        def open_one(info: CameraInfo) -> Camera:
            cam = connect(info.serial, bus=info.bus, address=info.address, backend=backend,
                          timeout=timeout)
            if cam.chdk_version is None:
                cam.close()
                raise UnsupportedProtocolError(f"{info}: CHDK extension not detected")
            return cam

        results = _in_threads([(_name(i), i) for i in infos], open_one, None)
        for res in results:
            if res.ok:
                group.add(res.value)
            else:
                assert res.error is not None
                group.connect_errors[res.serial] = res.error
                log.warning("camera %s not connected: %s", res.serial, res.error)
        if not group._cameras:
            detail = "; ".join(f"{k}: {e}" for k, e in group.connect_errors.items())
            raise CameraNotFoundError("no CHDK camera could be connected"
                                      + (f" ({detail})" if detail else " (none found)"),
                                      errors=dict(group.connect_errors))
        return group

    @property
    def cameras(self) -> dict[str, Camera]:
        """Serial → camera (a copy)."""
        return dict(self._cameras)

    @property
    def serials(self) -> list[str]:
        """The cameras' keys, in group order."""
        return list(self._cameras)

    def __getitem__(self, serial: str) -> Camera:
        return self._cameras[serial]

    def __contains__(self, serial: object) -> bool:
        return serial in self._cameras

    def __iter__(self) -> Iterator[Camera]:
        return iter(list(self._cameras.values()))

    def __len__(self) -> int:
        return len(self._cameras)

    def __repr__(self) -> str:
        return f"<CameraGroup {self.serials}>"

    def close(self) -> None:
        """Close every camera (PTP CloseSession each; never raises)."""
        for cam in self._cameras.values():
            cam.close()

    def __enter__(self) -> CameraGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running things everywhere ----------------------------------------------------------

    def run(self, fn: Callable[[Camera], Any], *, timeout: float | None = None) -> GroupResult:
        """Call ``fn(camera)`` for every camera, each in its own thread; collect the results.

        A camera whose ``fn`` raised gets that exception as its result; one still busy after
        ``timeout`` seconds (None: wait for all) gets ``ChdkTimeoutError`` (its thread runs
        on in the background until its own calls time out).  Raises ``ValueError`` for a bad
        ``timeout``; never raises a camera's error (see :meth:`GroupResult.raise_for_errors`).
        """
        _check_timeout(timeout)
        return GroupResult(_in_threads(list(self._cameras.items()), fn, timeout))

    def _run_keyed(self, fn: Callable[[str, Camera], Any], *,
                   timeout: float | None) -> GroupResult:
        """:meth:`run` with ``fn(key, camera)``: for calls that differ per camera."""
        items = [(key, (key, cam)) for key, cam in self._cameras.items()]
        return GroupResult(_in_threads(items, lambda pair: fn(*pair), timeout))

    def run_lua(self, code: str, *, timeout: float | None = 30.0) -> GroupResult:
        """``Camera.run_lua(code)`` on every camera (CHDK ExecuteScript / ScriptStatus /
        ReadScriptMsg); per-camera ``ScriptError``, ``ScriptRunningError`` …"""
        if not isinstance(code, str):
            raise TypeError("code must be a str")
        return self.run(lambda cam: cam.run_lua(code, timeout=timeout),
                        timeout=_outer(timeout))

    def switch_mode(self, mode: str, *, timeout: float = 10.0) -> GroupResult:
        """``Camera.switch_mode(mode)`` everywhere ("record" / "play", Lua
        ``switch_mode_usb``); values None, per-camera ``ChdkTimeoutError`` / ``ChdkError``."""
        if mode not in ("record", "play"):
            raise ValueError(f"mode must be 'record' or 'play', not {mode!r}")
        return self.run(lambda cam: cam.switch_mode(mode, timeout=timeout),
                        timeout=_outer(timeout + 10.0))

    def status(self, *, timeout: float | None = 60.0) -> GroupResult:
        """``Camera.status()`` everywhere (one Lua script each); values are ``CameraStatus``."""

        def one(cam: Camera) -> CameraStatus:
            return cam.status()

        return self.run(one, timeout=timeout)

    def download_images(self, dest: str | os.PathLike[str], *, timeout: float | None = None,
                        **options: Any) -> GroupResult:
        """``Camera.download_images`` everywhere, camera ``S`` into ``dest/S/`` (its serial;
        characters other than letters, digits, ``.``, ``_``, ``-`` become ``_``).

        ``options`` are those of :func:`chdkptp.files.download_images` (``last``, ``since``,
        ``match``, ``name_template``, ``overwrite``, ``dry_run`` …; ``progress`` is not
        shared across threads, leave it out).  Values are the lists of ``Transfer``.  Raises
        ``ValueError`` for a serial that is no safe folder name.
        """
        if "progress" in options:
            raise ValueError("progress is not supported for group downloads")
        root = Path(dest)
        folders = {s: safe_local_path(root, folder_name(s)) for s in self._cameras}

        def one(key: str, cam: Camera) -> list[Transfer]:
            return cam.download_images(folders[key], **options)

        _check_timeout(timeout)
        return self._run_keyed(one, timeout=timeout)

    # --- synchronized shooting --------------------------------------------------------------

    @property
    def clock_sync(self) -> dict[str, ClockSync]:
        """Serial → the last :meth:`sync_clocks` measurement (a copy)."""
        return dict(self._sync)

    def sync_clocks(self, *, samples: int = SYNC_SAMPLES,
                    timeout: float = 10.0) -> GroupResult:
        """Measure each camera's tick counter against host time (values: :class:`ClockSync`).

        Starts ``multicam_sync`` (``camera_lua/multicam.lua``) on each camera and makes
        ``samples`` round trips: WriteScriptMsg, then ReadScriptMsg polls until the camera
        answers with ``get_tick_count()``.  The shortest round trip gives the offset.
        Per-camera errors: ``ChdkTimeoutError`` (no answer within ``timeout`` seconds),
        ``RemoteProtocolError`` (an answer that is not a number), script and link errors.
        Raises ``ValueError`` for ``samples`` < 1 or a bad ``timeout``.
        """
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ValueError("samples must be a positive int")
        _check_timeout(timeout)
        code = (camera_lua_source("multicam.lua")
                + f"return multicam_sync({dumps(samples)}, {dumps(int(timeout * 1000))})\n")

        def one(cam: Camera) -> ClockSync:
            script = cam.execute_script(code)
            points: list[tuple[float, float, float]] = []
            try:
                for i in range(samples):
                    sent = time.monotonic()
                    script.send(i + 1)
                    tick = script.recv(timeout)
                    received = time.monotonic()
                    if tick is None:
                        raise ChdkTimeoutError(f"no tick count within {timeout} s")
                    if isinstance(tick, bool) or not isinstance(tick, (int, float)):
                        raise RemoteProtocolError(f"sync answer {tick!r} is not a number")
                    points.append((sent, float(tick), received))
                script.wait(timeout)
            except BaseException:
                _stop(script)
                raise
            return offset_from_samples(points)

        result = self.run(one, timeout=timeout * (samples + 2))
        for serial, res in result.items():
            if res.ok:
                self._sync[serial] = res.value
            else:
                self._sync.pop(serial, None)
        return result

    def shoot(self, *, at: float | None = None, delay: float = 0.5, timeout: float = 30.0,
              resync: bool = False, prepare_timeout: float = 5.0) -> GroupShot:
        """Take one picture on every camera at the same moment.

        Every camera is switched to record mode first (:meth:`switch_mode`), and clocks are
        synced unless :meth:`sync_clocks` already measured every camera (``resync`` forces
        it).  The shot is scheduled at host time ``at``
        (``time.monotonic()`` seconds), default ``delay`` seconds from now; each camera runs
        ``multicam_shoot`` (``camera_lua/multicam.lua``, CHDK ExecuteScript): record mode,
        half press until ready, sleep until its own tick count reaches the scheduled tick,
        full press, then it returns the image path and the tick it fired at.  Per-camera
        errors: ``ChdkError`` (the camera could not shoot), the ``sync_clocks`` errors,
        script and link errors.  Raises ``ValueError`` for a negative ``delay`` or bad
        ``timeout``.
        """
        if delay < 0:
            raise ValueError("delay must not be negative")
        _check_timeout(timeout)
        # record mode first, so that no camera spends the delay switching modes
        early: dict[str, BaseException] = dict(self.switch_mode("record").errors)
        if resync or any(s not in self._sync for s in self._cameras):
            for serial, exc in self.sync_clocks().errors.items():
                early.setdefault(serial, exc)
        when = time.monotonic() + delay if at is None else float(at)
        opts = {"mode_timeout": 5000, "prepare_timeout": int(prepare_timeout * 1000),
                "shot_timeout": 10000}
        prefix = (camera_lua_source("control.lua") + camera_lua_source("multicam.lua"))
        syncs = dict(self._sync)

        def one(key: str, cam: Camera) -> ShotResult:
            if key in early:
                exc = early[key]
                raise ChdkError(f"not ready to shoot (record mode or clock sync failed): "
                                f"{type(exc).__name__}: {exc}") from exc
            sync = syncs[key]
            target = sync.to_tick(when)
            code = prefix + f"return multicam_shoot({dumps(target)}, {dumps(opts)})\n"
            raw = cam.execute_script(code).wait(timeout)
            if not isinstance(raw, dict):
                raise RemoteProtocolError(f"shoot helper returned {raw!r}")
            if not raw.get("ok"):
                raise ChdkError(f"synchronized shot failed: {raw.get('error')}")
            try:
                fired, prepared = int(raw["fired"]), int(raw["prepared"])
                return ShotResult(path=str(raw["path"]), target=int(raw["target"]),
                                  fired=fired, prepared=prepared,
                                  host_time=sync.to_host(fired))
            except (KeyError, TypeError, ValueError) as exc:
                raise RemoteProtocolError(f"shoot helper returned {raw!r}") from exc

        results = self._run_keyed(one, timeout=max(0.0, when - time.monotonic()) + timeout + 5.0)
        times = [v.host_time for v in results.successes.values()]
        unc = sorted((syncs[s].uncertainty_ms for s in results.successes if s in syncs),
                     reverse=True)
        return GroupShot(results=results, at=when,
                         spread=max(times) - min(times) if times else None,
                         uncertainty=sum(unc[:2]) / 1000.0)


def folder_name(serial: str) -> str:
    """The local folder name for a camera key: unsafe characters replaced by ``_``."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", serial).strip(".")
    return name or "camera"


def _outer(timeout: float | None) -> float | None:
    """The group-level limit for per-camera calls that have their own ``timeout``."""
    return None if timeout is None else timeout + 10.0


def _stop(script: Any) -> None:
    """Best effort: end a helper script left running after a host-side failure."""
    try:
        if not script.done:
            script.kill()
    except ChdkPtpError as exc:
        log.debug("could not stop script %s: %s", script, exc)


def _in_threads(items: list[tuple[str, Any]], fn: Callable[[Any], Any],
                timeout: float | None) -> list[CameraResult]:
    """Run ``fn(item)`` for each ``(key, item)`` in its own thread; results in item order."""
    results: dict[str, CameraResult] = {}
    lock = threading.Lock()

    def work(key: str, item: Any) -> None:
        try:
            res = CameraResult(key, value=fn(item))
        except Exception as exc:  # every camera's failure is reported, none is fatal
            log.debug("camera %s failed: %r", key, exc)
            res = CameraResult(key, error=exc)
        with lock:
            results[key] = res

    threads = [threading.Thread(target=work, args=(key, item), name=f"chdkptp-group-{key}",
                                daemon=True) for key, item in items]
    for t in threads:
        t.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    for t in threads:
        t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    out: list[CameraResult] = []
    with lock:
        for key, _item in items:
            out.append(results.get(key) or CameraResult(key, error=ChdkTimeoutError(
                f"camera {key} still busy after {timeout} s")))
        # late finishers must not change what was reported
        results.clear()
    return out

"""Camera-side Lua for the simulated camera: CHDK's script host on real Lua 5.1 (``lupa.lua51``).

What belongs here: :class:`ScriptHost` (script ids, start status, NOKILL / FLUSH flags, kill,
the two message queues with CHDK's limits, status bits, stepping the running script on the
simulated clock) and the Python side of the CHDK functions a script calls (the ``P`` table
handed to the Lua glue).  The Lua side — sandbox, coroutine stepping, CHDK wrappers, the
default ``usb_msg_table_to_string`` — lives in ``sim/lua/_*.lua`` (package data).

Timing model.  The responder calls :meth:`ScriptHost.pump` at the start of every transaction;
pump runs the script until it blocks (``sleep``, ``read_usb_msg`` / ``write_usb_msg`` with a
timeout, ``shoot``).  The script keeps its own virtual time (``get_tick_count``), which never
runs ahead of the camera clock: a script that slept 10 ms a hundred times while the host was
away for a second catches up in one pump, each ``sleep`` waking at its own due tick.  ``sleep``
lasts at least one 10 ms tick, as on CHDK.  Script code itself takes no simulated time.

Limits.  The Lua state has a memory ceiling (``LuaMemoryError`` → the script fails with
``not enough memory``) and an instruction budget per run between two blocking calls: a script
that computes longer fails with ``:<line>: instruction limit exceeded (runaway script)``.

Card access.  ``os.*``, ``io.open``, ``loadfile`` / ``dofile`` and ``require`` work on the
:class:`VirtualCard` with camera paths (``"A/..."``); path components match case-insensitively
as on FAT, and paths that would leave the card fail like a missing file.  ``require`` searches
``package.path`` on the card first, then the modules shipped in ``sim/lua/`` (``capmode``;
``gen/x`` or ``gen.x`` maps to ``gen_x.lua``); files whose names start with ``_`` are the glue
and cannot be required.  Files a script leaves open are flushed when it ends or is killed.

Fidelity gaps: CHDK's Lua numbers are 32-bit integers, here they are doubles (``7/2`` is 3.5;
values are truncated to int32 when sent as messages).
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import re
import stat as stat_mod
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lupa.lua51 as lua51

from chdkptp._generated.chdk_codes import (
    ErrorSubtype,
    ExecFlags,
    ExecStartStatus,
    MessageSubtype,
    MessageType,
    ScriptLanguage,
    ScriptStatusFlags,
    WriteMsgStatus,
)
from chdkptp.sim.card import VirtualCard
from chdkptp.sim.clock import SimClock
from chdkptp.sim.faults import Faults
from chdkptp.sim.state import KEY_NAMES, PROPCASES, VALID_CAPTURE_MODES, CameraState

__all__ = [
    "QUEUE_SLOTS",
    "QUEUE_USABLE",
    "SLEEP_TICK_MS",
    "ScriptHost",
    "ScriptMsg",
]

log = logging.getLogger(__name__)

#: Slots of each CHDK message ring; one is always kept free, so 15 messages fit.
QUEUE_SLOTS = 16
QUEUE_USABLE = QUEUE_SLOTS - 1
#: Shortest sleep a CHDK script gets (the keyboard task runs every 10 ms).
SLEEP_TICK_MS = 10
#: Default memory ceiling of one script host's Lua state.
DEFAULT_MAX_MEMORY = 32 * 1024 * 1024
#: Default instruction budget between two blocking calls of a script.
DEFAULT_MAX_INSTRUCTIONS = 50_000_000
#: At most this many script resumptions per pump (a script that wakes every tick for a long
#: time catches up over several pumps instead of holding the responder).
MAX_RESUMES_PER_PUMP = 5000

#: Lines of script output ScriptHost.console keeps.
CONSOLE_LINES = 1000
#: What a script can block on (the first value it yields to the host).
_WAIT_KINDS = frozenset({"sleep", "read", "write"})
#: Language byte of ExecuteScript's p2: the bits below the lowest flag.
_LANG_MASK = min(int(f) for f in ExecFlags) - 1
#: FAT attribute bits CHDK's os.stat reports (simulated values).
_ATTR_DIR = 0x10
_ATTR_ARCHIVE = 0x20
#: Glue files in sim/lua that `require` must not load.
_LUA_DIR = Path(__file__).with_name("lua")
_MODULE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./]*$")


@dataclass(frozen=True)
class ScriptMsg:
    """One CHDK script message (ReadScriptMsg p1..p3 and data)."""

    type: int
    subtype: int
    script_id: int
    data: bytes


def _int32(value: float | int) -> int:
    """A Lua number as CHDK's 32-bit int: truncated toward zero, wrapped to int32."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return 0
        value = int(value)
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _deny_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    raise AttributeError("Python attributes are not reachable from camera scripts")


@functools.cache
def _lua_source(name: str) -> bytes:
    return (_LUA_DIR / name).read_bytes()


class ScriptHost:
    """CHDK's script machinery of one simulated camera (one Lua state, one script at a time).

    ``execute`` starts a script (it runs at the next :meth:`pump`), ``read_msg`` /
    ``write_msg`` are the two queues as ReadScriptMsg / WriteScriptMsg see them, ``status``
    gives the ScriptStatus bits.  Not thread-safe: the responder serialises calls.
    """

    def __init__(
        self,
        state: CameraState,
        card: VirtualCard,
        clock: SimClock,
        faults: Faults,
        *,
        max_memory: int = DEFAULT_MAX_MEMORY,
        max_instructions: int = DEFAULT_MAX_INSTRUCTIONS,
    ) -> None:
        if max_memory <= 0 or max_instructions <= 0:
            raise ValueError("max_memory and max_instructions must be positive")
        self.state = state
        self.card = card
        self.clock = clock
        self.faults = faults
        #: Lines the scripts printed (CHDK's console), newest last; the oldest are dropped.
        self.console: deque[str] = deque(maxlen=CONSOLE_LINES)
        self._id = 0
        self._running = False
        self._outbox: deque[ScriptMsg] = deque()
        self._inbox: deque[tuple[int, bytes, int]] = deque()  # (script id, data, arrival)
        self._wait: str | None = None
        self._wake = 0
        self._vnow = clock.now_ms()
        self._last_read = self._vnow
        self._pending_error: str | None = None
        self._delivered: bytes | None = None
        self._modules: dict[str, bytes | None] = {}
        #: Called by Lua ``reboot([file])`` with the camera path of the file (or None); returns
        #: True once the camera has scheduled its restart.  Set by SimulatedCamera; while it is
        #: None, ``reboot()`` returns false (nothing here can restart a camera).
        self.on_reboot: Callable[[str | None], bool] | None = None
        self._lua = lua51.LuaRuntime(
            unpack_returned_tuples=True,
            register_eval=False,
            register_builtins=False,
            encoding=None,
            max_memory=max_memory,
            attribute_filter=_deny_attributes,
        )
        api = self._lua.table_from({k.encode(): v for k, v in self._api().items()})
        sources = self._lua.table_from(
            {b"chdk": _lua_source("_chdk.lua"), b"msg_table": _lua_source("_msg_table.lua")}
        )
        loader = self._lua.globals().loadstring(_lua_source("_glue.lua"), b"=_glue")
        glue = loader(api, sources)
        self._lua_set_limit = glue.set_limit
        self.max_instructions = max_instructions
        # bound once: looking names up in a Lua table later would allocate unprotected
        self._lua_start = glue.start
        self._lua_resume = glue.resume
        self._lua_kill = glue.kill
        self._lua_collect = glue.collect
        self._max_memory = max_memory

    # -- public surface ------------------------------------------------------------------------

    @property
    def max_instructions(self) -> int:
        """Instruction budget of a script between two blocking calls (runaway guard)."""
        return self._max_instructions

    @max_instructions.setter
    def max_instructions(self, value: int) -> None:
        if value <= 0:
            raise ValueError("max_instructions must be positive")
        self._max_instructions = int(value)
        self._lua_set_limit(self._max_instructions)

    @property
    def running(self) -> bool:
        """True while a script is running (ScriptStatus RUN)."""
        return self._running

    @property
    def current_id(self) -> int:
        """Id of the running script, or of the last one started (0 before the first)."""
        return self._id

    def execute(self, source: bytes, flags: int) -> tuple[int, int]:
        """Start a script as CHDK ExecuteScript does; return ``(script id, start status)``.

        ``flags`` is ExecuteScript's p2: the language in the low byte plus ``ExecFlags``.
        A running script makes the answer ``(previous id, SCRIPT_RUNNING)`` with NOKILL,
        otherwise it is killed.  The id is incremented before the start attempt, so a compile
        error (status COMPILE_ERROR, with an ERR/COMPILE message queued) consumes an id.
        The source ends at its first NUL.  Raises ValueError for a language other than Lua
        (the responder answers that with ParameterNotSupported before calling this).
        """
        if (flags & _LANG_MASK) != ScriptLanguage.LUA:
            raise ValueError(f"only Lua scripts can run (language {flags & _LANG_MASK})")
        if self._running:
            if flags & ExecFlags.NOKILL:
                return self._id, int(ExecStartStatus.SCRIPT_RUNNING)
            log.info("killing script %d to start a new one", self._id)
            self.kill()
        self._id += 1
        if flags & ExecFlags.FLUSH_CAM_MSGS:
            self._outbox.clear()
        if flags & ExecFlags.FLUSH_HOST_MSGS:
            self._inbox.clear()
        text = bytes(source).split(b"\0", 1)[0]
        try:
            ok, err = self._lua_start(text)
        except (lua51.LuaMemoryError, lua51.LuaError) as exc:
            ok, err = False, _error_text(exc).encode()
        if not ok:
            self._push(ScriptMsg(MessageType.ERROR, ErrorSubtype.COMPILE, self._id, bytes(err)))
            log.debug("script %d: compile error %r", self._id, err)
            return self._id, int(ExecStartStatus.COMPILE_ERROR)
        self._running = True
        self._wait = None
        self._vnow = max(self._vnow, self.clock.now_ms())
        if self.faults.script_runtime_error is not None:
            self._pending_error = self.faults.script_runtime_error
            self.faults.script_runtime_error = None
        log.debug("script %d started (%d bytes)", self._id, len(text))
        return self._id, int(ExecStartStatus.OK)

    def status(self) -> int:
        """ScriptStatus bits: RUN while a script runs, MSG while camera→host messages wait."""
        bits = 0
        if self._running:
            bits |= ScriptStatusFlags.RUN
        if self._outbox:
            bits |= ScriptStatusFlags.MSG
        return int(bits)

    def read_msg(self) -> ScriptMsg | None:
        """Pop the oldest camera→host message (ReadScriptMsg), or None when the queue is empty."""
        if not self._outbox:
            return None
        self._last_read = self.clock.now_ms()
        return self._outbox.popleft()

    def write_msg(self, data: bytes, script_id: int) -> int:
        """Queue a host→camera message (WriteScriptMsg); return the ``WriteMsgStatus``.

        Checked in CHDK's order: NOTRUN (no script), BADID (``script_id`` neither 0 nor the
        running script's id), QFULL (15 messages already wait).
        """
        if not self._running:
            return int(WriteMsgStatus.NOTRUN)
        if script_id != 0 and script_id != self._id:
            return int(WriteMsgStatus.BADID)
        if len(self._inbox) >= QUEUE_USABLE:
            return int(WriteMsgStatus.QFULL)
        self._inbox.append((script_id, bytes(data), self.clock.now_ms()))
        return int(WriteMsgStatus.OK)

    def kill(self) -> None:
        """Stop the running script at once (no message is queued; open files are flushed)."""
        if self._running:
            try:
                self._lua_kill()
            except (lua51.LuaMemoryError, lua51.LuaError):
                log.warning("error while closing script %d", self._id, exc_info=True)
        self._end()

    def power_off(self) -> None:
        """The camera switched off (reboot): the script is gone, both queues are empty and the
        id counter starts again (the first script after power-on gets id 1, as on CHDK)."""
        self.kill()
        self._outbox.clear()
        self._inbox.clear()
        self._delivered = None
        self._id = 0
        self._vnow = max(self._vnow, self.clock.now_ms())
        self._last_read = self._vnow

    def pump(self) -> None:
        """Run the script until it blocks; queue its messages, return values and errors."""
        self._inject_stale()
        if not self._running:
            return
        if self._pending_error is not None:
            text, self._pending_error = self._pending_error, None
            self._lua_kill()
            self._push(ScriptMsg(MessageType.ERROR, ErrorSubtype.RUNTIME, self._id, text.encode()))
            self._end()
            return
        now = self.clock.now_ms()
        used_total = 0
        for _ in range(MAX_RESUMES_PER_PUMP):
            ready, value = self._ready(now)
            if not ready:
                return
            try:
                result = self._lua_resume(value)
            except (lua51.LuaMemoryError, lua51.LuaError) as exc:
                result = (b"error", 0, _error_text(exc).encode())
            if not isinstance(result, tuple):
                result = (result,)
            tag = _text(result[0])
            used_total += int(result[1]) if len(result) > 1 else 0
            if tag == "done":
                self._finish(result[2:])
                return
            if tag == "error":
                err = bytes(result[2]) if len(result) > 2 else b""
                self._push(ScriptMsg(MessageType.ERROR, ErrorSubtype.RUNTIME, self._id, err))
                log.debug("script %d: runtime error %r", self._id, err)
                self._end()
                return
            arg = result[2] if len(result) > 2 else None
            amount = _int32(arg) if isinstance(arg, (int, float)) else 0
            if tag not in _WAIT_KINDS:
                # the script yielded by itself (coroutine.yield in its main chunk): CHDK
                # simply resumes it at the next keyboard-task tick
                tag, amount = "sleep", SLEEP_TICK_MS
            if tag == "sleep":
                amount = max(amount, SLEEP_TICK_MS)
            self._wait = tag
            self._wake = self._vnow + max(amount, 0)
            if used_total > self.max_instructions:
                return  # plenty done for one pump; the rest waits for the next one

    # -- stepping ------------------------------------------------------------------------------

    def _ready(self, now: int) -> tuple[bool, Any]:
        """Whether the script can go on now, and the value its blocking call returns."""
        kind = self._wait
        if kind is None:
            return True, None
        if kind == "sleep":
            if self._wake > now:
                return False, None
            self._vnow = max(self._vnow, self._wake)
            return True, None
        if kind == "read":
            limit = min(now, self._wake)
            msg = self._take_inbox(limit)
            if msg is not None:
                self._delivered = msg
                return True, True
            if self._wake <= now:
                self._vnow = max(self._vnow, self._wake)
                return True, None
            return False, None
        if kind == "write":
            if len(self._outbox) < QUEUE_USABLE:
                self._vnow = max(self._vnow, min(self._last_read, now))
                return True, True
            if self._wake <= now:
                self._vnow = max(self._vnow, self._wake)
                return True, False
            return False, None
        raise AssertionError(f"unknown wait kind {kind!r}")  # pragma: no cover

    def _take_inbox(self, limit: int) -> bytes | None:
        """Next host message for this script that arrived by tick ``limit``; drop foreign ones."""
        while self._inbox:
            sid, data, arrival = self._inbox[0]
            if sid not in (0, self._id):
                self._inbox.popleft()
                log.debug("dropping host message for script %d", sid)
                continue
            if arrival > limit:
                return None
            self._inbox.popleft()
            self._vnow = max(self._vnow, arrival)
            return data
        return None

    def _finish(self, values: tuple[Any, ...]) -> None:
        for i in range(0, len(values) - 1, 2):
            kind = _text(values[i])
            if kind == "error":
                self._push(
                    ScriptMsg(MessageType.ERROR, ErrorSubtype.RUNTIME, self._id, values[i + 1])
                )
                break
            subtype, data = _encode_value(kind, values[i + 1])
            self._push(ScriptMsg(MessageType.RET, subtype, self._id, data))
        log.debug("script %d ended with %d value(s)", self._id, len(values) // 2)
        self._end()

    def _end(self) -> None:
        # Keep head-room: lupa touches the Lua state outside protected calls, where running
        # out of memory would abort the process instead of raising.
        if self._lua.get_memory_used() > self._max_memory // 2:
            self._lua_collect()
        self._running = False
        self._wait = None
        self._pending_error = None
        self.state.release_all()

    def _push(self, msg: ScriptMsg) -> bool:
        if len(self._outbox) >= QUEUE_USABLE:
            log.debug("camera→host queue full: dropping %s", msg)
            return False
        self._outbox.append(msg)
        return True

    def _inject_stale(self) -> None:
        stale = self.faults.stale_messages
        if stale:
            for m in stale:
                self._push(ScriptMsg(m.type, m.subtype, m.script_id, bytes(m.data)))
            stale.clear()

    # -- the P table: Python functions the Lua glue calls -----------------------------------------

    def _api(self) -> dict[str, Callable[..., Any]]:
        st = self.state
        return {
            "now": lambda: self._vnow,
            "read_msg": lambda: self._take_inbox(self._vnow),
            "take_delivered": self._lua_take_delivered,
            "write_msg": self._lua_write_msg,
            "print": self._lua_print,
            "shoot": self._lua_shoot,
            "get_shooting": lambda: st.shooting,
            "switch_mode": self._lua_switch_mode,
            "get_mode": lambda: (st.mode == "record", False, st.mode_word()),
            "get_exp_count": lambda: st.image_counter,
            "get_image_dir": lambda: self.card.image_dir().encode(),
            "get_raw": lambda: 1 if st.raw_enabled else 0,
            "set_raw": self._lua_set_raw,
            "propcase": lambda name: PROPCASES[_text(name)],
            "get_prop": lambda pid: st.get_prop(int(pid)),
            "set_prop": lambda pid, v: st.set_prop(int(pid), _int32(v)),
            "get_zoom": lambda: st.zoom,
            "set_zoom": lambda n: st.set_zoom(int(n)),
            "get_zoom_steps": lambda: st.zoom_steps,
            "get_focus": lambda: st.focus_mm,
            "set_focus": self._lua_set_focus,
            "get_focus_mode": lambda: 1 if st.mf else 0,
            "set_aflock": self._lua_set_aflock,
            "set_mf": self._lua_set_mf,
            "get_exp": self._lua_get_exp,
            "set_exp": self._lua_set_exp,
            "get_nd_present": lambda: 1 if st.nd_present else 0,
            "get_iso": lambda: st.iso,
            "get_vbatt": st.vbatt_mv,
            "get_temperature": lambda n: st.temperature(int(n)) if int(n) in (0, 1, 2) else 0,
            "buildinfo": self._lua_buildinfo,
            "free_kb": lambda: self.card.free_bytes() // 1024,
            "disk_kb": lambda: self.card.total_bytes // 1024,
            "key": self._lua_key,
            "rc_support": self._lua_rc_support,
            "rc_init": self._lua_rc_init,
            "rc_target": self._lua_rc_target,
            "rc_pending": lambda: st.remote_capture.pending,
            "rc_timeout": self._lua_rc_timeout,
            "bit": _lua_bit,
            "listdir": self._lua_listdir,
            "stat": self._lua_stat,
            "remove": self._lua_remove,
            "mkdir": self._lua_mkdir,
            "rename": self._lua_rename,
            "utime": self._lua_utime,
            "read_file": self._lua_read_file,
            "write_file": self._lua_write_file,
            "builtin_module": self._lua_builtin_module,
            "get_config": lambda cid: st.get_config(int(cid)),
            "set_config": lambda cid, v: st.set_config(int(cid), _int32(v)),
            "set_capture_mode": lambda m: st.set_capture_mode(int(m)),
            "capture_mode_valid": lambda m: int(m) in VALID_CAPTURE_MODES,
            "meminfo": self._lua_meminfo,
            "reboot": self._lua_reboot,
        }

    def _lua_reboot(self, path: bytes | None) -> bool:
        """CHDK ``reboot([file])``: False if ``file`` is not a file on the card or nothing can
        restart the camera, else the camera's restart is scheduled (``on_reboot``)."""
        name = None if path is None else _text(path)
        if path is not None:
            try:
                found = self._local(path).is_file()
            except (ValueError, OSError):
                found = False
            if not found:
                log.info("script %d: reboot(%r): no such file", self._id, name)
                return False
        if self.on_reboot is None:
            log.info("script %d: reboot(): no camera to restart", self._id)
            return False
        log.info("script %d: reboot(%s)", self._id, "" if name is None else repr(name))
        return bool(self.on_reboot(name))

    def _lua_meminfo(self) -> tuple[int, int]:
        used = int(self._lua.get_memory_used())
        return self._max_memory, max(0, self._max_memory - used)

    def _lua_take_delivered(self) -> bytes | None:
        msg, self._delivered = self._delivered, None
        return msg

    def _lua_write_msg(self, kind: bytes, value: Any) -> bool:
        subtype, data = _encode_value(_text(kind), value)
        return self._push(ScriptMsg(MessageType.USER, subtype, self._id, data))

    def _lua_print(self, text: bytes) -> None:
        line = text.decode("utf-8", "replace")
        self.console.append(line)
        log.info("script %d: %s", self._id, line)

    def _lua_shoot(self) -> int:
        try:
            path = self.state.shoot()
        except OSError as exc:
            log.warning("shoot failed: %s", exc)
            return 0
        if not path:
            return 0
        return self.state.shots[-1].duration_ms

    def _lua_switch_mode(self, mode: float) -> int:
        m = int(mode)
        if m not in (0, 1):
            return 0
        self.state.switch_mode(m == 1)
        return 1

    def _lua_set_raw(self, on: bool) -> None:
        self.state.raw_enabled = bool(on)

    def _lua_set_focus(self, mm: float) -> None:
        self.state.focus_mm = int(mm)

    def _lua_set_aflock(self, on: bool) -> None:
        self.state.aflock = bool(on)

    def _lua_set_mf(self, on: bool) -> None:
        self.state.mf = bool(on)

    def _lua_get_exp(self, name: bytes, how: bytes) -> int:
        key = _text(name)
        if _text(how) == "user":
            return int(getattr(self.state, key))
        return self.state.get_exposure(key)

    def _lua_set_exp(self, name: bytes, value: float, how: bytes) -> None:
        key = _text(name)
        if _text(how) == "user":
            setattr(self.state, key, _int32(value))
        else:
            self.state.set_override(key, _int32(value))

    def _lua_buildinfo(self) -> tuple[Any, ...]:
        model = self.state.model
        platform = re.sub(r"[^a-z0-9]", "", model.lower().replace("powershot", ""))
        return (
            platform.encode() or b"sim",
            b"100a",
            b"CHDK",
            b"1.5.1",
            b"6000",
            b"Nov 20 2026",
            b"12:00:00",
            b"dryos",
            _product_id(model),
        )

    def _lua_key(self, op: bytes, name: bytes) -> tuple[Any, ...]:
        action, key = _text(op), _text(name)
        st = self.state
        try:
            if action == "is_pressed":
                if key not in KEY_NAMES:
                    raise ValueError(key)
                return (key in st.pressed,)
            was_down = key in st.pressed
            if action == "press":
                st.press(key)
                if key in ("shoot_full", "shoot_full_only") and not was_down:
                    self._lua_shoot()
            else:
                st.release(key)
        except ValueError:
            return (None, b"unknown key")
        return (True,)

    def _lua_rc_support(self) -> int:
        return int(self.state.remote_capture.support_mask)

    def _lua_rc_init(self, mask: float, startline: float, numlines: float) -> bool:
        rc = self.state.remote_capture
        record = self.state.mode == "record"
        return bool(rc.init(int(mask), int(startline), int(numlines), record_mode=record))

    def _lua_rc_target(self) -> int:
        return int(self.state.remote_capture.target)

    def _lua_rc_timeout(self, ms: float) -> None:
        self.state.remote_capture.set_timeout(int(ms))

    # -- files on the card -------------------------------------------------------------------------

    def _local(self, path: bytes) -> Path:
        """Local path of a camera path; FAT-like: components match case-insensitively."""
        local = self.card.to_local(_text(path))
        if local.exists():
            return local
        root = self.card.root
        try:
            parts = local.relative_to(root).parts
        except ValueError:
            return local
        cur = root
        for i, part in enumerate(parts):
            nxt = cur / part
            if not nxt.exists() and cur.is_dir():
                low = part.lower()
                for entry in os.listdir(cur):
                    if entry.lower() == low:
                        nxt = cur / entry
                        break
                else:
                    return cur.joinpath(*parts[i:])
            cur = nxt
        return cur

    def _fs(self, path: bytes, fn: Callable[[Path], Any]) -> tuple[Any, ...]:
        """Run ``fn`` on the local path; errors become Lua's ``nil, message, errno``."""
        try:
            local = self._local(path)
            result = fn(local)
        except ValueError as exc:
            return (None, f"{_text(path)}: {exc}".encode(), errno.EINVAL)
        except OSError as exc:
            code = exc.errno or errno.EIO
            return (None, f"{_text(path)}: {os.strerror(code)}".encode(), code)
        return result if isinstance(result, tuple) else (result,)

    def _lua_listdir(self, path: bytes, showall: bool) -> tuple[Any, ...]:
        def run(local: Path) -> Any:
            names = sorted(os.listdir(local))
            if showall:
                names = [".", "..", *names]
            return self._lua.table_from([n.encode() for n in names])

        return self._fs(path, run)

    def _lua_stat(self, path: bytes) -> tuple[Any, ...]:
        def run(local: Path) -> Any:
            st = local.stat()
            is_dir = stat_mod.S_ISDIR(st.st_mode)
            return self._lua.table_from(
                {
                    b"size": 0 if is_dir else st.st_size,
                    b"mtime": int(st.st_mtime),
                    b"ctime": int(st.st_ctime),
                    b"atime": int(st.st_atime),
                    b"attrib": _ATTR_DIR if is_dir else _ATTR_ARCHIVE,
                    b"is_dir": is_dir,
                    b"is_file": not is_dir,
                    b"mode": st.st_mode,
                    b"dev": 0,
                    b"blksize": 512,
                    b"blocks": (st.st_size + 511) // 512,
                }
            )

        return self._fs(path, run)

    def _lua_remove(self, path: bytes) -> tuple[Any, ...]:
        def run(local: Path) -> Any:
            if local.is_dir():
                local.rmdir()
            else:
                local.unlink()
            return True

        return self._fs(path, run)

    def _lua_mkdir(self, path: bytes) -> tuple[Any, ...]:
        def run(local: Path) -> Any:
            local.mkdir()
            return True

        return self._fs(path, run)

    def _lua_rename(self, old: bytes, new: bytes) -> tuple[Any, ...]:
        try:
            target = self._local(new)
        except ValueError as exc:
            return (None, f"{_text(new)}: {exc}".encode(), errno.EINVAL)

        def run(local: Path) -> Any:
            local.rename(target)
            return True

        return self._fs(old, run)

    def _lua_utime(self, path: bytes, mtime: float) -> tuple[Any, ...]:
        def run(local: Path) -> Any:
            os.utime(local, (float(mtime), float(mtime)))
            return True

        return self._fs(path, run)

    def _lua_read_file(self, path: bytes) -> tuple[Any, ...]:
        def run(local: Path) -> Any:
            if local.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            return local.read_bytes()

        return self._fs(path, run)

    def _lua_write_file(self, path: bytes, data: bytes) -> tuple[Any, ...]:
        def run(local: Path) -> Any:
            local.write_bytes(bytes(data))
            return True

        return self._fs(path, run)

    def _lua_builtin_module(self, name: bytes) -> bytes | None:
        key = _text(name)
        if key not in self._modules:
            src = None
            if _MODULE_RE.match(key):
                file = _LUA_DIR / (re.sub(r"[./]", "_", key).lower() + ".lua")
                if file.is_file():
                    src = file.read_bytes()
            self._modules[key] = src
        return self._modules[key]


# -- helpers --------------------------------------------------------------------------------------


def _encode_value(kind: str, value: Any) -> tuple[int, bytes]:
    """(MessageSubtype, data) of a value the Lua glue classified as ``kind``."""
    if kind == "nil":
        return MessageSubtype.NIL, struct.pack("<i", 0)
    if kind == "boolean":
        return MessageSubtype.BOOLEAN, struct.pack("<i", 1 if value else 0)
    if kind == "number":
        return MessageSubtype.INTEGER, struct.pack("<i", _int32(value))
    if kind == "string":
        return MessageSubtype.STRING, bytes(value)
    if kind == "table":
        return MessageSubtype.TABLE, bytes(value)
    return MessageSubtype.UNSUPPORTED, bytes(value)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, lua51.LuaMemoryError):
        return "not enough memory"
    text = str(exc)
    return text or type(exc).__name__


def _lua_bit(op: bytes, a: float, b: float) -> int:
    x, y = _int32(a) & 0xFFFFFFFF, _int32(b)
    name = _text(op)
    if name == "and":
        r = x & (y & 0xFFFFFFFF)
    elif name == "or":
        r = x | (y & 0xFFFFFFFF)
    elif name == "xor":
        r = x ^ (y & 0xFFFFFFFF)
    elif name == "not":
        r = ~x
    elif name == "shl":
        r = x << (y & 31)
    elif name == "shru":
        r = x >> (y & 31)
    elif name == "shri":
        r = _int32(x) >> (y & 31)
    else:
        raise ValueError(f"unknown bit operation {name!r}")
    return _int32(r)


def _product_id(model: str) -> int:
    """USB product id of ``model`` from the generated Canon table (0 when unknown)."""
    try:
        from chdkptp._generated.usb_codes import CanonProductId
    except ImportError:  # pragma: no cover - generated code not built yet
        return 0
    for member in CanonProductId:
        if getattr(member, "model", None) == model:
            return int(member)
    return 0

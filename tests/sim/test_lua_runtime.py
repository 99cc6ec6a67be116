"""The simulator's camera-side Lua: ids, start status, queues, value messages, errors, limits,
the CHDK function set and the card-backed os / io / require."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chdkptp._generated.chdk_codes import (
    ErrorSubtype,
    ExecFlags,
    ExecStartStatus,
    MessageSubtype,
    MessageType,
    ScriptStatusFlags,
    WriteMsgStatus,
)
from chdkptp.sim.card import VirtualCard
from chdkptp.sim.clock import SimClock
from chdkptp.sim.faults import Faults, StaleMessage
from chdkptp.sim.lua_runtime import QUEUE_USABLE, ScriptHost, ScriptMsg
from chdkptp.sim.state import CameraState
from tests.sim.test_state import card, clock

__all__ = ["card", "clock"]  # shared fixtures (defined in test_state.py)

ALL = int(ExecFlags.NOKILL | ExecFlags.FLUSH_CAM_MSGS | ExecFlags.FLUSH_HOST_MSGS)
NOKILL = int(ExecFlags.NOKILL)


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def state(card: VirtualCard, clock: SimClock) -> CameraState:
    return CameraState(card, clock, model="PowerShot SX160 IS", seed=3)


@pytest.fixture
def host(state: CameraState, card: VirtualCard, clock: SimClock, faults: Faults) -> ScriptHost:
    return ScriptHost(state, card, clock, faults)


def drain(host: ScriptHost) -> list[ScriptMsg]:
    out = []
    while (m := host.read_msg()) is not None:
        out.append(m)
    return out


def run(host: ScriptHost, src: str | bytes, flags: int = ALL) -> list[ScriptMsg]:
    """Start a script, pump it once, return every queued message."""
    code = src.encode() if isinstance(src, str) else src
    _sid, status = host.execute(code, flags)
    assert status == ExecStartStatus.OK, drain(host)
    host.pump()
    return drain(host)


def i32(v: int) -> bytes:
    return struct.pack("<i", v)


def rets(msgs: list[ScriptMsg]) -> list[tuple[int, bytes]]:
    assert all(m.type == MessageType.RET for m in msgs), msgs
    return [(m.subtype, m.data) for m in msgs]


def table_lines(data: bytes) -> set[bytes]:
    return set(data.split(b"\n")) - {b""}


# -- ids and start status ------------------------------------------------------------------------


def test_first_id_is_one_and_ids_increase(host: ScriptHost) -> None:
    assert host.current_id == 0
    assert host.execute(b"return 1", ALL) == (1, ExecStartStatus.OK)
    host.pump()
    assert host.execute(b"return 2", ALL) == (2, ExecStartStatus.OK)
    host.pump()
    assert [m.script_id for m in drain(host)] == [2]  # FLUSH_CAM_MSGS dropped script 1's RET


def test_compile_error_consumes_an_id_and_queues_the_message(host: ScriptHost) -> None:
    sid, status = host.execute(b"x = = 1", ALL)
    assert (sid, status) == (1, ExecStartStatus.COMPILE_ERROR)
    assert not host.running
    (msg,) = drain(host)
    assert (msg.type, msg.subtype, msg.script_id) == (
        MessageType.ERROR,
        ErrorSubtype.COMPILE,
        1,
    )
    assert msg.data.startswith(b":1: ")
    assert b"[string" not in msg.data
    assert host.execute(b"return 1", ALL)[0] == 2


def test_nokill_keeps_the_running_script_and_its_id(host: ScriptHost) -> None:
    assert host.execute(b"sleep(100000)", ALL) == (1, 0)
    host.pump()
    assert host.running
    assert host.execute(b"return 2", ALL) == (1, ExecStartStatus.SCRIPT_RUNNING)
    assert host.running and host.current_id == 1


def test_without_nokill_the_running_script_is_killed(host: ScriptHost) -> None:
    host.execute(b"write_usb_msg('a') sleep(100000) write_usb_msg('never')", ALL)
    host.pump()
    sid, status = host.execute(b"return 'new'", 0)
    assert (sid, status) == (2, ExecStartStatus.OK)
    host.pump()
    msgs = drain(host)
    assert [(m.script_id, m.data) for m in msgs] == [(1, b"a"), (2, b"new")]


def test_source_ends_at_nul(host: ScriptHost) -> None:
    assert rets(run(host, b"return 5\0garbage that would not compile ((("))[0][1] == i32(5)


def test_non_lua_language_is_refused(host: ScriptHost) -> None:
    with pytest.raises(ValueError):
        host.execute(b"print 1", 1)


def test_kill_stops_the_script_without_a_message(host: ScriptHost, clock: SimClock) -> None:
    host.execute(b"sleep(50) write_usb_msg('late')", ALL)
    host.pump()
    host.kill()
    clock.advance(1000)
    host.pump()
    assert not host.running
    assert drain(host) == []
    assert host.status() == 0


# -- status and flush flags --------------------------------------------------------------------


def test_status_bits(host: ScriptHost, clock: SimClock) -> None:
    assert host.status() == 0
    host.execute(b"write_usb_msg(1) sleep(100) return 2", ALL)
    host.pump()
    assert host.status() == ScriptStatusFlags.RUN | ScriptStatusFlags.MSG
    drain(host)
    assert host.status() == ScriptStatusFlags.RUN
    clock.advance(100)
    host.pump()
    assert host.status() == ScriptStatusFlags.MSG
    drain(host)
    assert host.status() == 0


def test_flush_flags(host: ScriptHost) -> None:
    host.execute(b"return 1", 0)
    host.pump()
    # host message queued for a waiting script, camera message waiting for the host
    host.execute(b"sleep(1000000)", 0)
    host.pump()
    assert host.write_msg(b"for later", 0) == WriteMsgStatus.OK
    host.execute(b"return read_usb_msg()", 0)  # no flush: both queues kept
    host.pump()
    msgs = drain(host)
    assert [(m.script_id, m.data) for m in msgs] == [(1, i32(1)), (3, b"for later")]

    host.execute(b"return 7", 0)
    host.pump()
    host.execute(b"sleep(1000000)", 0)
    host.pump()
    host.write_msg(b"stale", 0)
    sid, _ = host.execute(
        b"return read_usb_msg()", int(ExecFlags.FLUSH_CAM_MSGS | ExecFlags.FLUSH_HOST_MSGS)
    )
    host.pump()
    assert [(m.script_id, m.subtype) for m in drain(host)] == [(sid, MessageSubtype.NIL)]


# -- return values ---------------------------------------------------------------------------------


def test_return_values_one_message_each_in_order(host: ScriptHost) -> None:
    msgs = run(host, "return 1, 'a', nil, true, false, -5, '', print, 2^31")
    assert rets(msgs) == [
        (MessageSubtype.INTEGER, i32(1)),
        (MessageSubtype.STRING, b"a"),
        (MessageSubtype.NIL, i32(0)),
        (MessageSubtype.BOOLEAN, i32(1)),
        (MessageSubtype.BOOLEAN, i32(0)),
        (MessageSubtype.INTEGER, i32(-5)),
        (MessageSubtype.STRING, b""),
        (MessageSubtype.UNSUPPORTED, b"function"),
        (MessageSubtype.INTEGER, i32(-(2**31))),  # wraps like CHDK's int32
    ]
    assert all(m.script_id == 1 for m in msgs)


def test_numbers_truncate_toward_zero(host: ScriptHost) -> None:
    assert rets(run(host, "return 3.9, -3.9")) == [
        (MessageSubtype.INTEGER, i32(3)),
        (MessageSubtype.INTEGER, i32(-3)),
    ]


def test_unsupported_types_keep_the_count(host: ScriptHost) -> None:
    msgs = run(host, "return coroutine.create(print), 1")
    assert rets(msgs) == [(MessageSubtype.UNSUPPORTED, b"thread"), (MessageSubtype.INTEGER, i32(1))]


def test_extra_return_values_are_dropped_silently(host: ScriptHost) -> None:
    src = "local t = {} for i = 1, 40 do t[i] = i end return unpack(t)"
    msgs = run(host, src)
    assert len(msgs) == QUEUE_USABLE == 15
    assert [m.data for m in msgs] == [i32(i) for i in range(1, 16)]


def test_binary_strings_pass_unchanged(host: ScriptHost) -> None:
    assert rets(run(host, r"return 'a\0b\255'")) == [(MessageSubtype.STRING, b"a\0b\xff")]


# -- usb_msg_table_to_string --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "lines"),
    [
        ("{a=1}", {b"a\t1"}),
        ("{t={1,2,3}}", {b"t\t1\t2\t3"}),
        ("{}", set()),
        ("{1, 'x', true}", {b"1\t1", b"2\tx", b"3\ttrue"}),
        ("{h={1,nil,3}}", {b"h\t1\tnil\t3"}),
        ("{n={1,{2},3}}", {b"n\t1\t\t3"}),
        ("{f=print}", {b"f\t"}),
        ("{[{}]=1, k=2}", {b"k\t2"}),
        ("{d={x=1}}", set()),
        ("{[true]=false}", {b"true\tfalse"}),
    ],
)
def test_default_table_format(host: ScriptHost, expr: str, lines: set[bytes]) -> None:
    (msg,) = run(host, f"return {expr}")
    assert msg.subtype == MessageSubtype.TABLE
    assert table_lines(msg.data) == lines
    assert msg.data == b"" or msg.data.endswith(b"\n")


def test_script_can_replace_the_table_format(host: ScriptHost) -> None:
    src = "function usb_msg_table_to_string(t) return 'n=' .. #t end return {1, 2}, 'after'"
    assert rets(run(host, src)) == [
        (MessageSubtype.TABLE, b"n=2"),
        (MessageSubtype.STRING, b"after"),
    ]


def test_failing_table_conversion_becomes_error_and_drops_later_values(
    host: ScriptHost,
) -> None:
    src = "function usb_msg_table_to_string(t) error('no tables') end\nreturn 1, {}, 3"
    msgs = run(host, src)
    assert [(m.type, m.subtype) for m in msgs] == [
        (MessageType.RET, MessageSubtype.INTEGER),
        (MessageType.ERROR, ErrorSubtype.RUNTIME),
    ]
    assert msgs[1].data == b":1: no tables"


def test_table_format_state_does_not_leak_between_scripts(host: ScriptHost) -> None:
    run(host, "function usb_msg_table_to_string(t) return 'custom' end x_global = 1")
    (msg, nil) = run(host, "return {a=1}, x_global")
    assert msg.data == b"a\t1\n"
    assert nil.subtype == MessageSubtype.NIL


# -- errors ----------------------------------------------------------------------------------------


def test_runtime_error_format(host: ScriptHost) -> None:
    (msg,) = run(host, "local a = 1\n\nfoo()")
    assert (msg.type, msg.subtype) == (MessageType.ERROR, ErrorSubtype.RUNTIME)
    assert msg.data == b":3: attempt to call global 'foo' (a nil value)"


def test_error_with_custom_message(host: ScriptHost) -> None:
    (msg,) = run(host, "\nerror('boom')")
    assert msg.data == b":2: boom"
    (msg,) = run(host, "error('bare', 0)")
    assert msg.data == b"bare"


def test_loadstring_inside_a_script_uses_chdk_chunk_names_and_script_globals(
    host: ScriptHost,
) -> None:
    src = (
        "y = 5\n"
        "local f, err = loadstring('x = = 1')\n"
        "local g = loadstring('return y * 2')\n"
        "return err, g()"
    )
    assert rets(run(host, src)) == [
        (MessageSubtype.STRING, b":1: unexpected symbol near '='"),
        (MessageSubtype.INTEGER, i32(10)),
    ]


def test_runaway_loop_is_stopped(host: ScriptHost) -> None:
    small = ScriptHost(host.state, host.card, host.clock, host.faults, max_instructions=200_000)
    (msg,) = run(small, "local n = 0\nwhile true do n = n + 1 end")
    assert msg.type == MessageType.ERROR
    assert msg.data.startswith(b":2: instruction limit exceeded")
    # the next script starts with a fresh budget
    assert rets(run(small, "local s = 0 for i = 1, 1000 do s = s + i end return s")) == [
        (MessageSubtype.INTEGER, i32(500500))
    ]


def test_pcall_cannot_swallow_the_instruction_limit(host: ScriptHost) -> None:
    small = host
    small.max_instructions = 200_000
    with pytest.raises(ValueError):
        small.max_instructions = 0
    src = "while true do pcall(function() while true do end end) end"
    (msg,) = run(small, src)
    assert msg.type == MessageType.ERROR
    assert b"instruction limit exceeded" in msg.data


def test_coroutines_made_by_the_script_are_limited_too(host: ScriptHost) -> None:
    small = ScriptHost(host.state, host.card, host.clock, host.faults, max_instructions=200_000)
    (msg,) = run(small, "coroutine.wrap(function() while true do end end)()")
    assert msg.type == MessageType.ERROR
    assert b"instruction limit exceeded" in msg.data


def test_memory_limit(host: ScriptHost) -> None:
    small = ScriptHost(host.state, host.card, host.clock, host.faults, max_memory=4 << 20)
    src = "local t = {} for i = 1, 1e7 do t[i] = string.rep('x', 64) .. i end"
    (msg,) = run(small, src)
    assert (msg.type, msg.subtype) == (MessageType.ERROR, ErrorSubtype.RUNTIME)
    assert b"not enough memory" in msg.data
    # the host is still usable afterwards
    assert rets(run(small, "return 'ok'")) == [(MessageSubtype.STRING, b"ok")]


def test_counted_loop_within_the_budget_finishes(host: ScriptHost) -> None:
    assert rets(run(host, "local s = 0 for i = 1, 100000 do s = s + i end return s")) == [
        (MessageSubtype.INTEGER, i32(5000050000 - 2**32))  # wrapped to int32
    ]


def test_bare_yield_in_the_main_chunk_waits_one_tick(host: ScriptHost, clock: SimClock) -> None:
    host.execute(
        b"local t = get_tick_count() coroutine.yield() coroutine.yield('x', {}) "
        b"return get_tick_count() - t",
        ALL,
    )
    host.pump()
    assert host.running
    clock.advance(20)
    host.pump()
    assert rets(drain(host)) == [(MessageSubtype.INTEGER, i32(20))]


def test_yield_across_pcall_fails_as_on_chdk(host: ScriptHost) -> None:
    (ok, err) = run(host, "return pcall(sleep, 10)")
    assert ok.data == i32(0)
    assert b"yield across" in err.data


# -- messages from the script ------------------------------------------------------------------


def test_write_usb_msg_values(host: ScriptHost) -> None:
    src = (
        "write_usb_msg(nil) write_usb_msg(true) write_usb_msg(42) write_usb_msg('s')"
        " write_usb_msg({k='v'}) return 0"
    )
    msgs = run(host, src)
    user = [(m.type, m.subtype, m.data) for m in msgs[:-1]]
    assert user == [
        (MessageType.USER, MessageSubtype.NIL, i32(0)),
        (MessageType.USER, MessageSubtype.BOOLEAN, i32(1)),
        (MessageType.USER, MessageSubtype.INTEGER, i32(42)),
        (MessageType.USER, MessageSubtype.STRING, b"s"),
        (MessageType.USER, MessageSubtype.TABLE, b"k\tv\n"),
    ]


@pytest.mark.parametrize(
    ("src", "text"),
    [
        ("\nwrite_usb_msg(print)", b":2: unsupported type"),
        ("write_usb_msg()", b":1: bad argument #1 to 'write_usb_msg' (value expected)"),
        (
            "function usb_msg_table_to_string() error('fmt', 0) end write_usb_msg({})",
            b"fmt",
        ),
    ],
)
def test_write_usb_msg_errors_are_lua_errors(host: ScriptHost, src: str, text: bytes) -> None:
    (msg,) = run(host, src)
    assert (msg.type, msg.subtype, msg.data) == (MessageType.ERROR, ErrorSubtype.RUNTIME, text)


def test_write_usb_msg_reports_full_queue(host: ScriptHost) -> None:
    src = "local r = {} for i = 1, 17 do r[i] = write_usb_msg(i) end return r"
    host.execute(src.encode(), ALL)
    host.pump()
    msgs = drain(host)
    assert len(msgs) == QUEUE_USABLE
    assert all(m.type == MessageType.USER for m in msgs)  # the RET could not be queued


def test_write_usb_msg_with_timeout_waits_for_room(host: ScriptHost, clock: SimClock) -> None:
    src = "for i = 1, 15 do write_usb_msg(i) end\nreturn write_usb_msg('x', 1000)"
    host.execute(src.encode(), ALL)
    host.pump()
    assert host.running
    clock.advance(300)
    host.pump()
    assert host.running  # still blocked: nobody read
    assert [host.read_msg(), host.read_msg()] == [
        ScriptMsg(MessageType.USER, MessageSubtype.INTEGER, 1, i32(1)),
        ScriptMsg(MessageType.USER, MessageSubtype.INTEGER, 1, i32(2)),
    ]
    host.pump()
    msgs = drain(host)
    assert len(msgs) == 15
    assert msgs[-2].data == b"x"
    assert (msgs[-1].type, msgs[-1].data) == (MessageType.RET, i32(1))
    assert not host.running


def test_write_usb_msg_timeout_expires(host: ScriptHost, clock: SimClock) -> None:
    src = "for i = 1, 15 do write_usb_msg(i) end\nprint(write_usb_msg('x', 500)) return 1"
    host.execute(src.encode(), ALL)
    host.pump()
    clock.advance(499)
    host.pump()
    assert host.running
    clock.advance(1)
    host.pump()
    assert not host.running
    assert list(host.console) == ["false"]
    msgs = drain(host)
    assert [m.type for m in msgs] == [MessageType.USER] * 15  # the RET found no room


# -- messages to the script ----------------------------------------------------------------------


def test_write_msg_statuses(host: ScriptHost) -> None:
    assert host.write_msg(b"x", 0) == WriteMsgStatus.NOTRUN
    host.execute(b"sleep(100000)", ALL)
    host.pump()
    assert host.write_msg(b"x", 99) == WriteMsgStatus.BADID
    for _ in range(QUEUE_USABLE):
        assert host.write_msg(b"x", 1) == WriteMsgStatus.OK
    assert host.write_msg(b"x", 0) == WriteMsgStatus.QFULL
    assert host.write_msg(b"x", 99) == WriteMsgStatus.BADID  # BADID is checked before QFULL


def test_read_usb_msg_non_blocking_and_as_string(host: ScriptHost, clock: SimClock) -> None:
    host.execute(b"local a = read_usb_msg() sleep(10) return a, read_usb_msg()", ALL)
    host.pump()
    assert host.write_msg(b"123", 0) == WriteMsgStatus.OK
    clock.advance(10)
    host.pump()
    assert rets(drain(host)) == [(MessageSubtype.NIL, i32(0)), (MessageSubtype.STRING, b"123")]


def test_read_usb_msg_with_timeout_blocks_until_a_message(
    host: ScriptHost, clock: SimClock
) -> None:
    host.execute(b"local m = read_usb_msg(5000) return m, get_tick_count()", ALL)
    t0 = clock.now_ms()
    host.pump()
    clock.advance(250)
    host.pump()
    assert host.running
    host.write_msg(b"go", 1)
    host.pump()
    msg, tick = rets(drain(host))
    assert msg == (MessageSubtype.STRING, b"go")
    assert struct.unpack("<i", tick[1])[0] == t0 + 250


def test_read_usb_msg_timeout_returns_nil(host: ScriptHost, clock: SimClock) -> None:
    host.execute(
        b"local t = get_tick_count() local m = read_usb_msg(300) return m, get_tick_count() - t",
        ALL,
    )
    host.pump()
    clock.advance(299)
    host.pump()
    assert host.running
    clock.advance(1)
    host.pump()
    assert rets(drain(host)) == [(MessageSubtype.NIL, i32(0)), (MessageSubtype.INTEGER, i32(300))]


def test_read_usb_msg_drops_messages_for_other_scripts(host: ScriptHost) -> None:
    host.execute(b"sleep(100000)", ALL)
    host.pump()
    host.write_msg(b"for 1", 1)
    # script 2 starts without flushing the host queue: script 1's message is foreign now
    host.execute(b"return read_usb_msg(), read_usb_msg()", 0)
    host.write_msg(b"for 2", 2)
    host.pump()
    assert rets(drain(host)) == [
        (MessageSubtype.STRING, b"for 2"),
        (MessageSubtype.NIL, i32(0)),
    ]


# -- time ------------------------------------------------------------------------------------------


def test_sleep_catches_up_on_the_simulated_clock(host: ScriptHost, clock: SimClock) -> None:
    src = (
        "local t0 = get_tick_count()"
        " for i = 1, 5 do sleep(100) write_usb_msg(get_tick_count() - t0) end"
    )
    host.execute(src.encode(), ALL)
    host.pump()
    assert drain(host) == []
    clock.advance(250)
    host.pump()
    assert [m.data for m in drain(host)] == [i32(100), i32(200)]
    clock.advance(10_000)
    host.pump()
    assert [m.data for m in drain(host)] == [i32(300), i32(400), i32(500)]
    assert not host.running


def test_sleep_zero_takes_one_tick(host: ScriptHost, clock: SimClock) -> None:
    host.execute(b"local t = get_tick_count() sleep(0) return get_tick_count() - t", ALL)
    host.pump()
    assert host.running
    clock.advance(10)
    host.pump()
    assert rets(drain(host)) == [(MessageSubtype.INTEGER, i32(10))]


def test_tick_count_follows_the_clock(host: ScriptHost, clock: SimClock) -> None:
    clock.advance(12345)
    ((_, data),) = rets(run(host, "return get_tick_count()"))
    assert struct.unpack("<i", data)[0] == clock.now_ms()


# -- faults ----------------------------------------------------------------------------------------


def test_stale_messages_are_injected_at_the_next_pump(host: ScriptHost, faults: Faults) -> None:
    faults.stale_messages.append(
        StaleMessage(script_id=7, type=int(MessageType.USER), subtype=4, data=b"old")
    )
    assert host.status() == 0
    host.pump()
    assert host.status() == ScriptStatusFlags.MSG
    assert drain(host) == [ScriptMsg(MessageType.USER, 4, 7, b"old")]
    assert faults.stale_messages == []


def test_script_runtime_error_fault(host: ScriptHost, faults: Faults) -> None:
    faults.script_runtime_error = ":1: simulated failure"
    (msg,) = run(host, "return 1")
    assert (msg.type, msg.subtype, msg.data) == (
        MessageType.ERROR,
        ErrorSubtype.RUNTIME,
        b":1: simulated failure",
    )
    assert faults.script_runtime_error is None
    assert rets(run(host, "return 1")) == [(MessageSubtype.INTEGER, i32(1))]


# -- CHDK functions --------------------------------------------------------------------------------


def test_switch_mode_and_shoot(host: ScriptHost, clock: SimClock, card: VirtualCard) -> None:
    src = """
    local r = switch_mode_usb(1)
    local n = 0
    repeat sleep(10) n = n + 1 until get_mode() or n > 100
    local t = get_tick_count()
    shoot()
    return r, get_mode(), get_exp_count(), get_image_dir(), get_tick_count() - t
    """
    host.execute(src.encode(), ALL)
    for _ in range(50):
        clock.advance(50)
        host.pump()
    r, mode, count, imgdir, took = rets(drain(host))
    assert r == (MessageSubtype.INTEGER, i32(1))
    assert mode == (MessageSubtype.BOOLEAN, i32(1))
    assert count == (MessageSubtype.INTEGER, i32(1))
    assert imgdir == (MessageSubtype.STRING, b"A/DCIM/100CANON")
    assert 300 <= struct.unpack("<i", took[1])[0] <= 600 + 20
    jpeg = card.to_local("A/DCIM/100CANON/IMG_0001.JPG").read_bytes()
    assert jpeg[:2] == b"\xff\xd8"


def test_switch_mode_usb_rejects_bad_modes(host: ScriptHost) -> None:
    assert rets(run(host, "return switch_mode_usb(5), switch_mode_usb(0)")) == [
        (MessageSubtype.INTEGER, i32(0)),
        (MessageSubtype.INTEGER, i32(1)),
    ]


def test_record_refused_keeps_play_mode(
    host: ScriptHost, clock: SimClock, state: CameraState
) -> None:
    state.record_refused = True
    host.execute(b"local r = switch_mode_usb(1) sleep(1000) return r, (get_mode())", ALL)
    host.pump()
    clock.advance(1000)
    host.pump()
    assert rets(drain(host)) == [
        (MessageSubtype.INTEGER, i32(1)),
        (MessageSubtype.BOOLEAN, i32(0)),
    ]


def test_exposure_overrides_reach_the_jpeg(
    host: ScriptHost, clock: SimClock, state: CameraState, card: VirtualCard
) -> None:
    state.switch_mode(True)
    clock.advance(1000)
    src = (
        "set_tv96_direct(480) set_sv96(576) set_av96(400) set_nd_filter(1) "
        "local tv = get_tv96() shoot() return tv, get_tv96()"
    )
    host.execute(src.encode(), ALL)
    host.pump()
    clock.advance(5000)
    host.pump()
    assert rets(drain(host)) == [
        (MessageSubtype.INTEGER, i32(480)),
        (MessageSubtype.INTEGER, i32(state.tv96)),  # override cleared by the shot
    ]
    jpeg = card.to_local("A/DCIM/100CANON/IMG_0001.JPG").read_bytes()
    assert b"tv96=480 sv96=576 av96=400 nd=1" in jpeg


def test_lens_props_power_and_build(host: ScriptHost, state: CameraState) -> None:
    src = """
    set_zoom(10) set_zoom_rel(-3) set_focus(1234) set_aflock(1)
    set_prop(102, 1)
    local bi = get_buildinfo()
    return get_zoom(), get_zoom_steps(), get_focus(), get_prop(102), get_prop(99999),
      get_vbatt() > 3000, get_temperature(1) > 0, bi.platform, bi.os, type(bi.platformid)
    """
    assert rets(run(host, src)) == [
        (MessageSubtype.INTEGER, i32(7)),
        (MessageSubtype.INTEGER, i32(state.zoom_steps)),
        (MessageSubtype.INTEGER, i32(1234)),
        (MessageSubtype.INTEGER, i32(1)),
        (MessageSubtype.INTEGER, i32(0)),
        (MessageSubtype.BOOLEAN, i32(1)),
        (MessageSubtype.BOOLEAN, i32(1)),
        (MessageSubtype.STRING, b"sx160is"),
        (MessageSubtype.STRING, b"dryos"),
        (MessageSubtype.STRING, b"number"),
    ]
    assert state.aflock is True


def test_bit_helpers(host: ScriptHost) -> None:
    src = (
        "return bitand(12, 10), bitor(12, 3), bitxor(5, 1), bitshl(1, 31), "
        "bitshru(-1, 28), bitshri(-16, 2), bitnot(0)"
    )
    assert [d for _, d in rets(run(host, src))] == [
        i32(8),
        i32(15),
        i32(4),
        i32(-(2**31)),
        i32(15),
        i32(-4),
        i32(-1),
    ]


def test_keys(host: ScriptHost, state: CameraState) -> None:
    src = "press('menu') local a = is_pressed('menu') release('menu') return a, is_pressed('menu')"
    assert [d for _, d in rets(run(host, src))] == [i32(1), i32(0)]
    (msg,) = run(host, "\npress('no_such_key')")
    assert msg.data == b":2: unknown key"


def test_keys_are_released_when_the_script_ends(host: ScriptHost, state: CameraState) -> None:
    run(host, "press('shoot_half')")
    assert state.pressed == set()


def test_half_press_full_press_pattern(
    host: ScriptHost, clock: SimClock, state: CameraState, card: VirtualCard
) -> None:
    """The usual CHDK shooting idiom built from key presses."""
    state.switch_mode(True)
    clock.advance(500)
    src = """
    press('shoot_half')
    repeat sleep(10) until get_shooting()
    press('shoot_full')
    sleep(50)
    release('shoot_full')
    release('shoot_half')
    repeat sleep(10) until not get_shooting()
    return get_exp_count()
    """
    host.execute(src.encode(), ALL)
    for _ in range(40):
        clock.advance(50)
        host.pump()
    assert rets(drain(host)) == [(MessageSubtype.INTEGER, i32(1))]
    assert card.to_local("A/DCIM/100CANON/IMG_0001.JPG").exists()


def test_print_goes_to_the_console(host: ScriptHost) -> None:
    run(host, "print('hello', 1, nil, true)")
    assert list(host.console) == ["hello 1 nil true"]


def test_remote_capture_functions(
    host: ScriptHost, clock: SimClock, state: CameraState, card: VirtualCard
) -> None:
    from chdkptp._generated.chdk_codes import CaptureFormatFlags as F

    src = "return init_usb_capture(1)"
    assert rets(run(host, src)) == [(MessageSubtype.BOOLEAN, i32(0))]  # play mode
    state.switch_mode(True)
    clock.advance(500)
    src = (
        "local sup = get_usb_capture_support() local ok = init_usb_capture(1, 0, 0) "
        "set_usb_capture_timeout(5000) local tgt = get_usb_capture_target() shoot() "
        "return sup, ok, tgt"
    )
    host.execute(src.encode(), ALL)
    host.pump()
    clock.advance(2000)
    host.pump()
    # the shot is not over until the host has the data
    assert host.running and state.shooting
    status, number = state.remote_capture.is_ready()
    assert (status, number) == (int(F.JPG), 1)
    while (chunk := state.remote_capture.get_data(int(F.JPG))) is not None and chunk[1]:
        pass
    assert not state.remote_capture.pending
    clock.advance(10)
    host.pump()
    assert not host.running
    sup, ok, tgt = rets(drain(host))
    assert struct.unpack("<i", sup[1])[0] & int(F.JPG)
    assert ok == (MessageSubtype.BOOLEAN, i32(1))
    assert tgt == (MessageSubtype.INTEGER, i32(int(F.JPG)))
    assert not card.to_local("A/DCIM/100CANON/IMG_0001.JPG").exists()


def test_remote_capture_timeout_ends_the_shot(
    host: ScriptHost, clock: SimClock, state: CameraState
) -> None:
    from chdkptp._generated.chdk_codes import CaptureFormatFlags as F

    state.switch_mode(True)
    clock.advance(500)
    src = (
        "init_usb_capture(1) set_usb_capture_timeout(3000) shoot() return get_usb_capture_target()"
    )
    host.execute(src.encode(), ALL)
    host.pump()
    clock.advance(2000)
    host.pump()
    assert host.running
    clock.advance(2000)  # nobody downloaded: capture is cancelled, the shot completes
    host.pump()
    assert rets(drain(host)) == [(MessageSubtype.INTEGER, i32(0))]
    assert state.remote_capture.is_ready() == (int(F.NOTSET), 0)


# -- files ----------------------------------------------------------------------------------


def test_io_write_read_and_os_functions(host: ScriptHost, card: VirtualCard) -> None:
    src = r"""
    assert(os.mkdir("A/TEST"))
    local f = assert(io.open("A/TEST/A.TXT", "w"))
    f:write("line1\n", 42, "\nline3")
    f:close()
    local g = assert(io.open("A/TEST/A.TXT", "a"))
    g:write("!")
    g:close()
    local r = io.open("A/TEST/A.TXT")
    local l1, n, rest = r:read("*l", "*n", "*a")
    r:close()
    local st = os.stat("A/TEST/A.TXT")
    local names = os.listdir("A/TEST")
    local ok_missing, err = io.open("A/TEST/NOPE.TXT")
    return l1, n, rest, st.size, st.is_file, names[1], #names, ok_missing, err
    """
    assert rets(run(host, src)) == [
        (MessageSubtype.STRING, b"line1"),
        (MessageSubtype.INTEGER, i32(42)),
        (MessageSubtype.STRING, b"\nline3!"),
        (MessageSubtype.INTEGER, i32(15)),
        (MessageSubtype.BOOLEAN, i32(1)),
        (MessageSubtype.STRING, b"A.TXT"),
        (MessageSubtype.INTEGER, i32(1)),
        (MessageSubtype.NIL, i32(0)),
        (MessageSubtype.STRING, b"A/TEST/NOPE.TXT: No such file or directory"),
    ]
    assert card.to_local("A/TEST/A.TXT").read_bytes() == b"line1\n42\nline3!"
    src = "return os.remove('A/TEST/A.TXT'), os.remove('A/TEST'), (os.stat('A/TEST'))"
    assert [s for s, _ in rets(run(host, src))] == [
        MessageSubtype.BOOLEAN,
        MessageSubtype.BOOLEAN,
        MessageSubtype.NIL,
    ]


def test_paths_are_case_insensitive_like_fat(host: ScriptHost, card: VirtualCard) -> None:
    (card.root / "CHDK" / "SCRIPTS" / "HELLO.LUA").write_bytes(b"return 'hi'")
    assert rets(run(host, "return dofile('A/chdk/scripts/hello.lua')")) == [
        (MessageSubtype.STRING, b"hi")
    ]


def test_escapes_are_refused(host: ScriptHost, card: VirtualCard) -> None:
    src = (
        "local a, e = io.open('A/../outside.txt', 'w') local b = os.listdir('/etc') return a, e, b"
    )
    a, e, b = rets(run(host, src))
    assert a == (MessageSubtype.NIL, i32(0))
    assert e[0] == MessageSubtype.STRING and b".." in e[1]
    assert b == (MessageSubtype.NIL, i32(0))
    assert not (card.root.parent / "outside.txt").exists()


def test_unclosed_files_are_flushed_when_the_script_ends(
    host: ScriptHost, card: VirtualCard
) -> None:
    run(host, "local f = io.open('A/LOG.TXT', 'w') f:write('kept')")
    assert card.to_local("A/LOG.TXT").read_bytes() == b"kept"


def test_card_module_wins_over_the_builtin_one(host: ScriptHost, card: VirtualCard) -> None:
    lualib = card.root / "CHDK" / "LUALIB"
    lualib.mkdir(parents=True)
    (lualib / "CAPMODE.LUA").write_bytes(b"return {origin = 'card'}")
    assert rets(run(host, "return require('capmode').origin")) == [(MessageSubtype.STRING, b"card")]
    ok, err = run(host, "return pcall(require, '_glue')")
    assert ok.data == i32(0)  # glue files are not modules
    assert b"module '_glue' not found" in err.data


def test_kill_flushes_open_files(host: ScriptHost, card: VirtualCard) -> None:
    host.execute(b"local f = io.open('A/K.TXT', 'w') f:write('partial') sleep(100000)", ALL)
    host.pump()
    host.kill()
    assert card.to_local("A/K.TXT").read_bytes() == b"partial"


def test_require_loadfile_dofile(host: ScriptHost, card: VirtualCard) -> None:
    lualib = card.root / "CHDK" / "LUALIB"
    lualib.mkdir(parents=True)
    (lualib / "MYLIB.LUA").write_bytes(
        b"local m = {} loads = (loads or 0) + 1 function m.twice(x) return 2 * x end return m"
    )
    (card.root / "CHDK" / "SCRIPTS" / "BAD.LUA").write_bytes(b"x = = 1")
    src = """
    local m = require('mylib')
    local m2 = require('mylib')
    local f, err = loadfile('A/CHDK/SCRIPTS/BAD.LUA')
    local ok, rerr = pcall(require, 'nonexistent')
    return m.twice(21), m == m2, loads, f, err, rerr
    """
    two, same, loads, f, err, rerr = rets(run(host, src))
    assert two == (MessageSubtype.INTEGER, i32(42))
    assert same == (MessageSubtype.BOOLEAN, i32(1))
    assert loads == (MessageSubtype.INTEGER, i32(1))
    assert f == (MessageSubtype.NIL, i32(0))
    assert err[1].endswith(b":1: unexpected symbol near '='")
    assert b"module 'nonexistent' not found" in rerr[1]


def test_standard_libraries(host: ScriptHost) -> None:
    src = """
    local t = {3, 1, 2} table.sort(t)
    return string.format('%d-%s', 7, 'x'), table.concat(t, ','), math.max(3, 9),
      ('abc'):upper(), string.rep('ab', 3), select('#', 1, 2, 3), type(os.time()),
      tostring(string.find('hello', 'll'))
    """
    assert [d for _, d in rets(run(host, src))] == [
        b"7-x",
        b"1,2,3",
        i32(9),
        b"ABC",
        b"ababab",
        i32(3),
        b"number",
        b"3",
    ]


def test_no_python_or_host_escape(host: ScriptHost) -> None:
    src = "return python, debug, os.execute, io.popen, getfenv(0) == _G, _G._G == _G"
    assert [(s, d) for s, d in rets(run(host, src))] == [
        (MessageSubtype.NIL, i32(0)),
        (MessageSubtype.NIL, i32(0)),
        (MessageSubtype.NIL, i32(0)),
        (MessageSubtype.NIL, i32(0)),
        (MessageSubtype.BOOLEAN, i32(1)),
        (MessageSubtype.BOOLEAN, i32(1)),
    ]


# -- acceptance: a script typical of camera use -----------------------------------------------


def test_typical_camera_script(
    host: ScriptHost, clock: SimClock, state: CameraState, card: VirtualCard
) -> None:
    """Interval shooting driven by host messages, with status tables sent back."""
    src = r"""
    local shots = {}
    switch_mode_usb(1)
    local tries = 0
    while not get_mode() do
      sleep(10)
      tries = tries + 1
      if tries > 200 then error('no record mode') end
    end
    write_usb_msg('ready')
    while true do
      local cmd = read_usb_msg(2000)
      if cmd == nil then
        write_usb_msg({status='idle', count=#shots})
      elseif cmd == 'quit' then
        break
      elseif cmd:match('^shoot ') then
        local n = tonumber(cmd:sub(7))
        for i = 1, n do
          shoot()
          shots[#shots + 1] = get_exp_count()
          write_usb_msg(get_exp_count())
          sleep(100)
        end
      end
    end
    return #shots, shots, get_image_dir()
    """
    sid, status = host.execute(src.encode(), ALL)
    assert status == ExecStartStatus.OK
    got: list[ScriptMsg] = []

    def step(ms: int) -> None:
        clock.advance(ms)
        host.pump()
        got.extend(drain(host))

    step(0)
    step(250)
    assert [m.data for m in got] == [b"ready"]
    assert host.write_msg(b"shoot 3", sid) == WriteMsgStatus.OK
    for _ in range(10):
        step(300)
    assert [m.data for m in got[1:4]] == [i32(1), i32(2), i32(3)]
    step(2500)  # no command for 2 s: an idle report
    idle = got[-1]
    assert idle.subtype == MessageSubtype.TABLE
    assert table_lines(idle.data) == {b"status\tidle", b"count\t3"}
    assert host.write_msg(b"quit", 0) == WriteMsgStatus.OK
    step(10)
    assert not host.running
    count, shots, imgdir = got[-3:]
    assert rets([count, shots, imgdir]) == [
        (MessageSubtype.INTEGER, i32(3)),
        (MessageSubtype.TABLE, b"1\t1\n2\t2\n3\t3\n"),
        (MessageSubtype.STRING, b"A/DCIM/100CANON"),
    ]
    files = sorted(p.name for p in card.to_local("A/DCIM/100CANON").iterdir())
    assert files == ["IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG"]
    assert len(state.shots) == 3


# -- what libgphoto2's CHDK driver and chdkptp's rlibs use --------------------------------------


def test_capmode_module_and_capture_modes(
    host: ScriptHost, clock: SimClock, state: CameraState
) -> None:
    from chdkptp.sim.state import CAPTURE_MODES

    src = "local c = require'capmode' return c.get_name(), #c.mode_to_name"
    assert [d for _, d in rets(run(host, src))] == [b"PLAY", i32(len(CAPTURE_MODES))]
    state.switch_mode(True)
    clock.advance(500)
    src = """
    local capmode = require'capmode'
    local names = {}
    for id, name in ipairs(capmode.mode_to_name) do
      if capmode.valid(id) then names[#names + 1] = name end
    end
    local before = capmode.get_name()
    local ok = capmode.set('TV')
    return before, ok, capmode.get_name(), capmode.set('VIDEO_STD'), table.concat(names, ',')
    """
    before, ok, after, video, names = [d for _, d in rets(run(host, src))]
    assert (before, ok, after, video) == (b"P", i32(1), b"TV", i32(0))
    assert names.split(b",") == [n.encode() for n in CAPTURE_MODES if n != "VIDEO_STD"]
    # the module's ids are the state's
    src = (
        "local c = require'capmode' local t = {} "
        "for id, n in ipairs(c.mode_to_name) do t[n] = id end return t"
    )
    (msg,) = run(host, src)
    assert table_lines(msg.data) == {f"{k}\t{v}".encode() for k, v in CAPTURE_MODES.items()}


def test_config_values_drive_raw_and_dng_files(
    host: ScriptHost, clock: SimClock, state: CameraState, card: VirtualCard
) -> None:
    state.switch_mode(True)
    clock.advance(500)
    src = """
    set_raw(1)
    set_config_value(226, 1)
    shoot()
    return get_raw(), get_config_value(226), get_config_value(35), get_config_value(36),
      get_config_value(37), get_config_value(234), get_config_value(99999, 'dflt')
    """
    host.execute(src.encode(), ALL)
    host.pump()
    clock.advance(1000)
    host.pump()
    assert [d for _, d in rets(drain(host))] == [
        i32(1),
        i32(1),
        i32(1),
        i32(1),
        i32(1),
        i32(1),
        i32(0),
    ]
    files = sorted(p.name for p in card.to_local("A/DCIM/100CANON").iterdir())
    assert files == ["CRW_0001.DNG", "IMG_0001.JPG"]
    assert card.to_local("A/DCIM/100CANON/CRW_0001.DNG").read_bytes()[:2] in (b"II", b"MM")


def test_listing_with_stat_tables_and_idir(host: ScriptHost, card: VirtualCard) -> None:
    (card.root / "DCIM" / "100CANON").mkdir()
    (card.root / "DCIM" / "100CANON" / "IMG_0001.JPG").write_bytes(b"x" * 10)
    src = """
    local out = {}
    for name in os.idir('A/DCIM/100CANON') do
      local st = os.stat('A/DCIM/100CANON/' .. name)
      st.name = name
      out[#out + 1] = st
    end
    local dir = os.stat('A/DCIM')
    return out[1].name, out[1].size, out[1].is_file, out[1].attrib, dir.is_dir, dir.attrib,
      type(out[1].mtime)
    """
    assert [d for _, d in rets(run(host, src))] == [
        b"IMG_0001.JPG",
        i32(10),
        i32(1),
        i32(0x20),
        i32(1),
        i32(0x10),
        b"number",
    ]


def test_misc_helpers(host: ScriptHost) -> None:
    src = """
    local m = get_meminfo()
    return m.free_block_max_size > 0, iso_to_sv96(100), sv96_to_iso(480),
      sv96_market_to_real(480), iso_real_to_market(iso_market_to_real(400)),
      get_orientation_sensor(), select('#', set_yield(100, 20))
    """
    assert [d for _, d in rets(run(host, src))] == [
        i32(1),
        i32(480),
        i32(100),
        i32(411),
        i32(400),
        i32(0),
        i32(2),
    ]


def test_gphoto_style_serializer_and_exec_flags_zero(host: ScriptHost) -> None:
    """A client-supplied serializer replaces usb_msg_table_to_string (flags 0, as libgphoto2)."""
    src = r"""
    local function ser(v)
      if type(v) == 'table' then
        local r = {}
        for k, x in pairs(v) do r[#r + 1] = k .. '=' .. ser(x) end
        table.sort(r)
        return '{' .. table.concat(r, ',') .. '}'
      elseif type(v) == 'string' then
        return string.format('%q', v)
      end
      return tostring(v)
    end
    usb_msg_table_to_string = ser
    return {dir=get_image_dir(), exp=get_exp_count(), raw=(get_raw() == 1)}
    """
    (msg,) = run(host, src, 0)
    assert msg.subtype == MessageSubtype.TABLE
    assert msg.data == b'{dir="A/DCIM/100CANON",exp=0,raw=false}'


# -- the default table format against a model -------------------------------------------------

_scalar = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.booleans(),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=8),
)
_key = st.one_of(
    st.integers(min_value=1, max_value=50),
    st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True),
)


def _lua_literal(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert isinstance(v, list)
    return "{" + ",".join(_lua_literal(x) for x in v) + "}"


def _text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=st.dictionaries(_key, st.one_of(_scalar, st.lists(_scalar, max_size=4)), max_size=6))
def test_default_table_format_matches_the_model(
    host: ScriptHost, table: dict[object, object]
) -> None:
    body = ",".join(f"[{_lua_literal(k)}]={_lua_literal(v)}" for k, v in table.items())
    (msg,) = run(host, "return {" + body + "}")
    expected = []
    for k, v in table.items():
        fields = "".join("\t" + _text(x) for x in v) if isinstance(v, list) else "\t" + _text(v)
        if fields:
            expected.append(f"{_text(k)}{fields}")
    assert sorted(msg.data.decode().split("\n")[:-1] if msg.data else []) == sorted(expected)

"""End-to-end CHDK script tests: client → pyusb → simulated backend → simulated camera Lua."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from chdkptp._generated.chdk_codes import ChdkCommand, ErrorSubtype, ExecFlags, MessageType
from chdkptp._generated.ptp_codes import OperationCode
from chdkptp.camera import Camera
from chdkptp.errors import (
    ChdkError,
    ChdkTimeoutError,
    LuaDecodeError,
    ScriptError,
    ScriptRunningError,
    UnsupportedProtocolError,
)
from chdkptp.script import ScriptMessage, script_error
from chdkptp.sim import SimulatedCamera, StaleMessage


def exec_flags_sent(sim: SimulatedCamera) -> list[int]:
    return [
        params[1]
        for op, params in sim.operations_log
        if op == OperationCode.CHDK and params and params[0] == ChdkCommand.EXECUTE_SCRIPT
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("return nil", None),
        ("return true", True),
        ("return false", False),
        ("return 42", 42),
        ("return -7", -7),
        ("return 'hello'", "hello"),
        ("return ''", ""),
        ("return 'tab\\tnew\\nline \"q\" \\\\'", 'tab\tnew\nline "q" \\'),
        ("return {}", {}),
        ("return {1, 2, 3}", [1, 2, 3]),
        ("return {a = 1, b = 'x'}", {"a": 1, "b": "x"}),
        ("return {1, {2, {3, {k = {true, false}}}}, s = 'v'}",
         {1: 1, 2: [2, [3, {"k": [True, False]}]], "s": "v"}),
        ("return {[5] = 'five', ['end'] = 2}", {5: "five", "end": 2}),
    ],
)
def test_run_lua_returns_each_type(cam: Camera, code: str, expected: object) -> None:
    assert cam.run_lua(code) == expected


def test_run_lua_no_value_is_none(cam: Camera) -> None:
    assert cam.run_lua("local x = 1") is None


def test_run_lua_multiple_values_are_a_tuple(cam: Camera) -> None:
    assert cam.run_lua("return 1, 'two', {3}, nil, false") == (1, "two", [3], None, False)


def test_unsupported_type_is_reported(cam: Camera) -> None:
    value = cam.run_lua("return print")
    assert getattr(value, "type_name", None) == "function"


def test_default_flags_nokill_and_flush(cam: Camera, sim: SimulatedCamera) -> None:
    cam.run_lua("return 1")
    flags = exec_flags_sent(sim)[-1]
    assert flags == ExecFlags.NOKILL | ExecFlags.FLUSH_CAM_MSGS | ExecFlags.FLUSH_HOST_MSGS
    cam.run_lua("return 1", kill_running=True, flush=False)
    assert exec_flags_sent(sim)[-1] == 0


def test_compile_error_has_user_line(cam: Camera) -> None:
    with pytest.raises(ScriptError) as info:
        cam.run_lua("local a = 1\nlocal b = 2\nreturn = 3\n")
    err = info.value
    assert err.kind == "compile"
    assert err.line == 3
    assert err.script_id is not None
    assert "line 3" in str(err)


def test_runtime_error_has_user_line(cam: Camera) -> None:
    with pytest.raises(ScriptError) as info:
        cam.run_lua("local t = nil\n\nreturn t.x\n")
    err = info.value
    assert err.kind == "runtime"
    assert err.line == 3
    assert "index" in err.text


def test_runtime_error_without_serializer(cam: Camera) -> None:
    script = cam.execute_script("x = 1\nerror('boom')", serialize=False)
    with pytest.raises(ScriptError) as info:
        script.wait(5)
    assert info.value.line == 2
    assert "boom" in info.value.text


@pytest.mark.parametrize("serialize", [True, False])
@pytest.mark.parametrize(
    ("code", "kind", "line", "detail"),
    [
        ("error('boom')", "runtime", 1, "boom"),
        ("x = 1\n\nlocal t = nil\nreturn t.x", "runtime", 4,
         "attempt to index local 't' (a nil value)"),
        ("x = = 1", "compile", 1, "unexpected symbol near '='"),
        ("local a = 1\nreturn = 3", "compile", 2, "unexpected symbol near '='"),
    ],
)
def test_error_text_reads_in_user_lines(cam: Camera, serialize: bool, code: str, kind: str,
                                        line: int, detail: str) -> None:
    """``str(err)`` names the user's line and drops the camera's ``:<chunk line>:`` prefix;
    ``.text`` keeps the raw text (its line counts the prepended serializer)."""
    with pytest.raises(ScriptError) as info:
        cam.execute_script(code, serialize=serialize).wait(5)
    err = info.value
    assert str(err) == f"{kind} error at line {line}: {detail}"
    assert (err.kind, err.line) == (kind, line)
    raw_line = int(err.text.split(":")[1])
    assert err.text == f":{raw_line}: {detail}"
    assert (raw_line > line) is serialize


def test_error_without_line_keeps_the_text(cam: Camera) -> None:
    with pytest.raises(ScriptError) as info:
        cam.run_lua("error('plain', 0)")
    assert str(info.value) == "runtime error: plain"
    assert info.value.line is None and info.value.text == "plain"


def test_script_error_line_offset() -> None:
    """The sans-IO mapping: lines inside the prepended helpers are reported as such."""
    msg = ScriptMessage(MessageType.ERROR, ErrorSubtype.RUNTIME, 4, ":12: boom",
                        b":12: boom", text=":12: boom", line=12)
    assert str(script_error(msg)) == "runtime error at line 12: boom"
    err = script_error(msg, line_offset=10)
    assert (str(err), err.line, err.text) == ("runtime error at line 2: boom", 2, ":12: boom")
    inside = script_error(msg, line_offset=12)
    assert inside.line == 12
    assert str(inside) == "runtime error at line 12 of chdkptp's camera-side helpers: boom"
    named = ScriptMessage(MessageType.ERROR, ErrorSubtype.COMPILE, 1,
                          '[string "x"]:3: oops', b"", text='[string "x"]:3: oops', line=3)
    assert str(script_error(named, line_offset=1)) == "compile error at line 2: oops"
    with pytest.raises(ValueError, match="line_offset"):
        script_error(msg, line_offset=-1)


def test_error_after_user_messages_still_raises(cam: Camera) -> None:
    seen: list[object] = []
    with pytest.raises(ScriptError):
        cam.run_lua("write_usb_msg('a')\nwrite_usb_msg(2)\nerror('late')",
                    on_message=lambda m: seen.append(m.value))
    assert seen == ["a", 2]


def test_script_running_without_kill_raises(cam: Camera) -> None:
    first = cam.execute_script("sleep(300) return 'first'")
    with pytest.raises(ScriptRunningError):
        cam.execute_script("return 2")
    assert first.wait(5) == "first"


def test_script_running_with_kill_replaces_it(cam: Camera) -> None:
    first = cam.execute_script("sleep(5000) return 'first'")
    second = cam.execute_script("return 'second'", kill_running=True)
    assert second.id != first.id
    assert second.wait(5) == "second"
    assert not cam.script_status().running


def test_kill_script(cam: Camera) -> None:
    script = cam.execute_script("while true do sleep(10) end")
    assert cam.script_status().running
    script.kill()
    assert not cam.script_status().running


def test_wait_timeout(cam: Camera) -> None:
    script = cam.execute_script("sleep(2000)")
    with pytest.raises(ChdkTimeoutError):
        script.wait(0.05)
    script.kill()


def test_messages_both_ways(cam: Camera) -> None:
    code = """
    while true do
      local m = read_usb_msg(2000)
      if m == nil or m == 'quit' then break end
      write_usb_msg('echo:' .. m)
    end
    return 'bye'
    """
    script = cam.execute_script(code)
    script.send("hello")
    assert script.recv(timeout=2) == "echo:hello"
    script.send(b"raw\x00bytes")
    assert script.recv(timeout=2) == "echo:raw\x00bytes"
    script.send({"k": [1, 2]})  # sent as its Lua literal
    assert script.recv(timeout=2) == 'echo:{["k"]={1,2}}'
    cam.write_script_msg("quit", script_id=script.id)
    assert script.wait(5) == "bye"


def test_user_messages_collected_and_iterated(cam: Camera) -> None:
    script = cam.execute_script("for i = 1, 3 do write_usb_msg({n = i}) end return 'done'")
    assert script.wait(5) == "done"
    assert [m.value for m in script.messages()] == [{"n": 1}, {"n": 2}, {"n": 3}]
    script2 = cam.execute_script("write_usb_msg('a') sleep(20) write_usb_msg('b')")
    assert [m.value for m in script2] == ["a", "b"]


def test_read_script_msg(cam: Camera) -> None:
    assert cam.read_script_msg() is None
    script = cam.execute_script("write_usb_msg(7) sleep(20) return 8", serialize=False)
    msg = cam.read_script_msg(timeout=2)
    assert msg is not None
    assert (msg.type, msg.value, msg.script_id) == (MessageType.USER, 7, script.id)
    ret = cam.read_script_msg(timeout=2)
    assert ret is not None and (ret.type, ret.value) == (MessageType.RET, 8)
    assert cam.read_script_msg(timeout=0.01) is None


def test_write_without_running_script(cam: Camera) -> None:
    with pytest.raises(ChdkError) as info:
        cam.write_script_msg("hello")
    assert info.value.status == "not_running"


def test_write_to_wrong_script_id(cam: Camera) -> None:
    script = cam.execute_script("sleep(500)")
    with pytest.raises(ChdkError) as info:
        cam.write_script_msg("hello", script_id=script.id + 100)
    assert info.value.status == "bad_id"
    script.kill()


def test_queue_full(cam: Camera) -> None:
    script = cam.execute_script("sleep(3000)")
    with pytest.raises(ChdkError) as info:
        for i in range(40):
            script.send(f"m{i}")
    assert info.value.status == "queue_full"
    script.kill()


def test_empty_message_refused(cam: Camera) -> None:
    with pytest.raises(ValueError):
        cam.write_script_msg("")


def test_stale_messages_are_dropped(cam: Camera, sim: SimulatedCamera,
                                    caplog: pytest.LogCaptureFixture) -> None:
    script = cam.execute_script("sleep(30) return 'mine'", serialize=False)
    sim.faults.stale_messages.append(
        StaleMessage(script_id=script.id + 50, type=MessageType.RET, subtype=4, data=b"old")
    )
    assert script.wait(5) == "mine"
    assert any("stale" in r.getMessage() for r in caplog.records)


def test_script_status(cam: Camera) -> None:
    status = cam.script_status()
    assert not status.running and not status.has_messages
    script = cam.execute_script("write_usb_msg(1) sleep(300)")
    status = cam.script_status()
    assert status.running
    script.kill()


def test_short_script_returns_quickly(cam: Camera, sim: SimulatedCamera) -> None:
    """A script that ends at once costs only a handful of transactions (adaptive polling)."""
    before = len(sim.operations_log)
    assert cam.run_lua("return 1") == 1
    assert len(sim.operations_log) - before <= 6


@pytest.mark.sim_camera(chdk_version=(2, 5))
def test_old_protocol_checks_status_instead_of_flags(cam: Camera, sim: SimulatedCamera) -> None:
    assert cam.chdk_version == (2, 5)
    assert cam.run_lua("return 5") == 5
    assert exec_flags_sent(sim)[-1] == 0
    running = cam.execute_script("sleep(300)")
    with pytest.raises(ScriptRunningError):
        cam.execute_script("return 1")
    with pytest.raises(UnsupportedProtocolError):
        running.kill()
    running.wait(5)


@pytest.mark.sim_camera(chdk_version=None)
def test_camera_without_chdk(cam: Camera) -> None:
    assert cam.chdk_version is None
    with pytest.raises(UnsupportedProtocolError):
        cam.run_lua("return 1")


@pytest.mark.sim_camera(chdk_version=(2, 2))
def test_old_camera_gates_live_view_era_features(cam: Camera) -> None:
    with pytest.raises(UnsupportedProtocolError):
        cam.chdk(ChdkCommand.REMOTE_CAPTURE_IS_READY)
    assert cam.run_lua("return 3") == 3


def test_code_must_be_str(cam: Camera) -> None:
    with pytest.raises(TypeError):
        cam.run_lua(b"return 1")  # type: ignore[arg-type]


def test_queue_full_waits_for_the_script_to_read(cam: Camera) -> None:
    code = """
    sleep(100)
    local n = 0
    while true do
      local m = read_usb_msg(500)
      if m == nil then break end
      n = n + 1
    end
    return n
    """
    script = cam.execute_script(code)
    for i in range(25):  # more than the 15 usable slots: later sends wait for room
        script.send(f"m{i}", timeout=5.0)
    assert script.wait(10) == 25


def test_streamed_messages_cost_one_transaction_each(cam: Camera, sim: SimulatedCamera) -> None:
    before = len(sim.operations_log)
    seen: list[object] = []
    assert cam.run_lua("for i = 1, 10 do write_usb_msg(i) end return 'end'",
                       on_message=lambda m: seen.append(m.value)) == "end"
    assert seen == list(range(1, 11))
    assert len(sim.operations_log) - before <= 16


def _in_thread(fn: Callable[[], object], limit: float = 5.0) -> list[object]:
    """Run ``fn`` in a daemon thread; return [result] or [] if it is still blocked after
    ``limit`` seconds (a safety bound so a regression cannot hang the suite)."""
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    thread.join(limit)
    return out


def test_read_event_without_argument_is_a_poll(cam: Camera) -> None:
    def drain() -> int:
        for n in range(1000):
            if cam.read_event() is None:  # default timeout: a non-blocking poll
                return n
        return -1

    out = _in_thread(drain)
    assert out, "cam.read_event() blocked instead of polling"
    assert isinstance(out[0], int) and out[0] >= 0
    assert cam.read_event(0) is None
    assert cam.read_event(-1.0) is None


FLOOD = "local i = 0\nwhile true do i = i + 1\nwrite_usb_msg(i, 100000) end\n"


def test_wait_times_out_while_messages_keep_arriving(cam: Camera) -> None:
    script = cam.execute_script(FLOOD)
    script.max_pending = 50

    def wait() -> object:
        try:
            script.wait(timeout=0.5)
        except ChdkTimeoutError as exc:
            return exc
        return None

    out = _in_thread(wait)
    assert out, "wait(timeout=0.5) never returned while the script flooded messages"
    assert isinstance(out[0], ChdkTimeoutError)
    assert script.pending <= 50  # bounded memory: the oldest were dropped
    assert script.dropped > 0
    got = script.messages(max_count=10)
    assert 0 < len(got) <= 60
    values = [m.value for m in got]
    assert values == sorted(values)  # the newest kept, in order
    cam.kill_script()


def test_messages_and_stream_are_bounded_during_a_flood(cam: Camera) -> None:
    script = cam.execute_script(FLOOD)
    out = _in_thread(lambda: script.messages(max_count=20))
    assert out and isinstance(out[0], list) and len(out[0]) == 20

    def take() -> object:
        seen = 0
        try:
            for _msg in script.stream(timeout=0.3):
                seen += 1
        except ChdkTimeoutError:
            return seen
        return None

    res = _in_thread(take)
    assert res and isinstance(res[0], int) and res[0] > 0
    assert script.recv(timeout=0.1) is not None
    cam.kill_script()


def test_max_pending_must_be_positive(cam: Camera) -> None:
    script = cam.execute_script("return 1")
    with pytest.raises(ValueError):
        script.max_pending = 0
    assert script.wait() == 1


def test_other_threads_run_transactions_while_run_lua_waits(cam: Camera,
                                                            sim: SimulatedCamera) -> None:
    finished = threading.Event()
    errors: list[BaseException] = []

    def long_script() -> None:
        try:
            cam.run_lua("sleep(3000)\nreturn 1", timeout=30.0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            finished.set()

    worker = threading.Thread(target=long_script, daemon=True)
    worker.start()
    for _ in range(2000):  # the script has started once the camera says so
        if sim.scripts.running:
            break
        threading.Event().wait(0.001)
    assert sim.scripts.running
    status = cam.script_status()
    frame = cam.live_view_frame()
    assert not finished.is_set(), "script_status / live_view_frame waited for the script"
    assert status.running
    assert frame.viewport is not None
    worker.join(30.0)
    assert finished.is_set() and not errors


def test_close_all_sessions_does_not_hang_on_a_busy_session(cam: Camera) -> None:
    from chdkptp.session import close_all_sessions

    held = threading.Event()
    release = threading.Event()

    def hold() -> None:  # stands for a daemon thread stuck inside a transaction
        with cam.session.lock:
            held.set()
            release.wait(30.0)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(5.0)
    try:
        out = _in_thread(lambda: close_all_sessions(lock_timeout=0.05))
        assert out == [None], "close_all_sessions blocked on the busy session"
        assert cam.closed
    finally:
        release.set()
        holder.join(5.0)


@pytest.mark.sim_camera(chdk_version=(2, 5))
def test_old_protocol_never_kills_a_running_script(cam: Camera, sim: SimulatedCamera) -> None:
    running = cam.execute_script("sleep(300)\nreturn 7")
    executes = len(exec_flags_sent(sim))
    with pytest.raises(UnsupportedProtocolError):
        cam.execute_script("return 1", kill_running=True)
    with pytest.raises(UnsupportedProtocolError):
        cam.run_lua("return 1", kill_running=True)
    with pytest.raises(UnsupportedProtocolError):
        cam.reboot()
    assert len(exec_flags_sent(sim)) == executes  # nothing was sent over the running script
    assert sim.reboots == []
    assert running.wait(5) == 7
    assert cam.run_lua("return 2", kill_running=True) == 2  # nothing running: allowed


BAD_TABLE = (
    "usb_msg_table_to_string = function(t) return '{{{ not lua' end\n"
    "write_usb_msg('before')\nwrite_usb_msg({1})\nwrite_usb_msg('after')\nreturn 42\n"
)


def test_undecodable_table_is_raised_after_draining(cam: Camera, sim: SimulatedCamera) -> None:
    seen: list[object] = []
    script = cam.execute_script(BAD_TABLE, serialize=False)
    with pytest.raises(LuaDecodeError):
        script.wait(timeout=10.0, on_message=lambda m: seen.append(m.value))
    assert seen == ["before", "after"]  # the rest of the script's messages were read
    assert script.done
    assert script._results == [42]
    assert not sim.scripts.running
    assert cam.run_lua("return 1") == 1  # nothing left over


def test_read_script_msg_raises_for_an_undecodable_table(cam: Camera) -> None:
    script = cam.execute_script(BAD_TABLE, serialize=False)
    assert cam.read_script_msg(timeout=5.0).value == "before"  # type: ignore[union-attr]
    with pytest.raises(LuaDecodeError):
        cam.read_script_msg(timeout=5.0)
    script.wait(timeout=10.0)  # the bad table was read here, not by the script

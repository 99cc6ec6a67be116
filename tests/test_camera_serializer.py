"""Tests of chdkptp/camera_lua/serialize.lua on real Lua 5.1 (lupa), decoded with chdkptp.lua."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chdkptp import lua
from tests.test_lua import from_lua

lupa51 = pytest.importorskip("lupa.lua51")

SOURCE = lua.serializer_source()

# Only what a CHDK Lua state offers; the serializer must not need anything else.
_SANDBOX = b"""
local src = ...
local env = {string = string, table = table, type = type, tostring = tostring,
             tonumber = tonumber, pairs = pairs, error = error, math = math}
local f = assert(loadstring(src, "=serialize"))
setfenv(f, env)
f()
return env
"""


def make_runtime() -> tuple[Any, Any]:
    rt = lupa51.LuaRuntime(unpack_returned_tuples=True, register_eval=False, encoding=None)
    env = rt.execute(_SANDBOX, SOURCE.encode())
    return rt, env


_RT, _ENV = make_runtime()
_SERIALIZE = _ENV[b"serialize"]
_EVAL = _RT.eval(
    b"function(s) local f, e = loadstring(s) if not f then error(e) end return f() end"
)


def lua_value(expr: str | bytes) -> Any:
    """A Lua value built by real Lua from the expression text."""
    if isinstance(expr, str):
        expr = lua.encode_str(expr)
    return _EVAL(b"return " + expr)


def serialize(value: Any) -> bytes:
    out = _SERIALIZE(value)
    assert isinstance(out, bytes)
    return out


def check(value: Any) -> bytes:
    """serialize on Lua, loads in Python, compare with Lua's own view; also re-read by Lua."""
    out = serialize(value)
    expected = from_lua(value)
    assert lua.loads(out) == expected
    assert from_lua(_EVAL(b"return " + out)) == expected
    return out


def test_installs_itself_as_usb_msg_table_to_string() -> None:
    same = _RT.eval(b"function(e) return rawequal(e.serialize, e.usb_msg_table_to_string) end")
    assert same(_ENV) is True


def test_works_when_prepended_to_a_script() -> None:
    rt = lupa51.LuaRuntime(unpack_returned_tuples=True, register_eval=False, encoding=None)
    script = SOURCE + "\nreturn usb_msg_table_to_string({1, 2, x = 'y'})\n"
    out = rt.execute(script.encode())
    assert lua.loads(out) == {1: 1, 2: 2, "x": "y"}


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("{1,2,a=3}", b"{1,2,a=3}"),
        ('{["b c"]=4}', b'{["b c"]=4}'),
        ("{}", b"{}"),
        ("{{}}", b"{{}}"),
        ("{true,false}", b"{true,false}"),
        ("{-5,0,2147483647}", b"{-5,0,2147483647}"),
        ('{"a\\"b"}', b'{"a\\"b"}'),
        ('{["end"]=1}', b'{["end"]=1}'),
        ('{["nil"]=1}', b'{["nil"]=1}'),
        ("{_x1=1}", b"{_x1=1}"),
        ('{["1a"]=1}', b'{["1a"]=1}'),
        ("{[-1]=1}", b"{[-1]=1}"),
        ("{[true]=1}", b"{[true]=1}"),
        ("{[2.5]=1}", b"{[2.5]=1}"),
        ("{0.1}", b"{0.1}"),
        ('"plain"', b'"plain"'),
        ("42", b"42"),
        ("nil", b"nil"),
    ],
)
def test_compact_output(expr: str, text: bytes) -> None:
    assert check(lua_value(expr)) == text


def test_fact_sheet_example() -> None:
    out = check(lua_value('{1,2,a=3,["b c"]=4}'))
    assert out.startswith(b"{1,2,")
    assert lua.loads(out) == {1: 1, 2: 2, "a": 3, "b c": 4}


def test_strings_with_every_byte_value() -> None:
    every = bytes(range(256))
    value = lua_value(lua.dumps(every))
    out = serialize(value)
    assert lua.encode_str(lua.loads(out)) == every
    keyed = lua_value(lua.dumps({every: every, "x" * 3: [every]}))
    decoded = lua.loads(serialize(keyed))
    assert decoded == {
        lua.decode_bytes(every): lua.decode_bytes(every),
        "xxx": [lua.decode_bytes(every)],
    }


def test_nil_holes_match_lua() -> None:
    for expr in [
        "{1,nil,3}",
        "{nil,nil,3}",
        "{1,2,nil}",
        "{n=nil}",
        "{[1]=1,[3]=3}",
        "{[2]=2}",
        "{[1]=1,[2]=2,[4]=4}",
    ]:
        check(lua_value(expr))


def test_mixed_and_nested() -> None:
    check(lua_value('{1,{2,{3,{4}}},k={a={b={c="d"}}},[10]=10,[0]=0,[-2]=-2}'))


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("local t = {} t.t = t return t", "cycle"),
        ("local t = {1} return {t, {t, {t}}, loop = {t}}", None),  # shared, not a cycle
        ("return {print}", "unsupported type function"),
        ("return {x = coroutine.create(function() end)}", "unsupported type thread"),
        ("return {[{}] = 1}", "unsupported key type table"),
        ("return {[print] = 1}", "unsupported key type function"),
        ("return {1/0}", "no literal"),
        ("return {-1/0}", "no literal"),
        ("return {0/0}", "no literal"),
        ("return {[1/0] = 1}", "no literal"),
    ],
)
def test_errors(setup: str, message: str | None) -> None:
    value = _EVAL(setup.encode())
    if message is None:
        check(value)
        return
    with pytest.raises(lupa51.LuaError, match=message):
        serialize(value)


def test_depth_limit() -> None:
    ok = _EVAL(b"local t = {} for i = 1, 31 do t = {t} end return t")
    check(ok)
    too_deep = _EVAL(b"local t = {} for i = 1, 32 do t = {t} end return t")
    with pytest.raises(lupa51.LuaError, match="deeper"):
        serialize(too_deep)


def test_error_becomes_lua_error_not_python_crash_in_pcall() -> None:
    pcall_ser = _RT.eval(b"function(f, v) return pcall(f, v) end")
    ok, msg = pcall_ser(_SERIALIZE, _EVAL(b"local t = {} t[1] = t return t"))
    assert ok is False
    assert b"cycle" in msg


# ---------------------------------------------------------------------------------------------
# Hypothesis: arbitrary nested values, built by real Lua from dumps(), serialized by the camera
# code, decoded by loads: the result equals Lua's own view of the table.

_scalars = (
    st.booleans()
    | st.integers(min_value=lua.INT_MIN, max_value=lua.INT_MAX)
    | st.binary(max_size=24)
    | st.text(max_size=12)
)
_keys = (
    st.binary(max_size=8)
    | st.sampled_from(["end", "and", "nil", "true", "_", "a_b", "A9", "9a", "x y", ""])
    | st.integers(min_value=-3, max_value=12)
    | st.booleans()
)
_values = st.recursive(
    _scalars,
    lambda c: st.lists(c | st.none(), max_size=6) | st.dictionaries(_keys, c, max_size=6),
    max_leaves=40,
)


@settings(max_examples=150)
@given(_values)
def test_hypothesis_serialize_then_loads(value: Any) -> None:
    if isinstance(value, dict):
        keys = list(value)
        # True == 1 in Python: such a dict cannot come from (or go to) a Lua table unambiguously
        if any(k is True for k in keys) and 1 in [k for k in keys if k is not True]:
            return
    check(lua_value(lua.dumps(value)))


@settings(max_examples=100)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_hypothesis_float_numbers_on_a_float_lua(x: float) -> None:
    # lupa's Lua 5.1 has double numbers (a camera has integers only); floats must survive.
    out = serialize(lua_value(repr(x)))
    assert lua.loads(out) == x


# ---------------------------------------------------------------------------------------------
# End to end on the simulated camera's script host: serializer prepended to a script, messages
# read as ReadScriptMsg would deliver them, decoded by chdkptp.script.


def _run_on_sim(source: str) -> list[Any]:
    sim_camera = pytest.importorskip("chdkptp.sim.camera")
    from chdkptp.script import decode_message

    host = sim_camera.SimulatedCamera().scripts
    _id, status = host.execute(source.encode(), 0)
    assert status == 0
    for _ in range(10):
        host.pump()
        if not host.running:
            break
    out = []
    while (m := host.read_msg()) is not None:
        out.append(decode_message([m.type, m.subtype, m.script_id, len(m.data)], m.data))
    return out


def test_end_to_end_on_simulated_camera() -> None:
    script = (
        SOURCE
        + '\nwrite_usb_msg({1, 2, a = {b = "x\\0y"}, ["end"] = true})\n'
        + 'return {n = 5, t = {"p", "q"}}, 7, "s", {}\n'
    )
    messages = _run_on_sim(script)
    assert [m.type.name for m in messages] == ["USER", "RET", "RET", "RET", "RET"]
    assert [m.value for m in messages] == [
        {1: 1, 2: 2, "a": {"b": "x\x00y"}, "end": True},
        {"n": 5, "t": ["p", "q"]},
        7,
        "s",
        {},
    ]
    assert messages[0].raw.startswith(b"{")  # the serializer, not CHDK's default text


def test_without_serializer_default_text_is_decoded_lossily() -> None:
    messages = _run_on_sim('return {a = 1, t = {1, 2, 3}, s = "12"}\n')
    assert len(messages) == 1
    assert b"\t" in messages[0].raw
    assert messages[0].value == {"a": 1, "t": [1, 2, 3], "s": 12}  # "12" comes back as 12

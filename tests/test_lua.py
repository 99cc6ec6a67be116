"""Tests of chdkptp.lua: loads() on every camera format, dumps() safety, limits, round trips."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chdkptp import errors, lua
from chdkptp.lua import LuaDecodeError, dumps, loads

lupa51 = pytest.importorskip("lupa.lua51")


def lua_runtime() -> Any:
    return lupa51.LuaRuntime(unpack_returned_tuples=True, register_eval=False, encoding=None)


_RT = lua_runtime()
_LOADSTRING = _RT.eval(
    b"function(s) local f, e = loadstring(s) if f then return f() end error(e) end"
)


def from_lua(value: Any) -> Any:
    """Python view of a lupa (Lua 5.1, encoding=None) value with the design's mapping, written
    independently of :func:`chdkptp.lua.loads` (tests/test_camera_serializer.py uses it too)."""
    if lupa51.lua_type(value) == "table":
        entries: dict[Any, Any] = {}
        for k, v in value.items():
            k = from_lua(k)
            if isinstance(k, float) and k.is_integer():
                k = int(k)
            entries[k] = from_lua(v)
        n = len(entries)
        if n and all(type(k) is int for k in entries) and set(entries) == set(range(1, n + 1)):
            return [entries[i] for i in range(1, n + 1)]
        return entries
    if isinstance(value, bytes):
        return lua.decode_bytes(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def lua_eval(expr: str | bytes) -> Any:
    """Evaluate ``return <expr>`` in real Lua 5.1 and convert the result."""
    if isinstance(expr, str):
        expr = lua.encode_str(expr)
    return from_lua(_LOADSTRING(b"return " + expr))


# ---------------------------------------------------------------------------------------------
# the error class


def test_lua_decode_error_is_reexported_and_typed() -> None:
    assert lua.LuaDecodeError is errors.LuaDecodeError
    assert issubclass(LuaDecodeError, errors.ChdkPtpError)
    assert issubclass(LuaDecodeError, ValueError)


# ---------------------------------------------------------------------------------------------
# concrete formats from the fact sheet (§5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # chdkptp compact (camera rlib default)
        ('{1,2,a=3,["b c"]=4}', {1: 1, 2: 2, "a": 3, "b c": 4}),
        ("{1,2,3}", [1, 2, 3]),
        (
            '{name="IMG_0001.JPG",size=123456,is_dir=false}',
            {"name": "IMG_0001.JPG", "size": 123456, "is_dir": False},
        ),
        ("{[-1]=5,[0]=6,[2.5]=7}", {-1: 5, 0: 6, 2.5: 7}),
        ("{[true]=1,[false]=0}", {True: 1, False: 0}),
        # pretty with the trailing-comma quirk
        ("{\n {\n  1,2\n },\n {\n  3,4\n },\n \n}", [[1, 2], [3, 4]]),
        ("{\n 1,\n 2,\n a={\n  b=true\n }\n}", {1: 1, 2: 2, "a": {"b": True}}),
        # legacy (2014) style
        ("{[1]=1,[2]=2,[3]=3,}", [1, 2, 3]),
        ("{\n lcount=0,\n lstart=0,\n fformat=1,\n}", {"lcount": 0, "lstart": 0, "fformat": 1}),
        ('{[1]="a",[2]={[1]=true,},}', ["a", [True]]),
        # reserved word written bare by the chdkptp serializer bug
        ("{end=2,['then']=3}", {"end": 2, "then": 3}),
        # CHDK default usb_msg_table_to_string text
        ("a\t1\n", {"a": 1}),
        ("t\t1\t2\t3\n", {"t": [1, 2, 3]}),
        ("", {}),
        ("1\t10\n2\t20\n3\tx y\n", [10, 20, "x y"]),
        (
            "ok\ttrue\nname\tA/DCIM\nholes\t1\tnil\t3\nneg\t-7\n",
            {"ok": True, "name": "A/DCIM", "holes": [1, None, 3], "neg": -7},
        ),
        ("f\t\n", {"f": ""}),
        ("k\t1.5\n", {"k": "1.5"}),
        ("caf\xc3\xa9\t\xff\n".encode("latin-1"), {"café": "\udcff"}),
    ],
)
def test_loads_fact_sheet_formats(text: str | bytes, expected: Any) -> None:
    assert loads(text) == expected
    if isinstance(text, str):
        assert loads(text.encode()) == expected


def test_empty_tables_are_dicts_and_nil_drops_fields() -> None:
    assert loads("{}") == {}
    assert loads("{nil}") == {}
    assert loads("{1,nil,3}") == {1: 1, 3: 3}
    assert loads("{1,2,nil}") == [1, 2]
    assert loads("{a=1,a=nil}") == {}
    assert loads("{[1.0]='x',[2]='y'}") == ["x", "y"]


# ---------------------------------------------------------------------------------------------
# scalars


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nil", None),
        ("true", True),
        ("false", False),
        ("0", 0),
        ("-0", 0),
        ("42", 42),
        ("-2147483648", -(2**31)),
        ("2147483647", 2**31 - 1),
        ("0x10", 16),
        ("0XfF", 255),
        ("0xffffffff", 0xFFFFFFFF),
        ("-0x10", -16),
        ("- 5", -5),
        ("1.5", 1.5),
        ("-1.5e3", -1500.0),
        ("1e+20", 1e20),
        ("5.", 5.0),
        (".25", 0.25),
        ("2E-2", 0.02),
        ("  \t\n 7 \r\n", 7),
        ("-- comment\n7 --[[ long\ncomment ]]", 7),
        ("--[==[ ]] ]=] ]==] 8", 8),
        ('"abc"', "abc"),
        ("'a\"b'", 'a"b'),
        ('"a\'b"', "a'b"),
        ('""', ""),
        (r'"\a\b\f\n\r\t\v\\\"\'"', "\a\b\f\n\r\t\v\\\"'"),
        (r'"\0\00\000\65\0651\255"', "\x00\x00\x00AA1\udcff"),
        ('"line1\\\nline2"', "line1\nline2"),
        ('"crlf\\\r\nx"', "crlf\nx"),
        (r'"\x41\x7a"', "Az"),
        ('"a\\z  \n  b"', "ab"),
        (r'"\q\?"', "q?"),
        ('"tab\there"', "tab\there"),
        ("[[long]]", "long"),
        ("[[\nfirst newline dropped]]", "first newline dropped"),
        ("[==[a]]b]=]c]==]", "a]]b]=]c"),
        ("[[a\r\nb\rc]]", "a\nb\nc"),
        (b'"\xc3\xa9"', "é"),
        ('"é"', "é"),
    ],
)
def test_loads_scalars(text: str | bytes, expected: Any) -> None:
    got = loads(text)
    assert got == expected
    assert type(got) is type(expected)


def test_loads_invalid_utf8_uses_surrogateescape() -> None:
    raw = b'"\x80\xfe\xc3"'
    value = loads(raw)
    assert value == "\udc80\udcfe\udcc3"
    assert lua.encode_str(value) == b"\x80\xfe\xc3"


def test_loads_huge_decimal_becomes_float_like_lua() -> None:
    assert loads("9" * 5000) == float("inf")
    assert loads("123456789012345678901234567890") == 123456789012345678901234567890


def test_loads_handwritten_table_syntax() -> None:
    text = """
    {  -- a comment
      'single'; "double",
      [ "spaced key" ] = 0x1F ;
      nested = { { } , { [[x]] } },
      neg = - 3,
      [10] = -2.5e1,
    }
    """
    assert loads(text) == {
        1: "single",
        2: "double",
        "spaced key": 31,
        "nested": [{}, ["x"]],
        "neg": -3,
        10: -25.0,
    }


# ---------------------------------------------------------------------------------------------
# garbage is rejected, never executed


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "}",
        "{1,,2}",
        "{,}",
        "{1 2}",
        "{a=}",
        "{=1}",
        "{[1]}",
        "{[1]=}",
        "{[1=2}",
        "{[nil]=1}",
        "{[{}]=1}",
        "{[0/0]=1}",
        "{a.b=1}",
        "x",
        "os.exit()",
        'os.execute("rm -rf /")',
        "(function() end)()",
        "{a=print('x')}",
        "return 1",
        "1 2",
        "1..2",
        "0x",
        "0xg",
        "1e",
        "1.2.3",
        "12abc",
        "--",
        "--[[ unclosed",
        "-",
        "- -1",
        "--1",
        '"unterminated',
        "'unterminated",
        '"raw\nnewline"',
        '"raw\rcr"',
        '"\\256"',
        "[[unclosed",
        "[=[mismatch]]",
        "[=x",
        "{1}}",
        "{{}",
        "{1}{2}",
        "a\t1",  # default format needs the final newline
        "\tx\n",  # empty key
        "a\n",  # no field
        "   ",
        "nil nil",
        "{[true]=1,[1]=2}",
        "{[1]=2,[true]=1}",
        "{'a' = 1}",
        "{a==1}",
        "@",
        "{1,2,\x00}",
    ],
)
def test_loads_rejects_garbage(text: str) -> None:
    with pytest.raises(LuaDecodeError) as info:
        loads(text)
    assert str(info.value)
    pos = info.value.position
    assert pos is None or 0 <= pos <= len(text.encode())


def test_error_position_points_at_the_problem() -> None:
    with pytest.raises(LuaDecodeError) as info:
        loads("{1,2,@}")
    assert info.value.position == 5
    with pytest.raises(LuaDecodeError) as info:
        loads('{a="x",b=oops}')
    assert info.value.position == 9


def test_loads_never_executes_input() -> None:
    marker = []
    # Nothing in loads can reach Python callables or globals; check that a call-shaped input is
    # rejected before anything could run.
    for text in ["print('x')", "{f()}", "{[f()]=1}", "setmetatable({}, {})", "loadstring('')()"]:
        with pytest.raises(LuaDecodeError):
            loads(text)
    assert marker == []


@pytest.mark.parametrize("bad", [None, 5, 1.5, ["{}"], object()])
def test_loads_type_errors(bad: Any) -> None:
    with pytest.raises(TypeError):
        loads(bad)


def test_loads_rejects_str_with_lone_surrogate_that_is_not_a_byte() -> None:
    with pytest.raises(LuaDecodeError):
        loads('"\ud800"')


@given(st.text(max_size=60) | st.binary(max_size=60))
def test_loads_only_ever_raises_lua_decode_error(text: str | bytes) -> None:
    with contextlib.suppress(LuaDecodeError):
        loads(text)


_FRAGMENTS = [
    "{",
    "}",
    ",",
    ";",
    "=",
    "[",
    "]",
    "1",
    "-",
    "0x1",
    '"s"',
    "'t'",
    "a",
    "nil",
    "true",
    " ",
    "\n",
    "\t",
    "--",
    "[[x]]",
    ".5",
    "e",
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=30))
def test_loads_token_soup_matches_real_lua(parts: list[str]) -> None:
    """Differential test: whatever loads accepts as a Lua literal, Lua 5.1 reads the same."""
    text = "".join(parts)
    try:
        value = loads(text)
    except LuaDecodeError:
        return
    if lua._WS.fullmatch(text) or lua._DEFAULT_FORMAT.fullmatch(text):
        # No expression (Lua returns nothing, loads reads "" as CHDK's empty table), or text
        # that loads may have read as CHDK's default format ("e\t\n" is a global name in Lua).
        return
    if _lua_accepts(text):
        assert value == lua_eval(text)


def _lua_accepts(text: str) -> bool:
    try:
        _LOADSTRING(b"return " + text.encode())
    except lupa51.LuaError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# limits


def test_depth_limit_without_recursion_error() -> None:
    deep = "{" * 100_000 + "}" * 100_000
    with pytest.raises(LuaDecodeError, match="deeper"):
        loads(deep)
    assert loads("{" * 64 + "}" * 64) is not None
    with pytest.raises(LuaDecodeError):
        loads("{" * 65 + "}" * 65)
    nested = loads("{" * 500 + "1" + "}" * 500, max_depth=500)
    for _ in range(499):
        nested = nested[0]
    assert nested == [1]


def test_length_and_item_limits() -> None:
    text = "{" + ",".join(["1"] * 1000) + "}"
    assert loads(text) == [1] * 1000
    with pytest.raises(LuaDecodeError, match="longer"):
        loads(text, max_length=100)
    with pytest.raises(LuaDecodeError, match="values"):
        loads(text, max_items=500)
    with pytest.raises(LuaDecodeError, match="values"):
        loads("a\t1\t2\t3\n" * 10, max_items=20)


def test_loads_large_compact_array() -> None:
    values = list(range(-50_000, 50_000))
    assert loads(dumps(values)) == values


# ---------------------------------------------------------------------------------------------
# dumps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "nil"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-5, "-5"),
        (2**31 - 1, "2147483647"),
        (-(2**31), "-2147483648"),
        (2**31, "0x80000000"),
        (2**32 - 1, "0xffffffff"),
        (3.0, "3"),
        (-0.0, "0"),
        (1.5, "1.5"),
        (1e20, "1e+20"),
        ("abc", '"abc"'),
        ("", '""'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("\n\r\x00\t", '"\\010\\013\\000\\009"'),
        ("é", '"\\195\\169"'),
        ("\udcff", '"\\255"'),
        (b"\x01]]", '"\\001]]"'),
        (bytearray(b"x"), '"x"'),
        (memoryview(b"y"), '"y"'),
        ([], "{}"),
        ([1, "a", None], '{1,"a",nil}'),
        ((1, 2), "{1,2}"),
        ({}, "{}"),
        ({"end": 1}, '{["end"]=1}'),
        ({1: [True], "k": {"x": None}}, '{[1]={true},["k"]={["x"]=nil}}'),
        ({2.5: 1, True: 0}, "{[2.5]=1,[true]=0}"),
    ],
)
def test_dumps_values(value: Any, expected: str) -> None:
    assert dumps(value) == expected


@pytest.mark.parametrize(
    ("value", "exc"),
    [
        (2**32, ValueError),
        (-(2**31) - 1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (-float("inf"), ValueError),
        ("\ud800", ValueError),
        ({None: 1}, ValueError),
        ({float("nan"): 1}, ValueError),
        ({(1, 2): 1}, TypeError),
        ({frozenset(): 1}, TypeError),
        (object(), TypeError),
        ({1, 2}, TypeError),
        ([print], TypeError),
        (complex(1, 2), TypeError),
    ],
)
def test_dumps_rejects(value: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        dumps(value)


def test_dumps_cycles_and_depth() -> None:
    cyc: list[Any] = [1]
    cyc.append(cyc)
    with pytest.raises(ValueError, match="cycle"):
        dumps(cyc)
    d: dict[str, Any] = {}
    d["self"] = d
    with pytest.raises(ValueError, match="cycle"):
        dumps(d)
    shared = [1]
    assert dumps([shared, shared]) == "{{1},{1}}"  # shared, not cyclic
    deep: Any = 1
    for _ in range(64):
        deep = [deep]
    assert dumps(deep).count("{") == 64
    with pytest.raises(ValueError, match="deeper"):
        dumps([deep])
    assert dumps([deep], max_depth=65).count("{") == 65


def test_dumps_every_byte_is_safe_in_real_lua() -> None:
    every = bytes(range(256))
    text = dumps(every)
    assert text.isascii()
    assert all(0x20 <= ord(c) < 0x7F for c in text)
    assert _LOADSTRING(b"return " + text.encode()) == every


@pytest.mark.parametrize(
    "evil",
    [
        '"; os.exit() --',
        "]] .. os.exit() .. [[",
        "\\",
        '\\"',
        "\n--",
        "\x00",
        "\\\n",
        "]=]",
    ],
)
def test_dumps_strings_cannot_break_out(evil: str) -> None:
    code = "local s = " + dumps(evil) + "\nreturn s, 'after'"
    result = _LOADSTRING(code.encode())
    assert result == (lua.encode_str(evil), b"after")


@given(st.binary(max_size=200))
def test_dumps_bytes_read_back_by_lua_exactly(data: bytes) -> None:
    assert _LOADSTRING(b"return " + dumps(data).encode()) == data


# ---------------------------------------------------------------------------------------------
# round trips


def canon(value: Any) -> Any:
    """What a Lua round trip makes of ``value`` under the design's mapping."""
    if isinstance(value, (bytes, bytearray)):
        return lua.decode_bytes(bytes(value))
    if isinstance(value, float) and value.is_integer() and lua.INT_MIN <= value <= lua.UINT_MAX:
        return int(value)
    if isinstance(value, (list, tuple)):
        return lua._as_list_or_dict({i: canon(v) for i, v in enumerate(value, 1) if v is not None})
    if isinstance(value, dict):
        return lua._as_list_or_dict({canon(k): canon(v) for k, v in value.items() if v is not None})
    return value


_scalars = (
    st.booleans()
    | st.integers(min_value=lua.INT_MIN, max_value=lua.UINT_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.binary(max_size=20)
)
_keys = (
    st.text(max_size=10)
    | st.integers(min_value=-5, max_value=40)
    | st.floats(allow_nan=False, allow_infinity=False)
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(_keys, children | st.none(), max_size=6)
    ),
    max_leaves=30,
)


@given(st.none() | _values)
def test_loads_dumps_round_trip(value: Any) -> None:
    assert loads(dumps(value)) == canon(value)


@given(
    st.recursive(
        st.booleans() | st.integers(lua.INT_MIN, lua.INT_MAX) | st.text(max_size=10),
        lambda c: (
            st.lists(c, min_size=1, max_size=5)
            | st.dictionaries(st.text(min_size=1, max_size=5), c, min_size=1, max_size=5)
        ),
        max_leaves=20,
    )
)
def test_canonical_values_round_trip_exactly(value: Any) -> None:
    # Non-empty lists, string-keyed dicts, int32 and text: exactly what comes back.
    assert loads(dumps(value)) == value


@settings(max_examples=60)
@given(_values)
def test_dumps_is_valid_lua_with_the_same_value(value: Any) -> None:
    assert lua_eval(dumps(value)) == _lua_numbers(canon(value))


def _lua_numbers(value: Any) -> Any:
    # lupa's Lua 5.1 has double numbers: integers above 2**31-1 written in hex stay unsigned
    # there (a CHDK camera wraps them); floats stay floats.  Only normalise integral floats.
    if isinstance(value, list):
        return [_lua_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _lua_numbers(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def test_str_policy_round_trips_camera_bytes() -> None:
    for raw in [bytes(range(256)), b"\xc3\xa9", b"\xed\xa0\x80", b"\xff\xfe"]:
        assert lua.encode_str(lua.decode_bytes(raw)) == raw
        assert lua.encode_str(loads(dumps(raw))) == raw
    assert math.isinf(loads("1e999"))


# ---------------------------------------------------------------------------------------------
# chdkptp-style text: pretty mode (with its trailing-comma quirk) and the 2014 legacy style,
# written by a small emulator of those serializers.

_BARE_KEY = __import__("re").compile(r"[_A-Za-z][_A-Za-z0-9]*")
# Bracketed here so that real Lua reads the text; the chdkptp bug (bare reserved words) has its
# own case in test_loads_fact_sheet_formats.
_RESERVED = frozenset(
    [
        "and",
        "break",
        "do",
        "else",
        "elseif",
        "end",
        "false",
        "for",
        "function",
        "if",
        "in",
        "local",
        "nil",
        "not",
        "or",
        "repeat",
        "return",
        "then",
        "true",
        "until",
        "while",
    ]
)


def _lua_quote(s: str) -> str:
    # Lua's %q: quote, backslash and newline escaped with a backslash, CR as \r, NUL as \000
    raw = lua.encode_str(s).decode("latin-1")
    out = raw.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\\n")
    return '"' + out.replace("\r", "\\r").replace("\0", "\\000") + '"'


def _emulate(value: Any, style: str, level: int = 1) -> str:
    if isinstance(value, str):
        return _lua_quote(value)
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    items = list(enumerate(value, 1)) if isinstance(value, list) else list(value.items())
    if style == "legacy":
        body = "".join(f"[{_emulate(k, style)}]={_emulate(v, style)}," for k, v in items)
        return "{" + body + "}"
    pad = "\n" + " " * level
    parts: list[str] = []
    for k, v in items:
        text = _emulate(v, style, level + 1)
        if isinstance(value, list):
            # tables and the first scalar of a run start a new line; later scalars follow inline
            newline = (
                isinstance(v, (list, dict)) or k == 1 or isinstance(value[k - 2], (list, dict))
            )
            parts.append(pad + text if newline else text)
        elif isinstance(k, str) and _BARE_KEY.fullmatch(k) and k not in _RESERVED:
            parts.append(f"{pad}{k}={text}")
        else:
            parts.append(f"{pad}[{_emulate(k, style)}]={text}")
    out = ",".join(parts)
    if isinstance(value, list) and value and isinstance(value[-1], (list, dict)):
        out += "," + pad  # the pretty-mode quirk: a comma (and indent) before the brace
    return "{" + out + "\n" + " " * (level - 1) + "}"


_plain = st.recursive(
    st.booleans() | st.integers(lua.INT_MIN, lua.INT_MAX) | st.text(max_size=8),
    lambda c: (
        st.lists(c, min_size=1, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=6), c, min_size=1, max_size=4)
    ),
    max_leaves=25,
)


@given(_plain, st.sampled_from(["pretty", "legacy"]))
def test_chdkptp_pretty_and_legacy_text(value: Any, style: str) -> None:
    data = _emulate(value, style).encode("latin-1")  # the emulator works on a byte view
    assert loads(data) == value
    assert lua_eval(data) == value  # the emulated text is real Lua


def test_emulator_matches_fact_sheet_example() -> None:
    assert _emulate([[1, 2], [3, 4]], "pretty") == "{\n {\n  1,2\n },\n {\n  3,4\n },\n \n}"
    assert _emulate([1, 2, 3], "legacy") == "{[1]=1,[2]=2,[3]=3,}"


def test_dumps_ignores_subclass_overrides() -> None:
    import enum

    class EvilStr(str):
        def encode(self, *args: Any, **kwargs: Any) -> bytes:  # type: ignore[override]
            return b'"; os.exit() --'

        def __str__(self) -> str:
            return '"; os.exit() --'

    class EvilInt(int):
        def __str__(self) -> str:
            return "os.exit()"

        __repr__ = __str__

    class EvilFloat(float):
        def __repr__(self) -> str:
            return "os.exit()"

    class Color(enum.IntEnum):
        RED = 3

    assert dumps(EvilStr("ab")) == '"ab"'
    assert dumps(EvilInt(7)) == "7"
    assert dumps(EvilFloat(1.5)) == "1.5"
    assert dumps(Color.RED) == "3"
    assert dumps({EvilStr("k"): EvilInt(1)}) == '{["k"]=1}'

"""Lua value codec: camera text → Python (:func:`loads`), Python → Lua literals (:func:`dumps`).

What belongs here: turning the text of a CHDK TABLE message (or any Lua literal) into Python
values without evaluating it, and writing Python values as Lua literals that can be spliced
into a camera script.  Nothing here talks to a camera (layer L2, sans-IO).

Value mapping (design §4): ``nil`` → ``None``, booleans → ``bool``, integers → ``int``,
numbers written with a ``.`` or an exponent → ``float``, strings → ``str``; a table whose keys
are exactly ``1..n`` (n ≥ 1) → ``list``, any other table (including the empty one) → ``dict``.
As in Lua, a ``nil`` value stores nothing: ``{1,nil,3}`` is the table ``{[1]=1,[3]=3}`` and
becomes ``{1: 1, 3: 3}``.

Strings are bytes on the camera.  Policy: bytes are decoded as UTF-8 with the
``surrogateescape`` error handler.  That never fails, shows normal text as text, and
``s.encode("utf-8", "surrogateescape")`` gives back the camera's exact bytes.  :func:`dumps`
applies the inverse, so ``loads(dumps(s)) == s`` for every ``str`` without lone surrogates.

:func:`loads` accepts two formats (see its docstring):

* Lua literals: chdkptp's serializer (compact or pretty, including the pretty-mode trailing
  comma and the 2014 ``{[1]=1,[2]=2,}`` style) and hand-written table constructors (single or
  double quotes, all Lua 5.1 escapes plus ``\\xXX`` / ``\\z`` from 5.2, long strings, ``;``
  separators, decimal / hex / exponent numbers, comments);
* CHDK's default ``usb_msg_table_to_string`` text (``"key\\tv1\\tv2\\n"`` lines), which is lossy.
"""

from __future__ import annotations

import logging
import math
import re
from functools import cache
from importlib import resources
from typing import Any

from chdkptp.errors import LuaDecodeError

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_MAX_LENGTH",
    "INT_MAX",
    "INT_MIN",
    "UINT_MAX",
    "LuaDecodeError",
    "camera_lua_source",
    "decode_bytes",
    "dumps",
    "encode_str",
    "loads",
    "serializer_source",
]

logger = logging.getLogger(__name__)

#: Deepest table nesting :func:`loads` and :func:`dumps` accept.
DEFAULT_MAX_DEPTH = 64
#: Longest input :func:`loads` accepts, in bytes (16 MiB, far above any camera message).
DEFAULT_MAX_LENGTH = 1 << 24
#: Most values (table fields and scalars, counted together) one :func:`loads` call builds.
DEFAULT_MAX_ITEMS = 1_000_000

# CHDK's Lua numbers are 32-bit signed C ints.  Integers above INT_MAX (up to UINT_MAX) are
# written in hex, which the camera's lexer reads with strtoul and wraps into the same 32 bits
# (the trick chdkptp's fix_bignum uses for addresses such as 0xff810000).
INT_MIN = -(1 << 31)
INT_MAX = (1 << 31) - 1
UINT_MAX = (1 << 32) - 1

_ENCODING = "utf-8"
_ERRORS = "surrogateescape"


def decode_bytes(data: bytes) -> str:
    """Decode camera string bytes by the module's policy (UTF-8, surrogateescape); never fails."""
    return data.decode(_ENCODING, _ERRORS)


def encode_str(text: str) -> bytes:
    """Encode ``text`` to the camera bytes :func:`decode_bytes` would have decoded it from.

    Raises:
        ValueError: ``text`` holds a lone surrogate that does not stand for a byte.
    """
    try:
        return str.encode(text, _ENCODING, _ERRORS)  # not a subclass's own encode()
    except UnicodeEncodeError as exc:
        raise ValueError(f"string cannot be encoded for the camera: {exc}") from exc


@cache
def camera_lua_source(name: str) -> str:
    """Return the camera-side Lua file ``name`` shipped as package data (``camera_lua/``).

    The one loader of those files (serializer, control and file helpers); the text always
    ends with a newline, so files can be concatenated and their lines counted.  Raises
    ``FileNotFoundError`` for an unknown name.
    """
    text = resources.files("chdkptp").joinpath("camera_lua").joinpath(name).read_text("utf-8")
    return text if text.endswith("\n") else text + "\n"


def serializer_source() -> str:
    """Return the camera-side serializer (package data ``camera_lua/serialize.lua``).

    Prepend it to a script whose return values or ``write_usb_msg`` values are tables: it
    defines ``serialize(v)`` and sets ``usb_msg_table_to_string = serialize``, so tables arrive
    as Lua literals that :func:`loads` decodes with their types intact.
    """
    return camera_lua_source("serialize.lua")


# --------------------------------------------------------------------------------------------
# loads: scanner
#
# The input is handled as a str in which each character is one byte (latin-1 view), so the
# regular expressions below see the camera's bytes; string literals are converted to the
# decoding policy above once they are complete.

# Whitespace and comments, the prefix _TOKEN skips before each token (for callers that must
# tell text without any value apart).
_WS = re.compile(r"(?:[ \t\n\r\f\v]+|--(?:\[(=*)\[.*?\]\1\]|(?!\[=*\[)[^\n]*))*", re.S)
_NUM = r"(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
_NUMBER = re.compile(
    r"(-?)[ \t\n\r\f\v]*(?:0[xX]([0-9a-fA-F]+)|([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?"
    r"|\.[0-9]+(?:[eE][+-]?[0-9]+)?))"
)
# Short string bodies, unrolled so that a missing quote cannot cause catastrophic backtracking.
_DQ_BODY = r'[^"\\\r\n]*(?:\\(?:z[ \t\n\r\f\v]*|\r\n|\n\r|[\s\S])[^"\\\r\n]*)*'
_SQ_BODY = r"[^'\\\r\n]*(?:\\(?:z[ \t\n\r\f\v]*|\r\n|\n\r|[\s\S])[^'\\\r\n]*)*"
# One token, with the whitespace and comments before it.  The group that matched
# (``lastgroup``) names it; "end" is the end of the input, "bad" a character that starts no
# token (an unclosed long comment also ends up there).
_TOKEN = re.compile(
    r"(?:[ \t\n\r\f\v]+|--(?:\[(?P<ceq>=*)\[.*?\](?P=ceq)\]|(?!\[=*\[)[^\n]*))*(?:"
    r"(?P<int>-?[0-9]+)(?![0-9A-Za-z_.])"
    r"|(?P<sep>[,;])"
    rf'|"(?P<dq>{_DQ_BODY})"'
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<assign>=)"
    r"|(?P<lbrace>\{)"
    r"|(?P<rbrace>\})"
    r"|(?P<long>\[(?P<leq>=*)\[.*?\](?P=leq)\])"
    r"|(?P<lbr>\[)"
    r"|(?P<rbr>\])"
    rf"|'(?P<sq>{_SQ_BODY})'"
    rf"|(?P<num>-?[ \t\n\r\f\v]*{_NUM})(?![0-9A-Za-z_.])"
    r"|(?P<end>\Z)"
    r"|(?P<bad>.)"
    r")",
    re.S,
)
_ESCAPE = re.compile(
    r"\\(?:(\r\n|\n\r|\n|\r)|([0-9]{1,3})|x([0-9a-fA-F]{2})|(z[ \t\n\r\f\v]*)|(.))", re.S
)
_NEWLINES = re.compile(r"\r\n|\n\r|\r|\n")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_NAME_VALUES: dict[str, Any] = {"nil": None, "true": True, "false": False}

# CHDK default format: lines "key" + ("\t" field)+ + "\n"; keys and fields are non-empty text
# without tab or newline, fields may be empty.
_DEFAULT_FORMAT = re.compile(r"(?:[^\t\n]+(?:\t[^\t\n]*)+\n)*")
_DEFAULT_INT = re.compile(r"-?[0-9]+")

_POSITIONAL = object()  # marker: the next value in a table constructor has no explicit key
_VALUE, _FIELD, _NAMED, _KEY, _KEY_CLOSE, _KEY_EQ, _AFTER, _DONE = range(8)  # parser states


def _text(latin: str) -> str:
    """Turn a latin-1 view of camera bytes into a str with the decoding policy."""
    if latin.isascii():
        return latin
    return latin.encode("latin-1").decode(_ENCODING, _ERRORS)


def _unescape(body: str, pos: int) -> str:
    """Resolve the escapes of a short string body (latin-1 view); ``pos`` is for errors."""

    def replace(m: re.Match[str]) -> str:
        newline, digits, hexdigits, skip, other = m.groups()
        if newline is not None:
            return "\n"
        if digits is not None:
            code = int(digits)
            if code > 0xFF:
                raise LuaDecodeError(
                    f"escape sequence \\{digits} too large at offset {pos}", position=pos
                )
            return chr(code)
        if hexdigits is not None:
            return chr(int(hexdigits, 16))
        if skip is not None:
            return ""
        return _SIMPLE_ESCAPES.get(other, other)

    return _ESCAPE.sub(replace, body)


class _Frame:
    """One table constructor being parsed."""

    __slots__ = ("bools", "entries", "key", "next_index", "start")

    def __init__(self, start: int) -> None:
        self.entries: dict[Any, Any] = {}
        self.next_index = 0
        self.key: Any = _POSITIONAL
        self.bools: set[bool] | None = None
        self.start = start

    def put(self, value: Any, pos: int) -> None:
        key = self.key
        self.key = _POSITIONAL
        if key is _POSITIONAL:
            self.next_index += 1
            key = self.next_index
        elif type(key) is bool:
            if self.bools is None:
                self.bools = set()
            if key not in self.bools and key in self.entries:
                raise LuaDecodeError(
                    f"table at offset {self.start} has both the key {key} and the number "
                    f"{int(key)}, which Python cannot tell apart",
                    position=pos,
                )
            self.bools.add(key)
        elif (key == 0 or key == 1) and self.bools and key in self.bools:
            raise LuaDecodeError(
                f"table at offset {self.start} has both the number {key} and the key "
                f"{bool(key)}, which Python cannot tell apart",
                position=pos,
            )
        if value is None:
            self.entries.pop(key, None)
        else:
            self.entries[key] = value

    def finish(self) -> Any:
        return _as_list_or_dict(self.entries)


def _as_list_or_dict(entries: dict[Any, Any]) -> Any:
    n = len(entries)
    if n == 0:
        return {}
    for i in range(1, n + 1):
        if i not in entries:
            return entries
    # Keys are 1..n, but True == 1 in Python: a lone boolean key is not an array.
    if any(type(k) is not int for k in entries):
        return entries
    return [entries[i] for i in range(1, n + 1)]


class _Parser:
    """Iterative (explicit stack) parser of one Lua literal held as a latin-1 str.

    :data:`_TOKEN` splits the whole input into tokens (``finditer``; a ``bad`` token covers any
    character that starts no token, so nothing is skipped silently).  The grammar is a state
    machine over those tokens: ``_VALUE`` (a value is due), ``_FIELD`` (in a table: a field or
    ``}``), ``_NAMED`` (in a table after a name: ``=`` makes it a key), ``_KEY``/``_KEY_CLOSE``/
    ``_KEY_EQ`` (inside ``[key]=``), ``_AFTER`` (after a field: a separator or ``}``) and
    ``_DONE`` (after the top-level value: only the end of input).
    """

    def __init__(self, s: str, max_depth: int, max_items: int) -> None:
        self.s = s
        self.n = len(s)
        self.max_depth = max_depth
        self.max_items = max_items

    def error(self, what: str, pos: int) -> LuaDecodeError:
        return LuaDecodeError(f"{what} at offset {pos}", position=pos)

    def unexpected(self, m: re.Match[str], what: str = "") -> LuaDecodeError:
        kind = m.lastgroup
        pos = m.start(kind) if kind else m.start()
        if kind == "end":
            found = "unexpected end of input"
        elif kind == "bad" and self.s.startswith("--", pos):
            found = "unfinished long comment"
        else:
            found = f"unexpected {self.s[pos : pos + 10]!r}"
        return self.error(f"{what}, {found}" if what else found, pos)

    def scalar(self, m: re.Match[str]) -> Any:
        """Convert a value token that is not ``{``."""
        kind = m.lastgroup
        if kind == "int":
            text = m.group("int")
            try:
                return int(text)
            except ValueError:  # more digits than int() converts: Lua would make it a double
                return float(text)
        if kind == "dq" or kind == "sq":
            body = m.group(kind)
            if "\\" in body:
                body = _unescape(body, m.start(kind) - 1)
            return _text(body)
        if kind == "name":
            name = m.group("name")
            if name in _NAME_VALUES:
                return _NAME_VALUES[name]
            raise self.error(
                f"unexpected name {name!r} (only literals are accepted)", m.start("name")
            )
        if kind == "num":
            return _number(m.group("num"))
        if kind == "long":
            return _long_string(m.group("long"), len(m.group("leq")))
        if kind == "lbr":
            raise self.error("unfinished or invalid long string", m.start("lbr"))
        raise self.unexpected(m)

    def parse(self) -> Any:
        stack: list[_Frame] = []
        frame: _Frame | None = None
        items = 0
        max_items = self.max_items
        state = _VALUE
        value: Any = None
        key: Any = None
        name_token: re.Match[str] | None = None
        for m in _TOKEN.finditer(self.s):
            kind = m.lastgroup
            if state in (_AFTER, _NAMED):
                if state == _NAMED:
                    assert frame is not None and name_token is not None
                    if kind == "assign":
                        # Reserved words are accepted as bare keys: chdkptp's serializer
                        # writes {end=2} for the key "end".
                        frame.key = name_token.group("name")
                        state = _VALUE
                        continue
                    # The name was a value (nil/true/false) in the array part.
                    items += 1
                    frame.put(self.scalar(name_token), m.start())
                if kind == "sep":
                    state = _FIELD
                    continue
                if kind != "rbrace":
                    raise self.unexpected(m, "',' or '}' expected")
                assert frame is not None
                value = frame.finish()
                stack.pop()
                frame = stack[-1] if stack else None
            elif state in (_VALUE, _FIELD):
                if kind == "int":
                    text = m.group("int")
                    try:
                        value = int(text)
                    except ValueError:  # too many digits for int(): Lua makes a double
                        value = float(text)
                elif kind == "dq":
                    value = m.group("dq")
                    if "\\" in value:
                        value = _unescape(value, m.start("dq") - 1)
                    if not value.isascii():
                        value = _text(value)
                elif kind == "lbrace":
                    if len(stack) >= self.max_depth:
                        raise self.error(
                            f"tables nested deeper than {self.max_depth}", m.start("lbrace")
                        )
                    frame = _Frame(m.start("lbrace"))
                    stack.append(frame)
                    state = _FIELD
                    continue
                elif state == _FIELD and kind == "name":
                    name_token = m
                    state = _NAMED
                    continue
                elif state == _FIELD and kind == "rbrace":
                    assert frame is not None
                    value = frame.finish()
                    stack.pop()
                    frame = stack[-1] if stack else None
                elif state == _FIELD and kind == "lbr":
                    state = _KEY
                    continue
                else:
                    value = self.scalar(m)
            elif state == _KEY:
                if kind == "lbrace":
                    raise self.error("a table cannot be a key", m.start("lbrace"))
                key = _table_key(self.scalar(m), m.start())
                state = _KEY_CLOSE
                continue
            elif state == _KEY_CLOSE:
                if kind != "rbr":
                    raise self.unexpected(m, "']' expected")
                state = _KEY_EQ
                continue
            elif state == _KEY_EQ:
                if kind != "assign":
                    raise self.unexpected(m, "'=' expected")
                assert frame is not None
                frame.key = key
                state = _VALUE
                continue
            else:  # _DONE
                if kind != "end":
                    raise self.unexpected(m, "trailing text after the value")
                return value
            # A complete value: hand it to the enclosing table, or finish.
            items += 1
            if items > max_items:
                raise self.error(f"more than {max_items} values", m.end())
            if frame is None:
                state = _DONE
            elif frame.key is _POSITIONAL and value is not None:
                frame.next_index += 1
                frame.entries[frame.next_index] = value
                state = _AFTER
            else:
                frame.put(value, m.end())
                state = _AFTER
        raise self.error("unexpected end of input", self.n)  # not reached: "end" ends the input


def _number(text: str) -> int | float:
    m = _NUMBER.fullmatch(text)
    assert m is not None
    minus, hexdigits, dec = m.groups()
    value: int | float
    if hexdigits is not None:
        value = int(hexdigits, 16)
    elif "." in dec or "e" in dec or "E" in dec:
        value = float(dec)
    else:
        try:
            value = int(dec)
        except ValueError:  # more digits than int() converts: Lua would make it a double
            value = float(dec)
    return -value if minus else value


def _long_string(token: str, level: int) -> str:
    body = token[level + 2 : -(level + 2)]
    if body[:2] in ("\r\n", "\n\r"):
        body = body[2:]
    elif body[:1] in ("\r", "\n"):
        body = body[1:]
    if "\r" in body:
        body = _NEWLINES.sub("\n", body)
    return _text(body)


def _table_key(key: Any, pos: int) -> Any:
    if key is None:
        raise LuaDecodeError(f"table key is nil at offset {pos}", position=pos)
    if isinstance(key, float):
        if math.isnan(key):
            raise LuaDecodeError(f"table key is NaN at offset {pos}", position=pos)
        if key.is_integer():
            return int(key)  # Lua: t[1.0] and t[1] are the same field
    return key


# --------------------------------------------------------------------------------------------
# loads: CHDK default format


def _default_field(text: str) -> Any:
    if _DEFAULT_INT.fullmatch(text):
        return int(text)
    if text in _NAME_VALUES:
        return _NAME_VALUES[text]
    return _text(text)


def _decode_default(s: str, max_items: int) -> Any:
    entries: dict[Any, Any] = {}
    items = 0
    for line in s.split("\n")[:-1]:
        key_text, *fields = line.split("\t")
        items += 1 + len(fields)
        if items > max_items:
            raise LuaDecodeError(f"more than {max_items} values", position=None)
        key: Any = int(key_text) if _DEFAULT_INT.fullmatch(key_text) else _text(key_text)
        if len(fields) == 1:
            entries[key] = _default_field(fields[0])
        else:
            entries[key] = [_default_field(f) for f in fields]
    return _as_list_or_dict(entries)


# --------------------------------------------------------------------------------------------
# loads


def loads(
    text: str | bytes | bytearray | memoryview,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> Any:
    """Decode a Lua value sent by a camera; the text is parsed, never executed.

    ``text`` is the data of a CHDK TABLE message (``bytes``) or any Lua literal (``str``; it
    is encoded with the module's string policy first, so error offsets count UTF-8 bytes).

    Formats, tried in this order:

    1. **A Lua literal**: ``nil``, ``true``, ``false``, a number, a string or a table
       constructor — what chdkptp's serializer writes (``{1,2,a=3,["b c"]=4}``, pretty or
       compact, a trailing ``,``/``;`` allowed, reserved words accepted as bare keys) and what
       people write by hand.  Numbers written without ``.``/exponent are ``int`` (hex keeps the
       written value, so ``0xffffffff`` is 4294967295); others are ``float``.
    2. **CHDK's default table text** (``usb_msg_table_to_string`` when no serializer was
       installed): lines ``key\\tfield...\\n``.  This format is lossy and decoded by rule:
       a field of the form ``-?[0-9]+`` becomes an ``int``; ``true``/``false``/``nil`` become
       ``True``/``False``/``None``; any other field stays a ``str``.  A line with one field maps
       the key to that value, a line with several fields to a ``list`` (so a one-element table
       value looks like a scalar).  Keys of the form ``-?[0-9]+`` become ``int``, other keys
       stay ``str``; if the keys are exactly ``1..n`` the result is a list.  The empty text is
       the empty table ``{}``.  A string containing a tab or newline corrupts this format; such
       text is rejected when it no longer fits the line pattern.

    Limits (keyword arguments): ``max_depth`` nested tables, ``max_length`` bytes of input,
    ``max_items`` values in total.  Parsing uses an explicit stack, so deep input cannot
    overflow Python's recursion limit.

    Raises:
        LuaDecodeError: the text is not a value in either format, a limit was exceeded, a table
            has a ``nil``/NaN/table key, or both ``true`` and ``1`` as keys.  ``.position`` is
            the byte offset of the problem when known.
        TypeError: ``text`` is not ``str`` or bytes-like.
    """
    if isinstance(text, str):
        if text.isascii():
            s = text
        else:
            try:
                s = text.encode(_ENCODING, _ERRORS).decode("latin-1")
            except UnicodeEncodeError as exc:
                raise LuaDecodeError(
                    f"text holds a character that is not camera bytes: {exc}", position=exc.start
                ) from exc
    elif isinstance(text, (bytes, bytearray, memoryview)):
        s = bytes(text).decode("latin-1")
    else:
        raise TypeError(f"loads() expects str or bytes, not {type(text).__name__}")
    if len(s) > max_length:
        raise LuaDecodeError(
            f"input of {len(s)} bytes is longer than the limit of {max_length}", position=None
        )
    try:
        return _Parser(s, max_depth, max_items).parse()
    except LuaDecodeError:
        if _DEFAULT_FORMAT.fullmatch(s):
            logger.debug("decoding %d bytes as CHDK default table text", len(s))
            return _decode_default(s, max_items)
        raise


# --------------------------------------------------------------------------------------------
# dumps

# Printable ASCII except the quote and the backslash is copied; everything else becomes a
# three-digit decimal escape, so no byte (newline, CR, NUL, quote, "]]") can end the literal.
_QUOTE_TABLE: dict[int, str] = {b: f"\\{b:03d}" for b in range(256) if not 0x20 <= b < 0x7F}
_QUOTE_TABLE[ord('"')] = '\\"'
_QUOTE_TABLE[ord("\\")] = "\\\\"


# Runs of bytes that need escaping (everything but printable ASCII other than '"' and '\\').
_NEEDS_ESCAPE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]+")


def _escape_run(m: re.Match[str]) -> str:
    return m.group().translate(_QUOTE_TABLE)


def _quote(data: bytes) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape_run, data.decode("latin-1")) + '"'


def _dump_int(value: int) -> str:
    if not INT_MIN <= value <= UINT_MAX:
        raise ValueError(
            f"{value} does not fit a CHDK Lua number (32-bit: {INT_MIN}..{UINT_MAX}, "
            f"values above {INT_MAX} are sent as their unsigned hex)"
        )
    if value > INT_MAX:
        return f"0x{value:x}"
    return int.__repr__(value)


def _dump_float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"{value!r} has no Lua literal")
    if value.is_integer() and INT_MIN <= value <= UINT_MAX:
        return _dump_int(int(value))
    return float.__repr__(value)


def _dump_scalar(value: Any) -> str | None:
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    # Subclasses (IntEnum, custom str types) are converted to the plain type first, so their
    # own __str__/__repr__/encode cannot change what is written.
    if isinstance(value, int):
        return _dump_int(int(value))
    if isinstance(value, float):
        return _dump_float(float(value))
    if isinstance(value, str):
        return _quote(encode_str(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _quote(bytes(value))
    return None


def _dump_key(key: Any) -> str:
    if key is None:
        raise ValueError("a Lua table key cannot be nil (None)")
    if isinstance(key, float) and math.isnan(key):
        raise ValueError("a Lua table key cannot be NaN")
    text = _dump_scalar(key)
    if text is None:
        raise TypeError(f"a {type(key).__name__} cannot be a Lua table key")
    return text


def dumps(value: Any, *, max_depth: int = DEFAULT_MAX_DEPTH) -> str:
    """Write ``value`` as a Lua literal that is safe to splice into a camera script.

    Mapping: ``None`` → ``nil``; ``bool``; ``int`` in ``-2**31 .. 2**32-1`` (CHDK numbers are
    32-bit; values above ``2**31-1`` are written in hex, which the camera wraps to the same
    bits); ``float`` if finite — integral values are written as integers, others with
    ``repr`` (only Lua builds with floating-point numbers, not CHDK cameras, accept those);
    ``str`` (encoded with the module's policy) and bytes-like values → a double-quoted string
    in which every byte outside printable ASCII, and ``"`` and ``\\``, is escaped
    (``\\ddd``), so the literal can never be broken out of; ``list``/``tuple`` → ``{a,b}``;
    ``dict`` → ``{[k]=v}`` with every key bracketed (also reserved words).  Subclasses
    (``IntEnum``, ``str`` subclasses) are written as their base type; their own ``__str__``,
    ``__repr__`` or ``encode`` are not used.  The output is one Lua expression; a negative
    number starts with ``-``, so put a space before it when it follows a minus sign
    (``x - -1``, not ``x --1``, which Lua reads as a comment).

    Raises:
        ValueError: an integer out of range, a non-finite float, a nil or NaN key, nesting
            deeper than ``max_depth``, a container that contains itself, or a string with a
            lone surrogate.
        TypeError: a value or key of another type.
    """
    out: list[str] = []
    _dump(value, out, set(), 0, max_depth)
    return "".join(out)


def _dump(value: Any, out: list[str], path: set[int], depth: int, max_depth: int) -> None:
    text = _dump_scalar(value)
    if text is not None:
        out.append(text)
        return
    if isinstance(value, (list, tuple, dict)):
        if depth >= max_depth:
            raise ValueError(f"value is nested deeper than {max_depth} tables")
        ident = id(value)
        if ident in path:
            raise ValueError("value contains itself (cycle); it has no Lua literal")
        path.add(ident)
        out.append("{")
        if isinstance(value, dict):
            first = True
            for key, item in value.items():
                if not first:
                    out.append(",")
                first = False
                out.append("[" + _dump_key(key) + "]=")
                _dump(item, out, path, depth + 1, max_depth)
        else:
            for i, item in enumerate(value):
                if i:
                    out.append(",")
                _dump(item, out, path, depth + 1, max_depth)
        out.append("}")
        path.discard(ident)
        return
    raise TypeError(f"a {type(value).__name__} has no Lua literal")

"""Everything the command line prints: results as text or JSON, tables, errors, progress.

What belongs here: :class:`Output` (one per invocation; ``--json``, ``-v`` and ``-q`` decide
what it writes), JSON conversion of library values (:func:`to_jsonable`), readable tables and
progress bars (both from ``rich``).  Results go to stdout, everything else to stderr, so
``chdkptp --json ... | jq`` always sees clean JSON.  Streams are looked up at each call, so
tests that swap ``sys.stdout`` see the output.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import PurePath
from typing import Any, TextIO

from chdkptp.cli.exitcodes import ExitCode
from chdkptp.lua import dumps

__all__ = ["Output", "Progress", "format_size", "lua_text", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (tuples → lists, dataclasses → dicts, bytes → text)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, (int, str)) else value.name
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return str(value)


def lua_text(value: Any) -> str:
    """A decoded Lua value shown the way a person writes Lua: ``{1, 2, x=3}``.

    Strings at the top level are quoted like nested ones (``"two"``); numbers, booleans and
    ``nil`` as Lua spells them.  Keys 1..n come first without brackets, then the other
    keys sorted (Lua tables have no order; sorted output is stable).
    """
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(lua_text(v) for v in value) + "}"
    if isinstance(value, dict):
        parts: list[str] = []
        n = 1
        while n in value and not isinstance(n, bool):
            parts.append(lua_text(value[n]))
            n += 1
        rest = [(k, v) for k, v in value.items()
                if not (isinstance(k, int) and not isinstance(k, bool) and 1 <= k < n)]
        rest.sort(key=lambda kv: (not isinstance(kv[0], str), str(kv[0])))
        for key, item in rest:
            if isinstance(key, str) and _LUA_NAME.match(key) and key not in _LUA_KEYWORDS:
                parts.append(f"{key}={lua_text(item)}")
            else:
                parts.append(f"[{lua_text(key)}]={lua_text(item)}")
        return "{" + ", ".join(parts) + "}"
    try:
        return dumps(value)
    except (TypeError, ValueError):
        return repr(value)


_LUA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LUA_KEYWORDS = frozenset((
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
))


def format_size(size: int | None) -> str:
    """Bytes as a short human string (``4.0 GiB``)."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


class Progress:
    """A progress display for one long operation; ``update(done, total)`` as data arrives.

    A no-op unless stderr is a terminal and neither ``--json`` nor ``-q`` is given.
    """

    def __init__(self, bar: Any = None, task: Any = None) -> None:
        self._bar = bar
        self._task = task

    def update(self, done: int, total: int | None = None) -> None:
        """Show ``done`` units of ``total`` (None: unknown total)."""
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)

    def callback(self) -> Callable[..., None]:
        """A callback accepting ``(done)``, ``(done, total)`` or ``(name, done, total)``."""

        def report(*args: Any) -> None:
            numbers = [a for a in args if isinstance(a, int) and not isinstance(a, bool)]
            if len(numbers) >= 2:
                self.update(numbers[-2], numbers[-1])
            elif numbers:
                self.update(numbers[0])

        return report


class Output:
    """Writes results, tables, notes and errors for one invocation."""

    def __init__(self, *, json_mode: bool = False, verbose: int = 0, quiet: bool = False,
                 stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.json = json_mode
        self.verbose = verbose
        self.quiet = quiet
        self._stdout = stdout
        self._stderr = stderr

    @property
    def stdout(self) -> TextIO:
        """Where results go (``sys.stdout`` at the time of the call unless fixed)."""
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> TextIO:
        """Where notes, progress and errors go."""
        return self._stderr or sys.stderr

    # --- results ---------------------------------------------------------------------------

    def emit(self, data: Any, text: str | Sequence[str] | None = None) -> None:
        """Print a result: ``data`` as one JSON document with ``--json``, else ``text``."""
        if self.json:
            self.stdout.write(json.dumps(to_jsonable(data), ensure_ascii=False) + "\n")
        elif text is not None:
            lines = [text] if isinstance(text, str) else list(text)
            for line in lines:
                self.stdout.write(line + "\n")
        self.stdout.flush()

    def line(self, text: str) -> None:
        """Print one line of text output (nothing with ``--json``: emit data instead)."""
        if not self.json:
            self.stdout.write(text + "\n")
            self.stdout.flush()

    def note(self, text: str) -> None:
        """A remark for the human (stderr); silenced by ``-q`` and ``--json``."""
        if not (self.quiet or self.json):
            self.stderr.write(text + "\n")
            self.stderr.flush()

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
              data: Any = None, title: str | None = None,
              right: Sequence[str] = (), header: bool = True) -> None:
        """Print a readable table (rich), or ``data`` (default: rows as dicts) with ``--json``."""
        if self.json:
            if data is None:
                data = [dict(zip(columns, row, strict=False)) for row in rows]
            self.emit(data)
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, box=None, header_style="bold", pad_edge=False,
                      show_edge=False, show_header=header)
        for name in columns:
            table.add_column(name, justify="right" if name in right else "left",
                             overflow="fold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        console = Console(file=self.stdout, soft_wrap=False, width=_width(self.stdout))
        console.print(table)
        self.stdout.flush()

    # --- errors and progress ---------------------------------------------------------------

    def error(self, exc: BaseException, code: ExitCode) -> None:
        """Report the error that ends a command: one line (and the traceback with ``-v``)."""
        message = _one_line(exc)
        if self.verbose:
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=self.stderr)
        if self.json:
            record = {"error": message, "type": type(exc).__name__, "exit_code": int(code)}
            self.stderr.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            self.stderr.write(f"chdkptp: error: {message}\n")
            for extra in _detail_lines(exc):
                self.stderr.write(f"  {extra}\n")
        self.stderr.flush()

    def _show_progress(self) -> bool:
        if self.json or self.quiet:
            return False
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())

    @contextmanager
    def progress(self, description: str, total: int | None = None, *,
                 unit: str = "bytes") -> Iterator[Progress]:
        """A progress bar on stderr for the ``with`` block (transfer or capture)."""
        if not self._show_progress():
            yield Progress()
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgress

        columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None or unit == "bytes":
            columns.append(BarColumn())
        if unit == "bytes":
            columns += [DownloadColumn(), TransferSpeedColumn()]
        columns.append(TimeElapsedColumn())
        console = Console(file=self.stderr)
        with RichProgress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield Progress(bar, task)


def _width(stream: TextIO) -> int | None:
    isatty = getattr(stream, "isatty", None)
    return None if isatty and isatty() else 120


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if not text:
        text = type(exc).__name__
    first = text.splitlines()[0]
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        first = f"{exc.filename}: {exc.strerror}"
    return first


def _detail_lines(exc: BaseException) -> list[str]:
    """Continuation lines of a multi-line message (e.g. the cameras that were found)."""
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.filename is not None:
        return []
    return [line.strip() for line in text.splitlines()[1:] if line.strip()]

"""``shell``: an interactive prompt that keeps one camera connection open between commands.

Every subcommand works at the prompt without the ``chdkptp`` prefix (``info``, ``ls A/DCIM``,
``shoot --tv 1/60``); chdkptp's shortcuts ``. CODE`` (lua) and ``= CODE`` (luar) take the rest
of the line as Lua source unchanged.  Also ``connect``, ``disconnect``, ``help``, ``quit``.
History is kept in ``~/.chdkptp_history`` and Tab completes command names when the input is
a terminal (readline).
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from pathlib import Path

from chdkptp.cli.app import build_parser, run_line
from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import ExitCode, exit_code_for
from chdkptp.cli.registry import all_commands, command

HISTORY_FILE = Path("~/.chdkptp_history")
_QUIT = {"quit", "exit", "q"}
_HELP = """\
Commands are the chdkptp subcommands without the `chdkptp` prefix, e.g.:
  info            ls -l A/DCIM/100CANON     shoot --tv 1/60 --download .
  = return get_vbatt()      (luar: run Lua, print the result; `. CODE` starts it only)
  connect / disconnect      help COMMAND      quit (or Ctrl-D)"""


def _shell_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--history", metavar="FILE", default=None,
                   help=f"history file (default {HISTORY_FILE}; 'none' keeps none)")


def completions(words: list[str], text: str) -> list[str]:
    """Command names (first word only) starting with ``text``, for tab completion."""
    names = sorted(set(words) | _QUIT | {"help", "connect", "disconnect"})
    return [n for n in names if n.startswith(text)]


def _setup_history(path_text: str | None, words: list[str]) -> Path | None:
    if not sys.stdin.isatty():
        return None
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None

    def complete(text: str, state: int) -> str | None:
        if readline.get_line_buffer()[:readline.get_begidx()].strip():
            return None  # only the command name is completed
        found = completions(words, text)
        return found[state] if state < len(found) else None

    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    if path_text == "none":
        return None
    path = Path(path_text or HISTORY_FILE).expanduser()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(2000)
    return path


def _save_history(path: Path | None) -> None:
    if path is None:
        return
    try:
        import readline

        readline.write_history_file(path)
    except (ImportError, OSError):  # pragma: no cover - best effort
        pass


def split_line(line: str) -> list[str]:
    """The argv for one shell line (``. CODE`` / ``= CODE`` keep the Lua unsplit)."""
    text = line.strip()
    for prefix, name in ((".", "lua"), ("=", "luar")):
        if text.startswith(prefix) and (len(text) == 1 or text[1] in " \t"):
            code = text[1:].strip()
            return [name, "--", code] if code else [name]
    return shlex.split(text, comments=True)


@command("shell", arguments=_shell_args, group="setup",
         help="interactive shell that keeps the camera connection open")
def shell_command(ctx: Context, args: argparse.Namespace) -> int:
    """Read lines from stdin and run each as a subcommand in this context (one session)."""
    parser = build_parser()
    interactive = sys.stdin.isatty()
    names = [n for c in all_commands() for n in (c.name, *c.aliases) if n.isidentifier()]
    history = _setup_history(args.history, names)
    last = ExitCode.OK
    if interactive:
        ctx.out.note("chdkptp shell: `help` lists commands, `quit` or Ctrl-D leaves")
    try:
        while True:
            try:
                prompt = ""
                if interactive:
                    where = ctx.camera().model if ctx.connected else "not connected"
                    prompt = f"chdkptp ({where})> "
                line = input(prompt)
            except EOFError:
                break
            except KeyboardInterrupt:
                ctx.out.note("")
                continue
            try:
                words = split_line(line)
            except ValueError as exc:
                ctx.out.error(exc, ExitCode.USAGE)
                last = ExitCode.USAGE
                continue
            if not words:
                continue
            name = words[0]
            if name in _QUIT:
                break
            if name in ("help", "h", "?"):
                if len(words) > 1:
                    last = ExitCode(run_line(ctx, [words[1], "--help"], parser))
                else:
                    ctx.out.line(_HELP)
                    parser.print_help(sys.stdout)
                continue
            if name == "shell":
                ctx.out.note("already in the shell")
                continue
            if name in ("connect", "c", "disconnect", "dis"):
                try:
                    if name.startswith("c"):
                        cam = ctx.camera()
                        ctx.out.note(f"connected to {cam.model} (serial {cam.serial or '?'})")
                    else:
                        ctx.disconnect()
                        ctx.out.note("disconnected")
                    last = ExitCode.OK
                except Exception as exc:
                    last = exit_code_for(exc)
                    ctx.out.error(exc, last)
                continue
            last = ExitCode(run_line(ctx, words, parser))
    finally:
        _save_history(history)
    return int(last)


__all__ = ["shell_command", "split_line"]

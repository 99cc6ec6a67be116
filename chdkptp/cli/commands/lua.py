"""Camera-side Lua: ``lua`` (start), ``luar`` (run and print the result), ``getm`` / ``putm``
(script messages) and ``killscript``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import ExitCode
from chdkptp.cli.output import lua_text
from chdkptp.cli.registry import command
from chdkptp.script import ScriptMessage


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("code", nargs="*",
                   help="Lua source (words are joined with spaces; '-' reads stdin)")
    p.add_argument("-f", "--file", metavar="PATH", help="read the Lua source from a file")
    p.add_argument("--kill", action="store_true", help="replace a script that is running")
    p.add_argument("--raw", action="store_true",
                   help="do not prepend the table serializer (tables arrive as CHDK text)")


def _luar_args(p: argparse.ArgumentParser) -> None:
    _source_args(p)
    p.add_argument("--limit", type=float, default=60.0, metavar="SECONDS",
                   help="give up waiting after this long (default 60; the script keeps running)")


def read_source(args: argparse.Namespace) -> str:
    """The Lua source from the arguments, ``-f FILE`` or stdin; ``ValueError`` if none."""
    if args.file is not None:
        if args.code:
            raise ValueError("give Lua code or --file, not both")
        with open(args.file, encoding="utf-8") as fh:
            return fh.read()
    if args.code == ["-"]:
        return sys.stdin.read()
    if not args.code:
        raise ValueError("no Lua code given (an argument, --file PATH, or '-' for stdin)")
    return " ".join(args.code)


def message_record(msg: ScriptMessage) -> dict[str, Any]:
    """A script message as JSON-ready data."""
    return {"script_id": msg.script_id, "type": msg.type.name.lower(),
            "subtype": msg.subtype.name.lower() if hasattr(msg.subtype, "name") else msg.subtype,
            "value": msg.value}


def message_text(msg: ScriptMessage) -> str:
    """A user message for people: strings as they are, other values as Lua literals."""
    return msg.value if isinstance(msg.value, str) else lua_text(msg.value)


@command("lua", aliases=(".",), arguments=_source_args, group="camera",
         help="start Lua on the camera and return at once (read results with getm)")
def lua_command(ctx: Context, args: argparse.Namespace) -> int:
    """CHDK ExecuteScript; prints the script id.  Compile errors exit 5."""
    code = read_source(args)
    script = ctx.camera().execute_script(code, kill_running=args.kill, serialize=not args.raw)
    ctx.out.emit({"script_id": script.id}, f"started script {script.id}")
    return ExitCode.OK


@command("luar", aliases=("=",), arguments=_luar_args, group="camera",
         help="run Lua on the camera, wait, print messages and the returned values")
def luar_command(ctx: Context, args: argparse.Namespace) -> int:
    """CHDK ExecuteScript, then ScriptStatus / ReadScriptMsg until the script ends.

    Returned tables arrive as lists / dicts (printed as Lua literals, or JSON with --json).
    Script errors exit 5 with the camera's message and the line in your code.
    """
    code = read_source(args)
    cam = ctx.camera()
    messages: list[dict[str, Any]] = []

    def on_message(msg: ScriptMessage) -> None:
        if ctx.out.json:
            messages.append(message_record(msg))
        else:
            ctx.out.line(message_text(msg))

    script = cam.execute_script(code, kill_running=args.kill, serialize=not args.raw)
    value = script.wait(args.limit, on_message=on_message)
    values = list(value) if isinstance(value, tuple) else ([] if value is None else [value])
    if ctx.out.json:
        ctx.out.emit({"script_id": script.id, "result": value, "messages": messages})
    else:
        for v in values:
            ctx.out.line(lua_text(v))
    return ExitCode.OK


def _getm_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for a first message (default: do not wait)")


@command("getm", arguments=_getm_args, group="camera",
         help="print every pending script message as id:type:value")
def getm_command(ctx: Context, args: argparse.Namespace) -> int:
    """CHDK ReadScriptMsg until the queue is empty."""
    cam = ctx.camera()
    records: list[dict[str, Any]] = []
    timeout = args.wait
    while True:
        msg = cam.read_script_msg(timeout=timeout)
        timeout = 0.0
        if msg is None:
            break
        records.append(message_record(msg))
        shown = msg.text if msg.is_error and msg.text else (
            msg.value if isinstance(msg.value, str) else lua_text(msg.value))
        ctx.out.line(f"{msg.script_id}:{msg.type.name.lower()}:{shown}")
    if ctx.out.json:
        ctx.out.emit(records)
    elif not records:
        ctx.out.note("no messages")
    return ExitCode.OK


def _putm_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("message", nargs="+", help="text for the script's read_usb_msg()")
    p.add_argument("--id", type=int, default=0, dest="script_id",
                   help="address this script id only (default: whatever runs)")


@command("putm", arguments=_putm_args, group="camera",
         help="send a text message to the running script")
def putm_command(ctx: Context, args: argparse.Namespace) -> int:
    """CHDK WriteScriptMsg; exits 1 if no script runs or the queue is full."""
    ctx.camera().write_script_msg(" ".join(args.message), script_id=args.script_id)
    ctx.out.emit({"sent": True}, None)
    return ExitCode.OK


@command("killscript", group="camera", help="stop the running script (CHDK protocol 2.6+)")
def killscript_command(ctx: Context, args: argparse.Namespace) -> int:
    """ExecuteScript of an empty script without NOKILL (``Camera.kill_script``)."""
    ctx.camera().kill_script()
    ctx.out.emit({"killed": True}, None)
    ctx.out.note("script stopped")
    return ExitCode.OK

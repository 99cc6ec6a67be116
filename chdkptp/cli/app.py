"""The ``chdkptp`` command line: global options, the parser built from the registry, ``main``.

What belongs here: :func:`build_parser` (global options, accepted before or after the
subcommand; one subparser per registered command), :func:`run_line` (parse and run one
command in an existing :class:`~chdkptp.cli.context.Context`, used by the shell and the demo)
and :func:`main` (the console-script entry point: runs one command, maps any error to one
line on stderr and an exit code from :mod:`chdkptp.cli.exitcodes`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import chdkptp
from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import EXIT_CODE_TABLE, ExitCode, exit_code_for
from chdkptp.cli.output import Output
from chdkptp.cli.registry import Command, all_commands

__all__ = ["UsageExit", "build_parser", "main", "run_line"]

log = logging.getLogger(__name__)

_GROUPS = (("camera", "camera"), ("files", "files on the card"),
           ("liveview", "live view"), ("setup", "setup and session"))

_EPILOG = f"""\
examples:
  chdkptp --sim info                 try it without a camera (needs chdkptp[sim])
  chdkptp list                       cameras on USB
  chdkptp luar 'return get_vbatt()'  run Lua, print the result
  chdkptp shoot --tv 1/100 --download .
  chdkptp doctor                     check USB access, permissions, interfering services

exit codes:
{EXIT_CODE_TABLE}
"""


class UsageExit(Exception):
    """argparse wanted to exit (bad usage or ``--help``); ``code`` is its exit status."""

    def __init__(self, code: int) -> None:
        super().__init__(f"exit {code}")
        self.code = code


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose exits become :class:`UsageExit` (the shell survives them)."""

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            sys.stderr.write(message)
        raise UsageExit(status)


def _int_auto(text: str) -> int:
    return int(text, 0)


def _add_globals(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Global options; on subparsers with SUPPRESS defaults so they may follow the command."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    sel = parser.add_argument_group("camera selection")
    sel.add_argument("-s", "--serial", default=default(None), help="USB serial number")
    sel.add_argument("-m", "--model", default=default(None),
                     help="model (case-insensitive substring, e.g. SX160)")
    sel.add_argument("--bus", type=_int_auto, default=default(None), help="USB bus number")
    sel.add_argument("--address", type=_int_auto, default=default(None),
                     help="USB device address")
    sel.add_argument("--host", default=default(None), help="PTP/IP (Wi-Fi) camera address")
    sel.add_argument("--port", type=int, default=default(None), help="PTP/IP port (15740)")
    sel.add_argument("--sim", action="store_true", default=default(False),
                     help="use a simulated camera (needs chdkptp[sim])")
    sel.add_argument("--sim-card", metavar="DIR", default=default(None),
                     help="folder to use as the simulated camera's card (implies --sim)")
    sel.add_argument("--timeout", type=float, default=default(None),
                     help="USB/TCP transfer timeout in seconds (default: the library's, 5)")
    outg = parser.add_argument_group("output")
    outg.add_argument("-v", "--verbose", action="count", default=default(0),
                      help="more detail: log messages and tracebacks (-vv: debug)")
    outg.add_argument("-q", "--quiet", action="store_true", default=default(False),
                      help="no notes or progress bars")
    outg.add_argument("--json", action="store_true", default=default(False),
                      help="machine-readable JSON on stdout")


def build_parser(commands: Sequence[Command] | None = None) -> argparse.ArgumentParser:
    """The full parser: global options plus one subparser per registered command."""
    cmds = list(all_commands() if commands is None else commands)
    parser = _Parser(
        prog="chdkptp",
        description="Control Canon PowerShot cameras running CHDK over PTP.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chdkptp {chdkptp.__version__}")
    _add_globals(parser, suppress=False)
    order = {g: i for i, (g, _) in enumerate(_GROUPS)}
    cmds.sort(key=lambda c: (order.get(c.group, len(order)), c.name))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands",
                                parser_class=_Parser)
    for cmd in cmds:
        names = ", ".join((cmd.name, *cmd.aliases))
        p = sub.add_parser(cmd.name, aliases=list(cmd.aliases), help=cmd.help,
                           description=cmd.description or cmd.help,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if cmd.configure is not None:
            cmd.configure(p)
        _add_globals(p, suppress=True)
        p.set_defaults(_command=cmd)
        log.debug("registered subcommand %s", names)
    return parser


def _configure_logging(verbose: int) -> None:
    """The application's log output with -v (INFO) / -vv (DEBUG); else Python's default
    (warnings to stderr)."""
    if verbose <= 0:
        return
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)


def run_line(ctx: Context, argv: Sequence[str],
             parser: argparse.ArgumentParser | None = None) -> int:
    """Parse ``argv`` (one subcommand and its arguments) and run it in ``ctx``.

    Errors are reported through ``ctx.out`` and turned into the exit code; the connection in
    ``ctx`` stays open (the shell and the demo run many lines in one context).
    """
    parser = parser or build_parser()
    try:
        args = parser.parse_args(list(argv))
    except UsageExit as exc:
        return exc.code
    cmd: Command | None = getattr(args, "_command", None)
    if cmd is None:
        parser.print_usage(sys.stderr)
        return ExitCode.USAGE
    try:
        code = cmd.run(ctx, args)
    except KeyboardInterrupt as exc:
        ctx.out.error(exc, ExitCode.INTERRUPTED)
        return ExitCode.INTERRUPTED
    except Exception as exc:
        code = exit_code_for(exc)
        ctx.out.error(exc, code)
        return int(code)
    return int(code or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chdkptp`` console script and ``python -m chdkptp``."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except UsageExit as exc:
        return exc.code
    out = Output(json_mode=args.json, verbose=args.verbose, quiet=args.quiet)
    _configure_logging(args.verbose)
    cmd: Command | None = getattr(args, "_command", None)
    if cmd is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    ctx = Context(args, out)
    try:
        try:
            code = cmd.run(ctx, args)
        finally:
            ctx.close()
    except KeyboardInterrupt as exc:
        out.error(exc, ExitCode.INTERRUPTED)
        return ExitCode.INTERRUPTED
    except Exception as exc:
        code = exit_code_for(exc)
        out.error(exc, code)
        return int(code)
    return int(code or 0)

"""The ``chdkptp`` command line (console script ``chdkptp``, also ``python -m chdkptp``).

Layout: :mod:`.app` builds the parser and runs commands, :mod:`.context` holds the options
and the open connection, :mod:`.output` prints (text, JSON, tables, progress),
:mod:`.exitcodes` is the exit-code table, :mod:`.registry` collects subcommands, and each
subcommand lives in its own module under :mod:`chdkptp.cli.commands`.
"""

from __future__ import annotations

from chdkptp.cli.app import build_parser, main, run_line
from chdkptp.cli.exitcodes import ExitCode

__all__ = ["ExitCode", "build_parser", "main", "run_line"]

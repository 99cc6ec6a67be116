"""The subcommand registry: each ``chdkptp/cli/commands/<name>.py`` registers itself here.

What belongs here: :class:`Command` and the :func:`command` decorator that adds one to the
registry, and :func:`all_commands`, which imports every module of
:mod:`chdkptp.cli.commands` (found with :mod:`pkgutil`, so adding a subcommand is adding one
small module — no central list to edit) and returns the registered commands.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chdkptp.cli.context import Context

__all__ = ["Command", "Runner", "all_commands", "command"]

Runner = Callable[["Context", argparse.Namespace], "int | None"]
Configure = Callable[[argparse.ArgumentParser], None]

_REGISTRY: dict[str, Command] = {}


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, aliases, one-line help, argument setup and runner.

    ``run(ctx, args)`` returns an exit code (None means 0) or raises; the caller maps
    exceptions to exit codes.  ``group`` orders the help listing.
    """

    name: str
    help: str
    run: Runner
    configure: Configure | None = None
    aliases: tuple[str, ...] = ()
    group: str = "camera"
    description: str | None = None


def command(name: str, *, help: str, aliases: tuple[str, ...] = (),
            arguments: Configure | None = None, group: str = "camera",
            description: str | None = None) -> Callable[[Runner], Runner]:
    """Register the decorated ``run(ctx, args)`` function as subcommand ``name``.

    Raises ``ValueError`` if the name or an alias is taken.
    """

    def register(run: Runner) -> Runner:
        taken = {n for c in _REGISTRY.values() for n in (c.name, *c.aliases)}
        for n in (name, *aliases):
            if n in taken:
                raise ValueError(f"subcommand name {n!r} is registered twice")
        _REGISTRY[name] = Command(name, help, run, arguments, tuple(aliases), group,
                                  description)
        return run

    return register


def all_commands() -> list[Command]:
    """Import every ``chdkptp.cli.commands`` module and return the registered commands."""
    package = importlib.import_module("chdkptp.cli.commands")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    return list(_REGISTRY.values())

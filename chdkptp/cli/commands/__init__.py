"""Subcommands of the ``chdkptp`` command line, one module each.

Every module here registers its commands with :func:`chdkptp.cli.registry.command` when it is
imported; :func:`chdkptp.cli.registry.all_commands` imports them all.  To add a subcommand,
add a module (modules whose name starts with ``_`` are helpers and are not imported).
"""

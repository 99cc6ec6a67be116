"""The interactive shell's readline history, on a real terminal: ``chdkptp --sim shell`` runs
in a child process whose stdin/stdout are a pseudo-terminal (history and completion are only
set up for a terminal).  Lines typed in one session land in ``~/.chdkptp_history`` (HOME
points at a temporary folder) or the ``--history`` file, and the next session reads them
back: the Up arrow recalls them."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")

UP = "\x1b[A"  # the Up-arrow key as a VT100 terminal sends it
PROMPT = b"> "


class Terminal:
    """``python -m chdkptp ARGS`` on a pseudo-terminal; type lines, read the screen."""

    def __init__(self, argv: list[str], home: Path) -> None:
        env = dict(os.environ, HOME=str(home), TERM="xterm", INPUTRC=os.devnull,
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("PYTHONSTARTUP", None)
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "chdkptp", *argv], stdin=slave,
                                     stdout=slave, stderr=slave, env=env, close_fds=True,
                                     start_new_session=True)
        os.close(slave)
        self.screen = b""
        self.pos = 0  # read_until looks for its marker after this offset of the screen

    def read_until(self, marker: bytes, timeout: float = 30.0) -> bytes:
        """Read output until ``marker`` appears after the previous marker found; return the
        output from there up to and including ``marker``."""
        start = self.pos
        deadline = time.monotonic() + timeout
        while (found := self.screen.find(marker, start)) < 0:
            left = deadline - time.monotonic()
            assert left > 0, f"no {marker!r} on the terminal; it shows:\n{self.text()}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                assert chunk, f"the shell exited; the terminal shows:\n{self.text()}"
                self.screen += chunk
        self.pos = found + len(marker)
        return self.screen[start:self.pos]

    def type(self, keys: str) -> None:
        """Wait for the prompt, then type ``keys`` (ending in Enter: ``\\r``)."""
        self.read_until(PROMPT)
        os.write(self.master, keys.encode())

    def finish(self) -> int:
        """Type ``quit`` and wait for the exit status; the screen is kept in ``self.screen``."""
        self.type("quit\r")
        try:
            code = self.proc.wait(timeout=30)
        finally:
            chunk = b"-"
            while chunk:  # what is left on the screen, for failure messages
                ready, _, _ = select.select([self.master], [], [], 0.0)
                try:
                    chunk = os.read(self.master, 4096) if ready else b""
                except OSError:
                    chunk = b""
                self.screen += chunk
            os.close(self.master)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return code

    def text(self) -> str:
        return self.screen.decode(errors="replace")


def history_lines(path: Path) -> list[str]:
    """The entries of a readline history file (GNU format; libedit's header skipped)."""
    return [line for line in path.read_text().splitlines() if line != "_HiStOrY_V2_"]


def test_history_is_written_and_read_back_next_time(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    history = home / ".chdkptp_history"
    first = Terminal(["--sim", "shell"], home)
    first.type("= return 6 * 7\r")
    first.read_until(b"42")
    first.type("ls A/\r")
    first.read_until(b"DCIM/")
    assert first.finish() == 0, first.text()
    assert history_lines(history) == ["= return 6 * 7", "ls A/", "quit"]

    # Next start: Up Up Up is the first line of the last session; Enter runs it again.
    second = Terminal(["--sim", "shell"], home)
    second.type(UP * 3 + "\r")
    second.read_until(b"42")
    second.type("= return 'second ' .. 'run'\r")
    second.read_until(b'"second run"')
    assert second.finish() == 0, second.text()
    assert history_lines(history) == ["= return 6 * 7", "ls A/", "quit", "= return 6 * 7",
                                      "= return 'second ' .. 'run'", "quit"]


def test_history_option_names_the_file_or_none(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    mine = tmp_path / "mine.hist"
    mine.write_text("= return 'from my file'\n")
    term = Terminal(["--sim", "shell", "--history", str(mine)], home)
    term.type(UP + "\r")  # the line already in the file
    term.read_until(b'"from my file"')
    assert term.finish() == 0, term.text()
    # readline does not add a line equal to the entry before it
    assert history_lines(mine) == ["= return 'from my file'", "quit"]
    assert not (home / ".chdkptp_history").exists()

    term = Terminal(["--sim", "shell", "--history", "none"], home)
    term.type("= return 1 + 1\r")
    term.read_until(b"\r\n2\r\n")
    assert term.finish() == 0, term.text()
    assert not (home / ".chdkptp_history").exists()
    assert history_lines(mine) == ["= return 'from my file'", "quit"]

"""Pieces of the command line: exit-code table, value display, JSON conversion, registry,
shell line splitting, and the layering exemption for ``--sim``."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from chdkptp import errors
from chdkptp.cli import build_parser
from chdkptp.cli.commands.shell import completions, split_line
from chdkptp.cli.exitcodes import EXIT_CODE_TABLE, ExitCode, exit_code_for
from chdkptp.cli.output import Output, format_size, lua_text, to_jsonable
from chdkptp.cli.registry import Command, all_commands, command
from chdkptp.files import RemoteEntry
from tests import layering


@pytest.mark.parametrize(("exc", "code"), [
    (errors.CameraNotFoundError("x"), 3),
    (FileNotFoundError("x"), 3),
    (errors.DeviceAccessError("x"), 4),
    (PermissionError("x"), 4),
    (errors.ScriptError("x"), 5),
    (errors.ChdkTimeoutError("x"), 6),
    (errors.UnsupportedProtocolError("x"), 7),
    (ImportError("x"), 7),
    (errors.DeviceDisconnectedError("x"), 8),
    (errors.DeviceBusy("x"), 1),
    (errors.RemoteProtocolError("x"), 1),
    (errors.LuaDecodeError("x"), 1),  # a camera value, not the user's argument
    (OSError("disk full"), 1),
    (ValueError("x"), 2),
    (TypeError("x"), 2),
    (KeyboardInterrupt(), 130),
])
def test_exit_codes(exc: BaseException, code: int) -> None:
    assert exit_code_for(exc) == code


def test_exit_code_table_lists_every_code() -> None:
    for code in ExitCode:
        assert f"{int(code):>3}  {code.name.lower()}" in EXIT_CODE_TABLE


def test_lua_text() -> None:
    assert lua_text({1: "a", 2: "b", "x": {"y": None}, 5: True, "and": 1}) == \
        '{"a", "b", ["and"]=1, x={y=nil}, [5]=true}'
    assert lua_text([1, [2, 3], []]) == "{1, {2, 3}, {}}"
    assert lua_text('say "hi"') == '"say \\"hi\\""'
    assert lua_text(None) == "nil" and lua_text(False) == "false" and lua_text(2.5) == "2.5"


def test_to_jsonable() -> None:
    entry = RemoteEntry("A.JPG", "A/A.JPG", 3, 0, False)
    value = {1: (1, 2), "p": Path("x/y"), "b": b"\xff", "e": entry, "f": errors.ChdkError}
    data = to_jsonable(value)
    assert json.loads(json.dumps(data)) == {
        "1": [1, 2], "p": "x/y", "b": "\\xff",
        "e": {"name": "A.JPG", "path": "A/A.JPG", "size": 3, "mtime": 0, "is_dir": False},
        "f": str(errors.ChdkError),
    }


def test_format_size() -> None:
    assert [format_size(n) for n in (None, 0, 1023, 1024, 5 * 2**30)] == \
        ["?", "0 B", "1023 B", "1.0 KiB", "5.0 GiB"]


def test_output_modes(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(json_mode=True)
    out.note("hidden")
    out.line("hidden too")
    out.emit({"a": 1}, "text")
    out.table(["x", "y"], [[1, 2]])
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ['{"a": 1}', '[{"x": 1, "y": 2}]']
    assert captured.err == ""
    quiet = Output(quiet=True)
    quiet.note("hidden")
    quiet.emit({"a": 1}, ["one", "two"])
    captured = capsys.readouterr()
    assert captured.out == "one\ntwo\n" and captured.err == ""
    with quiet.progress("x", 10) as bar:  # not a terminal: a silent no-op
        bar.callback()(5, 10)
    assert capsys.readouterr().err == ""


def test_registry_discovers_command_modules() -> None:
    names = {c.name for c in all_commands()}
    assert {"list", "info", "lua", "luar", "getm", "putm", "ls", "download", "upload", "mdl",
            "imdl", "rm", "mkdir", "shoot", "rec", "play", "lvsnap", "lvdump", "reboot",
            "shell", "doctor"} <= names
    aliases = {a for c in all_commands() for a in c.aliases}
    assert {"d", "u", ".", "="} <= aliases


def test_registry_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        command("ls", help="again")(lambda ctx, args: 0)
    with pytest.raises(ValueError, match="registered twice"):
        command("brand-new", help="alias clash", aliases=("d",))(lambda ctx, args: 0)


def test_one_module_adds_a_subcommand() -> None:
    # What a new chdkptp/cli/commands/<name>.py does, seen by the parser builder.
    def run(ctx: object, args: argparse.Namespace) -> int:
        return 0

    def configure(p: argparse.ArgumentParser) -> None:
        p.add_argument("--count", type=int, default=1)

    extra = Command("tl", "time lapse", run, configure, ("timelapse",))
    parser = build_parser([*all_commands(), extra])
    args = parser.parse_args(["timelapse", "--count", "3", "--sim"])
    assert args._command is extra and args.count == 3 and args.sim is True


def test_split_line() -> None:
    assert split_line("ls -l 'A/DCIM'  # comment") == ["ls", "-l", "A/DCIM"]
    assert split_line("= return {a='x y'}") == ["luar", "--", "return {a='x y'}"]
    assert split_line(". sleep(10)") == ["lua", "--", "sleep(10)"]
    assert split_line(".") == ["lua"]
    assert split_line("   ") == []
    with pytest.raises(ValueError):
        split_line("ls 'unclosed")


def test_layering_exemption_is_narrow(tmp_path: Path) -> None:
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    from chdkptp import sim\n    return sim\n")
    eager = tmp_path / "eager.py"
    eager.write_text("from chdkptp.sim import SimulatedCamera\n")
    assert layering.check_file(lazy, "chdkptp.cli.context") == []
    assert layering.check_file(lazy, "chdkptp.demo") == []
    found = layering.check_file(eager, "chdkptp.cli.context")
    assert found and "module level" in found[0].message
    # the library layers stay strict, lazy or not
    assert layering.check_file(lazy, "chdkptp.camera")
    assert layering.check_file(lazy, "chdkptp.files")
    assert layering.check_file(lazy, "chdkptp.multicam")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal() -> None:
    err = _Terminal()
    out = Output(stderr=err, stdout=io.StringIO())
    with out.progress("IMG_0001.JPG", 2048) as bar:
        report = bar.callback()
        report(1024, 2048)
        report(2048, 2048)
    text = err.getvalue()
    assert "IMG_0001.JPG" in text  # rich drew (and then cleared) the bar
    assert Output(json_mode=True, stderr=err)._show_progress() is False


def test_shell_completions() -> None:
    assert completions(["luar", "lua", "ls", "list"], "lu") == ["lua", "luar"]
    assert "quit" in completions([], "q") and completions([], "zz") == []

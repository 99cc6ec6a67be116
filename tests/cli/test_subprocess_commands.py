"""The file, script, mode and setup subcommands as real child processes (``python -m
chdkptp --sim-card DIR ...``): exit codes, stdout/stderr, ``--json``, and what lands in the
card folder or the local folder.  Each child builds its own simulated camera on the same card
folder, like a user running the commands one after another; several commands share a test."""

from __future__ import annotations

import json
from pathlib import Path

from chdkptp.cli import ExitCode
from chdkptp.lvdump import read_frames
from tests.cli.conftest import Result, run_subprocess


def chdkptp(card: Path, *argv: str, cwd: Path | None = None, stdin: str | None = None
            ) -> Result:
    return run_subprocess(["--sim-card", str(card), *argv], cwd=cwd, stdin=stdin)


def ok(res: Result) -> Result:
    assert res.code == 0, f"exit {res.code}\n--- stdout:\n{res.out}\n--- stderr:\n{res.err}"
    return res


def test_mkdir_upload_ls_rm(tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    local = tmp_path / "notes.txt"
    local.write_bytes(b"remember the lens cap\n")

    res = ok(chdkptp(card, "mkdir", "A/TRIP/DAY1", "A/OTHER"))
    assert (res.out, res.err) == ("", "created 3 directories\n")  # notes go to stderr
    assert (card / "TRIP" / "DAY1").is_dir() and (card / "OTHER").is_dir()

    res = ok(chdkptp(card, "upload", str(local), "A/TRIP/"))
    assert "A/TRIP/notes.txt" in res.out and res.err == ""
    assert (card / "TRIP" / "notes.txt").read_bytes() == local.read_bytes()

    res = ok(chdkptp(card, "ls", "-l", "A/TRIP"))
    lines = res.out.splitlines()
    assert lines[0].split() == ["size", "modified", "name"]
    assert lines[1].split()[-1] == "DAY1/"
    assert lines[2].split()[0] == str(len(local.read_bytes()))
    assert lines[2].split()[-1] == "notes.txt"
    res = ok(chdkptp(card, "--json", "ls", "-r", "A/"))
    paths = {e["path"]: e for e in json.loads(res.out)}
    assert set(paths) == {"A/OTHER", "A/TRIP", "A/TRIP/DAY1", "A/TRIP/notes.txt"}
    assert paths["A/TRIP/notes.txt"]["size"] == len(local.read_bytes())
    assert paths["A/TRIP/DAY1"]["is_dir"] is True

    # errors: a missing folder for upload, a missing file for rm, a full folder without -r
    res = chdkptp(card, "upload", str(local), "A/NOPE/")
    assert res.code == ExitCode.ERROR and res.out == ""
    assert res.err.startswith("chdkptp: error: ") and "A/NOPE" in res.err
    res = chdkptp(card, "rm", "A/TRIP/missing.txt")
    assert res.code == ExitCode.NOT_FOUND and "A/TRIP/missing.txt" in res.err
    assert not (card / "NOPE").exists()
    res = chdkptp(card, "rm", "A/TRIP")
    assert res.code == ExitCode.ERROR and "not empty" in res.err
    assert (card / "TRIP" / "notes.txt").exists()

    ok(chdkptp(card, "rm", "A/TRIP/notes.txt"))
    assert not (card / "TRIP" / "notes.txt").exists() and (card / "TRIP" / "DAY1").is_dir()
    ok(chdkptp(card, "rm", "-r", "A/TRIP"))
    assert not (card / "TRIP").exists() and (card / "OTHER").is_dir()


def test_mdl_and_imdl_download_trees(tmp_path: Path) -> None:
    card = tmp_path / "card"
    folder = card / "DCIM" / "100CANON"
    folder.mkdir(parents=True)
    images = {f"IMG_000{n}.JPG": bytes([n]) * (1000 + n) for n in (1, 2, 3)}
    for name, data in images.items():
        (folder / name).write_bytes(data)
    (folder / "MVI_0004.MOV").write_bytes(b"movie")

    res = ok(chdkptp(card, "mdl", "A/DCIM", "tree", cwd=tmp_path))
    assert res.out.count("downloaded  A/DCIM/100CANON/") == 4
    assert res.err.startswith("4 file(s) downloaded")
    got = tmp_path / "tree" / "100CANON"
    assert sorted(p.name for p in got.iterdir()) == [*sorted(images), "MVI_0004.MOV"]
    assert all((got / n).read_bytes() == d for n, d in images.items())

    res = ok(chdkptp(card, "--json", "mdl", "--match", "*.MOV", "A/DCIM", str(tmp_path / "mov")))
    assert json.loads(res.out)
    assert [p.name for p in (tmp_path / "mov").rglob("*") if p.is_file()] == ["MVI_0004.MOV"]

    res = ok(chdkptp(card, "imdl", "--last", "2", "--match", "*.JPG", str(tmp_path / "last")))
    assert res.err.startswith("2 file(s) downloaded")
    last = sorted(p.name for p in (tmp_path / "last").rglob("*") if p.is_file())
    assert last == ["IMG_0002.JPG", "IMG_0003.JPG"]
    # --delete removes from the card what was downloaded
    ok(chdkptp(card, "imdl", "--numbers", "1-1", "--delete", str(tmp_path / "one")))
    assert (tmp_path / "one" / "100CANON" / "IMG_0001.JPG").read_bytes() == images["IMG_0001.JPG"]
    assert not (folder / "IMG_0001.JPG").exists() and (folder / "IMG_0002.JPG").exists()


def test_lua_getm_putm(tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    res = ok(chdkptp(card, "lua", "return", "1"))
    assert res.out == "started script 1\n"
    res = ok(chdkptp(card, "getm"))  # a fresh process: a fresh camera, nothing queued
    assert "no messages" in res.out + res.err
    res = chdkptp(card, "putm", "hi")
    assert res.code == ExitCode.ERROR and "script not running" in res.err
    res = chdkptp(card, "lua", "this is not lua")  # compile errors come back at once
    assert res.code == ExitCode.SCRIPT and "compile error at line 1" in res.err
    # One process, one camera: lua starts a script, putm feeds it, getm reads its replies.
    res = ok(chdkptp(card, "shell", stdin=(
        ". repeat local m = read_usb_msg(50) if m then write_usb_msg('got ' .. m) return 7 end"
        " until false\nputm hi\ngetm --wait 2\n")))
    lines = res.out.splitlines()
    assert lines[:2] == ["started script 1", "1:user:got hi"]
    # getm waits for the first message only; the return value may come just after it
    assert lines[2:] in ([], ["1:ret:7"]), lines


def test_rec_play_reboot_lvdump(tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    assert ok(chdkptp(card, "rec")).err == "camera in record mode\n"
    assert json.loads(ok(chdkptp(card, "--json", "play")).out) == {"mode": "play"}
    res = ok(chdkptp(card, "--json", "reboot"))  # waits for the camera to come back (~1 s)
    assert json.loads(res.out) == {"rebooted": True, "reconnected": True}
    assert ok(chdkptp(card, "reboot", "--no-reconnect")).err == "camera rebooted\n"

    res = ok(chdkptp(card, "--json", "lvdump", "--count", "3", "frames.lvdump", cwd=tmp_path))
    summary = json.loads(res.out)
    dump = tmp_path / "frames.lvdump"
    assert summary["frames"] == 3 and summary["size"] == dump.stat().st_size
    frames = read_frames(dump)
    assert len(frames) == 3 and all(f.viewport is not None for f in frames)


def test_doctor_in_a_child_process(tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    res = ok(chdkptp(card, "doctor"))
    assert res.out.splitlines()[-1].startswith("0 problem(s)")
    assert any(line.startswith("[ok] camera: ") and "CHDK protocol" in line
               for line in res.out.splitlines())
    res = ok(chdkptp(card, "--json", "doctor"))
    checks = {c["name"]: c for c in json.loads(res.out)["checks"]}
    assert checks["camera"]["status"] == "ok"
    assert checks["usb backend"]["status"] == "ok"
    res = ok(run_subprocess(["doctor", "--udev"]))
    assert 'ATTR{idVendor}!="04a9"' in res.out

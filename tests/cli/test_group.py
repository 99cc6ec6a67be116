"""``chdkptp group …`` against several simulated cameras (``--sim --sim-count N``), in-process."""

from __future__ import annotations

import json
from pathlib import Path

from chdkptp.cli import ExitCode
from tests.cli.conftest import Runner


def test_group_list(cli: Runner) -> None:
    res = cli("group", "list")
    assert res.code == 0, res.err
    lines = res.out.strip().splitlines()
    assert lines[0].split() == ["serial", "model", "chdk"]
    assert [line.split()[0] for line in lines[1:]] == ["SIM00001", "SIM00002", "SIM00003"]


def test_group_list_json_and_count(cli: Runner) -> None:
    res = cli("--json", "group", "--sim-count", "2", "list")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert [c["serial"] for c in data["cameras"]] == ["SIM00001", "SIM00002"]
    assert data["not_connected"] == {}


def test_group_serials_filter_reports_missing(cli: Runner) -> None:
    res = cli("--json", "group", "--serials", "SIM00002,NOPE", "list")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert [c["serial"] for c in data["cameras"]] == ["SIM00002"]
    assert list(data["not_connected"]) == ["NOPE"]


def test_group_lua(cli: Runner) -> None:
    res = cli("group", "lua", "return", "6*7")
    assert res.code == 0, res.err
    assert res.out.splitlines() == ["SIM00001: 42", "SIM00002: 42", "SIM00003: 42"]
    res = cli("--json", "group", "--sim-count", "2", "lua", "return {a=1}")
    data = json.loads(res.out)
    assert data["cameras"] == {s: {"ok": True, "value": {"a": 1}}
                               for s in ("SIM00001", "SIM00002")}


def test_group_lua_error_exit_code(cli: Runner) -> None:
    res = cli("--json", "group", "lua", "error('nope')")
    assert res.code == ExitCode.SCRIPT
    data = json.loads(res.out)
    assert {c["error_type"] for c in data["cameras"].values()} == {"ScriptError"}
    assert cli("group", "lua").code == ExitCode.USAGE  # no code given


def test_group_modes_status_sync(cli: Runner) -> None:
    res = cli("group", "rec")
    assert res.code == 0, res.err
    assert res.out.splitlines() == ["SIM00001: ok", "SIM00002: ok", "SIM00003: ok"]
    assert cli("group", "play").code == 0
    # every invocation starts with freshly powered-on simulated cameras: play mode
    res = cli("--json", "group", "status")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert {c["value"]["mode"] for c in data["cameras"].values()} == {"play"}
    res = cli("--json", "group", "sync", "--samples", "3")
    assert res.code == 0, res.err
    syncs = json.loads(res.out)["cameras"]
    assert all(c["value"]["samples"] == 3 for c in syncs.values())
    assert "offset" in cli("group", "sync").out


def test_group_shoot_and_download(cli: Runner, tmp_path: Path) -> None:
    res = cli("--json", "group", "--sim-count", "2", "shoot", "--delay", "0.4")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert set(data["cameras"]) == {"SIM00001", "SIM00002"}
    assert all(c["value"]["path"].endswith(".JPG") for c in data["cameras"].values())
    assert data["spread_ms"] >= 0 and data["uncertainty_ms"] >= 0
    # each invocation makes fresh simulated cameras, except the first one's card (--sim-card)
    res = cli("group", "--sim-count", "2", "download", str(tmp_path / "out"))
    assert res.code == 0, res.err
    assert (tmp_path / "out" / "SIM00001" / "100CANON" / "IMG_0001.JPG").is_file()
    assert (tmp_path / "out" / "SIM00002").is_dir()
    assert "1 file(s) downloaded" in res.out


def test_group_needs_a_subcommand(cli: Runner) -> None:
    assert cli("group").code == ExitCode.USAGE
    assert cli("group", "--sim-count", "0", "list").code == ExitCode.USAGE

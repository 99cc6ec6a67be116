"""Every subcommand against the simulated camera, in-process: text and ``--json`` output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from chdkptp.cli import ExitCode
from tests.cli.conftest import Runner


def shoot(cli: Runner, *args: str) -> str:
    res = cli("shoot", *args)
    assert res.code == 0, res.err
    return res.out.strip().splitlines()[0]


def test_list(cli: Runner) -> None:
    res = cli("list")
    assert res.code == 0
    header, row = res.out.strip().splitlines()
    assert header.split()[:3] == ["#", "model", "serial"]
    assert "PowerShot SX160 IS" in row and "SIM00001" in row and "04a9:" in row


def test_list_json(cli: Runner) -> None:
    res = cli("--json", "list")
    data = json.loads(res.out)
    assert res.code == 0
    assert data == [{"model": "PowerShot SX160 IS", "serial": "SIM00001", "bus": 1,
                     "address": 2, "vendor_id": 0x04A9, "product_id": data[0]["product_id"],
                     "access_error": None}]


def test_info_text(cli: Runner) -> None:
    res = cli("info")
    assert res.code == 0, res.err
    lines = {ln.split("  ")[0]: ln for ln in res.out.splitlines()}
    assert "Canon PowerShot SX160 IS" in lines["model"]
    assert "2.9" in lines["CHDK protocol"]
    assert "V" in lines["battery"] and "play" in lines["mode"]


def test_info_json_and_global_options_after_the_command(cli: Runner) -> None:
    res = cli("info", "--json")
    data = json.loads(res.out)
    assert data["chdk_protocol"] == [2, 9]
    assert data["serial"] == "SIM00001"
    assert data["status"]["mode"] == "play"
    assert data["status"]["battery_mv"] > 3000
    assert data["status"]["free_space"] > 0
    res = cli("--json", "info", "--no-status")
    assert "status" not in json.loads(res.out)


def test_luar_table_text(cli: Runner) -> None:
    res = cli("luar", "write_usb_msg('hello') return {1, 2, x=3, t={true}}, 'two', nil")
    assert res.code == 0, res.err
    assert res.out.splitlines() == ["hello", "{1, 2, t={true}, x=3}", '"two"', "nil"]


def test_luar_json(cli: Runner) -> None:
    res = cli("--json", "luar", "write_usb_msg({5, 6}) return {a={1, 2}, b='x'}")
    data = json.loads(res.out)
    assert data["result"] == {"a": [1, 2], "b": "x"}
    assert data["messages"][0]["value"] == [5, 6]
    assert data["messages"][0]["type"] == "user"


def test_luar_from_file_and_stdin(cli: Runner, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "s.lua"
    script.write_text("local a = 20\nreturn a + 1\n", encoding="utf-8")
    assert cli("luar", "-f", str(script)).out.strip() == "21"
    monkeypatch.setattr("sys.stdin", io.StringIO("return 6 * 7"))
    assert cli("luar", "-").out.strip() == "42"


def test_lua_then_shoot_and_rec_play(cli: Runner) -> None:
    res = cli("lua", "return 1")
    assert res.code == 0 and res.out.startswith("started script ")
    assert cli("rec").code == 0
    assert json.loads(cli("--json", "play").out) == {"mode": "play"}


def test_getm_putm_killscript_no_script(cli: Runner) -> None:
    res = cli("--json", "getm")
    assert res.code == 0 and json.loads(res.out) == []
    res = cli("putm", "hello")  # nothing runs in a fresh simulated camera
    assert res.code == ExitCode.ERROR
    assert "running" in res.err and res.err.count("\n") == 1
    assert cli("killscript").code == 0


def test_shoot_with_exposure_and_download(cli: Runner, card: Path, tmp_path: Path) -> None:
    path = shoot(cli, "--tv", "1/100", "--av", "4", "--iso", "200", "--nd", "out")
    assert path == "A/DCIM/100CANON/IMG_0001.JPG"
    assert (card / "DCIM" / "100CANON" / "IMG_0001.JPG").is_file()
    dest = tmp_path / "dl"
    dest.mkdir()
    res = cli("--json", "shoot", "--download", str(dest))
    data = json.loads(res.out)
    assert data["path"].endswith("IMG_0002.JPG")
    got = Path(data["downloaded"])
    assert got.parent == dest
    assert got.read_bytes() == (card / "DCIM" / "100CANON" / "IMG_0002.JPG").read_bytes()


def test_shoot_bad_value_is_usage(cli: Runner) -> None:
    res = cli("shoot", "--tv", "fast")
    assert res.code == ExitCode.USAGE
    assert "not a number" in res.err


def test_files_round_trip(cli: Runner, card: Path, tmp_path: Path) -> None:
    local = tmp_path / "NOTE.TXT"
    local.write_bytes(b"hello camera\n" * 100)
    res = cli("u", str(local), "A/")
    assert res.code == 0, res.err
    assert (card / "NOTE.TXT").read_bytes() == local.read_bytes()
    assert cli("mkdir", "A/X/Y").code == 0
    assert (card / "X" / "Y").is_dir()
    res = cli("ls", "A/")
    assert res.out.splitlines() == ["NOTE.TXT", "X/"]
    res = cli("ls", "-l", "-r", "A/")
    assert "1300" in res.out and "X/Y/" in res.out
    listing = json.loads(cli("--json", "ls", "A/").out)
    assert {e["name"]: e["size"] for e in listing} == {"NOTE.TXT": 1300, "X": 0}
    back = tmp_path / "back.txt"
    res = cli("d", "A/NOTE.TXT", str(back))
    assert res.code == 0, res.err
    assert back.read_bytes() == local.read_bytes()
    assert "-> " in res.out
    assert cli("rm", "A/NOTE.TXT").code == 0
    assert not (card / "NOTE.TXT").exists()
    assert cli("rm", "A/X").code != 0  # not empty without -r
    assert cli("rm", "-r", "A/X").code == 0
    assert not (card / "X").exists()


def test_download_missing_file_is_not_found(cli: Runner, tmp_path: Path) -> None:
    res = cli("download", "A/NOPE.JPG", str(tmp_path))
    assert res.code == ExitCode.NOT_FOUND
    assert "A/NOPE.JPG" in res.err
    assert list(tmp_path.iterdir()) == [tmp_path / "card"]


def test_upload_missing_local_file(cli: Runner, tmp_path: Path) -> None:
    res = cli("upload", str(tmp_path / "missing.txt"))
    assert res.code == ExitCode.NOT_FOUND


def test_mdl_mup_and_imdl(cli: Runner, card: Path, tmp_path: Path) -> None:
    shoot(cli)
    shoot(cli)
    out = tmp_path / "mdl"
    res = cli("mdl", "A/DCIM", str(out), "--match", "*.JPG")
    assert res.code == 0, res.err
    assert sorted(p.name for p in (out / "100CANON").iterdir()) == ["IMG_0001.JPG",
                                                                    "IMG_0002.JPG"]
    plan = json.loads(cli("--json", "imdl", str(tmp_path / "im"), "--last", "1",
                          "--dry-run").out)
    assert [p["action"] for p in plan] == ["planned"]
    assert plan[0]["remote"].endswith("IMG_0002.JPG")
    res = cli("imdl", str(tmp_path / "im"), "--numbers", "1-1", "--template", "{number}.{ext}")
    assert res.code == 0, res.err
    assert (tmp_path / "im" / "1.JPG").is_file()
    up = tmp_path / "up"
    (up / "SUB").mkdir(parents=True)
    (up / "SUB" / "A.TXT").write_text("a")
    res = cli("mup", str(up), "A/UP")
    assert res.code == 0, res.err
    assert (card / "UP" / "SUB" / "A.TXT").read_text() == "a"


def test_lvsnap_png(cli: Runner, tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    png = tmp_path / "lv.png"
    res = cli("--json", "lvsnap", str(png))
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert data["width"] * 3 == data["height"] * 4  # screen aspect (4:3) by default
    res = cli("lvsnap", str(png), "--native", "--no-overlay")
    assert "viewport," in res.out


def test_lvdump(cli: Runner, tmp_path: Path) -> None:
    from chdkptp.lvdump import read_frames

    dump = tmp_path / "x.lvdump"
    res = cli("--json", "lvdump", str(dump), "--count", "3")
    assert res.code == 0, res.err
    assert json.loads(res.out)["frames"] == 3
    assert len(read_frames(dump)) == 3


def test_reboot_reconnects(cli: Runner) -> None:
    # The simulated CHDK's reboot() power-cycles the camera (about 1.5 s off the bus).
    res = cli("--json", "reboot")
    assert res.code == ExitCode.OK, res.err
    assert json.loads(res.out) == {"rebooted": True, "reconnected": True}


def test_shell_keeps_the_connection(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        "# a comment",
        ". write_usb_msg('hi') return 5",
        "getm --wait 2",
        "= return {x=1}",
        "disconnect",
        "connect",
        "help ls",
        "luar 'error(\"bad\")'",
        "quit",
        "info",  # never reached
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    res = cli("shell")
    assert res.code == ExitCode.SCRIPT  # the last command run failed
    out = res.out.splitlines()
    assert out[0].startswith("started script ")
    script_id = out[0].split()[-1]
    assert f"{script_id}:user:hi" in out and f"{script_id}:ret:5" in out
    assert "{x=1}" in out
    assert "usage: chdkptp ls" in res.out
    assert "Canon PowerShot" not in res.out
    assert "bad" in res.err


def test_ptpip_host(cli: Runner) -> None:
    from chdkptp import sim

    camera = sim.SimulatedCamera(serial="WIFI0001")
    try:
        with sim.serve_ptpip(camera, port=0) as server:
            res = cli("--host", "127.0.0.1", "--port", str(server.port), "--json", "info",
                      sim=False)
            assert res.code == 0, res.err
            data = json.loads(res.out)
            assert data["serial"] == "WIFI0001" and data["chdk_protocol"] == [2, 9]
            res = cli("--host", "127.0.0.1", "--port", str(server.port), "luar", "return 3",
                      sim=False)
            assert res.out == "3\n"
    finally:
        camera.close()
    res = cli("--host", "127.0.0.1", "--serial", "X", "info", sim=False)
    assert res.code == ExitCode.USAGE and "host" in res.err
    res = cli("--host", "127.0.0.1", "--port", "9", "info", sim=False)  # nothing listens
    assert res.code == ExitCode.NOT_FOUND and "127.0.0.1:9" in res.err

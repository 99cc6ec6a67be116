"""``chdkptp rs`` (remote capture) against the simulated camera: JPEG by default, --dng,
--count, --json paths, bad options."""

from __future__ import annotations

import json
from pathlib import Path

from chdkptp.cli import ExitCode
from tests.cli.conftest import Runner


def test_rs_json_writes_jpeg(cli: Runner, tmp_path: Path, card: Path) -> None:
    dest = tmp_path / "shots"
    res = cli("--json", "rs", str(dest))
    assert res.code == ExitCode.OK, res.err
    paths = [Path(p) for p in json.loads(res.out)["paths"]]
    assert [p.name for p in paths] == ["IMG_0001.jpg"]
    data = paths[0].read_bytes()
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    assert sorted(p.name for p in dest.iterdir()) == ["IMG_0001.jpg"]
    assert not any(p.is_file() for p in card.rglob("*"))  # nothing saved to the card


def test_rs_text_count_and_formats(cli: Runner, tmp_path: Path) -> None:
    res = cli("remoteshoot", str(tmp_path / "out"), "--jpg", "--dng", "--count", "2",
              "--tv", "1/50", "--iso", "100")
    assert res.code == ExitCode.OK, res.err
    lines = res.out.strip().splitlines()
    assert [Path(line).name for line in lines] == [
        "IMG_0001.jpg", "IMG_0001.dng", "IMG_0002.jpg", "IMG_0002.dng",
    ]
    assert Path(lines[1]).read_bytes()[:4] == b"II*\x00"


def test_rs_bad_count(cli: Runner, tmp_path: Path) -> None:
    res = cli("rs", str(tmp_path / "out"), "--count", "0")
    assert res.code == ExitCode.USAGE
    assert not (tmp_path / "out").exists()


def test_rs_refused_format_is_an_error(cli: Runner, tmp_path: Path) -> None:
    # the simulated camera's Canon image format writes no CR2: init_usb_capture refuses
    res = cli("--json", "rs", str(tmp_path / "out"), "--craw")
    assert res.code == ExitCode.ERROR, res.err
    error = json.loads(res.err.strip().splitlines()[-1])
    assert error["type"] == "RemoteCaptureError" and "set-up failed" in error["error"]
    assert not any((tmp_path / "out").iterdir())


def test_rs_raw_line_range(cli: Runner, tmp_path: Path) -> None:
    res = cli("--json", "rs", str(tmp_path / "out"), "--raw", "--lstart", "4", "--lcount", "8")
    assert res.code == ExitCode.OK, res.err
    (path,) = json.loads(res.out)["paths"]
    assert Path(path).stat().st_size == 8 * 160 * 12 // 8  # 8 rows of the 160-pixel sensor
    res = cli("rs", str(tmp_path / "out2"), "--lstart", "4")  # jpg only: no raw rows
    assert res.code == ExitCode.USAGE

"""``chdkptp doctor``: each check on fake OS folders, and the whole run on this machine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chdkptp.cli.commands import doctor
from chdkptp.cli.exitcodes import ExitCode
from chdkptp.discovery import CameraInfo
from tests.cli.conftest import Runner


def fake_proc(root: Path, programs: dict[int, str]) -> Path:
    """A /proc with one folder per pid holding a NUL-separated cmdline."""
    for pid, argv0 in programs.items():
        (root / str(pid)).mkdir(parents=True)
        (root / str(pid) / "cmdline").write_bytes(argv0.encode() + b"\0--flag\0")
    (root / "self").mkdir()
    (root / "meminfo").write_text("")
    return root


def test_interfering_linux(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path / "proc", {
        12: "/usr/libexec/gvfs-gphoto2-volume-monitor", 13: "/usr/bin/bash",
        14: "gvfsd-gphoto2", 15: "/usr/bin/python3",
    })
    assert doctor.interfering_processes(proc, "linux") == ["gvfs-gphoto2-volume-monitor",
                                                           "gvfsd-gphoto2"]
    check = doctor.check_interfering(proc, "linux")
    assert check.status == "warn"
    assert check.fix is not None
    assert "systemctl --user stop gvfs-gphoto2-volume-monitor" in check.fix


def test_interfering_none(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path / "proc", {1: "/sbin/init"})
    assert doctor.check_interfering(proc, "linux").status == "ok"
    assert doctor.check_interfering(tmp_path / "missing", "linux").status == "ok"
    win = doctor.check_interfering(proc, "win32")
    assert win.status == "info" and win.fix is not None and "WinUSB" in win.fix


def test_udev_rule_missing_and_present(tmp_path: Path) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    check = doctor.check_udev([rules], "linux", euid=1000)
    assert check.status == "warn" and check.fix and "--install-udev" in check.fix
    (rules / "60-chdkptp.rules").write_text("x")
    assert doctor.check_udev([rules], "linux", euid=1000).status == "ok"
    assert doctor.check_udev([tmp_path / "none"], "linux", euid=0).status == "ok"  # root


def test_find_udev_rule(tmp_path: Path) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / "10-other.rules").write_text('ATTR{idVendor}=="046d", MODE="0666"\n')
    assert doctor.find_udev_rule([rules, tmp_path / "missing"]) is None
    (rules / "70-camera.rules").write_text('ATTR{idVendor}=="04A9", TAG+="uaccess"\n')
    assert doctor.find_udev_rule([rules]) == rules / "70-camera.rules"


def test_permissions_other_platforms() -> None:
    assert doctor.check_udev(plat="darwin").status == "info"
    win = doctor.check_udev(plat="win32")
    assert win.status == "info" and "Zadig" in (win.fix or "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may open any node")
def test_device_node_permissions(tmp_path: Path) -> None:
    node = tmp_path / "001" / "007"
    node.parent.mkdir()
    node.write_bytes(b"")
    node.chmod(0o444)
    info = CameraInfo(bus=1, address=7, vendor_id=0x4A9, product_id=0x325A, serial=None,
                      model="PowerShot SX160 IS")
    (check,) = doctor.check_device_nodes([info], tmp_path, "linux")
    assert check.status == "fail" and "udev" in (check.fix or "")
    node.chmod(0o666)
    assert doctor.check_device_nodes([info], tmp_path, "linux")[0].status == "ok"


def test_no_usb_bus_is_a_warning(tmp_path: Path) -> None:
    checks, backend = doctor.check_usb_backend(tmp_path / "no-bus", "linux")
    assert checks[0].status == "ok" and backend is not None  # libusb-package loads
    bus = checks[1]
    if bus.status != "ok":  # a machine without USB devices (this test machine has no bus)
        assert bus.status == "warn"
        assert "no USB bus on this machine" in bus.detail
        assert bus.fix is not None and "--sim" in bus.fix


def test_doctor_on_this_machine(cli: Runner) -> None:
    res = cli("doctor", sim=False)
    assert res.code in (ExitCode.OK, ExitCode.ERROR)
    assert "[ok] usb backend" in res.out
    assert "camera" in res.out
    assert res.out.rstrip().splitlines()[-1].endswith(("warning(s)", "all good"))


def test_doctor_sim_json(cli: Runner) -> None:
    res = cli("--json", "doctor")
    data = json.loads(res.out)
    by_name = {c["name"]: c for c in data["checks"]}
    assert by_name["camera"]["status"] == "ok"
    assert "CHDK protocol 2.9" in by_name["camera"]["detail"]
    assert by_name["usb backend"]["status"] == "ok"
    assert res.code == (ExitCode.ERROR if data["failed"] else ExitCode.OK)


def test_doctor_udev_print_and_install(cli: Runner, tmp_path: Path) -> None:
    res = cli("doctor", "--udev", sim=False)
    assert res.code == 0 and 'ATTR{idVendor}!="04a9"' in res.out
    res = cli("doctor", "--install-udev", str(tmp_path), sim=False)
    assert res.code == 0
    rule = tmp_path / "60-chdkptp.rules"
    assert 'ATTR{idVendor}!="04a9"' in rule.read_text()
    assert str(rule) in res.out
    assert "udevadm control --reload" in res.out

"""Error paths: no camera, permission denied, script errors, usage, JSON errors, Ctrl-C, -v."""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from typing import Any

import pytest
import usb.backend
import usb.core

from chdkptp import sim
from chdkptp.cli import ExitCode
from tests.cli.conftest import Runner


class DeniedBackend(usb.backend.IBackend):  # type: ignore[misc]
    """The OS edge as a user without the udev rule sees it: descriptors readable, open
    refused with EACCES (libusb's LIBUSB_ERROR_ACCESS), as the libusb1 backend reports it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def enumerate_devices(self) -> Iterator[Any]:
        return self.inner.enumerate_devices()  # type: ignore[no-any-return]

    def get_parent(self, dev: Any) -> Any:
        return self.inner.get_parent(dev)

    def get_device_descriptor(self, dev: Any) -> Any:
        return self.inner.get_device_descriptor(dev)

    def get_configuration_descriptor(self, dev: Any, config: int) -> Any:
        return self.inner.get_configuration_descriptor(dev, config)

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int, config: int) -> Any:
        return self.inner.get_interface_descriptor(dev, intf, alt, config)

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int,
                                config: int) -> Any:
        return self.inner.get_endpoint_descriptor(dev, ep, intf, alt, config)

    def open_device(self, dev: Any) -> Any:
        raise usb.core.USBError("Access denied (insufficient permissions)", error_code=-3,
                                errno=errno.EACCES)


@pytest.fixture
def sim_camera() -> Iterator[Any]:
    camera = sim.SimulatedCamera()
    yield camera
    camera.close()


def use_backend(monkeypatch: pytest.MonkeyPatch, backend: Any) -> None:
    """Replace the libusb loader (the OS edge) for runs without --sim."""
    monkeypatch.setattr("chdkptp.discovery.default_backend", lambda: backend)


def test_no_camera(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    use_backend(monkeypatch, sim.SimulatedBackend([]))
    res = cli("info", sim=False)
    assert res.code == ExitCode.NOT_FOUND
    assert res.err.startswith("chdkptp: error: no Canon PTP camera found")
    assert res.err.count("\n") == 1 and res.out == ""
    res = cli("list", sim=False)
    assert res.code == ExitCode.NOT_FOUND
    assert "doctor" in res.err


def test_no_matching_camera_lists_what_was_found(cli: Runner) -> None:
    res = cli("--model", "G7 X", "info")
    assert res.code == ExitCode.NOT_FOUND
    assert "no camera matches model='G7 X'" in res.err
    assert "SIM00001" in res.err  # the found camera, on an indented detail line


def test_permission_denied(cli: Runner, monkeypatch: pytest.MonkeyPatch,
                           sim_camera: Any) -> None:
    use_backend(monkeypatch, DeniedBackend(sim.SimulatedBackend([sim_camera])))
    res = cli("info", sim=False)
    assert res.code == ExitCode.ACCESS
    assert "permission denied" in res.err
    assert "udev" in res.err  # the fix for this OS (Linux here)
    res = cli("--json", "info", sim=False)
    err = json.loads(res.err)
    assert err["exit_code"] == 4 and err["type"] == "DeviceAccessError"
    res = cli("list", sim=False)
    assert res.code == 0
    assert "permission denied" in res.out  # the status column says why serial is unknown
    assert "udev" in res.err  # and the note under the table how to fix it


def test_script_errors(cli: Runner) -> None:
    res = cli("luar", "local x = 1\nerror('boom')")
    assert res.code == ExitCode.SCRIPT
    assert "runtime error" in res.err and "line 2" in res.err and "boom" in res.err
    assert res.err.count("\n") == 1
    res = cli("luar", "x = = 1")
    assert res.code == ExitCode.SCRIPT
    assert "compile error" in res.err
    res = cli("lua", "x = = 1")
    assert res.code == ExitCode.SCRIPT


def test_script_error_json(cli: Runner) -> None:
    res = cli("--json", "luar", "error('boom')")
    assert res.out == ""
    err = json.loads(res.err)
    assert err["type"] == "ScriptError" and err["exit_code"] == 5 and "boom" in err["error"]


def test_verbose_shows_traceback(cli: Runner) -> None:
    res = cli("-v", "luar", "error('boom')")
    assert res.code == ExitCode.SCRIPT
    assert "Traceback (most recent call last)" in res.err
    assert res.err.rstrip().endswith("boom")


@pytest.mark.parametrize("argv", [
    ["bogus-command"],
    [],
    ["shoot", "--iso"],
    ["shoot", "--tv", "0"],
    ["luar"],
    ["luar", "return 1", "--file", "x.lua"],
    ["--bus", "two", "list"],
    ["imdl", "--numbers", "9-1"],
])
def test_usage_errors(cli: Runner, argv: list[str]) -> None:
    res = cli(*argv)
    assert res.code == ExitCode.USAGE, res.err
    assert res.err


def test_help_and_version(cli: Runner) -> None:
    res = cli("--help", sim=False)
    assert res.code == 0
    assert "exit codes:" in res.out and "doctor" in res.out
    for name in ("list", "info", "lua", "luar", "getm", "putm", "ls", "download", "upload",
                 "mdl", "imdl", "rm", "mkdir", "shoot", "rec", "play", "lvsnap", "lvdump",
                 "reboot", "shell", "doctor"):
        assert f"    {name} " in res.out or f"    {name}\n" in res.out, name
    res = cli("--version", sim=False)
    assert res.code == 0 and res.out.startswith("chdkptp ")


def test_ctrl_c_exit_code(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    # The user presses Ctrl-C while the host waits for the script: the wait loop's sleep is
    # where the OS delivers SIGINT, as KeyboardInterrupt.
    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("chdkptp.camera.time.sleep", interrupted)
    res = cli("luar", "sleep(10000) return 1")
    assert res.code == ExitCode.INTERRUPTED
    assert "interrupted" in res.err

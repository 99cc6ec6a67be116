"""The public names of design §4 exist with the documented signatures."""

from __future__ import annotations

import inspect

import chdkptp


def test_top_level_names() -> None:
    for name in ("list_cameras", "connect", "Camera", "CameraInfo", "Script", "ScriptMessage",
                 "ChdkPtpError", "CameraNotFoundError", "DeviceAccessError", "ScriptError",
                 "ScriptRunningError", "UnsupportedProtocolError", "ChdkTimeoutError"):
        assert hasattr(chdkptp, name), name
        assert name in chdkptp.__all__


def test_signatures() -> None:
    params = inspect.signature(chdkptp.connect).parameters
    assert list(params)[:1] == ["serial"]
    for name in ("model", "bus", "address", "backend", "timeout"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert inspect.signature(chdkptp.list_cameras).parameters["backend"].kind is \
        inspect.Parameter.KEYWORD_ONLY
    cam = chdkptp.Camera
    assert "timeout" in inspect.signature(cam.run_lua).parameters
    for name in ("kill_running", "flush"):
        assert name in inspect.signature(cam.execute_script).parameters
    assert "timeout" in inspect.signature(cam.read_script_msg).parameters
    assert list(inspect.signature(cam.write_script_msg).parameters)[1:3] == ["value", "script_id"]
    for name in ("script_status", "switch_mode", "shoot", "close", "reconnect", "status"):
        assert callable(getattr(cam, name))
    for name in ("id", "wait", "messages", "send", "kill"):
        assert hasattr(chdkptp.Script, name) or name == "id"


def test_camera_info_fields() -> None:
    fields = set(chdkptp.CameraInfo.__dataclass_fields__)
    assert {"bus", "address", "vendor_id", "product_id", "serial", "model"} <= fields

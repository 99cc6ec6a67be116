"""chdkptp: control Canon PowerShot cameras running CHDK over PTP, in pure Python.

The public API is re-exported here (design §4); see README.md for a quickstart.
"""

from __future__ import annotations

from chdkptp.camera import Camera, CameraStatus, Script, connect
from chdkptp.discovery import CameraInfo, list_cameras
from chdkptp.errors import *  # noqa: F403
from chdkptp.errors import __all__ as _errors_all
from chdkptp.multicam import CameraGroup
from chdkptp.script import ScriptMessage

__version__ = "0.1.0.dev0"

__all__ = [
    "Camera",
    "CameraGroup",
    "CameraInfo",
    "CameraStatus",
    "Script",
    "ScriptMessage",
    "__version__",
    "connect",
    "list_cameras",
    *_errors_all,
]

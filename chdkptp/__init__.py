"""chdkptp: control Canon PowerShot cameras running CHDK over PTP, in pure Python.

The public API is re-exported here (design §4); see README.md for a quickstart.
"""

from __future__ import annotations

from chdkptp.errors import *  # noqa: F403
from chdkptp.errors import __all__ as _errors_all

__version__ = "0.1.0.dev0"

__all__ = ["__version__", *_errors_all]

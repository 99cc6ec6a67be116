"""The file suites from tests/files, run again over PTP/IP.

Test functions and their helper fixtures are imported unchanged; ``cam`` and ``sim`` come from
tests/ptpip/conftest.py (a camera served by ``sim.serve_ptpip``, reached with
``chdkptp.connect(host=...)``).  The fault tests run too: on the network face
``disconnect_after_bytes`` makes the camera leave the network and ``truncate_data_in`` stops a
data phase at a packet boundary (chdkptp/sim/ptpip.py).
"""

from __future__ import annotations

from tests.files.conftest import put  # noqa: F401
from tests.files.test_bulk import *  # noqa: F403
from tests.files.test_files import *  # noqa: F403

"""The client's end-to-end suites from tests/client (and live view), run again over PTP/IP.

The test functions are imported unchanged; here ``cam`` is ``chdkptp.connect(host=...)`` to
the same kind of simulated camera served by ``sim.serve_ptpip`` (tests/ptpip/conftest.py) and
``session`` is a :class:`Session` on a :class:`PtpipTransport`, so scripts, messages, errors,
kill, mode switches, shooting, status, events, session rules and live view are checked on both
transports with the same assertions.  Tests about USB itself (bus addresses, the pyusb
backend, USB-only fault knobs, Device Reset) are left out; their PTP/IP counterparts are in
test_transport.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import chdkptp
from chdkptp import sim as simpkg
from chdkptp.session import Session
from chdkptp.sim import PtpipServer
from chdkptp.transport.ptpip import PtpipTransport
from tests.client.test_control import (  # noqa: F401
    test_mode_change_event,
    test_no_storage_enumeration_during_control,
    test_reboot_without_camera_support_raises,
    test_reconnect_after_idle_power_down,
    test_reconnect_times_out_when_camera_stays_away,
    test_shoot_rejects_nonsense,
    test_shoot_with_exposure,
    test_status,
    test_switch_mode,
    test_zoom_and_focus,
)
from tests.client.test_scripts import *  # noqa: F403
from tests.client.test_session import (  # noqa: F401
    test_busy_maps_to_device_busy,
    test_open_close_idempotent,
    test_storage_enumeration_is_refused,
    test_strict_camera_accepts_our_ids,
    test_threads_share_one_camera,
    test_timeout_then_resync,
    test_too_many_params,
    test_transaction_ids_count_up,
    test_transaction_ids_wrap_before_the_reserved_value,
    test_unknown_subcommand_maps_by_category,
)
from tests.test_liveview_sim import (  # noqa: F401
    test_bitmap_and_palette_yuv411,
    test_digic6_bitmap_without_opacity_plane,
    test_digic6_yuv422_with_opacity,
    test_live_view_iterator,
    test_viewport_only_yuv411,
)


@pytest.fixture
def session(server: PtpipServer) -> Iterator[Session]:
    """An open session on a bare PTP/IP transport (the USB suite's ``session``)."""
    s = Session(PtpipTransport.open(server.host, server.port, timeout=2.0))
    s.open()
    yield s
    s.close()


def _ptpip_connect(**kwargs: Any) -> Iterator[Any]:
    camera = simpkg.SimulatedCamera(**kwargs)
    try:
        with simpkg.serve_ptpip(camera) as server, \
                chdkptp.connect(host=server.host, port=server.port) as conn:
            yield conn
    finally:
        camera.close()


@pytest.fixture
def cam411() -> Iterator[Any]:
    yield from _ptpip_connect(display="yuv411")


@pytest.fixture
def cam422() -> Iterator[Any]:
    yield from _ptpip_connect(display="yuv422")

"""Camera.live_view_frame / Camera.live_view end to end on the simulator (CHDK GetDisplayData)."""

from __future__ import annotations

import pytest

from chdkptp.camera import Camera
from chdkptp.errors import UnsupportedProtocolError
from chdkptp.liveview import LiveFrame

np = pytest.importorskip("numpy")


def test_live_view_frame_decodes_viewport(cam: Camera) -> None:
    frame = cam.live_view_frame()
    assert isinstance(frame, LiveFrame)
    rgb = frame.viewport_rgb()
    assert rgb.dtype == np.uint8
    assert rgb.shape[2] == 3
    assert rgb.shape[0] > 0 and rgb.shape[1] > 0
    assert int(rgb.max()) > int(rgb.min())  # a test pattern, not a blank frame


def test_live_view_frame_with_bitmap(cam: Camera) -> None:
    frame = cam.live_view_frame(viewport=True, bitmap=True, palette=True)
    rgba = frame.bitmap_rgba()
    assert rgba.shape[2] == 4
    assert frame.viewport_rgb().shape[2] == 3


def test_live_view_iterator_yields_moving_frames(cam: Camera) -> None:
    # 50 fps: 20 ms apart, and the simulated pattern moves every 10 ms of camera time
    stream = cam.live_view(fps=50, max_frames=3)
    frames = [frame.viewport_rgb() for frame in stream]
    assert len(frames) == 3
    assert stream.frames == 3
    assert any(not np.array_equal(frames[0], other) for other in frames[1:])
    assert stream.achieved_fps > 0


@pytest.mark.sim_camera(chdk_version=(2, 2))
def test_live_view_needs_protocol_2_3(cam: Camera) -> None:
    with pytest.raises(UnsupportedProtocolError):
        cam.live_view_frame()

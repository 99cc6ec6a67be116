"""Live view end to end: CHDK GetDisplayData through pyusb and the simulated camera.

The decoded images are checked against the plain-Python reference of tests/test_liveview.py
and against the simulator's documented test pattern (``sim.liveview.viewport_pattern``,
``bitmap_pattern`` and ``bitmap_colour`` are its definition).  Pacing of :class:`LiveView`
is checked with an injected clock, never with wall-clock timing asserts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import chdkptp
from chdkptp import sim
from chdkptp._generated.chdk_codes import FramebufferType, LiveViewFlags, PaletteType
from chdkptp.errors import ResponseError
from chdkptp.liveview import DEFAULT_FLAGS, LiveFrame, LiveView, get_frame, live_view_frame
from tests.test_liveview import ref_palette_colour, ref_yuv


def _connect(**kwargs: Any) -> Iterator[Any]:
    cam = sim.SimulatedCamera(**kwargs)
    backend = sim.SimulatedBackend([cam])
    with chdkptp.connect(backend=backend) as conn:
        yield conn


@pytest.fixture
def cam411() -> Iterator[Any]:
    yield from _connect(display="yuv411")


@pytest.fixture
def cam422() -> Iterator[Any]:
    yield from _connect(display="yuv422")


def test_viewport_only_yuv411(cam411: Any) -> None:
    frame = live_view_frame(cam411)
    assert frame.version == (2, 1)
    assert frame.has_viewport and not frame.has_bitmap and frame.palette is None
    vp = frame.viewport
    assert vp is not None and vp.fb_type == FramebufferType.YUV8
    rgb = frame.viewport_rgb()
    assert rgb.shape == (240, 720, 3)
    want = ref_yuv(frame.payload, vp.data_offset + 100 * 1080, 0, 720, 720, 60, False)
    assert np.array_equal(rgb[100:160], want)
    half = frame.viewport_rgb(skip=True)
    assert np.array_equal(half[100:160], want[:, [x for x in range(720) if x % 4 < 2]])


def test_bitmap_and_palette_yuv411(cam411: Any) -> None:
    frame = live_view_frame(cam411, bitmap=True)
    assert frame.has_bitmap and frame.palette_type == PaletteType.TYPE_3
    pal = frame.palette
    assert pal is not None and len(pal) == 1024
    bm = frame.bitmap
    assert bm is not None and bm.buffer_width == 960 and bm.visible_width == 720
    rgba = frame.bitmap_rgba()
    assert rgba.shape == (240, 720, 4)
    for y, x in [(0, 0), (1, 719), (120, 300), (239, 5), (110, 20)]:
        p = frame.payload[bm.data_offset + y * 960 + x]
        assert tuple(rgba[y, x]) == ref_palette_colour(3, pal, p)
    # the simulator draws a 2-pixel border: opaque at the edge, transparent inside
    assert rgba[0, 0, 3] > 0 and rgba[120, 300, 3] == 0
    out = frame.composite()
    assert out.shape == (240, 720, 3)
    vp = frame.viewport_rgb()
    assert np.array_equal(out[120, 300], vp[120, 300])


@pytest.mark.parametrize("palette_type", [0, 1, 2, 4, 5])
def test_every_palette_type_from_the_camera(palette_type: int) -> None:
    from chdkptp.sim.liveview import LiveViewSource

    cam = sim.SimulatedCamera(display="yuv411")
    source = LiveViewSource(cam.clock, display="yuv411", palette_type=palette_type)
    cam.liveview = cam.responder.liveview = source
    backend = sim.SimulatedBackend([cam])
    with chdkptp.connect(backend=backend) as conn:
        frame = get_frame(conn, DEFAULT_FLAGS)
        assert int(frame.palette_type) == palette_type
        bm = frame.bitmap
        assert bm is not None
        rgba = frame.bitmap_rgba()
        for y, x in [(0, 0), (120, 300), (110, 20), (239, 719)]:
            p = frame.payload[bm.data_offset + y * bm.buffer_width + x]
            assert tuple(rgba[y, x]) == ref_palette_colour(palette_type, frame.palette, p)


def test_digic6_yuv422_with_opacity(cam422: Any) -> None:
    frame = live_view_frame(cam422, bitmap=True)
    assert frame.version == (2, 2) and frame.has_opacity
    vp, bm, bmo = frame.viewport, frame.bitmap, frame.opacity
    assert vp is not None and bm is not None and bmo is not None
    assert vp.fb_type == FramebufferType.YUV8B and bm.fb_type == FramebufferType.YUV8B
    rgb = frame.viewport_rgb()
    assert rgb.shape == (480, 640, 3)
    # rows 200-239 (the reference is slow plain Python)
    band = ref_yuv(frame.payload, vp.data_offset + 200 * 1280, 2, 640, 640, 40, False)
    assert np.array_equal(rgb[200:240], band)
    rgba = frame.bitmap_rgba()
    band = ref_yuv(frame.payload, bm.data_offset + 100 * 1280, 2, 640, 640, 30, False)
    assert np.array_equal(rgba[100:130, :, :3], band)
    opacity = np.frombuffer(frame.payload, np.uint8, 640 * 480, bmo.data_offset).reshape(480, 640)
    assert np.array_equal(rgba[..., 3], opacity)
    assert frame.composite().shape == (480, 640, 3)


def test_digic6_bitmap_without_opacity_plane(cam422: Any) -> None:
    flags = LiveViewFlags.VIEWPORT | LiveViewFlags.BITMAP
    frame = get_frame(cam422, flags)
    assert frame.has_bitmap and not frame.has_opacity
    rgba = frame.bitmap_rgba()
    bm = frame.bitmap
    assert bm is not None
    groups = np.frombuffer(frame.payload, np.uint8, 640 * 480 * 2, bm.data_offset)
    clear = (groups.reshape(480, 320, 4) == [0x80, 0, 0x80, 0]).all(axis=2)
    assert clear.any() and not clear.all()
    assert np.array_equal(rgba[..., 3] == 0, np.repeat(clear, 2, axis=1))
    assert set(np.unique(rgba[..., 3])) == {0, 255}


def test_yuv422c_viewport() -> None:
    for conn in _connect(display="yuv422c"):
        frame = live_view_frame(conn)
        vp = frame.viewport
        assert vp is not None and vp.fb_type == FramebufferType.YUV8C
        want = ref_yuv(frame.payload, vp.data_offset + 400 * 1280, 3, 640, 640, 80, True)
        assert np.array_equal(frame.viewport_rgb(skip=True)[400:], want)


def test_lv_2_0_frames_decode() -> None:
    for conn in _connect(display="yuv411", lv_version=(2, 0)):
        frame = live_view_frame(conn, bitmap=True)
        assert frame.version == (2, 0)
        assert frame.viewport_rgb().shape == (240, 720, 3)
        assert frame.bitmap_rgba().shape == (240, 720, 4)


def test_camera_error_is_a_response_error() -> None:
    cam = sim.SimulatedCamera(display="yuv411")
    backend = sim.SimulatedBackend([cam])
    with chdkptp.connect(backend=backend) as conn:

        def broken(flags: int) -> bytes:
            raise ValueError("no display")

        cam.liveview.frame = broken  # type: ignore[method-assign]
        with pytest.raises(ResponseError):
            live_view_frame(conn)
        # the session survives
        del cam.liveview.frame
        assert live_view_frame(conn).has_viewport


def test_live_view_iterator(cam411: Any) -> None:
    frames = list(LiveView(cam411, fps=None, max_frames=4))
    assert len(frames) == 4 and all(isinstance(f, LiveFrame) for f in frames)
    lv = LiveView(cam411, fps=None, bitmap=True)
    with lv:
        first = next(lv)
        assert first.has_bitmap and lv.flags == int(DEFAULT_FLAGS)
        payloads = lv.payloads()
        assert isinstance(next(payloads), bytes)
    with pytest.raises(StopIteration):
        next(lv)
    assert lv.frames == 2


class FakeClock:
    """Injected clock: time advances by ``cost`` per request and by whatever is slept."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class CountingCamera:
    """Wraps a real (simulated) camera connection, adding a cost per request to the clock."""

    def __init__(self, conn: Any, clock: FakeClock, costs: list[float]) -> None:
        self.conn, self.clock, self.costs = conn, clock, costs

    def chdk(self, command: Any, *params: int, timeout: float | None = None) -> Any:
        self.clock.now += self.costs.pop(0) if self.costs else 0.01
        return self.conn.chdk(command, *params, timeout=timeout)


def test_live_view_pacing(cam411: Any) -> None:
    clock = FakeClock()
    # requests take 10 ms, then one slow 300 ms request, then 10 ms again
    cam = CountingCamera(cam411, clock, [0.01] * 5 + [0.3] + [0.01] * 5)
    lv = LiveView(cam, fps=10, max_frames=10, clock=clock, sleep=clock.sleep)
    for _ in lv:
        pass
    assert lv.frames == 10
    # on schedule: sleep the rest of each 100 ms period
    assert clock.slept[:4] == pytest.approx([0.09] * 4)
    # after the slow frame the schedule restarts instead of bursting to catch up
    assert all(s > 0.05 for s in clock.slept[5:])
    assert 5 < lv.achieved_fps <= 10.0 + 1e-9
    steady = LiveView(CountingCamera(cam411, FakeClock(), []), fps=20, max_frames=12)
    steady._clock = steady.cam.clock  # type: ignore[attr-defined]
    steady._sleep = steady.cam.clock.sleep  # type: ignore[attr-defined]
    for _ in steady:
        pass
    assert steady.achieved_fps == pytest.approx(20.0)


def test_live_view_arguments(cam411: Any) -> None:
    with pytest.raises(ValueError):
        LiveView(cam411, fps=0)
    with pytest.raises(ValueError):
        LiveView(cam411, window=1)
    assert LiveView(cam411).achieved_fps == 0.0


@pytest.mark.parametrize(("version", "opacity"), [((2, 6), False), ((2, 7), True)])
def test_opacity_flag_only_from_protocol_2_7(version: tuple[int, int], opacity: bool) -> None:
    from chdkptp._generated.chdk_codes import ChdkCommand
    from chdkptp._generated.ptp_codes import OperationCode

    with sim.SimulatedCamera(chdk_version=version) as camera:
        with chdkptp.connect(backend=sim.SimulatedBackend([camera])) as conn:
            frame = live_view_frame(conn, bitmap=True)
            assert frame.has_bitmap
            stream = conn.live_view(bitmap=True, max_frames=1, fps=None)
            assert len(list(stream)) == 1
        sent = [params[1] for op, params in camera.operations_log
                if op == OperationCode.CHDK and params[:1] == (ChdkCommand.GET_DISPLAY_DATA,)]
    assert len(sent) == 2
    for flags in sent:
        assert flags & LiveViewFlags.BITMAP
        assert bool(flags & LiveViewFlags.BITMAP_OPACITY) == opacity

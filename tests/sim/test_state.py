"""The simulated camera's state: mode switching, shooting and its files, exposure overrides,
props, config values, keys, power figures and hand-over to remote capture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chdkptp._generated.chdk_codes import CaptureFormatFlags as F
from chdkptp.sim import images
from chdkptp.sim.card import VirtualCard
from chdkptp.sim.clock import SimClock
from chdkptp.sim.state import (
    CONFIG_IDS,
    MODE_PLAY,
    MODE_REC,
    PROPCASES,
    CameraState,
)
from chdkptp.sim.state import MODE_SWITCH_MS as SWITCH


@pytest.fixture
def card() -> Iterator[VirtualCard]:
    c = VirtualCard()
    yield c
    c.cleanup()


@pytest.fixture
def clock() -> SimClock:
    # real time hardly moves it; tests step it with advance() (shared with test_lua_runtime)
    return SimClock(time_scale=1e-9)


@pytest.fixture
def state(card: VirtualCard, clock: SimClock) -> CameraState:
    return CameraState(card, clock, model="PowerShot SX160 IS", seed=7)


def to_record(state: CameraState, clock: SimClock) -> None:
    assert state.switch_mode(True)
    clock.advance(SWITCH)
    assert state.mode == "record"


# -- mode ----------------------------------------------------------------------------------------


def test_starts_in_play_and_switching_takes_time(state: CameraState, clock: SimClock) -> None:
    assert state.mode == "play"
    assert state.mode_word() == MODE_PLAY
    assert state.switch_mode(True) is True
    assert state.mode == "play"
    clock.advance(SWITCH - 1)
    assert state.mode == "play"
    clock.advance(1)
    assert state.mode == "record"
    assert state.mode_word() & MODE_REC
    state.switch_mode(False)
    clock.advance(SWITCH)
    assert state.mode == "play"


def test_record_refused_keeps_play(state: CameraState, clock: SimClock) -> None:
    state.record_refused = True
    assert state.switch_mode(True) is True  # accepted, as CHDK returns 1 ...
    clock.advance(10 * SWITCH)
    assert state.mode == "play"  # ... but the camera never gets there


def test_capture_mode_only_in_record(state: CameraState, clock: SimClock) -> None:
    assert not state.set_capture_mode(3)
    to_record(state, clock)
    assert state.set_capture_mode(3)
    assert state.mode_word() == MODE_REC | 3
    assert not state.set_capture_mode(200)


# -- shooting ------------------------------------------------------------------------------------


def test_shoot_in_play_mode_does_nothing(state: CameraState, card: VirtualCard) -> None:
    assert state.shoot() == ""
    assert state.image_counter == 0
    assert state.shots == []


def test_shoot_writes_a_jpeg_with_the_exposure_label(
    state: CameraState, clock: SimClock, card: VirtualCard
) -> None:
    to_record(state, clock)
    path = state.shoot()
    assert path == "A/DCIM/100CANON/IMG_0001.JPG"
    data = card.to_local(path).read_bytes()
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    exp = state.exposure()
    label = f"tv96={exp['tv96']} sv96={exp['sv96']} av96={exp['av96']} nd={exp['nd']}"
    assert label.encode() in data
    assert state.image_counter == 1
    info = state.shots[-1]
    assert (info.number, info.path, info.files, info.remote) == (1, path, (path,), False)
    assert 300 <= info.duration_ms <= 600 + 20  # 1/60 s exposure on top
    assert state.shooting
    clock.advance(info.duration_ms)
    assert not state.shooting
    assert state.shoot() == "A/DCIM/100CANON/IMG_0002.JPG"


def test_long_exposure_takes_longer(state: CameraState, clock: SimClock) -> None:
    to_record(state, clock)
    state.set_override("tv96", -96 * 3)  # 8 s
    state.shoot()
    assert state.shots[-1].duration_ms >= 8000


def test_overrides_apply_to_one_shot(
    state: CameraState, clock: SimClock, card: VirtualCard
) -> None:
    to_record(state, clock)
    state.set_override("tv96", 480)
    state.set_override("nd", 1)
    assert state.get_exposure("tv96") == 480
    path = state.shoot()
    assert b"tv96=480" in card.to_local(path).read_bytes()
    assert state.shots[-1].exposure["nd"] == 1
    assert state.overrides == {}
    assert state.get_exposure("tv96") == state.tv96
    with pytest.raises(ValueError):
        state.set_override("bogus", 1)


def test_raw_and_dng_files(state: CameraState, clock: SimClock, card: VirtualCard) -> None:
    to_record(state, clock)
    state.raw_enabled = True
    path = state.shoot()
    crw = card.to_local("A/DCIM/100CANON/CRW_0001.CRW").read_bytes()
    w, h = state.raw_size
    assert len(crw) == w * h * 12 // 8
    state.set_config(CONFIG_IDS["DNG_FORMAT"], 1)
    assert state.dng_enabled and state.get_config(CONFIG_IDS["DNG_FORMAT"]) == 1
    state.shoot()
    dng = card.to_local("A/DCIM/100CANON/CRW_0002.DNG").read_bytes()
    assert dng[:4] in (b"II*\x00", b"MM\x00*")
    assert state.shots[-1].files == (
        "A/DCIM/100CANON/IMG_0002.JPG",
        "A/DCIM/100CANON/CRW_0002.DNG",
    )
    assert path.endswith("IMG_0001.JPG")


def test_remote_capture_gets_the_shot_instead_of_the_card(
    state: CameraState, clock: SimClock, card: VirtualCard
) -> None:
    to_record(state, clock)
    rc = state.remote_capture
    assert rc.init(int(F.JPG | F.RAW), record_mode=True)
    path = state.shoot()
    assert path == "A/DCIM/100CANON/IMG_0001.JPG"
    assert not card.to_local(path).exists()
    assert state.shots[-1].remote and state.shots[-1].files == ()
    # RAW comes before JPG, one type at a time, tagged with the image number
    assert rc.is_ready() == (int(F.RAW), 1)
    raw = rc.get_data(int(F.RAW))
    assert raw is not None
    w, h = state.raw_size
    assert len(raw[0]) == w * h * 12 // 8
    assert rc.is_ready() == (int(F.JPG), 1)
    chunks = []
    while True:
        got = rc.get_data(int(F.JPG))
        assert got is not None
        chunks.append(got)
        if not got[1]:
            break
    assert any(b"IMG_0001" in c[0] for c in chunks)


def test_remote_raw_line_range_uses_the_simulated_sensor(
    state: CameraState, clock: SimClock
) -> None:
    to_record(state, clock)
    rc = state.remote_capture
    w, h = state.raw_size
    assert rc.init(int(F.RAW), 10, 20, record_mode=True)
    state.shoot()
    got = rc.get_data(int(F.RAW))
    assert got is not None
    full = images.make_chdk_raw(w, h, 12, seed=state.seed * 100003 + 1)
    row = w * 12 // 8
    assert got[0] == full[10 * row : 30 * row]


# -- lens, props, keys, power --------------------------------------------------------------------


def test_zoom_is_clamped(state: CameraState) -> None:
    state.set_zoom(10_000)
    assert state.zoom == state.zoom_steps - 1
    state.set_zoom(-5)
    assert state.zoom == 0
    assert state.focal_length_um() == 5000


def test_props_are_live_for_exposure_and_shooting(state: CameraState, clock: SimClock) -> None:
    assert state.get_prop(PROPCASES["TV"]) == state.tv96
    state.set_prop(PROPCASES["TV"], 400)
    assert state.get_prop(PROPCASES["TV"]) == 400 == state.get_exposure("tv96")
    state.set_prop(PROPCASES["USER_AV"], 300)
    assert state.av96 == 300
    state.set_prop(12345, 9)
    assert state.get_prop(12345) == 9
    assert state.get_prop(54321) == 0
    to_record(state, clock)
    state.shoot()
    assert state.get_prop(PROPCASES["SHOOTING"]) == 1


def test_iso_from_sv96(state: CameraState) -> None:
    assert state.iso == 100
    state.set_override("sv96", 480 + 96)
    assert state.iso == 200


def test_keys(state: CameraState) -> None:
    state.press("shoot_half")
    assert state.pressed == {"shoot_half"}
    state.release("shoot_half")
    state.press("menu")
    state.release_all()
    assert state.pressed == set()
    with pytest.raises(ValueError):
        state.press("nonsense")


def test_half_press_locks_focus_then_reports_shooting(state: CameraState, clock: SimClock) -> None:
    from chdkptp.sim.state import HALF_PRESS_MS

    state.press("shoot_half")  # in play mode nothing happens
    clock.advance(HALF_PRESS_MS)
    assert not state.shooting
    state.release("shoot_half")
    to_record(state, clock)
    state.press("shoot_half")
    clock.advance(HALF_PRESS_MS - 1)
    assert not state.shooting
    clock.advance(1)
    assert state.shooting
    state.release("shoot_half")
    assert not state.shooting


def test_power_and_temperatures(state: CameraState, clock: SimClock) -> None:
    v0 = state.vbatt_mv()
    assert 3300 < v0 <= 4100
    clock.advance(60 * 60 * 1000)
    assert state.vbatt_mv() < v0
    for which in (0, 1, 2):
        assert 10 <= state.temperature(which) <= 60
    with pytest.raises(ValueError):
        state.temperature(3)


def test_same_seed_same_pictures(card: VirtualCard, clock: SimClock) -> None:
    a = CameraState(card, clock, model="PowerShot SX160 IS", seed=1)
    to_record(a, clock)
    first = card.to_local(a.shoot()).read_bytes()
    with VirtualCard() as other:
        b = CameraState(other, clock, model="PowerShot SX160 IS", seed=1)
        b.switch_mode(True)
        clock.advance(SWITCH)
        second = other.to_local(b.shoot()).read_bytes()
    assert first == second

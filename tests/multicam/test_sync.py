"""Clock sync and synchronized shooting on simulated cameras with very different clocks.

No wall-clock timing asserts: the offsets are checked against each simulated camera's own clock
(read next to ``time.monotonic()``), and firing times are compared as camera ticks, which the
simulator keeps deterministically (a script's ``sleep`` wakes at its due tick, whenever the
host polls).  The maths is tested directly too.
"""

from __future__ import annotations

import time

import pytest

from chdkptp import CameraGroup
from chdkptp.errors import ChdkError, DeviceDisconnectedError, ScriptError
from chdkptp.multicam import ClockSync, ShotResult, offset_from_samples
from chdkptp.sim import SimulatedCamera
from tests.multicam.conftest import OFFSETS

#: CHDK's sleep() lasts at least one 10 ms keyboard-task tick: a shot can be this late.
TICK_MS = 10
#: The simulated tick counter truncates to whole ms (once when sampled, once when checked).
ROUNDING_MS = 2


def true_offset_ms(cam: SimulatedCamera) -> float:
    """The camera's real tick-minus-host-ms offset, read straight from the simulator."""
    before = time.monotonic()
    tick = cam.clock.now_ms()
    after = time.monotonic()
    return tick - (before + after) * 500.0


# --- the maths -------------------------------------------------------------------------------


def test_offset_from_samples_takes_the_shortest_round_trip() -> None:
    sync = offset_from_samples([
        (10.000, 5_000.0, 10.010),   # 10 ms round trip
        (11.000, 6_001.5, 11.003),   # 3 ms: this one wins
        (12.000, 7_000.0, 12.020),
    ])
    assert sync.samples == 3
    assert sync.rtt_ms == pytest.approx(3.0)
    assert sync.uncertainty_ms == pytest.approx(1.5)
    assert sync.offset_ms == pytest.approx(6_001.5 - 11_001.5)
    assert sync.to_tick(12.0) == 7_000
    assert sync.to_host(7_000) == pytest.approx(12.0)


def test_offset_from_samples_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        offset_from_samples([])
    with pytest.raises(ValueError):
        offset_from_samples([(2.0, 1.0, 1.0)])


def test_clock_sync_round_trip() -> None:
    sync = ClockSync(offset_ms=-123_456.4, uncertainty_ms=1.0, rtt_ms=2.0, samples=1)
    for host in (0.0, 1.5, 98_765.4321):
        assert abs(sync.to_host(sync.to_tick(host)) - host) <= 0.0005


def test_shot_result_late() -> None:
    shot = ShotResult(path="A/DCIM/100CANON/IMG_0001.JPG", target=1000, fired=1010,
                      prepared=900, host_time=1.0)
    assert shot.late_ms == 10


# --- on the simulator ----------------------------------------------------------------------


def test_sync_clocks_measures_each_offset(group: CameraGroup,
                                          rig: dict[str, SimulatedCamera]) -> None:
    res = group.sync_clocks(samples=6)
    assert res.ok, res.errors
    assert group.clock_sync == res.successes
    for serial, sync in res.successes.items():
        assert isinstance(sync, ClockSync) and sync.samples == 6
        assert sync.uncertainty_ms == pytest.approx(sync.rtt_ms / 2)
        assert 0 < sync.uncertainty_ms < 1000
        assert abs(sync.offset_ms - true_offset_ms(rig[serial])) <= (
            sync.uncertainty_ms + ROUNDING_MS)
    offsets = [res[s].value.offset_ms for s in OFFSETS]
    assert offsets[1] - offsets[0] == pytest.approx(3_600_000, abs=10_000)
    with pytest.raises(ValueError):
        group.sync_clocks(samples=0)


def test_synchronized_shot_fires_together(group: CameraGroup,
                                          rig: dict[str, SimulatedCamera]) -> None:
    before = {s: cam.state.image_counter for s, cam in rig.items()}
    # from play mode: the group switches every camera to record before scheduling
    shot = group.shoot(delay=1.0)
    assert shot.results.ok, shot.results.errors
    syncs = group.clock_sync
    assert set(syncs) == set(OFFSETS)
    for serial, res in shot.results.successes.items():
        assert res.target == syncs[serial].to_tick(shot.at)
        assert res.prepared <= res.target          # ready before the moment came
        assert 0 <= res.late_ms <= TICK_MS         # never early, at most one tick late
        assert rig[serial].state.image_counter == before[serial] + 1
        assert rig[serial].card.to_local(res.path).is_file()
        assert shot.paths[serial] == res.path
    # converted to host time with the simulator's true offsets, the cameras fired together,
    # up to the measured uncertainties and one sleep tick
    true_times = [(r.fired - true_offset_ms(rig[s])) / 1000.0
                  for s, r in shot.results.successes.items()]
    worst = sum(sorted((syncs[s].uncertainty_ms for s in OFFSETS), reverse=True)[:2])
    assert max(true_times) - min(true_times) <= (worst + TICK_MS + 2 * ROUNDING_MS) / 1000.0
    # the group's own estimate of the spread agrees with its reported uncertainty
    assert shot.uncertainty == pytest.approx(worst / 1000.0)
    assert shot.spread is not None
    assert shot.spread <= shot.uncertainty + (TICK_MS + ROUNDING_MS) / 1000.0


def test_shot_scheduled_in_the_past_fires_late(group: CameraGroup) -> None:
    assert group.switch_mode("record").ok
    group.sync_clocks(samples=2)
    shot = group.shoot(at=time.monotonic() - 2.0)
    assert shot.results.ok, shot.results.errors
    assert all(r.late_ms >= 2000 for r in shot.results.successes.values())


def test_camera_unplugged_before_the_shot(group: CameraGroup,
                                          rig: dict[str, SimulatedCamera]) -> None:
    group.sync_clocks(samples=2)
    rig["RIG0003"].unplug()
    shot = group.shoot(delay=0.3)
    assert sorted(shot.paths) == ["RIG0001", "RIG0002"]
    err = shot.results.errors["RIG0003"]
    assert isinstance(err, ChdkError) and isinstance(err.__cause__, DeviceDisconnectedError)


def test_camera_failing_to_get_ready(group: CameraGroup,
                                     rig: dict[str, SimulatedCamera]) -> None:
    rig["RIG0002"].faults.script_runtime_error = "no clock"
    shot = group.shoot(delay=0.3)   # RIG0002's first script (the mode switch) fails
    err = shot.results.errors["RIG0002"]
    assert isinstance(err, ChdkError) and isinstance(err.__cause__, ScriptError)
    assert "not ready to shoot" in str(err)
    assert sorted(shot.paths) == ["RIG0001", "RIG0003"]
    assert shot.spread is not None
    with pytest.raises(ValueError):
        group.shoot(delay=-1)

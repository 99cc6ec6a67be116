"""Sans-IO CHDK helpers: version gating, exec flags, response decoding, polling schedule."""

from __future__ import annotations

import pytest

from chdkptp._generated.chdk_codes import (
    ChdkCommand,
    ExecFlags,
    ExecStartStatus,
    ScriptLanguage,
    ScriptStatusFlags,
    WriteMsgStatus,
)
from chdkptp.errors import ChdkError, ScriptRunningError, UnsupportedProtocolError
from chdkptp.ptp.chdk import (
    FEATURES,
    OUR_VERSION,
    PollSchedule,
    ScriptStatus,
    check_feature,
    check_major,
    command_since,
    exec_flags,
    exec_params,
    parse_since,
    start_result,
    supports,
    write_status_error,
)

DEFAULT = int(ExecFlags.NOKILL | ExecFlags.FLUSH_CAM_MSGS | ExecFlags.FLUSH_HOST_MSGS)


def test_parse_since() -> None:
    assert parse_since("2.5") == (2, 5)
    assert parse_since("0.1") == (0, 1)
    assert parse_since(3) == (3, 0)
    assert parse_since(None) == (0, 0)


def test_command_since_comes_from_the_spec() -> None:
    assert command_since(ChdkCommand.VERSION) <= (0, 1)
    assert command_since(ChdkCommand.REMOTE_CAPTURE_IS_READY) == (2, 5)
    assert command_since(ChdkCommand.GET_DISPLAY_DATA) == (2, 3)


@pytest.mark.parametrize(
    ("version", "feature", "expected"),
    [
        ((2, 9), "exec_flags", True),
        ((2, 6), "exec_flags", True),
        ((2, 5), "exec_flags", False),
        ((2, 5), "remote_capture", True),
        ((2, 4), "remote_capture", False),
        ((2, 3), "live_view", True),
        ((2, 2), "live_view", False),
        ((2, 0), "script_status", True),
        ((2, 1005), "remote_capture_craw", True),  # development builds have minor > 1000
        ((3, 9), "exec_flags", False),  # another major: nothing is compatible
        ((1, 9), "script_messages", False),
        (None, "exec_flags", False),
    ],
)
def test_supports(version: tuple[int, int] | None, feature: str, expected: bool) -> None:
    assert supports(version, feature) is expected


def test_unknown_feature() -> None:
    with pytest.raises(ValueError):
        supports((2, 9), "teleport")


def test_check_major_and_feature() -> None:
    assert check_major(OUR_VERSION) == OUR_VERSION
    with pytest.raises(UnsupportedProtocolError, match="does not run CHDK"):
        check_major(None)
    with pytest.raises(UnsupportedProtocolError, match="major"):
        check_major((3, 0))
    check_feature((2, 6), "exec_flags")
    with pytest.raises(UnsupportedProtocolError, match=r"2\.6"):
        check_feature((2, 5), "exec_flags")
    assert set(FEATURES) >= {"exec_flags", "remote_capture", "live_view"}


def test_exec_flags() -> None:
    assert exec_flags((2, 9), kill_running=False, flush=True) == DEFAULT
    assert exec_flags((2, 9), kill_running=True, flush=True) == DEFAULT & ~ExecFlags.NOKILL
    assert exec_flags((2, 9), kill_running=False, flush=False) == ExecFlags.NOKILL
    assert exec_flags((2, 5), kill_running=False, flush=True) == 0
    assert exec_params(DEFAULT) == (ChdkCommand.EXECUTE_SCRIPT, ScriptLanguage.LUA | DEFAULT)


def test_script_status_from_params() -> None:
    assert ScriptStatus.from_params((0,)) == ScriptStatus(False, False)
    both = int(ScriptStatusFlags.RUN | ScriptStatusFlags.MSG)
    assert ScriptStatus.from_params((both,)) == ScriptStatus(True, True)
    assert ScriptStatus.from_params((int(ScriptStatusFlags.MSG),)) == ScriptStatus(False, True)
    assert ScriptStatus.from_params(()) == ScriptStatus(False, False)


def test_start_result() -> None:
    assert start_result((12, ExecStartStatus.OK)) == (12, ExecStartStatus.OK)
    assert start_result((13, ExecStartStatus.COMPILE_ERROR))[1] == ExecStartStatus.COMPILE_ERROR
    with pytest.raises(ScriptRunningError):
        start_result((12, ExecStartStatus.SCRIPT_RUNNING))
    with pytest.raises(ChdkError, match="unknown"):
        start_result((12, 0x7777))


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (WriteMsgStatus.NOTRUN, "not_running"),
        (WriteMsgStatus.QFULL, "queue_full"),
        (WriteMsgStatus.BADID, "bad_id"),
        (0x55, 0x55),
    ],
)
def test_write_status_error(status: int, kind: object) -> None:
    err = write_status_error((int(status),), 4)
    assert isinstance(err, ChdkError)
    assert err.status == kind


def test_write_status_ok() -> None:
    assert write_status_error((int(WriteMsgStatus.OK),), 0) is None


class _StepClock:
    """A clock that only moves when told (the schedule reads it; the test sleeps on it)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_poll_schedule_starts_fast_then_follows_time_waited() -> None:
    clock = _StepClock()
    schedule = PollSchedule(clock=clock, first=0.002, maximum=0.05, immediate=2, fraction=0.1)
    assert [schedule.next_delay(), schedule.next_delay()] == [0.0, 0.0]
    assert schedule.next_delay() == 0.002  # nothing waited yet: the floor
    clock.now += 0.1
    assert schedule.next_delay() == pytest.approx(0.01)  # 10 % of the 100 ms waited
    clock.now += 10.0
    assert schedule.next_delay() == 0.05  # the ceiling
    schedule.reset()
    assert schedule.next_delay() == 0.0
    assert [schedule.next_delay(), schedule.next_delay()] == [0.0, 0.002]


@pytest.mark.parametrize("run_time", [0.005, 0.01, 0.1, 0.3, 1.0, 5.0])
def test_poll_schedule_lateness_and_poll_count(run_time: float) -> None:
    """A script ending at ``run_time`` is seen within max(2 ms, 10 %) (capped at 50 ms), and a
    1 s script costs at most 60 polls (each poll here takes 0.2 ms of camera time)."""
    clock = _StepClock()
    start = clock.now
    schedule = PollSchedule(clock=clock)
    polls = 0
    while True:
        clock.now += 0.0002  # the ScriptStatus transaction
        polls += 1
        if clock.now - start >= run_time:
            break
        clock.now += schedule.next_delay()
    late = clock.now - start - run_time
    assert late <= max(0.0022, min(0.05, 0.1 * run_time) + 0.0002)
    if run_time <= 1.0:
        assert polls <= 60


def test_poll_schedule_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        PollSchedule(clock=_StepClock(), first=0)
    with pytest.raises(ValueError):
        PollSchedule(clock=_StepClock(), first=0.1, maximum=0.01)
    with pytest.raises(ValueError):
        PollSchedule(clock=_StepClock(), fraction=0)
    with pytest.raises(ValueError):
        PollSchedule(clock=_StepClock(), fraction=1.5)
    with pytest.raises(ValueError):
        PollSchedule(clock=_StepClock(), immediate=-1)

"""Session behaviour end to end: open/close, ids, response mapping, recovery, threads, exit."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chdkptp._generated.chdk_codes import ChdkCommand
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp._generated.ptp_codes import OperationCode, ResponseCode
from chdkptp.camera import Camera, connect
from chdkptp.discovery import find_device
from chdkptp.errors import (
    ChdkTimeoutError,
    DeviceBusy,
    LocalProtocolError,
    OperationNotSupported,
    ResponseError,
    SessionError,
)
from chdkptp.session import Session, close_all_sessions, operation_name, response_error
from chdkptp.sim import SimulatedBackend, SimulatedCamera
from chdkptp.transport.usb import UsbTransport


def ops(sim: SimulatedCamera) -> list[int]:
    return [op for op, _params in sim.operations_log]


@pytest.fixture
def session(backend: SimulatedBackend) -> Iterator[Session]:
    device, _ = find_device(backend=backend)
    s = Session(UsbTransport.open(device, timeout=2.0))
    s.open()
    yield s
    s.close()


def test_open_close_idempotent(session: Session, sim: SimulatedCamera) -> None:
    assert session.is_open
    session.open()  # no second OpenSession
    assert ops(sim).count(OperationCode.OPEN_SESSION) == 1
    session.close()
    session.close()
    assert not session.is_open
    assert ops(sim).count(OperationCode.CLOSE_SESSION) == 1
    with pytest.raises(LocalProtocolError):
        session.transaction(OperationCode.CHDK, (ChdkCommand.VERSION,))


def test_transaction_ids_count_up(session: Session) -> None:
    first = session.last_transaction_id
    for _ in range(3):
        session.transaction(OperationCode.CHDK, (ChdkCommand.SCRIPT_STATUS,))
    assert session.last_transaction_id == first + 3


@pytest.mark.sim_camera(strict_transaction_ids=True)
def test_strict_camera_accepts_our_ids(session: Session) -> None:
    for _ in range(5):
        session.transaction(OperationCode.CHDK, (ChdkCommand.VERSION,))


def test_busy_maps_to_device_busy(session: Session, sim: SimulatedCamera) -> None:
    sim.faults.busy_responses = 1
    with pytest.raises(DeviceBusy) as info:
        session.transaction(OperationCode.CHDK, (ChdkCommand.VERSION,))
    assert info.value.code == ResponseCode.DEVICE_BUSY
    assert info.value.operation == OperationCode.CHDK
    assert "CHDK VERSION" in str(info.value)
    assert session.transaction(OperationCode.CHDK, (ChdkCommand.VERSION,)).params[0] == 2


def test_unknown_subcommand_maps_by_category(session: Session) -> None:
    # CHDK answers ParameterNotSupported; the spec files it under "not_supported"
    with pytest.raises(OperationNotSupported):
        session.transaction(OperationCode.CHDK, (200,))


def test_response_error_classes() -> None:
    assert isinstance(response_error(ResponseCode.OPERATION_NOT_SUPPORTED, 0x1001),
                      OperationNotSupported)
    assert isinstance(response_error(ResponseCode.SESSION_NOT_OPEN, 0x1001), SessionError)
    assert isinstance(response_error(ResponseCode.INVALID_TRANSACTION_ID, 0x1001), SessionError)
    err = response_error(ResponseCode.GENERAL_ERROR, OperationCode.CHDK, (7,), (1, 2))
    assert type(err) is ResponseError
    assert err.params == (1, 2)
    unknown = response_error(0xA123, 0x1001)
    assert isinstance(unknown, ResponseError)
    assert operation_name(OperationCode.CHDK, (ChdkCommand.EXECUTE_SCRIPT,)) == \
        "CHDK EXECUTE_SCRIPT"


@pytest.mark.parametrize("op", [OperationCode.GET_STORAGE_IDS, OperationCode.GET_OBJECT_HANDLES,
                                OperationCode.GET_OBJECT_INFO, OperationCode.GET_PARTIAL_OBJECT])
def test_storage_enumeration_is_refused(session: Session, sim: SimulatedCamera,
                                        op: OperationCode) -> None:
    with pytest.raises(LocalProtocolError):
        session.transaction(op, (0xFFFFFFFF,))
    assert sim.storage_enumeration_count == 0


def test_too_many_params(session: Session) -> None:
    with pytest.raises(ValueError):
        session.transaction(OperationCode.CHDK, (0, 0, 0, 0, 0, 0))


def test_min_gap_keeps_slow_camera_happy(backend: SimulatedBackend, sim: SimulatedCamera) -> None:
    sim.faults.min_transaction_gap_ms = 150  # wide: no false pass on a loaded machine
    with pytest.raises(DeviceBusy):  # noqa: SIM117 - connect itself must fail
        with connect(backend=backend) as cam:
            for _ in range(5):
                cam.script_status()
    sim.faults.min_transaction_gap_ms = 15
    with connect(backend=backend, min_gap=0.03) as cam:
        for _ in range(3):
            cam.script_status()
        assert cam.run_lua("return 9") == 9


def test_open_retries_after_device_reset(backend: SimulatedBackend, sim: SimulatedCamera) -> None:
    sim.faults.busy_responses = 1  # the first OpenSession is refused
    with connect(backend=backend) as cam:
        assert cam.run_lua("return 1") == 1
    assert ops(sim).count(OperationCode.OPEN_SESSION) == 2


def test_session_already_open_is_accepted(backend: SimulatedBackend, sim: SimulatedCamera) -> None:
    device, _ = find_device(backend=backend)
    stale = Session(UsbTransport.open(device))
    stale.open()
    stale.transport.close()  # a client that died without CloseSession
    with connect(backend=backend) as cam:
        assert cam.run_lua("return 2") == 2


def test_timeout_then_resync(session: Session, sim: SimulatedCamera) -> None:
    sim.faults.read_timeouts = 1
    with pytest.raises(ChdkTimeoutError):
        session.transaction(OperationCode.CHDK, (ChdkCommand.VERSION,), timeout=0.05)
    # the answer to the timed-out transaction is still queued: it must be skipped
    resp = session.transaction(OperationCode.CHDK, (ChdkCommand.SCRIPT_STATUS,))
    assert resp.code == ResponseCode.OK


def test_threads_share_one_camera(cam: Camera) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                results.append(cam.run_lua(f"return {n * 100 + i}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == sorted(n * 100 + i for n in range(4) for i in range(5))


def test_close_all_sessions_at_exit(backend: SimulatedBackend, sim: SimulatedCamera) -> None:
    cam = connect(backend=backend)
    assert not cam.closed
    close_all_sessions()  # what atexit runs
    assert cam.closed
    assert ops(sim)[-1] == OperationCode.CLOSE_SESSION


def test_ctrl_c_in_with_block_closes_session(backend: SimulatedBackend,
                                             sim: SimulatedCamera) -> None:
    def interrupt(_msg: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), connect(backend=backend) as cam:
        cam.run_lua("write_usb_msg('x') sleep(50)", on_message=interrupt)
    assert cam.closed
    assert ops(sim)[-1] == OperationCode.CLOSE_SESSION
    with connect(backend=backend) as again:
        assert again.run_lua("return 3", kill_running=True) == 3


def test_ctrl_c_during_data_phase_recovers(backend: SimulatedBackend,
                                           sim: SimulatedCamera) -> None:
    sim.card.to_local("A/BIG.BIN").write_bytes(b"q" * 3_000_000)
    calls = 0

    def sink(_chunk: memoryview) -> None:
        nonlocal calls
        calls += 1
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), connect(backend=backend) as cam:
        cam.chdk(ChdkCommand.TEMP_DATA, 0, data_out=b"A/BIG.BIN")
        cam.chdk(ChdkCommand.DOWNLOAD_FILE, sink=sink)
    assert calls == 1
    assert cam.closed
    with connect(backend=backend) as again:
        assert again.run_lua("return 4") == 4


def test_transaction_ids_wrap_before_the_reserved_value(session: Session) -> None:
    session._tid = 0xFFFFFFFE
    session.transaction(OperationCode.CHDK, (ChdkCommand.VERSION,))
    assert session.last_transaction_id == 1


def test_ctrl_c_during_upload_recovers_in_the_same_session(cam: Camera,
                                                            sim: SimulatedCamera) -> None:
    class Interrupting(io.RawIOBase):
        def __init__(self) -> None:
            self.reads = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            self.reads += 1
            if self.reads > 1:
                raise KeyboardInterrupt
            view = memoryview(buffer)
            view[:] = b"\0" * len(view)
            return len(view)

    name = b"A/PART.BIN"
    head = ChdkUploadFile(len_name=len(name), name=name, contents=b"").to_bytes()
    size = len(head) + 3_000_000
    source = io.BufferedReader(Interrupting(), buffer_size=1 << 16)
    with pytest.raises(KeyboardInterrupt):
        cam.chdk(ChdkCommand.UPLOAD_FILE, data_out=source, data_size=size)  # type: ignore[arg-type]
    # the next transaction cancels the half-sent one and carries on
    assert cam.run_lua("return 11") == 11
    assert cam.script_status().running is False


def test_interpreter_exit_closes_a_forgotten_session(tmp_path: Path) -> None:
    """A real interpreter exit: the atexit hook sends CloseSession for a camera left open."""
    script = tmp_path / "forget.py"
    script.write_text(textwrap.dedent("""
        import atexit
        seen = {}
        # registered before chdkptp's hook, so it runs after it (atexit is LIFO)
        atexit.register(lambda: print("LAST", hex(seen["sim"].operations_log[-1][0])))
        import chdkptp
        from chdkptp.sim import SimulatedBackend, SimulatedCamera
        seen["sim"] = SimulatedCamera()
        cam = chdkptp.connect(backend=SimulatedBackend([seen["sim"]]))
        print("VALUE", cam.run_lua("return 1"))
    """))
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    out = proc.stdout
    assert proc.returncode == 0, (
        f"child exited {proc.returncode}\n--- stdout:\n{proc.stdout}\n--- stderr:\n{proc.stderr}")
    assert "VALUE 1" in out, proc.stderr
    assert f"LAST {hex(OperationCode.CLOSE_SESSION)}" in out

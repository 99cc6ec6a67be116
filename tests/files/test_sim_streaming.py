"""The simulator's streamed file data phases (the minimal change made for large transfers).

DownloadFile above ``STREAM_THRESHOLD`` is handed out in ``STREAM_PIECE`` pieces through
``bulk_in_part`` (ZLP only after the last piece), ``bulk_in`` still returns the whole
container (the PTP/IP face relies on it); UploadFile above the threshold is written to the card
as transfers arrive, including a name split over transfers and a short-packet early end.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chdkptp._generated.chdk_codes import ChdkCommand, TempDataFlags
from chdkptp._generated.chdk_upload_file import ChdkUploadFile
from chdkptp._generated.ptp_codes import ContainerType, OperationCode, ResponseCode
from chdkptp.camera import Camera
from chdkptp.ptp import containers as c
from chdkptp.sim import SimulatedCamera
from chdkptp.sim.responder import PACKET_SIZE, STREAM_PIECE, STREAM_THRESHOLD, PtpResponder

CHDK = OperationCode.CHDK


@pytest.mark.parametrize(
    "size",
    [
        STREAM_THRESHOLD + 1,  # just streamed
        5 * STREAM_PIECE - c.HEADER_SIZE,  # container = whole pieces: ZLP after the last only
        7 * PACKET_SIZE * 1024 - c.HEADER_SIZE + PACKET_SIZE,  # multiple of 512, not of a piece
        STREAM_THRESHOLD + 3 * STREAM_PIECE + 333,  # short last packet
    ],
)
def test_streamed_download_sizes(cam: Camera, sim: SimulatedCamera, tmp_path: Path,
                                 size: int) -> None:
    data = os.urandom(size)
    sim.card.to_local("A/S.BIN").write_bytes(data)
    out = cam.download("A/S.BIN", tmp_path)
    assert out is not None
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert cam.stat("A/").is_dir  # the link is in step afterwards (no stray ZLP)


class _Raw:
    """The responder driven sans-IO: whole containers in, containers out."""

    def __init__(self, responder: PtpResponder) -> None:
        self.r = responder
        self.tid = 0
        self.send(OperationCode.OPEN_SESSION, (1,))
        assert self.response().code == ResponseCode.OK

    def send(self, op: int, params: tuple[int, ...] = ()) -> int:
        self.tid += 1
        self.r.bulk_out(c.encode_command(op, self.tid, params))
        return self.tid

    def response(self) -> c.Header:
        raw = self.r.bulk_in()
        assert raw is not None
        header = c.decode_header(raw)
        assert header.type == ContainerType.RESPONSE
        return header


@pytest.fixture
def raw(sim: SimulatedCamera) -> Iterator[_Raw]:
    yield _Raw(sim.responder)


def test_bulk_in_returns_whole_streamed_container(raw: _Raw, sim: SimulatedCamera) -> None:
    data = os.urandom(STREAM_THRESHOLD + 1000)
    sim.card.to_local("A/W.BIN").write_bytes(data)
    tid = raw.send(CHDK, (ChdkCommand.TEMP_DATA, int(TempDataFlags(0))))
    raw.r.bulk_out(c.encode_data_header(CHDK, tid, 7) + b"A/W.BIN")
    assert raw.response().code == ResponseCode.OK
    raw.send(CHDK, (ChdkCommand.DOWNLOAD_FILE,))
    container = raw.r.bulk_in()
    assert container is not None
    assert c.decode_header(container).length == len(container) == len(data) + c.HEADER_SIZE
    assert container[c.HEADER_SIZE:] == data
    assert raw.response().code == ResponseCode.OK


def _upload_container(tid: int, name: bytes, body: bytes) -> bytes:
    payload = ChdkUploadFile(name=name, contents=body).to_bytes()
    return c.encode_data_header(CHDK, tid, len(payload)) + payload


def test_streamed_upload_in_small_transfers(raw: _Raw, sim: SimulatedCamera) -> None:
    """A long name spread over several 512-byte transfers, then the contents."""
    folder = "A/" + "/".join(["D" * 8] * 60)  # a 500+ byte path: the name spans transfers
    sim.card.to_local(folder).mkdir(parents=True)
    name = (folder + "/F.BIN").encode()
    body = os.urandom(STREAM_THRESHOLD + 4096)
    tid = raw.send(CHDK, (ChdkCommand.UPLOAD_FILE,))
    blob = _upload_container(tid, name, body)
    step = 512 * 64
    for pos in range(0, 2048, 512):
        raw.r.bulk_out(blob[pos : pos + 512])
    for pos in range(2048, len(blob), step):
        raw.r.bulk_out(blob[pos : pos + step])
    assert raw.response().code == ResponseCode.OK
    assert sim.card.to_local(folder + "/F.BIN").read_bytes() == body


def test_streamed_upload_short_end(raw: _Raw, sim: SimulatedCamera) -> None:
    body = os.urandom(STREAM_THRESHOLD + 4096)
    tid = raw.send(CHDK, (ChdkCommand.UPLOAD_FILE,))
    blob = _upload_container(tid, b"A/SHORT.BIN", body)
    raw.r.bulk_out(blob[:512])
    raw.r.bulk_out(blob[512 : 512 + STREAM_PIECE + 100])  # short packet before the end
    assert raw.response().code == ResponseCode.INCOMPLETE_TRANSFER
    raw.send(CHDK, (ChdkCommand.VERSION,))
    assert raw.response().code == ResponseCode.OK  # the responder is in step again


def test_streamed_upload_bad_name(raw: _Raw, sim: SimulatedCamera) -> None:
    body = os.urandom(STREAM_THRESHOLD + 1)
    tid = raw.send(CHDK, (ChdkCommand.UPLOAD_FILE,))
    blob = _upload_container(tid, b"A/../ESCAPE.BIN", body)
    raw.r.bulk_out(blob[:512])
    raw.r.bulk_out(blob[512:])
    assert raw.response().code == ResponseCode.GENERAL_ERROR
    assert not (sim.card.root.parent / "ESCAPE.BIN").exists()

"""Streamed DownloadFile data phases through the pyusb backend: transfer boundaries and data.

A streamed container comes from the responder in STREAM_PIECE pieces; a bulk IN transfer must
run on across pieces until the host's buffer is full or the container ends (pieces are whole
packets, so no short packet ends it early), and the bytes must be the card file's.
"""

from __future__ import annotations

import array
import errno
import os

import pytest
import usb.core

from chdkptp._generated.chdk_codes import ChdkCommand
from chdkptp._generated.ptp_codes import ContainerType, OperationCode, ResponseCode
from chdkptp.ptp import containers as c
from chdkptp.sim import SimulatedBackend, SimulatedCamera
from chdkptp.sim.responder import PACKET_SIZE, STREAM_PIECE, STREAM_THRESHOLD
from tests.sim._ptplink import PtpLink

MiB = 1 << 20


def _start_download(cam: SimulatedCamera, link: PtpLink, data: bytes) -> int:
    cam.card.to_local("A/BIG.BIN").write_bytes(data)
    assert link.chdk(ChdkCommand.TEMP_DATA, 0, data=b"A/BIG.BIN").code == ResponseCode.OK
    return link.send_command(OperationCode.CHDK, (ChdkCommand.DOWNLOAD_FILE,))


@pytest.mark.parametrize(
    "size",
    [
        STREAM_THRESHOLD + 2 * STREAM_PIECE + 1000,  # short last packet
        STREAM_THRESHOLD + STREAM_PIECE - c.HEADER_SIZE,  # container = whole pieces: ZLP
        STREAM_THRESHOLD + 7 * PACKET_SIZE - c.HEADER_SIZE,  # whole packets, not pieces: ZLP
    ],
)
@pytest.mark.parametrize("read_size", [2 * MiB, 3 * PACKET_SIZE * 700, 64 * MiB])
def test_transfers_run_across_pieces(size: int, read_size: int) -> None:
    data = os.urandom(size)
    total = size + c.HEADER_SIZE
    with SimulatedCamera(serial="STREAM01") as cam:
        link = PtpLink(SimulatedBackend([cam]))
        link.open_session()
        tid = _start_download(cam, link, data)
        buf = array.array("B", bytes(read_size))
        got = bytearray()
        lengths = []
        while len(got) < total:
            n = link.ep_in.read(buf, 5000)
            lengths.append(n)
            got += memoryview(buf)[:n]
        # every transfer but the last fills the buffer: none ends at a piece boundary
        assert lengths[:-1] == [read_size] * (len(lengths) - 1)
        assert lengths[-1] == total - read_size * (len(lengths) - 1)
        if total % PACKET_SIZE == 0:
            assert link.ep_in.read(buf, 5000) == 0  # the ZLP after a whole-packet container
        header = c.decode_header(bytes(got[: c.HEADER_SIZE]))
        assert (header.type, header.length, header.transaction_id) == (
            ContainerType.DATA, total, tid)
        assert bytes(got[c.HEADER_SIZE :]) == data
        result = link.read_result(tid)
        assert result.code == ResponseCode.OK and result.params[0] == size
        assert link.chdk(ChdkCommand.VERSION).code == ResponseCode.OK  # in step afterwards


def test_small_transfers_and_a_file_that_shrinks() -> None:
    size = STREAM_THRESHOLD + STREAM_PIECE + 4096
    data = os.urandom(size)
    with SimulatedCamera(serial="STREAM02") as cam:
        link = PtpLink(SimulatedBackend([cam]))
        link.open_session()
        tid = _start_download(cam, link, data)
        first = bytes(link.ep_in.read(PACKET_SIZE * 4, 5000))
        assert len(first) == PACKET_SIZE * 4
        # the camera's file loses its tail while being sent: the announced length still comes
        with open(cam.card.to_local("A/BIG.BIN"), "r+b") as fh:
            fh.truncate(3 * MiB)
        rest = bytearray()
        buf = array.array("B", bytes(PACKET_SIZE * 1000))
        while len(first) + len(rest) < size + c.HEADER_SIZE:
            n = link.ep_in.read(buf, 5000)
            rest += memoryview(buf)[:n]
        body = (first + bytes(rest))[c.HEADER_SIZE :]
        assert len(body) == size
        assert body[: 3 * MiB] == data[: 3 * MiB]
        assert body[3 * MiB :] == bytes(size - 3 * MiB)
        assert link.read_result(tid).params[0] == size


def test_disconnect_fault_inside_a_direct_transfer() -> None:
    with SimulatedCamera(serial="STREAM03") as cam:
        backend = SimulatedBackend([cam])
        link = PtpLink(backend)
        link.open_session()
        _start_download(cam, link, bytes(STREAM_THRESHOLD + STREAM_PIECE))
        cam.faults.disconnect_after_bytes = 3 * MiB
        buf = array.array("B", bytes(2 * MiB))
        assert link.ep_in.read(buf, 5000) == 2 * MiB
        with pytest.raises(usb.core.USBError) as info:
            link.ep_in.read(buf, 5000)
        assert info.value.errno == errno.ENODEV
        assert backend.location(cam) is None


def test_bulk_in_into_only_continues_a_started_stream() -> None:
    with SimulatedCamera(serial="STREAM04") as cam:
        responder = cam.responder
        target = memoryview(bytearray(PACKET_SIZE))
        assert responder.bulk_in_into(target) is None  # nothing queued
        link = PtpLink(SimulatedBackend([cam]))
        link.open_session()
        _start_download(cam, link, bytes(STREAM_THRESHOLD + 1))
        assert responder.bulk_in_into(target) is None  # the header has not gone out yet

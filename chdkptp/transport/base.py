"""The transport contract the session runs on (USB today, PTP/IP later).

A transport moves whole PTP containers: it knows packets, zero-length packets, endpoints and
class requests, but nothing about transactions or operation codes.  The session
(:mod:`chdkptp.session`) only ever talks to the :class:`Transport` protocol defined here, so a
TCP transport can slot in without touching it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol, TypeAlias, runtime_checkable

from chdkptp.ptp.containers import Header

__all__ = ["DataSink", "DataSource", "Received", "Transport", "sink_writer"]

#: Where a streamed device→host data phase goes: a binary file (``write``) or a callback that
#: receives each chunk as a ``memoryview`` (valid only during the call).
DataSink: TypeAlias = BinaryIO | Callable[[memoryview], object]

#: What a host→device data phase comes from: the bytes themselves or a binary file to read.
DataSource: TypeAlias = bytes | bytearray | memoryview | BinaryIO


@dataclass(frozen=True)
class Received:
    """One container read from the device.

    Attributes:
        header: the decoded 12-byte container header.
        payload: the bytes after the header; empty when the payload was streamed to a sink.
        streamed: True if the payload went to the sink given to ``receive_container``.
    """

    header: Header
    payload: bytes | bytearray
    streamed: bool = False


def sink_writer(sink: DataSink) -> Callable[[memoryview], object]:
    """Return a function that hands one chunk to ``sink`` (file ``write`` or callback)."""
    write = getattr(sink, "write", None)
    if callable(write):
        return write  # type: ignore[no-any-return]
    if callable(sink):
        return sink
    raise TypeError(f"a data sink must be a binary file or a callable, not {type(sink).__name__}")


@runtime_checkable
class Transport(Protocol):
    """A link to one PTP device that sends and receives whole containers.

    Every method raises only :mod:`chdkptp.errors` types: ``ChdkTimeoutError`` when the device
    does not answer in time, ``DeviceDisconnectedError`` when it left the bus,
    ``DeviceAccessError`` when the OS refuses access, ``TransportError`` for anything else.
    Timeouts are in seconds; ``None`` means the transport's default.
    """

    #: A short human-readable description ("usb:001/004 PowerShot SX160 IS").
    description: str

    def send(self, container: bytes | bytearray | memoryview, *,
             timeout: float | None = None) -> None:
        """Send one complete container (command, or a small data container)."""
        ...

    def send_data(self, header: bytes, source: DataSource, *, timeout: float | None = None) -> None:
        """Send a data container: its 12-byte ``header`` then the payload read from ``source``.

        The header's length field must already count the payload; a file source is read in
        chunks so the payload never sits whole in memory.
        """
        ...

    def receive_container(self, sink: DataSink | None = None, *,
                          timeout: float | None = None,
                          expect: tuple[int, int] | None = None) -> Received:
        """Read the next container; a data container's payload goes to ``sink`` if given.

        With ``expect=(transaction_id, operation)``, a data container whose header names
        another transaction or operation is read and discarded instead (never a byte into
        ``sink``): it comes back with an empty payload and ``streamed`` False, for the caller
        to skip or reject by its header.
        """
        ...

    def read_event(self, timeout: float | None) -> bytes | None:
        """Read one event container, or return None if none arrives within ``timeout``.

        ``timeout`` <= 0 is a poll that returns at once; ``None`` waits until an event comes.
        """
        ...

    def get_device_status(self) -> int:
        """Ask the device for its status (a PTP response code; OK means ready)."""
        ...

    def cancel(self, transaction_id: int) -> None:
        """Ask the device to cancel the transaction in progress."""
        ...

    def reset(self) -> None:
        """Reset the device's PTP state (class Device Reset); the link stays usable."""
        ...

    def close(self) -> None:
        """Release the device; idempotent."""
        ...

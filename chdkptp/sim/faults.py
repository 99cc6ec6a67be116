"""Fault knobs of the simulated camera.

One mutable :class:`Faults` object is shared by every part of a :class:`SimulatedCamera`
(USB backend, PTP responder, script host), so a test can switch a fault on at any moment:
``cam.faults.busy_responses = 2``.  Counters (``*_responses``, ``*_timeouts``) are consumed as
the fault fires.  Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StaleMessage:
    """A camera→host message left over from an earlier script (injected by a test)."""

    script_id: int
    type: int
    subtype: int
    data: bytes


@dataclass
class Faults:
    """What should go wrong, and when.

    Attributes:
        busy_responses: answer the next N operations with DeviceBusy (no data phase consumed
            beyond what the operation sent).
        read_timeouts: the next N bulk IN reads time out (errno 110) without consuming data.
        write_timeouts: the next N bulk OUT writes time out and are discarded.
        truncate_data_in: the next device→host data phase stops after this many bytes of
            container (the rest is never sent; the host's next read times out).
        disconnect_after_bytes: the device leaves the bus after this many more bulk bytes
            (either direction); the transfer in flight fails with errno 19.
        idle_power_down_s: leave the bus after this many seconds (simulated clock) without
            PTP traffic, like a PowerShot whose auto power-down is not overridden.
        min_transaction_gap_ms: a command arriving sooner than this after the previous
            response is answered DeviceBusy (a slow camera).
        stall_bulk_in / stall_bulk_out: halt the endpoint until the host clears it.
        stale_messages: queued into the camera→host message queue at the next pump.
        script_runtime_error: the next script that starts fails with this runtime error text.
        latency_ms / jitter_ms: per-transfer latency added by the USB backend (real sleep).
    """

    busy_responses: int = 0
    read_timeouts: int = 0
    write_timeouts: int = 0
    truncate_data_in: int | None = None
    disconnect_after_bytes: int | None = None
    idle_power_down_s: float | None = None
    min_transaction_gap_ms: float = 0.0
    stall_bulk_in: bool = False
    stall_bulk_out: bool = False
    stale_messages: list[StaleMessage] = field(default_factory=list)
    script_runtime_error: str | None = None
    latency_ms: float = 0.0
    jitter_ms: float = 0.0

    def take(self, name: str) -> bool:
        """Consume one unit of the counter ``name``; return True if the fault fires now."""
        count = getattr(self, name)
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            setattr(self, name, count - 1)
            return True
        return False

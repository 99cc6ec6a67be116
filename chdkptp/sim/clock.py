"""The simulated camera's clock (ticks in milliseconds).

``now_ms()`` is ``offset + (monotonic elapsed × time_scale) + manual advance``: real time by
default, so host timeouts and camera ``sleep()`` agree; tests may speed it up (``time_scale``)
or step it by hand (``advance``).  Each camera has its own offset, like real tick counters that
start at power-on.
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Millisecond tick counter of one simulated camera."""

    def __init__(self, *, offset_ms: int = 0, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self._t0 = time.monotonic()
        self._offset = float(offset_ms)
        self._manual = 0.0
        self.time_scale = float(time_scale)
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """Current tick count (what CHDK's ``get_tick_count()`` returns)."""
        with self._lock:
            elapsed = (time.monotonic() - self._t0) * 1000.0 * self.time_scale
            return int(self._offset + elapsed + self._manual)

    def advance(self, ms: float) -> None:
        """Move the clock forward by ``ms`` simulated milliseconds (never backward)."""
        if ms < 0:
            raise ValueError("the clock never goes backward")
        with self._lock:
            self._manual += ms

    def real_seconds(self, sim_ms: float) -> float:
        """Real seconds that ``sim_ms`` of simulated time take at the current scale."""
        return sim_ms / 1000.0 / self.time_scale

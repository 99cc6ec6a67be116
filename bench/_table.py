"""Table model and timing helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Row:
    """One measured case: our figure, the peer's figure, and their ratio."""

    case: str
    ours: float
    peer: float | None = None
    peer_name: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """ours / peer for rates (higher is better for us), None without a peer figure."""
        if self.peer is None or self.peer == 0:
            return None
        return self.ours / self.peer


@dataclass
class Table:
    """A benchmark's printed result."""

    title: str
    unit: str
    rows: list[Row] = field(default_factory=list)
    higher_is_better: bool = True
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        head = ["case", f"ours ({self.unit})", "peer", f"peer ({self.unit})", "ratio ours/peer"]
        body: list[list[str]] = []
        for row in self.rows:
            ratio = row.ratio
            body.append(
                [
                    row.case,
                    _fmt(row.ours),
                    row.peer_name or "-",
                    "-" if row.peer is None else _fmt(row.peer),
                    "-" if ratio is None else f"{ratio:.2f}x",
                ]
            )
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        lines = [f"## {self.title}", ""]
        lines.append(
            "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
        )
        lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for r in body:
            lines.append(
                "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
            )
        direction = "higher" if self.higher_is_better else "lower"
        lines.append("")
        lines.append(f"({direction} is better for {self.unit})")
        lines.extend(self.notes)
        return "\n".join(lines)


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.4g}"


def rate(fn: Callable[[], object], *, min_time: float = 0.3, repeat: int = 5) -> float:
    """Best-of-``repeat`` calls per second of ``fn``, each trial lasting at least ``min_time``."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / 5:
            break
        number *= 4
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        count = 0
        while True:
            for _ in range(number):
                fn()
            count += number
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = max(best, count / elapsed)
    return best

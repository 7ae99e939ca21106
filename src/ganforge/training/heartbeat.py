"""A line every `log.heartbeat_s` seconds: where a run is, how fast it goes and when it ends.

A terminal has the progress bar; a job's output file (Slurm, nohup, a redirect) and log.txt
have nothing between the first and last line without this. The rate is measured since the last
line, so evaluations and a slower phase show up in it, and the ETA follows the recent pace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def clock_text(seconds: float) -> str:
    """3725 -> '1:02:05'; 65 -> '1:05'."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Heartbeat:
    """`tick(step)` after every step returns a line when one is due (else None); `observe`
    keeps the last losses and the last evaluated metric from the rows the run writes."""

    def __init__(
        self,
        total: int,
        initial: int,
        every_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.every, self.clock = total, every_s, clock
        self.last_time, self.last_step = clock(), initial
        self.losses: dict[str, float] = {}
        self.metric = ""

    def observe(self, row: dict[str, Any]) -> None:
        losses = {k: v for k, v in row.items() if k.endswith("_loss") and isinstance(v, float)}
        if losses:
            self.losses = losses
        evaluated = [k for k in row.get("evaluated", []) if isinstance(row.get(k), float)]
        if evaluated:
            scores = ", ".join(f"{k} {row[k]:.4g}" for k in evaluated[:3])
            self.metric = f"{scores} at step {row.get('step')}"

    def tick(self, step: int) -> str | None:
        now = self.clock()
        if not self.every or now - self.last_time < self.every or step <= self.last_step:
            return None
        per_step = (now - self.last_time) / (step - self.last_step)
        self.last_time, self.last_step = now, step
        parts = [
            f"step {step}/{self.total} ({step / self.total:.0%})",
            f"{per_step:.3g} s/step",
            f"ETA {clock_text(per_step * (self.total - step))}",
            *(f"{k} {v:.4g}" for k, v in sorted(self.losses.items())),
        ]
        if self.metric:
            parts.append(f"last {self.metric}")
        return ", ".join(parts)

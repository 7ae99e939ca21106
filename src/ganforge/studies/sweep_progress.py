"""The line a sweep prints as each run ends: how many are done, running and failed, and when the
rest should end, from the pace of the runs this sweep finished so far."""

from __future__ import annotations

import time
from collections.abc import Callable

from ganforge.training.heartbeat import clock_text


class SweepProgress:
    """`total` runs to launch `parallel` at a time; `ended(ok)` after each, which returns the
    line to print. Runs skipped or refused before launch are counted in `done`/`failed`."""

    def __init__(
        self,
        total: int,
        parallel: int,
        done: int = 0,
        failed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.parallel, self.clock = total, max(1, parallel), clock
        self.launched = total - done - failed  # what this sweep runs
        self.done, self.failed, self.finished = done, failed, 0
        self.started = clock()

    def ended(self, ok: bool) -> str:
        self.finished += 1
        self.done += ok
        self.failed += not ok
        left = self.launched - self.finished
        running = min(self.parallel, left)
        eta = (self.clock() - self.started) / self.finished * left  # wall time per run so far
        text = f"[{self.done + self.failed}/{self.total} done, {running} running, "
        text += f"{self.failed} failed"
        return text + (f"; ETA {clock_text(eta)}]" if left else "]")

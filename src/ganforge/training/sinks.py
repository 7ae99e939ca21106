"""Where a training run's numbers and messages go: metrics.jsonl, log.txt, the terminal (a
progress bar, or heartbeat lines when stdout is not a terminal) and the experiment trackers
(training/trackers: TensorBoard, MLflow, W&B). The loop calls these and never formats output
itself."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Protocol

from ganforge.config import Config
from ganforge.metrics.diagnostics import Alarm
from ganforge.runs import RunDir
from ganforge.training.heartbeat import Heartbeat


class Observer(Protocol):
    """Anything that wants a run's rows and grids as they are written: an experiment tracker
    (MLflow, W&B), a hyper-parameter search reporting to its pruner, a notebook's live plot.
    An observer may raise to stop training (the loop treats it like any other exception); it
    must not change the row."""

    def row(self, row: dict[str, Any], step: int) -> None: ...

    def image(self, tag: str, grid: Any, step: int) -> None: ...

    def close(self) -> None: ...


class Sinks:
    """`enabled=False` (ranks other than 0 of a distributed job) makes every sink silent."""

    def __init__(
        self, run: RunDir, enabled: bool = True, observers: Sequence[Observer] = ()
    ) -> None:
        self.run, self.enabled = run, enabled
        self.observers = list(observers) if enabled else []
        self.bar: Any = None
        self.heartbeat: Heartbeat | None = None
        self.step = 0

    def say(self, message: str) -> None:
        """A human message: log.txt and the terminal, above the progress bar."""
        if not self.enabled:
            return
        self.run.log(message)
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)

    def note(self, message: str) -> None:
        """A line for log.txt alone (what the caller also reports on the console)."""
        if self.enabled:
            self.run.log(message)

    def open(self, total: int, initial: int, progress: bool | None, config: Config) -> None:
        """Start the progress bar, the heartbeat and the trackers at `initial` (0, or the
        resumed step). The trackers see rows before the caller's observers do."""
        from tqdm import tqdm

        from ganforge.training.trackers import open_trackers

        if not self.enabled:
            return
        self.step = initial
        self.observers[:0] = open_trackers(config, self.run, initial, self.say)
        if config.log.heartbeat_s:
            self.heartbeat = Heartbeat(total, initial, config.log.heartbeat_s)
        self.bar = tqdm(
            total=total,
            initial=initial,
            unit="step",
            dynamic_ncols=True,
            disable=None if progress is None else not progress,
            file=sys.stderr,
        )

    def advance(self) -> None:
        """One step done: the bar moves, and a heartbeat line is written when one is due."""
        self.step += 1
        if self.bar is not None:
            self.bar.update(1)
        line = self.heartbeat.tick(self.step) if self.heartbeat else None
        if line:
            self.run.log(line)
            if not _is_terminal(sys.stdout):  # a terminal has the bar instead
                print(line, file=sys.stdout, flush=True)

    def record(self, row: dict[str, Any], alarms: list[Alarm], step: int) -> None:
        """One training row to every sink; alarms go into the row and the log."""
        if alarms:
            row["alarms"] = [a.name for a in alarms]
        self.run.append_metrics(row)
        for alarm in alarms:
            self.say(f"ALARM {alarm.name} at step {alarm.step}: {alarm.message}")
        if self.bar is not None and "d_loss" in row and "g_loss" in row:
            self.bar.set_postfix(d_loss=f"{row['d_loss']:.3f}", g_loss=f"{row['g_loss']:.3f}")
        if self.heartbeat is not None:
            self.heartbeat.observe(row)
        for observer in self.observers:
            observer.row(row, step)

    def image(self, tag: str, grid: Any, step: int) -> None:
        for observer in self.observers:
            observer.image(tag, grid, step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        for observer in self.observers:
            observer.close()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False

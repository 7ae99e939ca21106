"""Where a training run's numbers and messages go: metrics.jsonl, log.txt, the terminal
(with a progress bar) and TensorBoard. The loop calls these and never formats output itself."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Protocol

from ganforge.metrics.diagnostics import Alarm
from ganforge.runs import RunDir


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
        self.writer: Any = None
        self.bar: Any = None

    def say(self, message: str) -> None:
        """A human message: log.txt and the terminal, above the progress bar."""
        if not self.enabled:
            return
        self.run.log(message)
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)

    def open(self, total: int, initial: int, progress: bool | None, tensorboard: bool) -> None:
        """Start the progress bar and TensorBoard at `initial` (0, or the resumed step)."""
        from tqdm import tqdm

        if not self.enabled:
            return
        if tensorboard:
            self.writer = self._tensorboard(initial)

        self.bar = tqdm(
            total=total,
            initial=initial,
            unit="step",
            dynamic_ncols=True,
            disable=None if progress is None else not progress,
            file=sys.stderr,
        )

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def record(self, row: dict[str, Any], alarms: list[Alarm], step: int) -> None:
        """One training row to every sink; alarms go into the row and the log."""
        if alarms:
            row["alarms"] = [a.name for a in alarms]
        self.run.append_metrics(row)
        for alarm in alarms:
            self.say(f"ALARM {alarm.name} at step {alarm.step}: {alarm.message}")
        if self.bar is not None and "d_loss" in row and "g_loss" in row:
            self.bar.set_postfix(d_loss=f"{row['d_loss']:.3f}", g_loss=f"{row['g_loss']:.3f}")
        if self.writer is not None:
            for key, value in row.items():
                if isinstance(value, float) and key != "step":
                    self.writer.add_scalar(f"train/{key}", value, step)
        for observer in self.observers:
            observer.row(row, step)

    def image(self, tag: str, grid: Any, step: int) -> None:
        if self.writer is not None:
            self.writer.add_image(tag, grid, step)
        for observer in self.observers:
            observer.image(tag, grid, step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.writer is not None:
            self.writer.close()
        for observer in self.observers:
            observer.close()

    def _tensorboard(self, start_step: int) -> Any:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            self.say("warning: TensorBoard is not installed; no event files are written")
            return None
        # purge_step drops events a killed run logged after its last checkpoint
        return SummaryWriter(log_dir=str(self.run.tensorboard_dir), purge_step=start_step or None)

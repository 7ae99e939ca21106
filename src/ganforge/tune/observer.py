"""The observer that connects a training run to its Optuna trial: every evaluation during
training becomes an intermediate value, and the pruner's verdict stops the run there."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.runs import RunDir

HEARTBEAT_SECONDS = 30.0  # how often a running trial says it is alive (user attr alive_at)


class TrialInterrupted(GanforgeError):
    """The tuner that started this trial is gone; the trial stops and is resumed later."""


class PruningObserver:
    """Reports `metric` from each evaluated row to `trial` and raises optuna.TrialPruned when
    the pruner says so, after recording the step in the run directory (trial.json, log.txt).

    Intermediate values are reported at the training step under a step budget, and at the
    evaluation's ordinal (1, 2, ...) under a time budget, where equal steps are not equal cost.
    """

    def __init__(
        self,
        trial: Any,
        run: RunDir,
        metric: str,
        by_ordinal: bool,
        parent_pid: int | None = None,
        evaluations: int = 0,
    ) -> None:
        self.trial, self.run, self.metric = trial, run, metric
        self.by_ordinal, self.parent_pid = by_ordinal, parent_pid
        self.evaluations = evaluations  # reported before this observer started (a resume)
        self.last: float | None = None
        self.beat = 0.0

    def row(self, row: dict[str, Any], step: int) -> None:
        self._heartbeat()
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            raise TrialInterrupted(f"the tuner process {self.parent_pid} is gone")
        if self.metric not in row:
            return
        import optuna

        self.evaluations += 1
        self.last = float(row[self.metric])
        self.trial.report(self.last, self.evaluations if self.by_ordinal else step)
        if self.trial.should_prune():
            record_trial(self.run.path, {"state": "pruned", "pruned_at_step": step})
            self.run.log(
                f"pruned by the tuner at step {step} ({self.metric} {self.last:.4g}): "
                "worse than earlier trials at the same point"
            )
            raise optuna.TrialPruned(f"pruned at step {step}")

    def image(self, tag: str, grid: Any, step: int) -> None:
        self._heartbeat()

    def close(self) -> None:
        pass

    def _heartbeat(self) -> None:
        now = time.time()
        if now - self.beat >= HEARTBEAT_SECONDS:
            self.trial.set_user_attr("alive_at", now)
            self.beat = now


def record_trial(run_dir: Path, changes: dict[str, Any]) -> None:
    """Merge `changes` into the run directory's trial.json: what the tuner did with this run."""
    from ganforge.storage import atomic_write

    path = Path(run_dir) / "trial.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(changes)
    atomic_write(path, lambda f: f.write(json.dumps(data, indent=1, default=str).encode()))

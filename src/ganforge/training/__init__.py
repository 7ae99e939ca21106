"""Training: the loop that runs a family's phases, its state and checkpoints, logging, EMA."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from ganforge.config import Config
from ganforge.distributed import Distributed, from_environment, shutdown
from ganforge.runs import RunDir, next_run_path
from ganforge.training.loop import Trainer
from ganforge.training.plan import resolve_config
from ganforge.training.sinks import Observer


def train(
    config: Config,
    run_dir: str | Path | None = None,
    device: str = "auto",
    progress: bool | None = True,
    runs_root: str | Path = "runs",
    force: bool = False,
    stop_on_signals: bool = False,
    observers: Sequence[Observer] = (),
) -> RunDir:
    """Train `config` into a new run directory (default runs/NNNNN-NAME) and return it.

    A folder that holds anything but a ganforge run is refused unless `force` is set. Under
    `torchrun` every process calls this; they train together and rank 0 writes the run.
    `stop_on_signals`: SIGINT/SIGTERM stop at a step with a checkpoint (training/stopping.py).
    `observers` see every row and grid as it is written (training/sinks.py: trackers, tuners).
    """
    job, dev = from_environment(device)
    try:
        config = resolve_config(config, dev)
        if run_dir:
            path = Path(run_dir)
        else:  # rank 0 numbers the run; the other processes of a torchrun job follow it
            path = Path(job.broadcast_object(_next_path(job, Path(runs_root), config.name)))
        run = RunDir(path)
        if job.is_main:
            run.check_new(force)
        # fails on bad data before any write
        trainer = Trainer(config, run, dev, job=job, observers=observers)
        if job.is_main:
            run.create(config, force)
        job.barrier()
        trainer.train(progress if job.is_main else False, stop_on_signals)
    finally:
        shutdown(job)
    return run


def _next_path(job: Distributed, root: Path, name: str) -> str | None:
    return str(next_run_path(root, name)) if job.is_main else None


def resume(
    run_dir: str | Path,
    device: str = "auto",
    progress: bool | None = True,
    steps: int | None = None,
    stop_on_signals: bool = False,
    minutes: float | None = None,
    observers: Sequence[Observer] = (),
) -> RunDir:
    """Continue the run in `run_dir` from its newest good checkpoint; `steps` and `minutes`
    replace train.steps and train.minutes (to train longer)."""
    run = RunDir(Path(run_dir))
    job, dev = from_environment(device)
    try:
        config = run.load_config()
        budget = {"steps": steps, "minutes": minutes}
        budget = {key: value for key, value in budget.items() if value is not None}
        if budget:
            config = dataclasses.replace(config, train=dataclasses.replace(config.train, **budget))
        config = resolve_config(config, dev)
        trainer = Trainer(config, run, dev, job=job, observers=observers)
        trainer.resume()
        trainer.train(progress if job.is_main else False, stop_on_signals)
    finally:
        shutdown(job)
    return run


__all__ = ["Trainer", "resolve_config", "resume", "train"]

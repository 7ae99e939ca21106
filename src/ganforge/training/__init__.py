"""Training: the loop that runs a family's phases, its state and checkpoints, logging, EMA."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ganforge.config import Config
from ganforge.device import resolve_device
from ganforge.runs import RunDir, next_run_path
from ganforge.training.loop import Trainer
from ganforge.training.plan import resolve_config


def train(
    config: Config,
    run_dir: str | Path | None = None,
    device: str = "auto",
    progress: bool | None = True,
    runs_root: str | Path = "runs",
    force: bool = False,
) -> RunDir:
    """Train `config` into a new run directory (default runs/NNNNN-NAME) and return it.

    A folder that holds anything but a ganforge run is refused unless `force` is set.
    """
    dev = resolve_device(device)
    config = resolve_config(config, dev)
    path = Path(run_dir) if run_dir else next_run_path(Path(runs_root), config.name)
    run = RunDir(path)
    run.check_new(force)
    trainer = Trainer(config, run, dev)  # fails on bad data before anything is written
    run.create(config, force)
    trainer.train(progress)
    return run


def resume(
    run_dir: str | Path,
    device: str = "auto",
    progress: bool | None = True,
    steps: int | None = None,
) -> RunDir:
    """Continue the run in `run_dir` from its newest good checkpoint."""
    run = RunDir(Path(run_dir))
    dev = resolve_device(device)
    config = run.load_config()
    if steps is not None:
        config = dataclasses.replace(config, train=dataclasses.replace(config.train, steps=steps))
    config = resolve_config(config, dev)
    trainer = Trainer(config, run, dev)
    trainer.resume()
    trainer.train(progress)
    return run


__all__ = ["Trainer", "resolve_config", "resume", "train"]

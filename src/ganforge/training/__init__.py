"""Training: the objective, the steps, the loop, EMA and checkpoints."""

from __future__ import annotations

from pathlib import Path

from ganforge.config import Config
from ganforge.device import resolve_device
from ganforge.runs import RunDir, next_run_path
from ganforge.training.loop import Trainer


def train(
    config: Config,
    run_dir: str | Path | None = None,
    device: str = "auto",
    progress: bool | None = True,
    runs_root: str | Path = "runs",
) -> RunDir:
    """Train `config` into a new run directory (default runs/NNNNN-NAME) and return it."""
    path = Path(run_dir) if run_dir else next_run_path(Path(runs_root), config.name)
    run = RunDir(path)
    run.check_new()
    trainer = Trainer(config, run, resolve_device(device))  # fails on bad data before any write
    run.create(config)
    trainer.train(progress)
    return run


def resume(
    run_dir: str | Path,
    device: str = "auto",
    progress: bool | None = True,
    steps: int | None = None,
) -> RunDir:
    """Continue the run in `run_dir` from its newest good checkpoint."""
    import dataclasses

    run = RunDir(Path(run_dir))
    config = run.load_config()
    if steps is not None:
        config = dataclasses.replace(config, train=dataclasses.replace(config.train, steps=steps))
    trainer = Trainer(config, run, resolve_device(device))
    trainer.resume()
    trainer.train(progress)
    return run


__all__ = ["Trainer", "resolve_device", "resume", "train"]

"""Experiment trackers by name (`log.trackers: [tensorboard, mlflow, wandb]`), one small module
each behind the observer seam (training/sinks.py): each sees every row and grid a run writes.

A tracker is an optional mirror of the run directory, which stays the record: one that cannot
start (its package missing, its server down) or fails later warns once, in one sentence, and
training goes on without it.
"""

from __future__ import annotations

from typing import Any

from ganforge.config import Config
from ganforge.registry import Registry
from ganforge.runs import RunDir
from ganforge.training.sinks import Observer
from ganforge.training.trackers.base import Tracker, TrackerContext

TRACKERS: Registry[Tracker] = Registry("tracker")
EXTRAS = {"mlflow": "ganforge[mlflow]", "wandb": "ganforge[wandb]"}


@TRACKERS.register("tensorboard", "event files in RUN/tensorboard (tensorboard --logdir runs)")
def _tensorboard(ctx: TrackerContext) -> Observer:
    from ganforge.training.trackers.tensorboard import TensorBoardTracker

    return TensorBoardTracker(ctx)


@TRACKERS.register("mlflow", "an MLflow run: local mlruns/ store or log.mlflow_uri's server")
def _mlflow(ctx: TrackerContext) -> Observer:
    from ganforge.training.trackers.mlflow import MlflowTracker

    return MlflowTracker(ctx)


@TRACKERS.register("wandb", "a Weights & Biases run (offline without network or login)")
def _wandb(ctx: TrackerContext) -> Observer:
    from ganforge.training.trackers.wandb import WandbTracker

    return WandbTracker(ctx)


def tracker_names(config: Config) -> list[str]:
    """log.trackers, less TensorBoard where the older switch train.tensorboard is false."""
    return [n for n in config.log.trackers if n != "tensorboard" or config.train.tensorboard]


def check_trackers(config: Config) -> None:
    """Unknown names fail with the config, before any data is loaded."""
    for name in config.log.trackers:
        TRACKERS.get(name)


class Guarded:
    """A tracker whose failures warn once and switch it off instead of stopping the run."""

    def __init__(self, name: str, tracker: Observer, say: Any) -> None:
        self.name, self.tracker, self.say = name, tracker, say

    def _call(self, method: str, *args: Any) -> None:
        if self.tracker is None:
            return
        try:
            getattr(self.tracker, method)(*args)
        except Exception as err:  # noqa: BLE001 - a tracker never stops training
            self.tracker = None
            self.say(
                f"warning: the {self.name} tracker failed ({_first_line(err)}); training goes "
                "on without it and the run directory keeps every number"
            )

    def row(self, row: dict[str, Any], step: int) -> None:
        self._call("row", row, step)

    def image(self, tag: str, grid: Any, step: int) -> None:
        self._call("image", tag, grid, step)

    def close(self) -> None:
        self._call("close")


def open_trackers(config: Config, run: RunDir, start_step: int, say: Any) -> list[Observer]:
    """The trackers `config` names that could start, each guarded."""
    ctx = TrackerContext(config, run, start_step, say)
    out: list[Observer] = []
    for name in tracker_names(config):
        try:
            out.append(Guarded(name, TRACKERS.get(name)(ctx), say))
        except ImportError as err:
            extra = EXTRAS.get(name)
            hint = f"pip install '{extra}'" if extra else _first_line(err)
            say(f"warning: {name} is not installed ({hint}); training goes on without it")
        except Exception as err:  # noqa: BLE001 - a server down, a bad URL: warn, train on
            reason = _first_line(err)
            say(f"warning: the {name} tracker could not start ({reason}); training goes on")
    return out


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return (lines[0][:200] if lines else type(err).__name__) or type(err).__name__


__all__ = ["TRACKERS", "Guarded", "TrackerContext", "check_trackers", "open_trackers"]

"""The training loop: cadence. It steps the parts and decides when to log, draw sample
grids, evaluate and checkpoint; it knows nothing about GANs beyond phases.

Every source of randomness is a seeded `torch.Generator` or the global torch RNG, and all of
them are saved in checkpoints (training/state.py), so a resumed run continues the same sequence
of numbers and ends with bit-identical weights on CPU.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.data import ArrayDataset
from ganforge.distributed import Distributed
from ganforge.errors import TrainingDiverged, TrainingStopped
from ganforge.runs import RunDir, plot_losses
from ganforge.training import cadence, state
from ganforge.training.cadence import agree
from ganforge.training.divergence import watched
from ganforge.training.parts import Parts, build_parts
from ganforge.training.rows import check_row, log_row
from ganforge.training.sinks import Observer
from ganforge.training.steps import one_step
from ganforge.training.stopping import StopSignals


class Trainer:
    """Builds the parts a config describes (`training/parts.py`) and trains them into a run
    directory. It reads as its parts: `trainer.task` is `trainer.parts.task`."""

    def __init__(
        self,
        config: Config,
        run: RunDir,
        device: torch.device | str = "cpu",
        dataset: ArrayDataset | None = None,
        job: Distributed | None = None,
        observers: Sequence[Observer] = (),
    ) -> None:
        self.parts: Parts = build_parts(config, run, torch.device(device), dataset, job, observers)

    def __getattr__(self, name: str) -> Any:
        if name == "parts":  # not built (yet): no recursion
            raise AttributeError(name)
        return getattr(self.parts, name)

    def resume(self) -> None:
        state.resume(self.parts)

    def train(self, progress: bool | None = True, stop_on_signals: bool = False) -> None:
        """Train to `train.steps`. With `stop_on_signals`, SIGINT or SIGTERM ends the run at the
        next step boundary (under torchrun: the next log row) with a checkpoint, then raises
        TrainingStopped; without it, they act as they do in the calling program."""
        p = self.parts
        t, sinks = p.config.train, p.sinks
        sinks.open(t.steps, p.step, progress, p.config)
        sinks.say(
            f"training '{p.config.name}' for {t.steps} steps on {p.device} "
            f"({len(p.dataset)} examples of shape {p.data_shape})"
        )
        for note in p.dataset.notes:
            sinks.say(f"warning: {note}")
        if t.minutes and p.seconds >= t.minutes * 60:
            sinks.say(
                f"train.minutes={t.minutes:g} already spent at step {p.step}; nothing to "
                "train (resume with a larger train.minutes to go on)"
            )
            sinks.close()  # the trackers opened above end their runs
            return
        started, first = time.perf_counter(), p.step
        signals = StopSignals(sinks.say) if stop_on_signals else nullcontext(None)
        try:
            with signals as stop:
                self._loop(stop)
        except (TrainingDiverged, TrainingStopped) as err:
            sinks.note(str(err))  # the console hears it from the caller; `ganforge status` reads it
            raise
        finally:
            sinks.close()
        early = f" of {t.steps}: train.minutes={t.minutes:g} spent" if p.step < t.steps else ""
        span = f" (steps {first} to {p.step})" if first else ""  # a resumed run counts its own
        sinks.say(
            f"finished {p.step - first} steps{span}{early} in "
            f"{time.perf_counter() - started:.1f} s; run directory: {p.run.path}"
        )

    def _loop(self, stop: StopSignals | None) -> None:
        """Steps to `train.steps`, with rows, grids, evaluations and checkpoints when due."""
        p, t, cfg = self.parts, self.parts.config.train, self.parts.config
        sums: dict[str, Tensor] = {}
        count, last_time = 0, time.perf_counter()
        base, started = p.seconds, time.perf_counter()
        p.eval_seconds, p.next_eval_at = 0.0, cadence.next_eval(p, p.seconds)
        check_every_step = p.device.type == "cpu"  # free on CPU; a GPU would have to sync
        while p.step < t.steps:
            out = one_step(p)
            p.step += 1
            count += 1
            if check_every_step:
                check_row(p, {k: v.item() for k, v in out.items() if watched(k)})
            for key, value in out.items():
                sums[key] = sums[key] + value if key in sums else value
            p.seconds = base + time.perf_counter() - started - p.eval_seconds
            done = p.step == t.steps or cadence.out_of_time(p)
            sample_due = cadence.every(t.sample_every, p.step) or done
            checkpoint_due = cadence.every(t.checkpoint_every, p.step) or done
            eval_due = cadence.eval_due(p, done)
            due = cadence.log_due(p) or sample_due or checkpoint_due or eval_due
            stopping = stop is not None and not done and agree(p.job, p.device, stop.received, due)
            if due or stopping:
                p.job.all_reduce_mean(list(sums.values()))  # the mean over all shards
                if p.job.is_main:
                    sec = (time.perf_counter() - last_time) / count
                    log_row(p, sums, count, sec, sample_due, eval_due)
                sums, count, last_time = {}, 0, time.perf_counter()
            if (checkpoint_due or stopping) and p.job.is_main:
                state.save(p)
                plot_losses(p.run.read_metrics(), p.run.plot_path, cfg.name)
            if stopping:
                raise TrainingStopped(
                    f"stopped by {stop.received} at step {p.step} of {t.steps}, checkpoint "
                    f"saved; continue with: ganforge train --resume {p.run.path}"
                )
            p.sinks.advance()
            if done:  # train.steps reached, or train.minutes spent
                return

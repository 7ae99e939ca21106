"""The training loop: cadence. It runs the family's phases and decides when to log, draw
sample grids, evaluate and checkpoint; it knows nothing about GANs beyond phases.

Every source of randomness is a seeded `torch.Generator` or the global torch RNG, and all of
them are saved in checkpoints (training/state.py), so a resumed run continues the same sequence
of numbers and ends with bit-identical weights on CPU.
"""

from __future__ import annotations

import itertools
import time
from contextlib import nullcontext
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.data import ArrayDataset, BatchStream, load_dataset, to_model_range
from ganforge.distributed import Distributed
from ganforge.errors import ConfigError, TrainingStopped
from ganforge.metrics.classifier import ensure_encoder
from ganforge.metrics.diagnostics import FailureMonitor, pairwise_diversity
from ganforge.models import Phase, build_task, sample_latent, translates
from ganforge.runs import RunDir, plot_losses, save_samples
from ganforge.training import state
from ganforge.training.divergence import check_finite, watched
from ganforge.training.ema import GeneratorEMA
from ganforge.training.evaluation import TrainingEvaluation
from ganforge.training.optim import build_optimizer
from ganforge.training.precision import Precision, compile_networks
from ganforge.training.schedule import apply_decay
from ganforge.training.sinks import Sinks
from ganforge.training.sources import BatchSources, fixed_labels
from ganforge.training.stopping import StopSignals

POINT_SAMPLES = 2000  # 2-D data: points per scatter plot


def grad_norm(params: list[nn.Parameter]) -> Tensor:
    """L2 norm of all gradients: logged to diagnose vanishing or exploding updates."""
    grads = [p.grad for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


class Trainer:
    """Builds everything a config describes and trains it into a run directory."""

    def __init__(
        self,
        config: Config,
        run: RunDir,
        device: torch.device | str = "cpu",
        dataset: ArrayDataset | None = None,
        job: Distributed | None = None,
    ) -> None:
        self.config, self.run, self.device = config, run, torch.device(device)
        self.job = job or Distributed()
        shard = (self.job.rank, self.job.world_size)
        if config.train.batch_size % self.job.world_size:
            raise ConfigError(
                f"train.batch_size={config.train.batch_size} is the global batch and must "
                f"split evenly over the {self.job.world_size} processes"
            )
        self.sinks = Sinks(run, enabled=self.job.is_main)  # only rank 0 writes the run
        torch.manual_seed(config.seed)  # weight init and dropout masks
        self.dataset = dataset if dataset is not None else load_dataset(config.data)
        self.data_shape = self.dataset.shape
        self.dataset_b = load_dataset(config.data_b) if config.data_b else None  # domain B
        shape_b = self.dataset_b.shape if self.dataset_b else None
        conditional = config.model.conditional != "none"
        self.num_classes = self.dataset.num_classes if conditional else 0
        ensure_encoder(config, self.device)  # dtn: train f once if missing (before any write)
        self.task = build_task(config, self.data_shape, self.num_classes, shape_b)
        if config.model.sync_bn and self.job.active:
            if self.device.type != "cuda":
                raise ConfigError("model.sync_bn needs CUDA; PyTorch syncs batch norm on GPUs only")
            for name, net in self.task.networks.items():
                self.task.networks[name] = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        for net in self.task.networks.values():
            net.to(self.device)
        self.job.broadcast_state(list(self.task.networks.values()))
        self.buffers = [  # batch-norm statistics, averaged over processes after each step
            b for net in self.task.networks.values() for b in net.buffers() if b.is_floating_point()
        ]
        self.params = {
            key: list(itertools.chain.from_iterable(m.parameters() for m in modules))
            for key, modules in self.task.modules.items()
        }
        self.optimizers = {
            key: build_optimizer(params, getattr(config.optim, key))
            for key, params in self.params.items()
        }
        t = config.train
        G = self.task.networks["generator"]
        self.ema = GeneratorEMA(G, t.ema_decay, t.ema_start) if t.ema_decay else None
        self.monitor = FailureMonitor(has_accuracy=True)  # rows without accuracy skip that check
        self.stream = BatchStream(self.dataset, t.batch_size, config.seed, self.device, shard)
        self.stream_b = (  # domain B: unpaired, in its own order from its own seed
            BatchStream(self.dataset_b, t.batch_size, config.seed + 7, self.device, shard)
            if self.dataset_b else None
        )  # fmt: skip
        self.noise = torch.Generator(self.device).manual_seed(config.seed + 1)
        self.sources = BatchSources(
            self.stream, self.noise, config.model.latent_dim, config.model.latent_dist,
            self.num_classes, shard, stream_b=self.stream_b,
        )  # fmt: skip
        fixed = torch.Generator(self.device).manual_seed(config.seed + 2)
        count = POINT_SAMPLES if len(self.data_shape) == 1 else t.grid_size
        self.fixed_z = sample_latent(
            count, config.model.latent_dim, config.model.latent_dist, fixed, self.device
        )
        self.fixed_y = fixed_labels(count, self.num_classes, self.device)
        if translates(config):  # translating families: grids show fixed A images translated
            self.fixed_z = to_model_range(self.dataset.data[:count]).to(self.device)
        # real-data diversity for the mode-collapse alarm, from a fixed subset of the same size
        pick = torch.randperm(len(self.dataset), generator=torch.Generator().manual_seed(0))
        self.real_diversity = pairwise_diversity(to_model_range(self.dataset.data[pick[:count]]))
        self.evaluation = TrainingEvaluation(
            config, self.device, self.sinks.say, self.dataset if translates(config) else None
        )
        self.precision = Precision(t.precision, self.device, list(self.optimizers))
        if t.channels_last:
            for net in self.task.networks.values():
                net.to(memory_format=torch.channels_last)
        if t.compile:  # after the EMA copy: the copy stays a plain module
            compiled = compile_networks(self.task.networks, self.task.twice_differentiated)
            self.sinks.say(f"compiling {', '.join(compiled) or 'no network'} with torch.compile")
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: pick the fastest kernels once
        self.step = 0
        self.seconds = 0.0  # in the training loop, over resumes: what train.minutes limits

    def resume(self) -> None:
        state.resume(self)

    @torch.no_grad()
    def sample(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        G = self.ema.module if self.ema else self.task.networks["generator"]
        was_training = G.training
        G.eval()
        try:
            return G(z, y)
        finally:
            G.train(was_training)

    def train(self, progress: bool | None = True, stop_on_signals: bool = False) -> None:
        """Train to `train.steps`. With `stop_on_signals`, SIGINT or SIGTERM ends the run at the
        next step boundary (under torchrun: the next log row) with a checkpoint, then raises
        TrainingStopped; without it, they act as they do in the calling program."""
        t, cfg = self.config.train, self.config
        self.sinks.open(t.steps, self.step, progress, t.tensorboard)
        self.sinks.say(
            f"training '{cfg.name}' for {t.steps} steps on {self.device} "
            f"({len(self.dataset)} examples of shape {self.data_shape})"
        )
        for note in self.dataset.notes:
            self.sinks.say(f"warning: {note}")
        if t.minutes and self.seconds >= t.minutes * 60:
            self.sinks.say(
                f"train.minutes={t.minutes:g} already spent at step {self.step}; nothing to "
                "train (resume with a larger train.minutes to go on)"
            )
            return
        started = time.perf_counter()
        signals = StopSignals(self.sinks.say) if stop_on_signals else nullcontext(None)
        try:
            with signals as stop:
                self._loop(stop)
        finally:
            self.sinks.close()
        early = f" of {t.steps}: train.minutes={t.minutes:g} spent" if self.step < t.steps else ""
        self.sinks.say(
            f"finished {self.step} steps{early} in {time.perf_counter() - started:.1f} s; "
            f"run directory: {self.run.path}"
        )

    def _loop(self, stop: StopSignals | None) -> None:
        """Steps to `train.steps`, with rows, grids, evaluations and checkpoints when due."""
        t, cfg = self.config.train, self.config
        sums: dict[str, Tensor] = {}
        count, last_time = 0, time.perf_counter()
        base, started = self.seconds, time.perf_counter()
        check_every_step = self.device.type == "cpu"  # free on CPU; a GPU would have to sync
        while self.step < t.steps:
            out = self._one_step()
            self.step += 1
            count += 1
            if check_every_step:
                self._check_finite({k: v.item() for k, v in out.items() if watched(k)})
            for key, value in out.items():
                sums[key] = sums[key] + value if key in sums else value
            self.seconds = base + time.perf_counter() - started
            done = self.step == t.steps or self._out_of_time()
            sample_due = _every(t.sample_every, self.step) or done
            checkpoint_due = _every(t.checkpoint_every, self.step) or done
            eval_due = bool(cfg.eval.every) and (_every(cfg.eval.every, self.step) or done)
            due = self.step % t.log_every == 0 or sample_due or checkpoint_due or eval_due
            stopping = stop is not None and not done and self._agree(stop.received, due)
            if due or stopping:
                self.job.all_reduce_mean(list(sums.values()))  # the mean over all shards
                if self.job.is_main:
                    sec = (time.perf_counter() - last_time) / count
                    self._log_row(sums, count, sec, sample_due, eval_due)
                sums, count, last_time = {}, 0, time.perf_counter()
            if (checkpoint_due or stopping) and self.job.is_main:
                state.save(self)
                plot_losses(self.run.read_metrics(), self.run.plot_path, cfg.name)
            if stopping:
                raise TrainingStopped(
                    f"stopped by {stop.received} at step {self.step} of {t.steps}, checkpoint "
                    f"saved; continue with: ganforge train --resume {self.run.path}"
                )
            self.sinks.advance()
            if done:  # train.steps reached, or train.minutes spent
                return

    def _out_of_time(self) -> bool:
        """train.minutes spent: the run ends here as at its last step (grid, evaluation,
        checkpoint). The processes of a torchrun job decide together, at log rows."""
        t = self.config.train
        if not t.minutes:
            return False
        spent = self.seconds >= t.minutes * 60
        return self._agree("train.minutes" if spent else None, self.step % t.log_every == 0)

    def _agree(self, received: str | None, due: bool) -> bool:
        """Whether to stop now. One process stops at the step it was asked; the processes of a
        torchrun job stop together at a log row, after one small all-reduce of the request."""
        if not self.job.active:
            return received is not None
        if not due:
            return False
        asked = torch.tensor([float(received is not None)], device=self.device)
        self.job.all_reduce_mean([asked])
        return asked.item() > 0

    def _one_step(self) -> dict[str, Tensor]:
        """One step: every phase that is due, in order; returns what they logged."""
        cfg = self.config
        if cfg.train.lr_decay != "none":
            for key, opt in self.optimizers.items():
                base = getattr(cfg.optim, key).lr
                apply_decay(opt, base, cfg.train.lr_decay, self.step, cfg.train.steps)
        out: dict[str, Tensor] = {}
        for phase in self.task.phases:
            if self.step % phase.interval == 0:
                out.update(self._run_phase(phase))
        self.job.all_reduce_mean(self.buffers)
        if self.ema is not None:
            self.ema.update(self.task.networks["generator"], self.step)
        return out

    def _run_phase(self, phase: Phase) -> dict[str, Tensor]:
        for key, modules in self.task.modules.items():  # only this phase's networks learn
            for module in modules:
                module.requires_grad_(key == phase.optimizer)
        optimizer, params = self.optimizers[phase.optimizer], self.params[phase.optimizer]
        key = phase.optimizer
        for _ in range(phase.repeats):
            with self.precision.autocast():
                loss, logs = phase.loss(self.sources)
            optimizer.zero_grad(set_to_none=True)
            self.precision.backward(loss, key, optimizer)
            self.job.all_reduce_mean([p.grad for p in params if p.grad is not None])
            logs[f"{phase.name.lower()}_grad_norm"] = grad_norm(params).detach()
            self.precision.step(key, optimizer)
            if phase.after_step is not None:
                phase.after_step()
        return {k: v.float() for k, v in logs.items()}  # bf16/fp16 logs are summed in fp32

    def _log_row(
        self,
        sums: dict[str, Tensor],
        count: int,
        sec_per_step: float,
        sample_due: bool,
        eval_due: bool,
    ) -> None:
        keys = sorted(sums)
        values = torch.stack([sums[k] for k in keys]).div(count).tolist()  # one device sync
        row: dict[str, Any] = {"step": self.step, **dict(zip(keys, values, strict=True))}
        row["sec_per_step"] = sec_per_step
        self._check_finite(row)
        alarms = self.monitor.observe_row(row)
        if sample_due:
            diversity = self._save_samples()
            if self.real_diversity > 0:  # 0: the real subset is one example repeated
                row["diversity"] = diversity / self.real_diversity
                alarms += self.monitor.observe_diversity(self.step, diversity, self.real_diversity)
        if eval_due:
            results, improved = self.evaluation(self.sample, self.num_classes, self.step)
            row.update(results)
            alarms += self.monitor.observe_evaluation(self.step, results)
            if improved:
                state.save(self, self.run.checkpoints_dir / "best.pt")
                metric = self.config.eval.best_metric
                self.sinks.say(
                    f"new best {metric} {results[metric]:.4g} at step {self.step}: "
                    "checkpoints/best.pt"
                )
        self.sinks.record(row, alarms, self.step)

    def _save_samples(self) -> float:
        """Write the fixed-latent grid; return its diversity."""
        samples = self.sample(self.fixed_z, self.fixed_y)
        reference = self.dataset.data[:POINT_SAMPLES] if samples.dim() == 2 else None
        save_samples(samples, self.run.samples_dir / f"step_{self.step:07d}.png", reference)
        if samples.dim() == 4:
            from ganforge.runs.images import pixel_grid

            self.sinks.image("samples", pixel_grid(samples), self.step)
        return pairwise_diversity(samples)

    def _check_finite(self, values: dict[str, Any]) -> None:
        check_finite(values, self.step, self.config, self.run.checkpoints_dir)


def _every(interval: int, step: int) -> bool:
    return bool(interval) and step % interval == 0

"""The training loop: owns cadence (critic steps, EMA, logging, samples, checkpoints, alarms).

The steps do the updates; this file decides when things happen and writes the run directory.
Every source of randomness is a seeded `torch.Generator` or the global torch RNG, and all of
them are saved in checkpoints, so a resumed run continues the same sequence of numbers and ends
with bit-identical weights on CPU.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import torch

from ganforge.config import Config, to_dict
from ganforge.data import ArrayDataset, BatchStream, load_dataset, to_model_range
from ganforge.errors import CheckpointError, TrainingDiverged
from ganforge.metrics.diagnostics import Alarm, FailureMonitor, pairwise_diversity
from ganforge.models import build_models
from ganforge.models.latent import sample_latent
from ganforge.runs import RunDir, plot_losses, save_samples
from ganforge.runs.checkpoints import (
    checkpoint_name,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    remove_partial_writes,
    save_checkpoint,
)
from ganforge.training.ema import GeneratorEMA
from ganforge.training.objective import Objective
from ganforge.training.optim import build_optimizer
from ganforge.training.schedule import apply_decay
from ganforge.training.steps import Networks, discriminator_step, generator_step

POINT_SAMPLES = 2000  # 2-D data: points per scatter plot
WATCHED = ("d_loss", "g_loss", "d_penalty", "d_grad_norm", "g_grad_norm")


class Trainer:
    """Builds everything a config describes and trains it into a run directory."""

    def __init__(
        self,
        config: Config,
        run: RunDir,
        device: torch.device | str = "cpu",
        dataset: ArrayDataset | None = None,
    ) -> None:
        self.config, self.run, self.device = config, run, torch.device(device)
        torch.manual_seed(config.seed)  # weight init and dropout masks
        self.dataset = dataset if dataset is not None else load_dataset(config.data)
        self.data_shape = self.dataset.shape
        G, D = build_models(config, self.data_shape)
        G, D = G.to(self.device), D.to(self.device)
        self.nets = Networks(
            G, D, build_optimizer(G, config.optim.g), build_optimizer(D, config.optim.d)
        )
        t = config.train
        self.ema = GeneratorEMA(G, t.ema_decay, t.ema_start) if t.ema_decay else None
        self.objective = Objective.from_config(config)
        self.monitor = FailureMonitor(self.objective.spec.decision_threshold is not None)
        self.stream = BatchStream(self.dataset, t.batch_size, config.seed, self.device)
        self.noise = torch.Generator(self.device).manual_seed(config.seed + 1)
        fixed = torch.Generator(self.device).manual_seed(config.seed + 2)
        count = POINT_SAMPLES if len(self.data_shape) == 1 else t.grid_size
        self.fixed_z = sample_latent(
            count, config.model.latent_dim, config.model.latent_dist, fixed, self.device
        )
        # real-data diversity for the mode-collapse alarm, from a fixed subset of the same size
        pick = torch.randperm(len(self.dataset), generator=torch.Generator().manual_seed(0))
        real = to_model_range(self.dataset.data[pick[:count]])
        self.real_diversity = pairwise_diversity(real)
        self.evaluator = None  # built on the first evaluation (loads extractors, references)
        self.best: float | None = None  # best value of eval.best_metric so far
        self.step = 0

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        rng = {"torch": torch.get_rng_state(), "noise": self.noise.get_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return {
            "step": self.step,
            "config": to_dict(self.config),
            "data_shape": list(self.data_shape),
            "generator": self.nets.generator.state_dict(),
            "discriminator": self.nets.discriminator.state_dict(),
            "ema": self.ema.state_dict() if self.ema else None,
            "g_optimizer": self.nets.g_optimizer.state_dict(),
            "d_optimizer": self.nets.d_optimizer.state_dict(),
            "stream": self.stream.state_dict(),
            "monitor": self.monitor.state_dict(),
            "best": self.best,
            "rng": rng,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if list(state["data_shape"]) != list(self.data_shape):
            raise CheckpointError(
                f"the checkpoint was trained on data of shape "
                f"{tuple(state['data_shape'])}, not {self.data_shape}"
            )
        try:
            self.nets.generator.load_state_dict(state["generator"])
            self.nets.discriminator.load_state_dict(state["discriminator"])
            if self.ema is not None and state.get("ema") is not None:
                self.ema.load_state_dict(state["ema"])
            self.nets.g_optimizer.load_state_dict(state["g_optimizer"])
            self.nets.d_optimizer.load_state_dict(state["d_optimizer"])
        except (RuntimeError, ValueError, KeyError) as err:
            first = str(err).strip().splitlines()[0]
            raise CheckpointError(
                f"the checkpoint does not fit the networks this config describes ({first})"
            ) from None
        self.stream.load_state_dict(state["stream"])
        self.monitor.load_state_dict(state["monitor"])
        self.best = state.get("best")
        torch.set_rng_state(state["rng"]["torch"])
        self.noise.set_state(state["rng"]["noise"])
        if "cuda" in state["rng"] and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        self.step = int(state["step"])

    def resume(self) -> None:
        """Continue from the newest checkpoint that loads; damaged ones are reported and skipped."""
        remove_partial_writes(self.run.checkpoints_dir)
        for step, path in reversed(list_checkpoints(self.run.checkpoints_dir)):
            try:
                state = load_checkpoint(path, self.device)
            except CheckpointError as err:
                self.say(f"warning: {err}; using the previous checkpoint")
                continue
            _check_same_run(state["config"], to_dict(self.config), path)
            self.load_state_dict(state)
            self.run.truncate_metrics(step)
            self.say(f"resumed from {path.name} at step {step}")
            return
        self.say("no usable checkpoint found; starting from step 0")
        self.run.truncate_metrics(0)

    # ------------------------------------------------------------------ outputs

    def say(self, message: str) -> None:
        self.run.log(message)
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> torch.Tensor:
        G = self.ema.module if self.ema else self.nets.generator
        was_training = G.training
        G.eval()
        try:
            return G(z)
        finally:
            G.train(was_training)

    def save_samples(self, writer: Any) -> float:
        """Write the fixed-latent grid; return its diversity relative to real data."""
        samples = self.sample(self.fixed_z)
        reference = self.dataset.data[:POINT_SAMPLES] if samples.dim() == 2 else None
        save_samples(samples, self.run.samples_dir / f"step_{self.step:07d}.png", reference)
        if writer is not None and samples.dim() == 4:
            from ganforge.runs.images import pixel_grid

            writer.add_image("samples", pixel_grid(samples), self.step)
        return pairwise_diversity(samples)

    def evaluate(self) -> dict[str, float]:
        """eval.metrics on the current (EMA) generator; keeps checkpoints/best.pt up to date."""
        from ganforge.data import to_pixels
        from ganforge.metrics.evaluate import Evaluator
        from ganforge.metrics.features import batched

        ev = self.config.eval
        if self.evaluator is None:
            self.evaluator = Evaluator(
                self.config.data,
                ev.metrics,
                ev.ref,
                ev.num_samples,
                ev.inception_weights,
                self.device,
                log=self.say,
            )
        gen = torch.Generator(self.device).manual_seed(self.config.seed + 3)
        z = sample_latent(
            self.evaluator.num_samples,
            self.config.model.latent_dim,
            self.config.model.latent_dist,
            gen,
            self.device,
        )
        images = torch.cat([to_pixels(self.sample(chunk)).cpu() for chunk in batched(z, 500)])
        results = self.evaluator(images)
        self.say(f"step {self.step}: " + ", ".join(f"{k} {v:.4g}" for k, v in results.items()))
        if ev.best_metric:
            value = results[ev.best_metric]
            higher = self.evaluator.specs[ev.best_metric].higher_is_better
            if self.best is None or (value > self.best if higher else value < self.best):
                self.best = value
                save_checkpoint(self.run.checkpoints_dir / "best.pt", self.state_dict())
                self.say(
                    f"new best {ev.best_metric} {value:.4g} at step {self.step}: "
                    "checkpoints/best.pt"
                )
        return results

    def save_checkpoint(self) -> Path:
        path = self.run.checkpoints_dir / checkpoint_name(self.step)
        try:
            save_checkpoint(path, self.state_dict())
        except OSError as err:
            raise CheckpointError(
                f"could not write checkpoint {path.name} ({err.strerror or err}); training "
                f"stopped at step {self.step} and the checkpoints already in "
                f"{self.run.checkpoints_dir} are intact"
            ) from None
        prune_checkpoints(self.run.checkpoints_dir, self.config.train.keep_checkpoints)
        plot_losses(self.run.read_metrics(), self.run.plot_path, self.config.name)
        return path

    # ------------------------------------------------------------------ loop

    def train(self, progress: bool | None = True) -> None:
        from tqdm import tqdm

        t, cfg = self.config.train, self.config
        writer = self._writer() if t.tensorboard else None
        self.say(
            f"training '{cfg.name}' for {t.steps} steps on {self.device} "
            f"({len(self.dataset)} examples of shape {self.data_shape})"
        )
        for note in self.dataset.notes:
            self.say(f"warning: {note}")
        sums: dict[str, torch.Tensor] = {}
        count, last_time, started = 0, time.perf_counter(), time.perf_counter()
        check_every_step = self.device.type == "cpu"  # free on CPU; a GPU would have to sync
        bar = tqdm(
            total=t.steps,
            initial=self.step,
            unit="step",
            dynamic_ncols=True,
            disable=None if progress is None else not progress,
            file=sys.stderr,
        )
        try:
            while self.step < t.steps:
                out = self._one_step()
                self.step += 1
                count += 1
                if check_every_step:
                    self._check_finite({k: v.item() for k, v in out.items() if k in WATCHED})
                for key, value in out.items():
                    sums[key] = sums[key] + value if key in sums else value
                done = self.step == t.steps
                sample_due = (t.sample_every and self.step % t.sample_every == 0) or done
                checkpoint_due = (
                    t.checkpoint_every and self.step % t.checkpoint_every == 0
                ) or done
                eval_due = bool(cfg.eval.every) and (self.step % cfg.eval.every == 0 or done)
                if self.step % t.log_every == 0 or sample_due or checkpoint_due or eval_due:
                    now = time.perf_counter()
                    row = self._row(sums, count, (now - last_time) / count)
                    self._check_finite(row)
                    alarms = self.monitor.observe_row(row)
                    if sample_due:
                        row["diversity"] = self.save_samples(writer) / self.real_diversity
                        alarms += self.monitor.observe_diversity(
                            self.step, row["diversity"] * self.real_diversity, self.real_diversity
                        )
                    if eval_due:
                        row.update(self.evaluate())
                    self._record(row, alarms, writer)
                    bar.set_postfix(d_loss=f"{row['d_loss']:.3f}", g_loss=f"{row['g_loss']:.3f}")
                    sums, count, last_time = {}, 0, time.perf_counter()
                if checkpoint_due:
                    self.save_checkpoint()
                bar.update(1)
        finally:
            bar.close()
            if writer is not None:
                writer.close()
        self.say(
            f"finished {t.steps} steps in {time.perf_counter() - started:.1f} s; "
            f"run directory: {self.run.path}"
        )

    def _one_step(self) -> dict[str, torch.Tensor]:
        cfg = self.config
        dim, dist = cfg.model.latent_dim, cfg.model.latent_dist
        if cfg.train.lr_decay != "none":
            for opt, sub in (
                (self.nets.g_optimizer, cfg.optim.g),
                (self.nets.d_optimizer, cfg.optim.d),
            ):
                apply_decay(opt, sub.lr, cfg.train.lr_decay, self.step, cfg.train.steps)
        for _ in range(cfg.train.n_critic):
            real, y = self.stream.next()
            z = sample_latent(real.shape[0], dim, dist, self.noise, self.device)
            out = discriminator_step(
                self.nets, self.objective, real, None, z, cfg.train.mixed_batches, self.noise
            )
        z = sample_latent(cfg.train.batch_size, dim, dist, self.noise, self.device)
        out.update(generator_step(self.nets, self.objective, z, None))
        if self.ema is not None:
            self.ema.update(self.nets.generator, self.step)
        return out

    def _row(self, sums: dict[str, torch.Tensor], count: int, sec_per_step: float) -> dict:
        keys = sorted(sums)
        values = torch.stack([sums[k] for k in keys]).div(count).tolist()  # one device sync
        return {
            "step": self.step,
            **dict(zip(keys, values, strict=True)),
            "sec_per_step": sec_per_step,
        }

    def _record(self, row: dict[str, Any], alarms: list[Alarm], writer: Any) -> None:
        if alarms:
            row["alarms"] = [a.name for a in alarms]
        self.run.append_metrics(row)
        for alarm in alarms:
            self.say(f"ALARM {alarm.name} at step {alarm.step}: {alarm.message}")
        if writer is not None:
            for key, value in row.items():
                if isinstance(value, float) and key != "step":
                    writer.add_scalar(f"train/{key}", value, self.step)

    def _check_finite(self, values: dict[str, Any]) -> None:
        for key in WATCHED:
            value = values.get(key)
            if value is not None and not math.isfinite(value):
                self._diverged(key, value)

    def _diverged(self, key: str, value: float) -> None:
        side = "d" if key.startswith("d_") else "g"
        net = "discriminator" if side == "d" else "generator"
        what = "gradient" if key.endswith("grad_norm") else "loss"
        lr = getattr(self.config.optim, side).lr
        raise TrainingDiverged(
            f"training diverged at step {self.step}: the {net}'s {what} became {value}; the "
            f"usual cause is a learning rate that is too high (optim.{side}.lr={lr:g}); the "
            f"checkpoints already in {self.run.checkpoints_dir} are kept"
        )

    def _writer(self) -> Any:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            self.say("warning: TensorBoard is not installed; no event files are written")
            return None
        # purge_step drops events a killed run logged after its last checkpoint
        return SummaryWriter(log_dir=str(self.run.tensorboard_dir), purge_step=self.step or None)


def _check_same_run(saved: dict[str, Any], current: dict[str, Any], path: Path) -> None:
    """A checkpoint resumes only the config it was trained with (train.steps may grow)."""
    saved = {**saved, "train": {**saved["train"], "steps": None}}
    current = {**current, "train": {**current["train"], "steps": None}}
    if saved != current:
        diff = sorted(_diff(saved, current))
        raise CheckpointError(
            f"{path.name} was written by a different config (changed: {', '.join(diff)}); "
            "resume with the run's own config.yaml"
        )


def _diff(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() | b.keys() for d in _diff(a.get(k), b.get(k), f"{prefix}{k}.")]
    return [] if a == b else [prefix.rstrip(".")]

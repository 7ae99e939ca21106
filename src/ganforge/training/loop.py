"""The training loop: owns cadence (critic steps, EMA, logging, samples, checkpoints).

The steps do the updates; this file decides when things happen and writes the run directory.
Every source of randomness is a seeded `torch.Generator` or the global torch RNG, and all of
them are saved in checkpoints, so a resumed run continues the same sequence of numbers.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import torch

from ganforge.config import Config, to_dict
from ganforge.data import ArrayDataset, BatchStream, load_dataset
from ganforge.errors import CheckpointError, TrainingDiverged
from ganforge.models import build_models
from ganforge.runs import RunDir, plot_losses, save_samples
from ganforge.training.checkpoint import (
    checkpoint_name,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from ganforge.training.ema import GeneratorEMA
from ganforge.training.objective import Objective
from ganforge.training.optim import build_optimizer
from ganforge.training.steps import Networks, discriminator_step, generator_step, sample_latent

POINT_SAMPLES = 2000  # 2-D data: points per scatter plot


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        from ganforge.errors import GanforgeError

        raise GanforgeError("--device cuda was asked for, but PyTorch sees no CUDA GPU here")
    return torch.device(name)


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
        self.stream = BatchStream(self.dataset, t.batch_size, config.seed, self.device)
        self.noise = torch.Generator(self.device).manual_seed(config.seed + 1)
        fixed = torch.Generator(self.device).manual_seed(config.seed + 2)
        count = POINT_SAMPLES if len(self.data_shape) == 1 else t.grid_size
        self.fixed_z = sample_latent(
            count, config.model.latent_dim, config.model.latent_dist, fixed, self.device
        )
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
            "rng": rng,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if list(state["data_shape"]) != list(self.data_shape):
            raise CheckpointError(
                f"the checkpoint was trained on data of shape "
                f"{tuple(state['data_shape'])}, not {self.data_shape}"
            )
        self.nets.generator.load_state_dict(state["generator"])
        self.nets.discriminator.load_state_dict(state["discriminator"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.nets.g_optimizer.load_state_dict(state["g_optimizer"])
        self.nets.d_optimizer.load_state_dict(state["d_optimizer"])
        self.stream.load_state_dict(state["stream"])
        torch.set_rng_state(state["rng"]["torch"])
        self.noise.set_state(state["rng"]["noise"])
        if "cuda" in state["rng"] and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        self.step = int(state["step"])

    def resume(self) -> None:
        """Continue from the newest checkpoint that loads; damaged ones are reported and skipped."""
        for step, path in reversed(list_checkpoints(self.run.checkpoints_dir)):
            try:
                state = load_checkpoint(path, self.device)
            except CheckpointError as err:
                self.say(f"warning: {err}; trying the previous checkpoint")
                continue
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

    def save_samples(self, writer: Any) -> None:
        samples = self.sample(self.fixed_z)
        reference = self.dataset.data[:POINT_SAMPLES] if samples.dim() == 2 else None
        path = self.run.samples_dir / f"step_{self.step:07d}.png"
        save_samples(samples, path, reference)
        if writer is not None and samples.dim() == 4:
            from ganforge.runs.images import pixel_grid

            writer.add_image("samples", pixel_grid(samples), self.step)

    def save_checkpoint(self) -> Path:
        path = self.run.checkpoints_dir / checkpoint_name(self.step)
        save_checkpoint(path, self.state_dict())
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
        bar = tqdm(
            total=t.steps,
            initial=self.step,
            disable=None if progress is None else not progress,
            unit="step",
            dynamic_ncols=True,
            file=sys.stderr,
        )
        try:
            while self.step < t.steps:
                out = self._one_step()
                self.step += 1
                count += 1
                for key, value in out.items():
                    sums[key] = sums[key] + value if key in sums else value
                done = self.step == t.steps
                if self.step % t.log_every == 0 or done:
                    now = time.perf_counter()
                    row = self._log_row(sums, count, (now - last_time) / count, writer)
                    bar.set_postfix(d_loss=f"{row['d_loss']:.3f}", g_loss=f"{row['g_loss']:.3f}")
                    sums, count, last_time = {}, 0, now
                if (t.sample_every and self.step % t.sample_every == 0) or done:
                    self.save_samples(writer)
                if (t.checkpoint_every and self.step % t.checkpoint_every == 0) or done:
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

    def _log_row(
        self, sums: dict[str, torch.Tensor], count: int, sec_per_step: float, writer: Any
    ) -> dict[str, Any]:
        keys = sorted(sums)
        values = torch.stack([sums[k] for k in keys]).div(count).tolist()  # one device sync
        row: dict[str, Any] = {
            "step": self.step,
            **dict(zip(keys, values, strict=True)),
            "sec_per_step": sec_per_step,
        }
        self.run.append_metrics(row)
        bad = [
            k for k in ("d_loss", "g_loss", "d_penalty") if k in row and not math.isfinite(row[k])
        ]
        if bad:
            self._diverged(bad[0], row[bad[0]])
        if writer is not None:
            for key in keys + ["sec_per_step"]:
                writer.add_scalar(f"train/{key}", row[key], self.step)
        return row

    def _diverged(self, key: str, value: float) -> None:
        net = "discriminator" if key.startswith("d_") else "generator"
        side = "d" if net == "discriminator" else "g"
        lr = getattr(self.config.optim, side).lr
        raise TrainingDiverged(
            f"training diverged by step {self.step}: the {net} loss became {value}; the usual "
            f"cause is a learning rate that is too high (optim.{side}.lr={lr:g}); checkpoints "
            f"already written in {self.run.checkpoints_dir} are kept"
        )

    def _writer(self) -> Any:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            self.say("warning: TensorBoard is not installed; no event files are written")
            return None
        return SummaryWriter(log_dir=str(self.run.tensorboard_dir))

"""What a log row holds: the mean of the logged numbers, the sample grid and its diversity,
the evaluation and the best checkpoint, and the failure alarms they raise."""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import Tensor

from ganforge.metrics.diagnostics import pairwise_diversity
from ganforge.runs import save_samples
from ganforge.runs.images import pixel_grid
from ganforge.training import state
from ganforge.training.divergence import check_finite
from ganforge.training.parts import POINT_SAMPLES, Parts


def log_row(
    parts: Parts,
    sums: dict[str, Tensor],
    count: int,
    sec_per_step: float,
    sample_due: bool,
    eval_due: bool,
) -> None:
    """Write one row of metrics.jsonl (and TensorBoard) for the last `count` steps."""
    keys = sorted(sums)
    values = torch.stack([sums[k] for k in keys]).div(count).tolist()  # one device sync
    row: dict[str, Any] = {"step": parts.step, **dict(zip(keys, values, strict=True))}
    row["sec_per_step"] = sec_per_step
    row["seconds"] = round(parts.seconds, 3)  # training time so far: the report's time axis
    check_row(parts, row)
    alarms = parts.monitor.observe_row(row)
    if sample_due:
        diversity = save_grid(parts)
        if parts.real_diversity > 0:  # 0: the real subset is one example repeated
            row["diversity"] = diversity / parts.real_diversity
            alarms += parts.monitor.observe_diversity(parts.step, diversity, parts.real_diversity)
    if eval_due:
        started = time.perf_counter()
        results, improved = parts.evaluation(
            parts.sample, parts.num_classes, parts.step, parts.latent_paths()
        )
        spent = time.perf_counter() - started
        parts.eval_seconds += spent  # evaluating is not training: train.minutes ignores it
        row.update(results, evaluated=sorted(results), eval_seconds=round(spent, 3))
        alarms += parts.monitor.observe_evaluation(parts.step, results)
        if improved:
            state.save(parts, parts.run.checkpoints_dir / "best.pt")
            metric = parts.config.eval.best_metric
            parts.sinks.say(
                f"new best {metric} {results[metric]:.4g} at step {parts.step}: checkpoints/best.pt"
            )
    parts.sinks.record(row, alarms, parts.step)


def save_grid(parts: Parts) -> float:
    """Write the fixed-input grid; return its diversity."""
    samples = parts.sample(parts.fixed_z, parts.fixed_y)
    reference = parts.dataset.data[:POINT_SAMPLES] if samples.dim() == 2 else None
    save_samples(samples, parts.run.samples_dir / f"step_{parts.step:07d}.png", reference)
    if samples.dim() == 4:
        parts.sinks.image("samples", pixel_grid(samples), parts.step)
    return pairwise_diversity(samples)


def check_row(parts: Parts, values: dict[str, Any]) -> None:
    """Stop with the last good checkpoint named when a logged number is NaN or infinite."""
    check_finite(values, parts.step, parts.config, parts.run.checkpoints_dir)

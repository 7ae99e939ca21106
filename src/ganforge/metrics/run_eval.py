"""`ganforge eval`: evaluation of saved generators (image sets: metrics/score.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ganforge.latent_paths import LatentPaths
from ganforge.metrics.diagnostics import class_collapse
from ganforge.metrics.evaluate import Evaluator
from ganforge.runs import RunDir

if TYPE_CHECKING:
    from ganforge.sampling import LoadedGenerator


def _run_dir_of(source: Path) -> RunDir | None:
    """The run an evaluation is logged into; none for an export (a file or a Hub folder)."""
    from ganforge.sampling import exported_model

    folder = source if source.is_dir() else source.parent.parent
    if exported_model(folder) is not None:
        return None
    return RunDir(folder) if (folder / "config.yaml").exists() else None


def evaluate_source(
    source: str | Path,
    metrics: list[str],
    ref: str | None = None,
    num_samples: int | None = None,
    inception_weights: str | None = None,
    device: str = "auto",
    seed: int = 0,
    batch_size: int = 200,
    say: Callable[[str], None] | None = None,
    lpips_weights: str | None = None,
) -> dict:
    """Evaluate a run (newest checkpoint), a checkpoint or an export; log into the run.

    The generator is fed as its family samples it: seeded latents and classes in turn, or
    domain A's first images for a translator, whose outputs are scored as domain B's with
    the A labels as the labels to keep (label preservation, FID in domain B).

    A class histogram far from the data's raises the class_collapse alarm in the logged row
    (the study report counts it) and through `say`, as training does.
    """
    from ganforge.device import resolve_device
    from ganforge.sampling import load_generator

    dev = resolve_device(device)
    started = time.perf_counter()
    run = _run_dir_of(Path(source))
    loaded = load_generator(source)
    evaluator = _evaluator(
        loaded, metrics, ref, num_samples, inception_weights, lpips_weights, dev, batch_size
    )
    outputs, labels = loaded.sample_for_metrics(evaluator.num_samples, seed=seed, device=dev)
    paths = LatentPaths.of(loaded, dev) if loaded.family.latent_space else None
    results, step = evaluator(outputs, labels, paths), loaded.step
    row = {
        "step": step,
        "kind": "eval",
        **results,
        "ref": ref or "training data",
        "seconds": round(time.perf_counter() - started, 2),
    }
    if evaluator.domain_accuracy is not None:
        row["domain_classifier_accuracy"] = evaluator.domain_accuracy
    collapsed = class_collapse(results)
    if collapsed:
        row["alarms"] = ["class_collapse"]
        if say is not None:
            say(f"ALARM class_collapse at step {step}: {collapsed}")
    if run is not None:
        run.append_metrics(row)
    return row


def _evaluator(
    loaded: LoadedGenerator,
    metrics: list[str],
    ref: str | None,
    num_samples: int | None,
    inception_weights: str | None,
    lpips_weights: str | None,
    device: torch.device,
    batch_size: int,
) -> Evaluator:
    """The metrics of `loaded`'s outputs, checked against what its family can give."""
    return Evaluator(
        loaded.family.output_data(loaded.config),  # a translator's outputs are domain B's
        [m for m in metrics if m],
        ref=ref,
        num_samples=num_samples,
        inception_weights=inception_weights or loaded.config.eval.inception_weights,
        device=device,
        batch_size=batch_size,
        data_b=loaded.config.data_b,
        output_shape=loaded.output_shape,
        labelled_outputs=loaded.family.labelled_outputs(loaded.config),
        latent_spaces=loaded.family.latent_spaces,
        lpips_weights=lpips_weights or loaded.config.eval.lpips_weights,
    )

"""`ganforge eval` and `ganforge fid`: evaluation of saved generators and of image sets."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch

from ganforge.metrics.diagnostics import class_collapse
from ganforge.metrics.evaluate import Evaluator
from ganforge.metrics.features import InceptionExtractor
from ganforge.metrics.reference import parse_reference, reference_features
from ganforge.metrics.scores import frechet_distance, statistics
from ganforge.models import translates
from ganforge.runs import RunDir

ALL_IMAGES = 50_000  # `ganforge fid` reads at most this many images from each set


def _run_dir_of(source: Path) -> RunDir | None:
    folder = source if source.is_dir() else source.parent.parent
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
) -> dict:
    """Evaluate a run (newest checkpoint), a checkpoint or an export; log into the run.

    A class histogram far from the data's raises the class_collapse alarm in the logged row
    (the study report counts it) and through `say`, as training does.
    """
    from ganforge.device import resolve_device
    from ganforge.sampling import load_generator

    dev = resolve_device(device)
    started = time.perf_counter()
    run = _run_dir_of(Path(source))
    if run is not None and translates(run.load_config()):  # cyclegan, dtn: in domain B
        results, step, evaluator = _evaluate_translation(
            source, metrics, ref, num_samples, inception_weights, dev, batch_size
        )
    else:
        loaded = load_generator(source)
        evaluator = Evaluator(
            loaded.config.data,
            [m for m in metrics if m],
            ref=ref,
            num_samples=num_samples,
            inception_weights=inception_weights or loaded.config.eval.inception_weights,
            device=dev,
            batch_size=batch_size,
            data_b=loaded.config.data_b,
        )
        # images are quantised batch by batch (50k float images would not fit in memory)
        draw = loaded.sample_pixels if len(loaded.data_shape) == 3 else loaded.sample
        n = evaluator.num_samples
        labels = loaded.labels(0, n, torch.device("cpu"))
        results, step = evaluator(draw(n, seed=seed, device=dev), labels), loaded.step
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


def _evaluate_translation(
    source: str | Path,
    metrics: list[str],
    ref: str | None,
    num_samples: int | None,
    inception_weights: str | None,
    device: torch.device,
    batch_size: int,
) -> tuple[dict, int, Evaluator]:
    """Translate the first N images of domain A and score them as images of domain B, with
    the A labels as the labels to preserve (label preservation, FID in domain B)."""
    import dataclasses

    from ganforge.data import load_dataset, to_pixels
    from ganforge.translate import load_translator

    translator = load_translator(source, "a2b")
    config = translator.config
    evaluator = Evaluator(
        config.data_b,
        [m for m in metrics if m],
        ref=ref,
        num_samples=num_samples,
        inception_weights=inception_weights or config.eval.inception_weights,
        device=device,
        batch_size=batch_size,
        data_b=config.data_b,
    )
    translator.network.to(device)
    sources = load_dataset(dataclasses.replace(config.data, limit=evaluator.num_samples))
    translated = torch.cat(
        [
            to_pixels(translator(sources.data[i : i + batch_size].to(device))).cpu()
            for i in range(0, len(sources), batch_size)
        ]
    )
    return evaluator(translated, sources.labels), translator.step, evaluator


def fid_between(
    a: str,
    b: str,
    num_samples: int | None = None,
    inception_weights: str | None = None,
    device: str = "auto",
    batch_size: int = 200,
) -> dict:
    """FID between two image sets (folders, .npz files, dataset names)."""
    from ganforge.device import resolve_device

    extractor = InceptionExtractor(inception_weights, resolve_device(device))
    count = num_samples or ALL_IMAGES
    feats = [reference_features(extractor, parse_reference(x), count, batch_size) for x in (a, b)]
    return {
        "fid": frechet_distance(statistics(feats[0].pool), statistics(feats[1].pool)),
        "count_a": len(feats[0].pool),
        "count_b": len(feats[1].pool),
    }

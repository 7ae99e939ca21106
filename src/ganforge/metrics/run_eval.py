"""`ganforge eval` and `ganforge fid`: evaluation of saved generators and of image sets."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.evaluate import Evaluator
from ganforge.metrics.features import InceptionExtractor
from ganforge.metrics.protocols import METRICS, protocol
from ganforge.metrics.reference import parse_reference, reference_features
from ganforge.metrics.scores import frechet_distance, statistics
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
) -> dict:
    """Evaluate a run (newest checkpoint), a checkpoint or an export; log into the run."""
    from ganforge.device import resolve_device
    from ganforge.sampling import load_generator

    dev = resolve_device(device)
    loaded = load_generator(source)
    metrics = [m for m in metrics if m]
    modes = [m for m in metrics if METRICS.get(m).kind == "modes"]
    others = [m for m in metrics if m not in modes]
    started = time.perf_counter()
    results: dict = {}
    for name in modes:
        coverage = mode_coverage(loaded, protocol(name, num_samples).count, seed, dev)
        results.update({f"{name}_{key}": value for key, value in coverage.items()})
    evaluator = None
    if others:
        if len(loaded.data_shape) != 3:
            raise GanforgeError(
                "FID, IS and KID need images; this generator makes 2-D points "
                "(use the modes2.5k metric for those)"
            )
        weights = inception_weights or loaded.config.eval.inception_weights
        evaluator = Evaluator(
            loaded.config.data,
            others,
            ref=ref,
            num_samples=num_samples,
            inception_weights=weights,
            device=dev,
            batch_size=batch_size,
        )
        images = loaded.sample_pixels(evaluator.num_samples, seed=seed, device=dev)
        results.update(evaluator(images))
    row = {
        "step": loaded.step,
        "kind": "eval",
        **results,
        "ref": ref or "training data",
        "seconds": round(time.perf_counter() - started, 2),
    }
    if evaluator is not None and evaluator.domain_accuracy is not None:
        row["domain_classifier_accuracy"] = evaluator.domain_accuracy
    run = _run_dir_of(Path(source))
    if run is not None:
        run.append_metrics(row)
    return row


def mode_coverage(loaded, count: int, seed: int, device) -> dict:  # noqa: ANN001
    """Modes of a 2-D mixture run, or of a Stacked MNIST run through the MNIST classifier."""
    from ganforge.data.stacked import mnist_source
    from ganforge.data.toy import TOY_MIXTURES
    from ganforge.metrics.classifier import domain_classifier
    from ganforge.metrics.features import batched
    from ganforge.metrics.modes import stacked_modes, toy_coverage

    data = loaded.config.data
    if data.name in TOY_MIXTURES:
        return toy_coverage(data.name, loaded.sample(count, seed=seed, device=device))
    if data.name != "stacked_mnist":
        raise GanforgeError("mode metrics are defined for toy_ring, toy_grid and stacked_mnist")
    classifier, accuracy = domain_classifier(mnist_source(data), device)
    images = loaded.sample_pixels(count, seed=seed, device=device)
    channels = [classifier(batched(images[:, c : c + 1], 500)).logits.argmax(1) for c in range(3)]
    return {**stacked_modes(torch.stack(channels, 1)), "classifier_accuracy": accuracy}


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

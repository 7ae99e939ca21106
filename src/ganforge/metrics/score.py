"""`ganforge score A B`: any registered metric between two image sets, in either feature space.

A is the generated set, B the reference: folders, `.npz` files, `DATASET[:SPLIT]`, run
directories, checkpoints or exports (whose generator draws the images). Each set goes through
the extractor once; every metric then reads those features, exactly as during training, so a
number here and in a run's metrics.jsonl mean the same. `save_features` writes both feature
matrices as arrays `a` and `b`, so anyone can check the numbers with another tool.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganforge.config import DataConfig
from ganforge.errors import GanforgeError
from ganforge.metrics.features import Features, InceptionExtractor, batched
from ganforge.metrics.manifold import KS, Manifold, manifolds
from ganforge.metrics.protocols import METRICS, MetricKind
from ganforge.metrics.reference import parse_reference, reference_images

ALL_IMAGES = 50_000  # at most this many images from each set
SPACES = ("inception", "domain")


@dataclass
class ImageSet:
    images: Tensor  # uint8 (N, C, H, W)
    data: DataConfig | None  # what the images are of (a run's data), for the domain classifier


def load_set(source: str, count: int, seed: int, device: torch.device) -> ImageSet:
    """A run, checkpoint or export draws `count` images; anything else is read as images."""
    path = Path(source)
    is_generator = path.suffix in (".safetensors", ".pt") or (path / "config.yaml").exists()
    if is_generator:
        from ganforge.sampling import load_generator

        loaded = load_generator(path)
        images, _ = loaded.sample_for_metrics(count, seed=seed, device=device)
        if images.dim() != 4:
            raise GanforgeError(f"'{source}' generates points; score compares image sets")
        return ImageSet(images, loaded.family.output_data(loaded.config))
    cfg = parse_reference(source)
    return ImageSet(reference_images(cfg, count), cfg)


def kind_of(name: str, space: str) -> MetricKind:
    """'fid' in the domain space -> the fid_domain kind; a protocol name (fid10k) -> its kind."""
    if name in METRICS:
        return METRICS.get(name).kind
    kinds = {p.kind.name: p.kind for p in (METRICS.get(n) for n in METRICS.names())}
    own = name in kinds and kinds[name].extractor == space
    wanted = name if own or space == "inception" else _in_domain(name)
    if wanted not in kinds:
        known = sorted(k for k, v in kinds.items() if v.extractor == space)
        raise GanforgeError(
            f"no metric '{name}' in the {space} feature space; available: {', '.join(known)}"
        )
    return kinds[wanted]


def _in_domain(name: str) -> str:
    """fid -> fid_domain, fid_inf -> fid_domain_inf, pr -> pr_domain."""
    head, _, tail = name.partition("_")
    return f"{head}_domain" + (f"_{tail}" if tail else "")


class GivenFeatures:
    """What a metric function reads (as metrics.evaluate.Inputs), from two fixed feature sets."""

    def __init__(self, a: Features, b: Features, kind: MetricKind) -> None:
        self.a, self.b, self.spec = a, b, kind
        self.count = len(a.pool)
        self._manifolds: dict[int, Manifold] | None = None

    def features(self) -> Features:
        return self.a

    def reference(self) -> Features:
        return self.b

    def manifolds(self) -> dict[int, Manifold]:
        if self._manifolds is None:
            self._manifolds = manifolds(self.b.pool, self.a.pool, KS)
        return self._manifolds

    def __getattr__(self, name: str) -> object:
        raise GanforgeError(
            f"the {self.spec.name} metric needs {name.replace('_', ' ')}, which two image sets "
            "do not give; use `ganforge eval` on the run"
        )


def score_sets(
    a: str,
    b: str,
    metrics: list[str],
    features: str = "inception",
    num_samples: int | None = None,
    inception_weights: str | None = None,
    device: str = "auto",
    batch_size: int = 200,
    seed: int = 0,
    save_features: str | Path | None = None,
) -> dict:
    """{metric: value, ..., count_a, count_b, features}: A scored against reference B."""
    from ganforge.device import resolve_device

    if features not in SPACES:
        raise GanforgeError(f"--features must be inception or domain, not '{features}'")
    kinds = {m: kind_of(m, features) for m in metrics if m}
    if not kinds:
        raise GanforgeError("no metrics requested; e.g. --metrics fid,kid,pr,dc,fid_inf")
    for name, kind in kinds.items():
        if kind.extractor != features:
            raise GanforgeError(
                f"'{name}' is measured in {kind.extractor} features, not {features}"
            )
    dev = resolve_device(device)
    count = num_samples or ALL_IMAGES
    set_a, set_b = (load_set(x, count, seed, dev) for x in (a, b))
    extractor = _extractor(features, set_b, inception_weights, dev)
    feats = [extractor(batched(s.images, batch_size)) for s in (set_a, set_b)]
    if save_features:
        np.savez(save_features, a=feats[0].pool.numpy(), b=feats[1].pool.numpy())
    results: dict = {}
    for name, kind in kinds.items():
        values = kind.score(GivenFeatures(feats[0], feats[1], kind))
        results.update({name if not k else f"{name}_{k}": v for k, v in values.items()})
    return {
        **results,
        "count_a": len(feats[0].pool),
        "count_b": len(feats[1].pool),
        "features": features,
    }


def _extractor(space: str, reference: ImageSet, weights: str | None, device: torch.device):  # noqa: ANN202
    if space == "inception":
        return InceptionExtractor(weights, device)
    from ganforge.metrics.classifier import domain_classifier
    from ganforge.metrics.protocols import LABELLED_IMAGES

    shape = tuple(reference.images.shape[1:])
    if reference.data is None or not LABELLED_IMAGES.accepts(reference.data, shape):
        raise GanforgeError(
            f"domain features need a reference B of {LABELLED_IMAGES.text} to train its "
            "classifier on"
        )
    return domain_classifier(reference.data, device)[0]

"""Evaluate generated samples with registered metrics, sharing every costly input between them.

Images are quantised to uint8 pixels exactly as a saved PNG would be, but never written to
disk. Each extractor sees the generated images once; every metric then uses the first `count`
of them, so `fid5k` and `fid10k` in one call cost one pass of 10,000 images. Extractors,
reference features and labels stay in memory, so evaluations during training are cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from ganforge.config import DataConfig
from ganforge.data import load_dataset, to_pixels
from ganforge.errors import DatasetError, GanforgeError
from ganforge.latent_paths import LatentPaths
from ganforge.metrics.features import (
    ClassifierExtractor,
    Features,
    InceptionExtractor,
    batched,
)
from ganforge.metrics.manifold import KS, Manifold, manifolds
from ganforge.metrics.path_length import PerceptualDistance, feature_distance, path_lengths
from ganforge.metrics.protocols import Protocol, check_metrics, protocol, scored_keys
from ganforge.metrics.reference import parse_reference, reference_features


class Evaluator:
    """Scores samples with the named metrics; holds extractors and references between calls."""

    def __init__(
        self,
        data: DataConfig,
        metrics: Sequence[str],
        ref: str | None = None,
        num_samples: int | None = None,
        inception_weights: str | None = None,
        device: torch.device | str = "cpu",
        batch_size: int = 200,
        log: Callable[[str], None] | None = None,
        data_b: DataConfig | None = None,
        output_shape: tuple[int, ...] | None = None,
        labelled_outputs: bool | None = None,
        latent_spaces: Sequence[str] | None = None,
        lpips_weights: str | None = None,
    ) -> None:
        if not metrics:
            raise GanforgeError("no metrics requested; e.g. --metrics fid10k,is10k")
        try:
            check_metrics(metrics, data, output_shape, labelled_outputs, latent_spaces)
        except DatasetError:  # the data's file is gone (an old run): metrics reading it say so
            pass
        self.specs: dict[str, Protocol] = {m: protocol(m, num_samples) for m in metrics}
        self.data = data
        self.data_b = data_b  # domain B of a two-domain run (the agreement metric's transform)
        self.ref = parse_reference(ref, data) if ref else data
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.inception_weights = inception_weights
        self.lpips_weights = lpips_weights
        self._lpips: PerceptualDistance | None = None
        self.log = log or (lambda message: print(message, file=sys.stderr))  # stdout is data
        self._extractors: dict[str, object] = {}
        self._classifiers: dict[DataConfig, tuple[ClassifierExtractor, float]] = {}
        self._references: dict[tuple[str, int], Features] = {}  # (extractor, count) -> features
        self._labels: Tensor | None = None
        self.domain_accuracy: float | None = None  # test accuracy of the domain classifier

    @property
    def num_samples(self) -> int:
        """How many samples one call needs: the largest count among the metrics."""
        return max(spec.count for spec in self.specs.values())

    def higher_is_better(self, name: str) -> bool:
        """The direction of a metric or of one of its scores (pr10k_recall)."""
        return scored_keys(list(self.specs))[name].higher_is_better

    def __call__(
        self, samples: Tensor, labels: Tensor | None = None, paths: LatentPaths | None = None
    ) -> dict[str, float]:
        """Score generated samples: images in [-1, 1] or uint8 (N, C, H, W), or points (N, D);
        `labels` (N,) are the classes a conditional generator was asked for; `paths`, the
        generator itself, for the metrics that walk its latent space."""
        shared = _Shared(self, samples)
        shared.requested, shared.paths = labels, paths
        results: dict[str, float] = {}
        for name, spec in self.specs.items():
            values = spec.kind.score(Inputs(shared, spec))
            results.update({name if not k else f"{name}_{k}": v for k, v in values.items()})
        return results

    def extractor(self, kind: str):  # noqa: ANN201 - InceptionExtractor or ClassifierExtractor
        if kind not in self._extractors:
            self._extractors[kind] = EXTRACTORS[kind](self)
        return self._extractors[kind]

    def perceptual(self) -> PerceptualDistance:
        """LPIPS VGG16, loaded once (metrics/path_length.py)."""
        if self._lpips is None:
            self._lpips = PerceptualDistance(self.lpips_weights, self.device)
        return self._lpips

    def classifier(self, cfg: DataConfig) -> tuple[ClassifierExtractor, float]:
        """The domain classifier of `cfg`'s dataset (trained once, cached) and its accuracy."""
        if cfg not in self._classifiers:
            from ganforge.metrics.classifier import domain_classifier

            self._classifiers[cfg] = domain_classifier(cfg, self.device, self.log)
        return self._classifiers[cfg]

    def reference(self, kind: str, count: int) -> Features:
        key = (kind, count)
        if key not in self._references:
            extractor = self.extractor(kind)
            self._references[key] = reference_features(extractor, self.ref, count, self.batch_size)
        return self._references[key]

    def reference_labels(self, count: int) -> Tensor:
        """Labels of the first `count` reference images (those `reference` featurises)."""
        import dataclasses

        labels = load_dataset(dataclasses.replace(self.ref, limit=count)).labels
        if labels is None:
            raise GanforgeError(f"the reference '{self.ref.name}' has no class labels")
        return labels

    def labels(self) -> Tensor:
        if self._labels is None:
            self._labels = load_dataset(self.data).labels
        return self._labels


def _domain(evaluator: Evaluator) -> ClassifierExtractor:
    extractor, evaluator.domain_accuracy = evaluator.classifier(evaluator.data)
    return extractor


EXTRACTORS: dict[str, Callable[[Evaluator], object]] = {
    "inception": lambda ev: InceptionExtractor(ev.inception_weights, ev.device),
    "domain": _domain,
}


class _Shared:
    """One call's samples, their pixels and their features per extractor, each made once."""

    def __init__(self, evaluator: Evaluator, samples: Tensor) -> None:
        self.evaluator = evaluator
        self.samples = samples
        self.requested: Tensor | None = None  # classes asked of a conditional generator
        self.paths: LatentPaths | None = None  # the generator, for path metrics
        self._pixels: Tensor | None = None
        self.features: dict[str, Features] = {}
        self.manifolds: dict[tuple[str, int], dict[int, Manifold]] = {}  # (extractor, count)

    def pixels(self) -> Tensor:
        if self._pixels is None:
            if self.samples.dim() != 4:
                raise GanforgeError(
                    f"this metric needs images; the samples are {tuple(self.samples.shape)} points"
                )
            is_pixels = self.samples.dtype == torch.uint8
            self._pixels = self.samples if is_pixels else to_pixels(self.samples)
        return self._pixels


class Inputs:
    """What one metric reads in one evaluation: its samples, features, references and labels."""

    def __init__(self, shared: _Shared, spec: Protocol) -> None:
        self._shared = shared
        self._evaluator = shared.evaluator
        self.spec = spec
        self.count = spec.count
        self.data = shared.evaluator.data
        self.data_b = shared.evaluator.data_b

    def points(self) -> Tensor:
        """The first `count` samples as float (N, D) points."""
        samples = self._shared.samples
        if samples.dim() != 2:
            raise GanforgeError(f"this metric needs points; the samples are {samples.dim()}-D")
        return samples[: self.count].float()

    def pixels(self) -> Tensor:
        """The first `count` samples as uint8 (N, C, H, W) images."""
        return self._shared.pixels()[: self.count]

    def features(self) -> Features:
        """Features of the first `count` samples from this metric's extractor."""
        kind = self._extractor()
        shared = self._shared
        if kind not in shared.features:
            shared.features[kind] = self.extract(self._evaluator.extractor(kind), shared.pixels())
        found = shared.features[kind]
        return Features(found.pool[: self.count], found.logits[: self.count])

    def reference(self) -> Features:
        """Features of `count` reference images (all of a smaller set) from this extractor."""
        return self._evaluator.reference(self._extractor(), self.count)

    def manifolds(self) -> dict[int, Manifold]:
        """k-NN manifolds of these features against the reference's, for every k in
        manifold.KS: precision/recall and density/coverage of one evaluation share them."""
        key = (self._extractor(), self.count)
        if key not in self._shared.manifolds:
            real, fake = self.reference().pool, self.features().pool
            self._shared.manifolds[key] = manifolds(real, fake, KS)
        return self._shared.manifolds[key]

    def reference_labels(self) -> Tensor:
        """The classes of the reference images that `reference()` featurises."""
        return self._evaluator.reference_labels(self.count)

    def labels(self) -> Tensor:
        """The class labels of the run's dataset."""
        return self._evaluator.labels()

    def requested_labels(self) -> Tensor:
        """The classes the first `count` samples were generated for (conditional runs)."""
        labels = self._shared.requested
        if labels is None:
            raise GanforgeError(
                f"the {self.spec.kind.name} metric needs a conditional generator "
                "(model.conditional) and the labels it was asked for"
            )
        return labels[: self.count]

    def path_lengths(self, perceptual: bool) -> Tensor:
        """`count` path lengths in the latent space this metric walks (metrics/path_length.py),
        measured by LPIPS or, with `perceptual` False, by this metric's extractor's features."""
        paths = self._shared.paths
        if paths is None:
            raise GanforgeError(
                f"the {self.spec.kind.name} metric walks a generator's latent space and needs "
                "the generator (a run, a checkpoint or an export), not a set of images"
            )
        if perceptual:
            distance = self._evaluator.perceptual()
        else:
            extractor = self._evaluator.extractor(self._extractor())
            distance = feature_distance(lambda images: extractor([(images + 1) * 127.5]).pool)
        batch = self._evaluator.batch_size
        space = self.spec.kind.needs.latent or "z"
        return path_lengths(paths, space, distance, self.count, batch)

    def classifier(self, cfg: DataConfig) -> tuple[ClassifierExtractor, float]:
        """The domain classifier of another dataset (Stacked MNIST's digits) and its accuracy."""
        return self._evaluator.classifier(cfg)

    def extract(self, extractor, images: Tensor) -> Features:  # noqa: ANN001
        """Features of uint8 images, batch by batch."""
        return extractor(batched(images, self._evaluator.batch_size))

    def _extractor(self) -> str:
        if self.spec.extractor is None:
            raise TypeError(f"metric '{self.spec.kind.name}' was registered without an extractor")
        return self.spec.extractor

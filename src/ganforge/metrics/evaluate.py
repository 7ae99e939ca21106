"""Evaluate a generator: sample in memory, extract features once per extractor, score.

Samples are quantised to uint8 pixels exactly as a saved PNG would be, but never written to
disk. Each extractor sees the generated images once; every metric then uses the first `count`
of them, so `fid5k` and `fid10k` in one call cost one pass of 10,000 images.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from torch import Tensor

from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.features import Features, InceptionExtractor, batched
from ganforge.metrics.protocols import Protocol, protocol
from ganforge.metrics.reference import parse_reference, reference_features
from ganforge.metrics.scores import (
    class_histogram_kl,
    frechet_distance,
    inception_score,
    kernel_distance,
    statistics,
)


def _slice(features: Features, count: int) -> Features:
    return Features(features.pool[:count], features.logits[:count])


class Evaluator:
    """Holds extractors and reference sets so repeated evaluations during training are cheap."""

    def __init__(
        self,
        data: DataConfig,
        metrics: list[str] | tuple[str, ...],
        ref: str | None = None,
        num_samples: int | None = None,
        inception_weights: str | None = None,
        device: torch.device | str = "cpu",
        batch_size: int = 200,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not metrics:
            raise GanforgeError("no metrics requested; e.g. --metrics fid10k,is10k")
        self.specs: dict[str, Protocol] = {m: protocol(m, num_samples) for m in metrics}
        self.data = data
        self.ref = parse_reference(ref, data) if ref else data
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.inception_weights = inception_weights
        self.log = log or (lambda message: print(message, file=sys.stderr))  # stdout is data
        self._extractors: dict[str, object] = {}
        self._references: dict[tuple[str, int], Features] = {}  # (extractor, count) -> features
        self._labels: Tensor | None = None  # the data's class labels, for `classes`
        self.domain_accuracy: float | None = None

    @property
    def num_samples(self) -> int:
        return max(spec.count for spec in self.specs.values())

    def extractor(self, kind: str):  # noqa: ANN201
        if kind not in self._extractors:
            if kind == "inception":
                self._extractors[kind] = InceptionExtractor(self.inception_weights, self.device)
            else:
                from ganforge.metrics.classifier import domain_classifier

                extractor, self.domain_accuracy = domain_classifier(
                    self.data, self.device, self.log
                )
                self._extractors[kind] = extractor
        return self._extractors[kind]

    def __call__(self, images: Tensor) -> dict[str, float]:
        """Score uint8 (N, C, H, W) generated images with every requested metric."""
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise GanforgeError("FID, IS and KID are defined for images; this model makes points")
        generated: dict[str, Features] = {}
        results: dict[str, float] = {}
        for name, spec in self.specs.items():
            ext = self.extractor(spec.extractor)
            if spec.extractor not in generated:
                generated[spec.extractor] = ext(batched(images, self.batch_size))
            gen = _slice(generated[spec.extractor], spec.count)
            results.update(self._score(name, spec, ext, gen))
        return results

    def _score(self, name: str, spec: Protocol, ext, gen: Features) -> dict[str, float]:  # noqa: ANN001
        if spec.kind == "is":
            mean, std = inception_score(gen.logits)
            return {name: mean, f"{name}_std": std}
        if spec.kind == "classes":
            if self._labels is None:
                self._labels = load_dataset(self.data).labels
            kl, covered = class_histogram_kl(
                gen.logits.argmax(1), self._labels, gen.logits.shape[1]
            )
            return {name: kl, f"{name}_covered": float(covered)}
        key = (spec.extractor, spec.count)
        if key not in self._references:  # evaluations during training reuse it from memory
            self._references[key] = reference_features(ext, self.ref, spec.count, self.batch_size)
        ref = self._references[key]
        if spec.kind == "kid":
            mean, std = kernel_distance(gen.pool, ref.pool)
            return {name: mean, f"{name}_std": std}
        return {name: frechet_distance(statistics(gen.pool), statistics(ref.pool))}

"""What a generator is fed, drawn the same way by training grids, evaluations and commands.

A family says how its generator is sampled (`Family.inputs`: latents and classes in turn, or
domain A's images for a translator); `SeededInputs` is the one place that provides the draws,
so `ganforge sample` and `ganforge eval` give what the training grids and evaluations gave.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.data import ArrayDataset, load_dataset, to_model_range
from ganforge.errors import GanforgeError
from ganforge.models import FAMILIES, GeneratorInputs
from ganforge.models.latent import sample_latent

# Outputs generated per forward pass when many are drawn (evaluations, `ganforge eval`,
# `ganforge sample`). A CPU runs a convolutional G fastest on batches whose activations stay in
# its caches: 5,000 MNIST digits from akel2022-exp05's G take 5.2 s in passes of 128 and 7.5 s
# in passes of 500 (deng2024-conv: 3.6 vs 4.7 s); a dense G loses 0.03 s. An accelerator wants
# large passes.
CPU_CHUNK = 128
ACCELERATOR_CHUNK = 500


def generation_chunk(device: torch.device | str) -> int:
    """How many outputs to generate per forward pass on `device`."""
    return CPU_CHUNK if torch.device(device).type == "cpu" else ACCELERATOR_CHUNK


class SeededInputs:
    """`ganforge.models.InputSource` from one seeded generator and (when a translator asks)
    domain A's first examples, loaded once: `dataset` if given, else `count` of config.data."""

    def __init__(
        self,
        config: Config,
        num_classes: int,
        generator: torch.Generator,
        device: torch.device,
        dataset: ArrayDataset | None = None,
        count: int | None = None,
        label: int | None = None,
    ) -> None:
        self.config, self.num_classes, self.generator = config, num_classes, generator
        self.device, self._dataset, self.count, self.label = device, dataset, count, label

    def latent(self, n: int) -> Tensor:
        model = self.config.model
        return sample_latent(n, model.latent_dim, model.latent_dist, self.generator, self.device)

    def labels(self, start: int, n: int) -> Tensor | None:
        if not self.num_classes:
            return None
        if self.label is not None:  # `--class K`: every output of one class
            return torch.full((n,), self.label, device=self.device, dtype=torch.long)
        return torch.arange(start, start + n, device=self.device) % self.num_classes

    def domain_a(self, start: int, n: int) -> tuple[Tensor, Tensor | None]:
        if self._dataset is None:  # only translators ask: load what the caller will draw
            limited = dataclasses.replace(self.config.data, limit=self.count or start + n)
            self._dataset = load_dataset(limited)
        data = self._dataset
        if start + n > len(data):  # never fewer outputs than asked for, silently
            raise GanforgeError(
                f"a translator translates domain A's first images and domain A has {len(data)}, "
                f"fewer than the {start + n} asked for; lower -n, --num-samples or "
                "eval.num_samples"
            )
        images = to_model_range(data.data[start : start + n]).to(self.device)
        labels = None if data.labels is None else data.labels[start : start + n]
        return images, labels


def draw_inputs(config: Config, source: SeededInputs, start: int, n: int) -> GeneratorInputs:
    """Inputs start..start+n of `config`'s generator, as its family samples it."""
    return FAMILIES.get(config.model.name).inputs(source, start, n)

"""What the phases draw from: training batches, latent vectors and labels, all seeded."""

from __future__ import annotations

import torch
from torch import Tensor

from ganforge.data import BatchStream
from ganforge.models import sample_latent


class BatchSources:
    """The loop's implementation of `ganforge.models.Sources`.

    Every draw comes from the batch stream or the `noise` generator, both saved in checkpoints,
    so a resumed run draws the same numbers as one never stopped. In a data-parallel job every
    process holds the same `noise` state and draws the latents and labels of the whole global
    batch, keeping its own slice: N processes then generate what one process would.
    """

    def __init__(
        self,
        stream: BatchStream,
        noise: torch.Generator,
        latent_dim: int,
        latent_dist: str,
        num_classes: int,
        shard: tuple[int, int] = (0, 1),
        stream_b: BatchStream | None = None,
    ) -> None:
        self.stream, self.noise = stream, noise
        self.stream_b = stream_b  # domain B of two-domain families (data_b)
        self.rank, self.world = shard
        self.batch_size = stream.local.stop - stream.local.start  # this process's share
        self.latent_dim, self.latent_dist = latent_dim, latent_dist
        self.num_classes = num_classes  # 0: unconditional, labels are never drawn
        self.device = stream.device

    def real(self, domain: str = "a") -> tuple[Tensor, Tensor | None]:
        if domain not in ("a", "b") or (domain == "b" and self.stream_b is None):
            raise ValueError(f"no training data for domain '{domain}' (data_b gives domain B)")
        images, labels = (self.stream if domain == "a" else self.stream_b).next()
        return images, (labels if self.num_classes else None)

    def latent(self, n: int) -> Tensor:
        z = sample_latent(
            n * self.world, self.latent_dim, self.latent_dist, self.noise, self.device
        )
        return self._mine(z, n)

    def fake_labels(self, n: int) -> Tensor | None:
        if not self.num_classes:
            return None
        y = torch.randint(
            self.num_classes, (n * self.world,), generator=self.noise, device=self.device
        )
        return self._mine(y, n)

    def _mine(self, values: Tensor, n: int) -> Tensor:
        return values[self.rank * n : (self.rank + 1) * n]


def fixed_labels(n: int, num_classes: int, device: torch.device) -> Tensor | None:
    """Labels for fixed sample grids: 0, 1, ..., K-1, 0, 1, ... so each class shows up."""
    if not num_classes:
        return None
    return torch.arange(n, device=device) % num_classes

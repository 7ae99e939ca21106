"""The latent distributions every generator is fed from."""

from __future__ import annotations

import torch
from torch import Tensor

LATENT_DISTS = ("gaussian", "uniform")


def sample_latent(
    n: int, dim: int, dist: str, generator: torch.Generator, device: torch.device
) -> Tensor:
    """z of shape (n, dim): standard normal, or uniform on [-1, 1] (Ngô 2023)."""
    if dist == "uniform":
        return torch.rand(n, dim, generator=generator, device=device).mul_(2).sub_(1)
    return torch.randn(n, dim, generator=generator, device=device)

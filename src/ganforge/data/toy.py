"""2-D Gaussian mixtures used to measure mode coverage (Unrolled GAN, VEEGAN, PacGAN).

Points stay in the papers' own coordinates (ring radius 1, grid spacing 2) so that the
mode-coverage thresholds (3 standard deviations) mean what the papers mean.
"""

from __future__ import annotations

import math

import torch

from ganforge.config import DataConfig
from ganforge.data.base import ArrayDataset

DEFAULT_POINTS = 100_000


def ring_centres(modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return torch.stack([radius * angles.cos(), radius * angles.sin()], 1).float()  # (8, 2)


def grid_centres(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    coords = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    return torch.cartesian_prod(coords, coords)  # (25, 2), -4..4


TOY_MIXTURES = {"toy_ring": (ring_centres, 0.01), "toy_grid": (grid_centres, 0.05)}


def sample_mixture(centres: torch.Tensor, std: float, n: int, generator: torch.Generator):
    labels = torch.randint(len(centres), (n,), generator=generator)
    return centres[labels] + std * torch.randn(n, 2, generator=generator), labels


def toy_loader(name: str):
    centres_fn, std = TOY_MIXTURES[name]

    def load(cfg: DataConfig) -> ArrayDataset:
        # fixed generator per split: the same points on every machine and every run
        gen = torch.Generator().manual_seed(1 if cfg.split == "train" else 2)
        centres = centres_fn()
        points, labels = sample_mixture(centres, std, cfg.limit or DEFAULT_POINTS, gen)
        return ArrayDataset(points, labels, len(centres), name)

    return load


def toy_shape(cfg: DataConfig) -> tuple[int, ...]:
    return (2,)

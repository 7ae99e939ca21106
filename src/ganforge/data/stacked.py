"""Stacked MNIST (Metz et al. 2017; VEEGAN; PacGAN): three random MNIST digits as the R, G
and B channels, so the data has 10^3 = 1,000 modes. Labels are the 3-digit codes."""

from __future__ import annotations

import dataclasses

import torch

from ganforge.config import DataConfig
from ganforge.data.base import ArrayDataset
from ganforge.data.transforms import resize_square

DEFAULT_SIZE = 50_000


def mnist_source(cfg: DataConfig) -> DataConfig:
    """Where the digits come from: data.path (an MNIST .npz) or torchvision's MNIST."""
    if cfg.path:
        return DataConfig(name="npz", path=cfg.path, split=cfg.split)
    return DataConfig(name="mnist", root=cfg.root, split=cfg.split, download=cfg.download)


def load_stacked_mnist(cfg: DataConfig) -> ArrayDataset:
    from ganforge.data import load_dataset

    mnist = load_dataset(dataclasses.replace(mnist_source(cfg), limit=None))
    gen = torch.Generator().manual_seed(3 if cfg.split == "train" else 4)
    picks = torch.randint(len(mnist), (cfg.limit or DEFAULT_SIZE, 3), generator=gen)
    images = mnist.data[picks].squeeze(2)  # (N, 3, 28, 28): one digit per channel
    digits = mnist.labels[picks]  # (N, 3)
    codes = digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]
    return ArrayDataset(resize_square(images, cfg.resolution), codes, 1000, "stacked_mnist")


def stacked_shape(cfg: DataConfig) -> tuple[int, ...]:
    return (3, cfg.resolution or 28, cfg.resolution or 28)

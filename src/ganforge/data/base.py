"""The in-memory dataset every loader returns, and the spec under which loaders register."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ganforge.config import DataConfig


@dataclass
class ArrayDataset(torch.utils.data.Dataset):
    """Whole dataset in memory: uint8 (N, C, H, W) images or float32 (N, D) points.

    Keeping uint8 pixels (4x smaller than floats) lets MNIST, CIFAR-10 and 64px CelebA subsets
    sit in memory or on the GPU, so batches are plain indexing: no worker processes, no per-item
    Python, and a data order that two integers can restore on resume.
    """

    data: Tensor
    labels: Tensor | None = None
    num_classes: int = 0
    name: str = ""
    notes: list[str] = field(default_factory=list)  # warnings for the run log (skipped files...)
    # `data` is a view of a file on disk (a cached folder, data/cache.py), read as it is indexed:
    # the batch stream gathers each batch from it instead of moving it whole to the device
    memory_mapped: bool = False

    @property
    def is_image(self) -> bool:
        return self.data.dtype == torch.uint8

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape[1:])

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        label = int(self.labels[index]) if self.labels is not None else -1
        return to_model_range(self.data[index : index + 1])[0], label


def to_model_range(batch: Tensor) -> Tensor:
    """uint8 pixels -> float in [-1, 1]; points pass through unchanged."""
    if batch.dtype == torch.uint8:
        return batch.float().div_(127.5).sub_(1.0)
    return batch.float()


def to_pixels(images: Tensor) -> Tensor:
    """Model output in [-1, 1] -> uint8 pixels, rounding to nearest."""
    return images.detach().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)


def fixed_shape(channels: int, resolution: int) -> Callable[[DataConfig], tuple[int, ...]]:
    """The shape function of a dataset with a native size, which data.* options may change."""

    def shape(cfg: DataConfig) -> tuple[int, ...]:
        side = cfg.resolution or resolution
        return (cfg.channels or channels, side, side)

    return shape


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset: how to load it and what shape it has without loading it."""

    load: Callable[[DataConfig], ArrayDataset]
    shape: Callable[[DataConfig], tuple[int, ...]]
    description: str
    labelled: bool = True
    needs_path: bool = False  # reads the user's own files named by data.path
    reads_path: bool = False  # data.path is optional (stacked_mnist: an MNIST .npz)
    has_splits: bool = True  # data.split chooses train or test; False: the file is the split

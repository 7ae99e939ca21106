"""Datasets by name. Each loads fully into memory as uint8 images or float 2-D points."""

from __future__ import annotations

from ganforge.config import DataConfig
from ganforge.data import builtin, files, stacked, torchvision_sets, toy
from ganforge.data.base import ArrayDataset, DatasetSpec, fixed_shape, to_model_range, to_pixels
from ganforge.data.derive import DERIVATIONS, derive, derived_shape
from ganforge.data.stream import BatchStream
from ganforge.errors import ConfigError
from ganforge.registry import Registry

DATASETS: Registry[DatasetSpec] = Registry("dataset")
DATASETS.add(
    "digits",
    DatasetSpec(
        builtin.load_digits,
        fixed_shape(1, 8),
        "scikit-learn's 8x8 handwritten digits (offline default)",
    ),
)
for _name, _cls, _text in (
    ("mnist", "MNIST", "MNIST 28x28 (torchvision)"),
    ("fashion_mnist", "FashionMNIST", "Fashion-MNIST 28x28 (torchvision)"),
):
    _spec = DatasetSpec(torchvision_sets.mnist_like(_name, _cls), fixed_shape(1, 28), _text)
    DATASETS.add(_name, _spec)
DATASETS.add(
    "cifar10",
    DatasetSpec(
        torchvision_sets.load_cifar10,
        fixed_shape(3, 32),
        "CIFAR-10 32x32 (torchvision)",
    ),
)
DATASETS.add(
    "celeba",
    DatasetSpec(
        torchvision_sets.load_celeba,
        fixed_shape(3, 64),
        "CelebA aligned faces, 140px centre crop (torchvision)",
        labelled=False,
    ),
)
DATASETS.add(
    "npz",
    DatasetSpec(
        files.load_npz,
        files.npz_shape,
        "an .npz file with 'images' and optional 'labels' (data.path)",
        needs_path=True,
        has_splits=False,
    ),
)
DATASETS.add(
    "folder",
    DatasetSpec(
        files.load_folder,
        files.folder_shape,
        "a folder tree of images; sub-folders are classes (data.path)",
        needs_path=True,
        has_splits=False,
    ),
)
DATASETS.add(
    "stacked_mnist",
    DatasetSpec(
        stacked.load_stacked_mnist,
        stacked.stacked_shape,
        "3 MNIST digits as RGB, 1,000 modes (data.path: an MNIST .npz, else torchvision's MNIST)",
        reads_path=True,
    ),
)
for _name, _text in (
    ("toy_ring", "8 Gaussians on a circle of radius 1, std 0.01"),
    ("toy_grid", "25 Gaussians on a 5x5 grid, spacing 2, std 0.05"),
):
    DATASETS.add(_name, DatasetSpec(toy.toy_loader(_name), toy.toy_shape, _text + " (2-D points)"))


def load_dataset(cfg: DataConfig) -> ArrayDataset:
    """Load the dataset named by `cfg.name`, converted to the requested size and channels."""
    return derive(DATASETS.get(cfg.name).load(cfg), cfg)  # data.derive: a derived domain


def check_data(cfg: DataConfig) -> tuple[int, ...]:
    """The dataset's name and the data options it reads, checked without loading anything;
    returns its shape. An option the dataset would ignore is an error, not a surprise."""
    spec = DATASETS.get(cfg.name)
    if spec.needs_path and not cfg.path:
        raise ConfigError(f"the {cfg.name} dataset needs data.path=... naming your file or folder")
    if cfg.path and not (spec.needs_path or spec.reads_path):
        kind = "npz" if str(cfg.path).endswith(".npz") else "folder"
        raise ConfigError(
            f"data.path is set but the {cfg.name} dataset does not read it; set "
            f"data.name={kind} to train on '{cfg.path}', or drop data.path"
        )
    if cfg.split != "train" and not spec.has_splits:
        raise ConfigError(
            f"the {cfg.name} dataset is the file or folder data.path names, so data.split="
            f"{cfg.split} would be ignored; point data.path at your {cfg.split} data instead"
        )
    shape = derived_shape(cfg, spec.shape(cfg))
    if len(shape) == 1 and (cfg.resolution or cfg.channels):
        raise ConfigError(
            f"data.resolution and data.channels apply to images; {cfg.name} is {shape[0]}-D points"
        )
    return shape


def dataset_shape(cfg: DataConfig) -> tuple[int, ...]:
    """(C, H, W) or (D,) of `cfg`'s dataset, cheaply and without downloading anything."""
    return derived_shape(cfg, DATASETS.get(cfg.name).shape(cfg))


__all__ = [
    "DATASETS",
    "DERIVATIONS",
    "ArrayDataset",
    "BatchStream",
    "DatasetSpec",
    "check_data",
    "dataset_shape",
    "load_dataset",
    "to_model_range",
    "to_pixels",
]

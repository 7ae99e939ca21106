"""MNIST, Fashion-MNIST, CIFAR-10 and CelebA through torchvision's own download code.

Offline, a missing dataset becomes one sentence naming the files expected under data.root, and
pointing at the `npz` dataset as the offline alternative.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ganforge.config import DataConfig
from ganforge.data.base import ArrayDataset
from ganforge.data.transforms import finish
from ganforge.errors import DatasetError

EXPECTED = {
    "mnist": "MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte(.gz)",
    "fashion_mnist": "FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte(.gz)",
    "cifar10": "cifar-10-batches-py/ (from cifar-10-python.tar.gz)",
    "celeba": "celeba/img_align_celeba/*.jpg and celeba/list_eval_partition.txt",
}


def _open(name: str, cfg: DataConfig, factory):
    try:
        return factory()
    except Exception as err:  # torchvision raises RuntimeError, URLError, OSError...
        root = Path(cfg.root)
        raise DatasetError(
            f"dataset '{name}' is not in '{root}' and could not be downloaded "
            f"({type(err).__name__}); put {EXPECTED[name]} under '{root}' (data.root), "
            f"or use data.name=npz data.path=FILE.npz"
        ) from None


def mnist_like(name: str, cls_name: str) -> Callable[[DataConfig], ArrayDataset]:
    def load(cfg: DataConfig) -> ArrayDataset:
        import torchvision

        cls = getattr(torchvision.datasets, cls_name)
        ds = _open(
            name, cfg, lambda: cls(cfg.root, train=cfg.split == "train", download=cfg.download)
        )
        return finish(ds.data.numpy(), ds.targets.numpy(), cfg, name, num_classes=10)

    return load


def load_cifar10(cfg: DataConfig) -> ArrayDataset:
    import torchvision

    ds = _open(
        "cifar10",
        cfg,
        lambda: torchvision.datasets.CIFAR10(
            cfg.root, train=cfg.split == "train", download=cfg.download
        ),
    )
    return finish(ds.data, np.asarray(ds.targets), cfg, "cifar10", num_classes=10)


def load_celeba(cfg: DataConfig) -> ArrayDataset:
    """Aligned CelebA, centre-cropped to 140x140 as in most GAN papers, then resized."""
    import torchvision
    from PIL import Image

    split = "train" if cfg.split == "train" else "test"
    ds = _open(
        "celeba",
        cfg,
        lambda: torchvision.datasets.CelebA(
            cfg.root, split=split, target_type=[], download=cfg.download
        ),
    )
    files = ds.filename[: cfg.limit] if cfg.limit else ds.filename
    size = cfg.resolution or 64
    folder = Path(ds.root) / ds.base_folder / "img_align_celeba"
    images = np.empty((len(files), size, size, 3), dtype=np.uint8)
    for i, fname in enumerate(files):
        with Image.open(folder / fname) as img:
            w, h = img.size
            box = ((w - 140) // 2, (h - 140) // 2, (w + 140) // 2, (h + 140) // 2)
            images[i] = np.asarray(img.convert("RGB").crop(box).resize((size, size), Image.LANCZOS))
    return finish(images, None, cfg, "celeba")

"""scikit-learn's 1,797 8x8 handwritten digits: real data that needs no download."""

from __future__ import annotations

import numpy as np

from ganforge.config import DataConfig
from ganforge.data.base import ArrayDataset
from ganforge.data.transforms import finish

TRAIN_SIZE = 1500  # the last 297 digits form the test split


def load_digits(cfg: DataConfig) -> ArrayDataset:
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)  # values 0..16
    labels = bunch.target.astype(np.int64)
    part = slice(0, TRAIN_SIZE) if cfg.split == "train" else slice(TRAIN_SIZE, None)
    return finish(images[part], labels[part], cfg, "digits", num_classes=10)

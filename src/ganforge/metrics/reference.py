"""Reference image sets for FID: parsed from `DATASET[:SPLIT]` or a path, features cached.

The cache key holds the dataset (and file identity), split, extractor and count, so a
reference computed once for `fid10k` against `mnist:test` with the real Inception weights is
never confused with one from other weights, another split or another sample count.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from ganforge.config import DataConfig
from ganforge.data import DATASETS, load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.cache import cache_dir, dataset_key
from ganforge.metrics.features import Features, batched


def parse_reference(ref: str, base: DataConfig | None = None) -> DataConfig:
    """'mnist:test', 'digits', 'FILE.npz' or 'FOLDER' -> DataConfig (keeps base's resolution)."""
    resolution = base.resolution if base else None
    path = Path(ref)
    if path.suffix == ".npz" or path.is_file():
        return DataConfig(name="npz", path=str(path), resolution=resolution)
    if path.is_dir():
        return DataConfig(name="folder", path=str(path), resolution=resolution)
    name, _, split = ref.partition(":")
    if DATASETS.get(name).needs_path:
        if base is None or base.name != name:
            raise GanforgeError(f"reference '{ref}' needs a path; pass the file or folder itself")
        return dataclasses.replace(base, split=split or base.split, limit=None)
    root = base.root if base else "data"
    return DataConfig(name=name, split=split or "train", root=root, resolution=resolution)


def reference_images(cfg: DataConfig, count: int) -> torch.Tensor:
    """The first `count` images (uint8 N,C,H,W) of the reference set; fewer if it is smaller."""
    data = load_dataset(dataclasses.replace(cfg, limit=count))
    if not data.is_image:
        raise GanforgeError(f"'{cfg.name}' holds points, not images; FID needs images")
    return data.data


def reference_features(
    extractor,  # noqa: ANN001 - InceptionExtractor or ClassifierExtractor
    cfg: DataConfig,
    count: int,
    batch_size: int = 200,
) -> Features:
    """Features of the first `count` reference images, from the disk cache when computed before."""
    key = f"{dataset_key(cfg)}-{extractor.name}-{count}"
    path = cache_dir("reference") / f"{key}.pt"
    if path.exists():
        state = torch.load(path, weights_only=True)
        return Features(state["pool"], state["logits"])
    features = extractor(batched(reference_images(cfg, count), batch_size))
    from ganforge.storage import atomic_write

    atomic_write(path, lambda f: torch.save({"pool": features.pool, "logits": features.logits}, f))
    return features

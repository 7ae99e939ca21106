"""Where ganforge keeps things it computes once: reference features and domain classifiers."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ganforge.config import DataConfig
from ganforge.data.cache import CACHE_ENV, cache_dir  # one cache root for data and metrics

__all__ = ["CACHE_ENV", "cache_dir", "dataset_key"]


def dataset_key(cfg: DataConfig) -> str:
    """A file-name-safe identity of a dataset split: name, file contents, split and size."""
    parts = [cfg.name]
    if cfg.path:
        path = Path(cfg.path)
        stat = path.stat()
        ident = f"{path.resolve()}:{stat.st_size}:{int(stat.st_mtime)}"
        parts.append(path.stem + "-" + hashlib.sha256(ident.encode()).hexdigest()[:8])
    parts.append(cfg.split)
    if cfg.resolution:
        parts.append(f"{cfg.resolution}px")
    if cfg.channels:
        parts.append(f"{cfg.channels}ch")
    if cfg.derive:  # a derived domain (data.derive), with its patch source for mnistm
        parts.append(cfg.derive)
        if cfg.patches:
            parts.append(Path(cfg.patches).stem)
    return "-".join(parts)

"""Where the data layer keeps what it decodes once: folders of images as uint8 arrays on disk.

The same root as the metrics cache: $GANFORGE_CACHE or ~/.cache/ganforge. An entry is an .npy
array (memory-mapped when read, so a dataset need not fit in RAM) and a small .json beside it,
written last, so a half-written entry is never read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ganforge.storage import CACHE_ENV, cache_dir  # the one root, in a module without torch

__all__ = ["CACHE_ENV", "cache_dir", "read_entry", "new_array", "commit_entry", "drop_entries"]


def read_entry(stem: Path) -> tuple[np.ndarray, dict[str, Any]] | None:
    """The array at `stem`.npy, memory-mapped copy-on-write (writes stay in memory, never reach
    the file), and its metadata; None when there is no complete entry."""
    meta_path = stem.with_suffix(".json")
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        array = np.load(stem.with_suffix(".npy"), mmap_mode="c", allow_pickle=False)
    except (OSError, ValueError):
        return None  # damaged or removed by another process: decode again
    return array, meta


def new_array(stem: Path, shape: tuple[int, ...], part: str = "") -> np.memmap:
    """A writable uint8 .npy file of `shape` under a temporary name, filled by the caller."""
    return np.lib.format.open_memmap(_partial(stem, part), "w+", np.uint8, shape)


def commit_entry(stem: Path, array: np.memmap, meta: dict[str, Any]) -> None:
    """Flush `array` (from `new_array`) and publish it with `meta`, the .json last; other
    temporary arrays of this entry are removed."""
    array.flush()
    os.replace(array.filename, stem.with_suffix(".npy"))
    for scratch in stem.parent.glob(f"{stem.name}.{os.getpid()}.partial*"):
        scratch.unlink(missing_ok=True)
    meta_path = _partial(stem, "meta").with_suffix(".json")
    meta_path.write_text(json.dumps(meta))
    os.replace(meta_path, stem.with_suffix(".json"))


def drop_entries(folder: Path, prefix: str, keep: Path) -> None:
    """Remove the entries in `folder` whose names start with `prefix`, other than `keep`
    (earlier versions of the same dataset, whose files have since changed)."""
    for path in folder.glob(f"{prefix}*"):
        if not path.name.startswith(keep.name + ".") and ".partial" not in path.name:
            path.unlink(missing_ok=True)


def _partial(stem: Path, part: str) -> Path:
    return stem.with_name(f"{stem.name}.{os.getpid()}.partial{part}.npy")

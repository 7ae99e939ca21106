"""Datasets from the user's own files: an .npz archive or a folder tree of images."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import torch

from ganforge.config import DataConfig
from ganforge.data.base import ArrayDataset
from ganforge.data.cache import cache_dir, commit_entry, drop_entries, new_array, read_entry
from ganforge.data.transforms import (
    check_contents,
    check_values,
    convert_channels,
    finish,
    to_nchw,
)
from ganforge.errors import DatasetError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
DEFAULT_FOLDER_RESOLUTION = 64


def _require_path(cfg: DataConfig, kind: str) -> Path:
    if not cfg.path:
        raise DatasetError(f"the {kind} dataset needs data.path=... pointing at your {kind}")
    path = Path(cfg.path).expanduser()
    if not path.exists():
        raise DatasetError(f"data.path '{cfg.path}' does not exist")
    return path


# ---------------------------------------------------------------- npz


def load_npz(cfg: DataConfig) -> ArrayDataset:
    """An .npz with `images` (N,H,W[,C] uint8) and optional `labels` (N,), read without pickle."""
    path = _require_path(cfg, "npz")
    try:
        with np.load(path, allow_pickle=False) as archive:
            key = "images" if "images" in archive.files else "samples"  # `ganforge sample`
            if key not in archive.files:
                raise DatasetError(
                    f"'{path}' has no 'images' array (it has: "
                    f"{', '.join(archive.files) or 'nothing'})"
                )
            images = archive[key]
            labels = archive["labels"] if "labels" in archive.files else None
    except DatasetError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DatasetError(f"'{path}' is not a readable .npz file ({err})") from None
    if labels is not None:
        labels = _check_labels(labels, len(images), path)
    num_classes = int(labels.max()) + 1 if labels is not None and len(labels) else 0
    return finish(images, labels, cfg, path.stem, num_classes=num_classes)


def _check_labels(labels: np.ndarray, count: int, path: Path) -> np.ndarray:
    """`labels` must be one whole number >= 0 per image."""
    if labels.ndim != 1 or len(labels) != count:
        raise DatasetError(
            f"'{path}': 'labels' must hold one class number per image ({count}), "
            f"got shape {labels.shape}"
        )
    if labels.dtype.kind not in "uif" or (
        labels.dtype.kind == "f" and not (np.isfinite(labels).all() and (labels % 1 == 0).all())
    ):
        raise DatasetError(f"'{path}': 'labels' must be whole numbers, not {labels.dtype} values")
    if len(labels) and labels.min() < 0:
        raise DatasetError(f"'{path}': 'labels' must be 0 or more, got {labels.min():g}")
    return labels.astype(np.int64)


def npz_shape(cfg: DataConfig) -> tuple[int, ...]:
    """Shape from the .npy header inside the archive, without decompressing the pixels."""
    path = _require_path(cfg, "npz")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "images.npy" not in names and "samples.npy" not in names:
                held = ", ".join(n.removesuffix(".npy") for n in names) or "nothing"
                raise DatasetError(f"'{path}' has no 'images' array (it has: {held})")
            name = "images.npy" if "images.npy" in names else "samples.npy"
            f = archive.open(name)
            major, _ = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0
                if major == 1
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(f)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise DatasetError(
            f"'{path}' is not a readable .npz with an 'images' array ({err})"
        ) from None
    if dtype.kind not in "buif":  # checked from the header: no pixel is read
        check_values(np.zeros(0, dtype=dtype), str(path))
    if len(shape) and shape[0] == 0:
        raise DatasetError(f"'{path}' holds no images")
    probe = to_nchw(np.zeros((1, *shape[1:]), dtype=np.uint8), str(path))
    c, h, w = probe.shape[1:]
    side = cfg.resolution or min(h, w)
    return (cfg.channels or c, side, side)


# ---------------------------------------------------------------- folder


def _read_image(path: Path) -> np.ndarray:
    """Any PIL-readable image -> uint8 (H, W) grey or (H, W, 3) RGB.

    16-bit greyscale is scaled to 8 bits, palette images are expanded, and transparency is
    composited onto white (sprites and icons are drawn for light backgrounds).
    """
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            arr = np.asarray(img, dtype=np.float64)
            scale = 257.0 if arr.max() > 255 else 1.0
            return np.clip(np.round(arr / scale), 0, 255).astype(np.uint8)
        if img.mode == "P":
            img = img.convert("RGBA")
        if img.mode in ("RGBA", "LA", "PA"):
            rgba = img.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(background, rgba).convert("RGB")
        if img.mode in ("1", "L"):
            return np.asarray(img.convert("L"))
        return np.asarray(img.convert("RGB"))


def _square(arr: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    img = Image.fromarray(arr)
    w, h = img.size
    scale = size / min(w, h)
    img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.LANCZOS)
    w, h = img.size
    left, top = (w - size) // 2, (h - size) // 2
    return np.asarray(img.crop((left, top, left + size, top + size)))


def image_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def load_folder(cfg: DataConfig, cache: bool = True) -> ArrayDataset:
    """Every image below data.path; first-level sub-folders become class labels.

    The images are decoded once into a uint8 array in the cache (data/cache.py), keyed by the
    file list with sizes and modification times and by the options that change pixels
    (resolution, channels); later runs memory-map it, so they start without decoding and a
    folder larger than RAM trains from disk. `cache=False` decodes into memory.
    """
    root = _require_path(cfg, "folder")
    files = image_files(root)
    if not files:
        raise DatasetError(f"no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) below '{root}'")
    size = cfg.resolution or DEFAULT_FOLDER_RESOLUTION
    stem, prefix, notes = None, "", []
    if cache:
        try:
            stem, prefix = _cache_stem(root, files, size, cfg.channels)
        except OSError as err:  # no writable cache folder: decode into memory, and say so
            notes.append(f"'{root}' decoded into memory, not cached ({err})")
    entry = read_entry(stem) if stem is not None else None
    if entry is None:
        if stem is not None and (full := _no_room(stem.parent, len(files), size)):
            notes.append(f"'{root}' decoded into memory, not cached: {full}")
            stem = None
        entry = _decode_folder(root, files, size, cfg.channels, stem)
        if stem is not None:
            drop_entries(stem.parent, prefix, keep=stem)  # this folder before its files changed
    array, meta = entry
    images = torch.from_numpy(array[: meta["count"]])  # a view: nothing is read yet
    labels = torch.tensor(meta["labels"]) if meta["labels"] is not None else None
    if cfg.limit is not None:
        images = images[: cfg.limit]
        labels = labels[: cfg.limit] if labels is not None else None
        check_contents(images, root.name)  # the whole folder was checked when decoded
    return ArrayDataset(
        images,
        labels,
        meta["num_classes"] if labels is not None else 0,
        root.name,
        [*meta["notes"], *notes],
        memory_mapped=isinstance(array, np.memmap),
    )


FOLDER_CACHE_VERSION = 1  # bump when decoding changes what a file's pixels are


def _cache_stem(root: Path, files: list[Path], size: int, channels: int | None) -> tuple[Path, str]:
    """The cache entry of this folder's current files and options, and the name prefix its
    earlier entries share (same folder and options, other files)."""
    options = f"{FOLDER_CACHE_VERSION}:{root.resolve()}:{size}:{channels}"
    listing = hashlib.sha256()
    for path in files:
        stat = path.stat()
        listing.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    name = re.sub(r"[^A-Za-z0-9_-]", "_", root.name)[:40]
    prefix = f"folder-{name}-{hashlib.sha256(options.encode()).hexdigest()[:10]}-"
    return cache_dir("data") / (prefix + listing.hexdigest()[:16]), prefix


def _no_room(folder: Path, count: int, size: int) -> str | None:
    """Why `folder` cannot take a decoded copy of `count` images (writing a memory map on a
    full disk kills the process), or None."""
    need = 2 * count * 3 * size * size  # the RGB array, and room to spare
    free = shutil.disk_usage(folder).free
    if free < need:
        return f"{need / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free in '{folder}'"
    return None


def _decode_folder(
    root: Path, files: list[Path], size: int, channels: int | None, stem: Path | None
) -> tuple[np.ndarray, dict]:
    """Decode the readable files into (N, C, size, size) uint8, written into the cache entry
    `stem` as it goes (or into memory), with labels, class count and notes as metadata."""
    shape = (len(files), channels or 3, size, size)  # grey or colour is known only at the end
    array = new_array(stem, shape) if stem is not None else np.empty(shape, np.uint8)
    kept, skipped, colour = [], [], False
    for path in files:
        try:
            pixels = _square(_read_image(path), size)  # (H, W) or (H, W, 3)
        except Exception as err:  # PIL raises many types for corrupt files
            reason = "empty file" if path.stat().st_size == 0 else str(err) or type(err).__name__
            skipped.append(f"{path.relative_to(root)} ({reason})")
            continue
        colour |= pixels.ndim == 3
        array[len(kept)] = _to_channels(pixels, shape[1])
        kept.append(path)
    if not kept:
        raise DatasetError(
            f"none of the {len(files)} image files below '{root}' could be read: "
            + "; ".join(skipped[:5])
        )
    if channels is None and not colour:  # every image grey: keep one channel
        grey = new_array(stem, (len(kept), 1, size, size), "grey") if stem else None
        array = _copy_rows(array[: len(kept), :1], grey)
    check_contents(torch.from_numpy(array[: len(kept)]), root.name)
    parts = [p.relative_to(root).parts for p in kept]
    classes = sorted({q[0] for q in parts if len(q) > 1})
    labels = None
    if classes and all(len(q) > 1 for q in parts):
        index = {c: i for i, c in enumerate(classes)}
        labels = [index[q[0]] for q in parts]
    notes = (
        [f"skipped {len(skipped)} unreadable image file(s) below '{root}': " + "; ".join(skipped)]
        if skipped
        else []
    )
    meta = {"count": len(kept), "labels": labels, "num_classes": len(classes), "notes": notes}
    if stem is not None:
        commit_entry(stem, array, meta)
        array = read_entry(stem)[0]  # read-only to the file from here on
    return array, meta


def _to_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    """(H, W) or (H, W, 3) uint8 -> (channels, H, W): grey repeated, colour to luma as
    `transforms.convert_channels` does it."""
    if pixels.ndim == 2:
        return np.broadcast_to(pixels, (channels, *pixels.shape))
    chw = pixels.transpose(2, 0, 1)
    if channels == 3:
        return chw
    return convert_channels(torch.from_numpy(np.ascontiguousarray(chw))[None], 1)[0].numpy()


def _copy_rows(source: np.ndarray, target: np.ndarray | None, chunk: int = 4096) -> np.ndarray:
    """`source` copied into `target` (or into memory) a chunk of rows at a time."""
    if target is None:
        return np.ascontiguousarray(source)
    for start in range(0, len(source), chunk):
        target[start : start + chunk] = source[start : start + chunk]
    return target


def folder_shape(cfg: DataConfig) -> tuple[int, ...]:
    """(C, H, W) of a folder dataset; from data.channels and data.resolution alone when both
    are set, so a preset for data not yet on disk (afhq-cat64) resolves and summarises."""
    if cfg.channels and cfg.resolution:
        return (cfg.channels, cfg.resolution, cfg.resolution)
    root = _require_path(cfg, "folder")
    files = image_files(root)
    if not files:
        raise DatasetError(f"no image files below '{root}'")
    size = cfg.resolution or DEFAULT_FOLDER_RESOLUTION
    channels = cfg.channels or (3 if _read_image(files[0]).ndim == 3 else 1)
    return (channels, size, size)

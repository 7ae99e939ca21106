"""Turn raw uint8 arrays of any layout into (N, C, H, W) uint8 at the requested size."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.errors import DatasetError


def check_values(images: np.ndarray, source: str) -> np.ndarray:
    """Refuse pixels that are not numbers, NaN or out of range, in one sentence; booleans
    become 0/255. Accepted: integers in 0-255, and floats in [0, 1] or [0, 255]."""
    kind = images.dtype.kind
    if kind == "b":
        return images.astype(np.uint8) * 255
    if kind not in "uif":
        raise DatasetError(
            f"{source}: images must be numbers (uint8 0-255, or floats in [0, 1]), "
            f"not {images.dtype} values"
        )
    if images.size == 0 or images.dtype == np.uint8:
        return images
    if kind == "f" and not np.isfinite(images).all():
        bad = int(np.size(images) - np.isfinite(images).sum())
        raise DatasetError(f"{source}: {bad} pixel values are NaN or infinite")
    low, high = images.min(), images.max()
    if low < 0 or high > 255:
        raise DatasetError(
            f"{source}: pixel values run from {low:g} to {high:g}; give uint8 0-255 or floats "
            "in [0, 1] (rescale data in [-1, 1] with (x + 1) / 2)"
        )
    return images


def to_nchw(images: np.ndarray | Tensor, source: str) -> Tensor:
    """(N, H, W), (N, H, W, C) or (N, C, H, W) uint8 -> (N, C, H, W) uint8 tensor."""
    if not isinstance(images, Tensor):
        images = check_values(np.asarray(images), source)
    x = torch.as_tensor(np.asarray(images))
    if x.dtype != torch.uint8:
        if x.is_floating_point() and x.numel() and float(x.max()) <= 1.0 and float(x.min()) >= 0:
            x = (x * 255).round()
        x = x.clamp(0, 255).to(torch.uint8)
    if x.dim() == 3:
        return x.unsqueeze(1)
    if x.dim() == 4 and x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        x = x.permute(0, 3, 1, 2)
    if x.dim() != 4 or x.shape[1] not in (1, 3, 4):
        raise DatasetError(
            f"{source}: images must be (N, H, W) or (N, H, W, C) with C = 1, 3 "
            f"or 4, got shape {tuple(x.shape)}"
        )
    return x[:, :3].contiguous() if x.shape[1] == 4 else x.contiguous()


def convert_channels(x: Tensor, channels: int | None) -> Tensor:
    """Grey <-> RGB with the ITU-R 601 luma weights PIL uses."""
    if channels is None or x.shape[1] == channels:
        return x
    if channels == 3:
        return x.expand(-1, 3, -1, -1).contiguous()
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (x.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def resize_square(x: Tensor, resolution: int | None, chunk: int = 4096) -> Tensor:
    """Centre-crop to a square and resize with antialiasing; a no-op at the native size."""
    h, w = x.shape[-2:]
    if h != w:
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        x = x[..., top : top + side, left : left + side]
    if resolution is None or x.shape[-1] == resolution:
        return x.contiguous()
    out = []
    for start in range(0, x.shape[0], chunk):  # bounded memory on 60k-image sets
        part = x[start : start + chunk].float()
        part = F.interpolate(
            part,
            size=(resolution, resolution),
            mode="bilinear",
            antialias=True,
            align_corners=False,
        )
        out.append(part.round().clamp(0, 255).to(torch.uint8))
    return torch.cat(out)


def finish(
    images: np.ndarray | Tensor,
    labels: np.ndarray | Tensor | None,
    cfg,
    name: str,
    num_classes: int = 0,
    notes: list[str] | None = None,
):
    """Apply data.limit, data.channels and data.resolution and wrap as an ArrayDataset."""
    from ganforge.data.base import ArrayDataset

    if cfg.limit is not None:
        images = images[: cfg.limit]
        labels = labels[: cfg.limit] if labels is not None else None
    x = to_nchw(images, name)
    check_contents(x, name)
    x = resize_square(convert_channels(x, cfg.channels), cfg.resolution)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long) if labels is not None else None
    return ArrayDataset(x, y, num_classes if y is not None else 0, name, list(notes or []))


def check_contents(x: Tensor, source: str) -> None:
    """Refuse a set a GAN cannot learn from: no images, one value everywhere, one image."""
    if x.shape[0] == 0:
        raise DatasetError(f"{source} holds no images")
    low, high = int(x.min()), int(x.max())
    if low == high:
        raise DatasetError(
            f"{source}: every pixel of all {x.shape[0]} images is {low}; there is nothing to learn"
        )
    first = x[0].flatten()
    chunks = range(0, x.shape[0], 4096)  # bounded memory on a memory-mapped 200k-image folder
    if not any(bool((x[i : i + 4096].flatten(1) != first).any()) for i in chunks):
        raise DatasetError(
            f"{source}: all {x.shape[0]} images are the same image; a GAN needs at least 2 "
            "distinct images"
        )

"""DiffAugment (Zhao et al. 2020): differentiable colour, translation and cutout augmentations.

The discriminator sees T(x) for real and generated images in both of its and the generator's
phases, and T is differentiable, so the generator's gradient passes through it. Each function
follows `DiffAugment_pytorch.py` of mit-han-lab/data-efficient-gans, for images in [-1, 1],
but draws its random numbers from the given `torch.Generator` so runs stay seeded and resumable.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.errors import ConfigError

Augment = Callable[[Tensor, torch.Generator], Tensor]


def _uniform(x: Tensor, generator: torch.Generator) -> Tensor:
    """One U(0, 1) number per image, shaped to broadcast over (C, H, W)."""
    u = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device)
    return u.to(x.dtype)


def brightness(x: Tensor, generator: torch.Generator) -> Tensor:
    return x + (_uniform(x, generator) - 0.5)


def saturation(x: Tensor, generator: torch.Generator) -> Tensor:
    mean = x.mean(dim=1, keepdim=True)  # (B, 1, H, W)
    return (x - mean) * (_uniform(x, generator) * 2) + mean


def contrast(x: Tensor, generator: torch.Generator) -> Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    return (x - mean) * (_uniform(x, generator) + 0.5) + mean


def _grid(b: int, h: int, w: int, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    ranges = [torch.arange(n, dtype=torch.long, device=device) for n in (b, h, w)]
    return torch.meshgrid(*ranges, indexing="ij")  # each (B, H, W)


def translation(x: Tensor, generator: torch.Generator, ratio: float = 0.125) -> Tensor:
    """Shift each image by up to 1/8 of its size; what moves in is zero (mid-grey)."""
    b, _, h, w = x.shape
    sx, sy = int(h * ratio), int(w * ratio)
    dx = torch.randint(-sx, sx + 1, (b, 1, 1), generator=generator, device=x.device)
    dy = torch.randint(-sy, sy + 1, (b, 1, 1), generator=generator, device=x.device)
    gb, gx, gy = _grid(b, h, w, x.device)
    gx = torch.clamp(gx + dx + 1, 0, h + 1)
    gy = torch.clamp(gy + dy + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])  # (B, C, H+2, W+2)
    return padded[gb, :, gx, gy].permute(0, 3, 1, 2)  # (B, H, W, C) -> (B, C, H, W)


def cutout(x: Tensor, generator: torch.Generator, ratio: float = 0.5) -> Tensor:
    """Zero one square of half the image size at a random place in each image."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio), int(w * ratio)
    ox = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), generator=generator, device=x.device)
    oy = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), generator=generator, device=x.device)
    gb, gx, gy = _grid(b, ch, cw, x.device)
    gx = torch.clamp(gx + ox - ch // 2, min=0, max=h - 1)
    gy = torch.clamp(gy + oy - cw // 2, min=0, max=w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gx, gy] = 0
    return x * mask.unsqueeze(1)


POLICIES: dict[str, tuple[Augment, ...]] = {
    "color": (brightness, saturation, contrast),
    "translation": (translation,),
    "cutout": (cutout,),
}


def parse_policy(policy: str | None) -> tuple[str, ...]:
    """'color,translation' -> ('color', 'translation'); unknown names are refused."""
    names = tuple(p.strip() for p in (policy or "").split(",") if p.strip())
    for name in names:
        if name not in POLICIES:
            raise ConfigError(
                f"unknown augmentation '{name}' in train.augment; "
                f"available: {', '.join(POLICIES)} (comma-separated)"
            )
    return names


def diff_augment(policy: str | None) -> Augment | None:
    """The augmentation of `train.augment`, or None when it is empty (nothing is drawn)."""
    names = parse_policy(policy)
    if not names:
        return None
    functions = [f for name in names for f in POLICIES[name]]

    def augment(x: Tensor, generator: torch.Generator) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f"DiffAugment needs images (B, C, H, W), got {tuple(x.shape)}")
        for f in functions:
            x = f(x, generator)
        return x

    return augment

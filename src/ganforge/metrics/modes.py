"""Mode coverage on the 2-D mixtures (VEEGAN / PacGAN protocol) and on Stacked MNIST.

A generated point is high quality when it lies within 3 standard deviations of its nearest mode
centre; a mode is captured when it is the nearest centre of at least one high-quality sample
(VEEGAN, sec. 5.1; PacGAN, sec. 5). Reverse KL compares the histogram of high-quality samples
over modes with the uniform mixture weights, as PacGAN does.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ganforge.data.toy import TOY_MIXTURES


def _reverse_kl(counts: Tensor, modes: int) -> float:
    """KL(generated histogram over modes || uniform); log(modes) when nothing lands on a mode."""
    total = counts.sum()
    if total == 0:
        return math.log(modes)
    q = counts.double() / total
    return float((torch.special.xlogy(q, q) + q * math.log(modes)).sum())  # 0 log 0 = 0


def mixture_coverage(points: Tensor, centres: Tensor, std: float) -> dict[str, float]:
    """Modes captured, % high-quality samples and reverse KL for (N, 2) generated points."""
    dist = torch.cdist(points.double(), centres.double())  # (N, modes)
    nearest, mode = dist.min(dim=1)
    good = nearest <= 3 * std
    counts = torch.bincount(mode[good], minlength=len(centres))
    return {
        "modes": int((counts > 0).sum()),
        "max_modes": len(centres),
        "high_quality": float(good.double().mean()) * 100.0,
        "reverse_kl": _reverse_kl(counts, len(centres)),
    }


def toy_coverage(name: str, points: Tensor) -> dict[str, float]:
    """Coverage against the `toy_ring` or `toy_grid` mixture."""
    centres_fn, std = TOY_MIXTURES[name]
    return mixture_coverage(points, centres_fn(), std)


def stacked_modes(channel_labels: Tensor) -> dict[str, float]:
    """Stacked MNIST: (N, 3) digit labels per channel -> modes out of 1,000 and KL to uniform."""
    codes = channel_labels[:, 0] * 100 + channel_labels[:, 1] * 10 + channel_labels[:, 2]
    counts = torch.bincount(codes, minlength=1000)
    return {
        "modes": int((counts > 0).sum()),
        "max_modes": 1000,
        "reverse_kl": _reverse_kl(counts, 1000),
    }

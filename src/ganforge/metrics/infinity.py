"""FID and IS extrapolated to infinitely many samples (Chong & Forsyth 2020, "Effectively
Unbiased FID and Inception Score and where to find them").

FID computed from N samples is biased upwards by a term close to linear in 1/N whose slope
depends on the generator, so FIDs at different N cannot be compared, and two generators can
swap order between N = 5,000 and N = 50,000. Computing the score on nested subsets of the
samples at POINTS sizes, fitting a line in 1/N and reading it at 1/N = 0 removes the bias.
As in the paper's code: sizes evenly spaced from a tenth of the samples to all of them,
nested subsets of one fixed shuffle, ordinary least squares; IS from one split per size.
The fit's points are returned with the value so a report can draw them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from ganforge.metrics.scores import frechet_distance, inception_score, statistics

POINTS = 15
SHUFFLE_SEED = 2020


def sizes(total: int, points: int = POINTS, minimum: int = 2) -> list[int]:
    """Sample counts from total // 10 (or `minimum`, up to half the total) to total, evenly
    spaced."""
    low = max(2, total // 10, min(minimum, total // 2))
    return sorted({int(n) for n in np.linspace(low, total, points)})


def extrapolate(
    samples: Tensor, score: Callable[[Tensor], float], points: int = POINTS, minimum: int = 2
) -> dict[str, float | list[list[float]]]:
    """Score nested subsets of `samples` (rows), fit score = value + slope / N, and return the
    value at N = infinity, the slope and the (N, score) points."""
    order = torch.randperm(len(samples), generator=torch.Generator().manual_seed(SHUFFLE_SEED))
    shuffled = samples[order]
    counts = sizes(len(samples), points, minimum)
    scores = [score(shuffled[:n]) for n in counts]
    slope, value = np.polyfit(1.0 / np.asarray(counts, dtype=float), scores, 1)
    return {
        "": float(value),
        "slope": float(slope),
        "points": [[n, float(s)] for n, s in zip(counts, scores, strict=True)],
    }


def fid_infinity(fake: Tensor, real: Tensor, points: int = POINTS) -> dict:
    """FID-infinity of `fake` features against all of `real`'s (whose statistics are fixed).
    Subsets start at twice the feature dimension where the samples allow: far below it the
    covariance is singular and FID no longer moves linearly in 1/N."""
    reference = statistics(real)
    return extrapolate(
        fake,
        lambda subset: frechet_distance(statistics(subset), reference),
        points,
        minimum=2 * fake.shape[1],
    )


def is_infinity(logits: Tensor, points: int = POINTS) -> dict:
    """IS-infinity of classifier logits: IS of each subset in one split."""
    return extrapolate(logits, lambda subset: inception_score(subset, splits=1)[0], points)

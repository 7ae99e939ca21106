"""k-nearest-neighbour manifolds of real and generated features: precision, recall, density
and coverage, from one pass over the distances.

FID mixes two failures into one number: sharp images of half the modes, and blurry images of
all of them, can score alike. Estimating each distribution's support as the union of balls
reaching every feature's k-th nearest neighbour separates them:

* precision (Kynkaanniemi et al. 2019): the share of generated samples inside the real
  manifold, i.e. how realistic they are;
* recall (same paper): the share of real samples inside the generated manifold, how much of
  the data the generator covers;
* density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics"): the
  mean number of real balls around each generated sample over k (robust to real outliers),
  and the share of real samples whose ball holds a generated one.

The formulas are those of Naeem et al.'s `prdc` package (tested to agree to 1e-6), computed
in float64 chunks so 50,000 x 50,000 distances never sit in memory at once. Every k asked for
shares the same distance computations.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

CHUNK = 2048  # rows of a distance block: 2,048 x 50,000 float64 is 800 MB at most
PR_K = 3  # precision/recall: Kynkaanniemi et al.'s k, as stylegan2-ada's pr50k3
DC_K = 5  # density/coverage: Naeem et al.'s recommended k
KS = (PR_K, DC_K)  # computed together: the distances are the cost, not the k


@dataclass(frozen=True)
class Manifold:
    precision: float
    recall: float
    density: float
    coverage: float


def kth_neighbour_radii(features: Tensor, ks: tuple[int, ...]) -> dict[int, Tensor]:
    """Distance from each row to its k-th nearest other row, for every k in `ks`."""
    most = max(ks) + 1  # the row itself is its own nearest neighbour, at distance 0
    found = []
    for start in range(0, len(features), CHUNK):
        block = torch.cdist(features[start : start + CHUNK], features)
        found.append(block.topk(most, dim=1, largest=False).values)
    nearest = torch.cat(found)  # (N, max k + 1), ascending
    return {k: nearest[:, k] for k in ks}


def manifolds(real: Tensor, fake: Tensor, ks: tuple[int, ...]) -> dict[int, Manifold]:
    """Precision, recall, density and coverage of `fake` against `real` (N, D) features for
    each k, in one pass over the real-fake distances."""
    real, fake = real.double(), fake.double()
    r_real = kth_neighbour_radii(real, ks)
    r_fake = kth_neighbour_radii(fake, ks)
    inside = {k: torch.zeros(len(fake), dtype=torch.long) for k in ks}  # real balls per fake
    recalled = {k: torch.zeros(len(real), dtype=torch.bool) for k in ks}
    closest = torch.full((len(real),), float("inf"), dtype=torch.float64)
    for start in range(0, len(fake), CHUNK):
        block = torch.cdist(fake[start : start + CHUNK], real)  # (chunk, N)
        closest = torch.minimum(closest, block.min(dim=0).values)
        for k in ks:
            inside[k][start : start + CHUNK] = (block < r_real[k]).sum(dim=1)
            near = block < r_fake[k][start : start + CHUNK, None]
            recalled[k] |= near.any(dim=0)
    return {
        k: Manifold(
            precision=(inside[k] > 0).double().mean().item(),
            recall=recalled[k].double().mean().item(),
            density=(inside[k].double().mean() / k).item(),
            coverage=(closest < r_real[k]).double().mean().item(),
        )
        for k in ks
    }

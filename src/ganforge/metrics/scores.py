"""Scores from features: thin, pure wrappers over torch-fidelity's reference implementations.

Using torch-fidelity's own functions (not re-derived formulas) is what makes our FID/IS/KID
agree with it to rounding: same covariance estimator, same matrix square root, same IS splits
and KID subsets with the same seeds. torch-fidelity (and the torchvision it imports) is loaded
on first use, so importing ganforge.metrics to check names stays cheap.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
IS_SPLITS = 10


def statistics(features: Tensor) -> dict[str, np.ndarray]:
    """Mean and covariance of (N, D) features, in float64."""
    from torch_fidelity.metric_fid import fid_features_to_statistics

    return fid_features_to_statistics(features.detach().cpu().float())


def frechet_distance(stats_1: dict[str, np.ndarray], stats_2: dict[str, np.ndarray]) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) (Heusel et al. 2017; Deng 2024 eq. 3.24)."""
    from torch_fidelity.metric_fid import fid_statistics_to_metric

    return fid_statistics_to_metric(stats_1, stats_2, verbose=False)["frechet_inception_distance"]


def inception_score(logits: Tensor, splits: int = IS_SPLITS) -> tuple[float, float]:
    """exp(E KL(p(y|x) || p(y))), mean and std over `splits` chunks."""
    from torch_fidelity.metric_isc import isc_features_to_metric

    out = isc_features_to_metric(
        logits.detach().cpu().float(), splits=splits, shuffle=True, rng_seed=2020
    )
    return out["inception_score_mean"], out["inception_score_std"]


def kernel_distance(features_1: Tensor, features_2: Tensor) -> tuple[float, float]:
    """Unbiased MMD^2 with a cubic polynomial kernel over random subsets (Binkowski et al.)."""
    from torch_fidelity.metric_kid import kid_features_to_metric

    size = min(KID_SUBSET_SIZE, len(features_1), len(features_2))
    out = kid_features_to_metric(
        features_1.detach().cpu().float(),
        features_2.detach().cpu().float(),
        kid_subsets=KID_SUBSETS,
        kid_subset_size=size,
        rng_seed=2020,
        verbose=False,
    )
    # kernel options are torch-fidelity's defaults (poly, degree 3, gamma 1/D, coef0 1); its
    # **kwargs would silently ignore a misspelt name, so none are passed
    return out["kernel_inception_distance_mean"], out["kernel_inception_distance_std"]


def class_histogram_kl(predicted: Tensor, reference: Tensor, num_classes: int) -> tuple[float, int]:
    """KL(generated class histogram || data class histogram) and how many classes appear.

    The direction of PacGAN and VEEGAN's mode metrics: finite as long as the data has every
    class, large when the generator over-produces some classes or drops others.
    """
    q = torch.bincount(predicted.cpu(), minlength=num_classes).double()
    p = torch.bincount(reference.cpu(), minlength=num_classes).double()
    q, p = q / q.sum(), p / p.sum()
    kl = (torch.special.xlogy(q, q) - torch.special.xlogy(q, p)).sum().item()
    return kl, int((q > 0).sum())

"""FID-infinity and IS-infinity (Chong & Forsyth 2020): on Gaussians whose Frechet distance is
known in closed form, the extrapolated value is nearer the truth than FID at the largest N."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.metrics import METRICS, Evaluator
from ganforge.metrics.infinity import POINTS, fid_infinity, is_infinity, sizes
from ganforge.metrics.scores import frechet_distance, inception_score, statistics


def test_sizes_run_from_a_tenth_to_all() -> None:
    counts = sizes(10_000)
    assert len(counts) == POINTS and counts[0] == 1_000 and counts[-1] == 10_000
    assert counts == sorted(counts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fid_infinity_is_nearer_the_closed_form_distance(seed: int) -> None:
    # diagonal Gaussians: FID = |m1 - m2|^2 + sum (sqrt(a) - sqrt(b))^2 exactly
    d = 32
    rng = np.random.default_rng(seed)
    a, b, m = rng.uniform(0.5, 2, d), rng.uniform(0.5, 2, d), rng.normal(0, 0.2, d)
    true = float((m**2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum())
    fake = torch.from_numpy(rng.normal(m, np.sqrt(a), size=(1000, d)))
    real = torch.from_numpy(rng.normal(0, np.sqrt(b), size=(100_000, d)))
    at_n = frechet_distance(statistics(fake), statistics(real))
    found = fid_infinity(fake, real)
    assert at_n > true  # FID from 1,000 samples is biased upwards
    assert abs(found[""] - true) < abs(at_n - true) / 2  # measured: 3-10x nearer
    assert found["slope"] > 0 and len(found["points"]) == POINTS
    assert found["points"][-1] == [1000, pytest.approx(at_n)]  # the last point is all samples


def test_is_infinity_is_nearer_the_large_sample_score() -> None:
    errors_n, errors_inf = [], []
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)

        def logits(n: int, g: torch.Generator = g) -> torch.Tensor:
            out = torch.randn(n, 100, generator=g) * 0.5
            out[torch.arange(n), torch.randint(0, 100, (n,), generator=g)] += 6
            return out

        sample, large = logits(1000), logits(200_000)
        true = inception_score(large, splits=1)[0]
        errors_n.append(abs(inception_score(sample, splits=1)[0] - true))
        errors_inf.append(abs(is_infinity(sample)[""] - true))
    assert np.mean(errors_inf) < 0.8 * np.mean(errors_n)  # 0.49 against 0.79 here


def test_registered_in_both_spaces_with_their_points() -> None:
    for name in ("fid_inf10k", "fid_domain_inf5k", "is_inf10k"):
        assert name in METRICS
    ev = Evaluator(DataConfig(name="digits"), ["fid_domain_inf1k"], num_samples=300)
    images = load_dataset(DataConfig(name="digits", split="test")).data[:300]
    row = ev(images)
    assert set(row) == {"fid_domain_inf1k", "fid_domain_inf1k_slope", "fid_domain_inf1k_points"}
    points = row["fid_domain_inf1k_points"]
    assert [n for n, _ in points] == sizes(len(images), minimum=2 * 128)  # 128-d features
    assert row["fid_domain_inf1k"] < points[-1][1]

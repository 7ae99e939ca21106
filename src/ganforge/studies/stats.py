"""The statistics of a comparison over seeds: intervals, tests, corrections, rank agreement.

A GAN's score moves with its seed as much as with many of the settings studies vary (Lucic et
al. 2018, "Are GANs Created Equal?"), so every number the report compares carries its spread.
Everything here is deterministic: Student's t intervals rather than a bootstrap for means, and
a fixed-seed bootstrap where no closed form exists (Spearman's rho), so a report rebuilt from
the same runs prints the same numbers. scipy supplies the distributions and the tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05  # family-wise error rate of the pairwise table (Holm)
BOOTSTRAP = 2000  # resamples for the interval of Spearman's rho
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation, n and the two-sided Student's t interval of the mean.
    With one value the spread and interval are unknown (NaN), not zero."""

    mean: float
    std: float
    n: int
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def summarize(values: Sequence[float], confidence: float = CONFIDENCE) -> Summary:
    """mean +- t(1 - a/2, n - 1) * s / sqrt(n), with s the sample (n - 1) standard deviation."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        nan = float("nan")
        return Summary(nan, nan, 0, nan, nan)
    mean = float(x.mean())
    if n == 1:
        return Summary(mean, float("nan"), 1, float("nan"), float("nan"))
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return Summary(mean, std, n, mean - half, mean + half)


@dataclass(frozen=True)
class Comparison:
    """Welch's t-test of two experiments' values over seeds, with Hedges' g as effect size;
    `p_holm` is filled in once every pair of the table is known."""

    a: str
    b: str
    t: float
    df: float
    p: float
    g: float
    p_holm: float = float("nan")


def welch(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """(t, Welch-Satterthwaite degrees of freedom, two-sided p) for unequal variances."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:  # identical constants: no evidence either way, or a certain difference
        same = a.mean() == b.mean()
        return (
            (0.0 if same else math.copysign(math.inf, a.mean() - b.mean())),
            math.nan,
            (1.0 if same else 0.0),
        )
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    return float(t), float(df), float(2 * stats.t.sf(abs(t), df))


def hedges_g(x: Sequence[float], y: Sequence[float]) -> float:
    """Standardised mean difference (pooled SD) with the small-sample correction
    J = 1 - 3 / (4 (n_a + n_b) - 9): Cohen's d overstates effects at a few seeds."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    na, nb = len(a), len(b)
    pooled = math.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if pooled == 0:
        return 0.0 if a.mean() == b.mean() else math.copysign(math.inf, a.mean() - b.mean())
    return float((a.mean() - b.mean()) / pooled * (1 - 3 / (4 * (na + nb) - 9)))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given): the i-th smallest p times
    (m - i), made monotone, capped at 1. Rejecting where adjusted p < alpha keeps the chance
    of any false 'A beats B' in the whole table below alpha."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def pairwise(groups: dict[str, Sequence[float]]) -> list[Comparison]:
    """Every pair of experiments with at least two values each, Holm-corrected together."""
    names = [k for k, v in groups.items() if len(v) >= 2]
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            t, df, p = welch(groups[a], groups[b])
            pairs.append(Comparison(a, b, t, df, p, hedges_g(groups[a], groups[b])))
    adjusted = holm([c.p for c in pairs])
    return [
        Comparison(c.a, c.b, c.t, c.df, c.p, c.g, q) for c, q in zip(pairs, adjusted, strict=True)
    ]


def shared_ranks(summaries: dict[str, Summary], higher_is_better: bool) -> dict[str, int]:
    """1 + the number of experiments whose whole interval is better than this one's: those
    whose intervals overlap share a rank. Without an interval (one seed) the mean stands in."""

    def bounds(s: Summary) -> tuple[float, float]:
        return (s.mean, s.mean) if math.isnan(s.low) else (s.low, s.high)

    ranks = {}
    for name, s in summaries.items():
        low, high = bounds(s)
        better = 0
        for other, o in summaries.items():
            if other == name or math.isnan(o.mean):
                continue
            o_low, o_high = bounds(o)
            better += (o_low > high) if higher_is_better else (o_high < low)
        ranks[name] = better + 1
    return ranks


@dataclass(frozen=True)
class RankAgreement:
    """Spearman's rho between our means and published values, its bootstrap interval over
    seeds, and what it says in words."""

    rho: float
    low: float
    high: float
    n: int
    verdict: str


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    return float(stats.spearmanr(x, y).statistic)


def rank_agreement(
    groups: dict[str, Sequence[float]],
    published: dict[str, float],
    resamples: int = BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> RankAgreement | None:
    """Spearman's rho of our per-experiment means against the published values; the interval
    resamples each experiment's seeds with replacement (percentile bootstrap), so it says how
    far the ranking could move with other seeds. None with fewer than three experiments."""
    names = [k for k in groups if k in published and len(groups[k])]
    if len(names) < 3:
        return None
    ours = [float(np.mean(groups[k])) for k in names]
    theirs = [float(published[k]) for k in names]
    rho = spearman(ours, theirs)
    rng = np.random.default_rng(seed)
    values = [np.asarray(groups[k], dtype=float) for k in names]
    draws = []
    for _ in range(resamples):
        means = [v[rng.integers(0, len(v), len(v))].mean() for v in values]
        r = spearman(means, theirs)
        if math.isfinite(r):
            draws.append(r)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail]) if draws else (math.nan, math.nan)
    return RankAgreement(rho, float(low), float(high), len(names), verdict(float(low), float(high)))


def verdict(low: float, high: float) -> str:
    """Reproduced when the whole interval of rho is above zero, contradicted when below."""
    if low > 0:
        return "reproduced"
    if high < 0:
        return "contradicted"
    return "not resolvable at this number of seeds"

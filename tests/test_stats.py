"""The comparison statistics against values worked out by hand (the derivations are in the
comments), so a wrong degree of freedom, a missing correction or a biased spread turns them
red."""

from __future__ import annotations

import math

import pytest

from ganforge.studies.stats import (
    hedges_g,
    holm,
    pairwise,
    rank_agreement,
    shared_ranks,
    spearman,
    summarize,
    verdict,
    welch,
)


def test_t_interval_of_the_mean() -> None:
    # [1, 2, 3, 4]: mean 2.5, s = sqrt(5/3) = 1.290994; t(0.975, df=3) = 3.182446
    # half-width = 3.182446 * 1.290994 / 2 = 2.054260 (df=4 would give 1.7921, z 1.2652)
    s = summarize([1, 2, 3, 4])
    assert (s.mean, s.n) == (2.5, 4)
    assert s.std == pytest.approx(1.290994, abs=1e-6)
    assert s.low == pytest.approx(2.5 - 2.054260, abs=1e-6)
    assert s.high == pytest.approx(2.5 + 2.054260, abs=1e-6)


def test_one_value_has_no_spread_and_missing_values_are_left_out() -> None:
    s = summarize([3.0, float("nan"), None])
    assert s.mean == 3.0 and s.n == 1
    assert math.isnan(s.std) and math.isnan(s.low) and math.isnan(s.high)
    assert summarize([]).n == 0


def test_welch_t_and_its_degrees_of_freedom() -> None:
    # a = [1, 2, 3]: mean 2, var 1; b = [4, 5, 7]: mean 16/3, var 7/3
    # se^2 = 1/3 + 7/9 = 10/9; t = (2 - 16/3) / sqrt(10/9) = -3.162278
    # df = (10/9)^2 / ((1/3)^2 / 2 + (7/9)^2 / 2) = 3.448276 (a pooled test would use 4)
    # p = 2 * P(T_3.448 > 3.162278) = 0.0419145
    t, df, p = welch([1, 2, 3], [4, 5, 7])
    assert t == pytest.approx(-3.162278, abs=1e-6)
    assert df == pytest.approx(3.448276, abs=1e-6)
    assert p == pytest.approx(0.0419145, abs=1e-6)


def test_hedges_g_has_the_small_sample_correction() -> None:
    # pooled sd = sqrt((2 * 1 + 2 * 7/3) / 4) = 1.290994; d = -(10/3) / 1.290994 = -2.581989
    # J = 1 - 3 / (4 * 6 - 9) = 0.8, so g = -2.065591
    assert hedges_g([1, 2, 3], [4, 5, 7]) == pytest.approx(-2.065591, abs=1e-6)


def test_holm_adjusts_by_rank_and_stays_monotone() -> None:
    # sorted: 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04 -> monotone: 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1


def test_pairwise_table_is_holm_corrected_over_every_pair() -> None:
    groups = {"a": [1, 2, 3], "b": [4, 5, 7], "c": [1, 2, 3.5], "one": [9]}
    table = pairwise(groups)
    assert [(c.a, c.b) for c in table] == [("a", "b"), ("a", "c"), ("b", "c")]  # "one": n < 2
    ab = table[0]
    assert ab.p == pytest.approx(0.0419145, abs=1e-6)
    assert ab.p_holm == pytest.approx(holm([c.p for c in table])[0])
    assert ab.p_holm > ab.p  # three pairs: the smallest p is at least doubled


def test_spearman_with_ties() -> None:
    # y ranks [1, 2, 3.5, 5, 3.5] against [1..5]: 8 / sqrt(10 * 9.5) = 0.820783
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(0.820783, abs=1e-6)


def test_overlapping_intervals_share_a_rank() -> None:
    summaries = {
        "a": summarize([1.0, 1.1, 0.9]),
        "b": summarize([1.05, 1.2, 0.95]),
        "c": summarize([5.0, 5.1, 4.9]),
    }
    assert shared_ranks(summaries, higher_is_better=False) == {"a": 1, "b": 1, "c": 3}
    assert shared_ranks(summaries, higher_is_better=True) == {"a": 2, "b": 2, "c": 1}


def test_rank_agreement_and_its_verdict() -> None:
    published = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}
    tight = {"a": [1, 1.01, 0.99], "b": [2, 2.01, 1.99], "c": [3, 3.01, 2.99], "d": [4, 4.1, 3.9]}
    same = rank_agreement(tight, published)
    assert same.rho == pytest.approx(1.0) and same.n == 4 and same.verdict == "reproduced"
    flipped = rank_agreement({k: [-v for v in vals] for k, vals in tight.items()}, published)
    assert flipped.rho == pytest.approx(-1.0) and flipped.verdict == "contradicted"
    noisy = {"a": [1, 9, 4], "b": [8, 2, 5], "c": [3, 7, 1], "d": [6, 2, 8]}
    agreement = rank_agreement(noisy, published)
    assert agreement.low < 0 < agreement.high
    assert agreement.verdict == "not resolvable at this number of seeds"
    assert rank_agreement(noisy, published) == agreement  # a fixed-seed bootstrap
    assert rank_agreement({"a": [1], "b": [2]}, published) is None
    assert verdict(0.1, 0.9) == "reproduced"

"""Precision, recall, density and coverage: agreement with Naeem et al.'s own `prdc` package,
and what they say on real features (data against itself; a generator stuck on one image)."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
import torch
from prdc import compute_prdc

import ganforge.metrics.evaluate as evaluate
from conftest import tiny_config, train_cli
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import ConfigError
from ganforge.metrics import METRICS, Evaluator
from ganforge.metrics.manifold import DC_K, PR_K, manifolds


def reference(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    with contextlib.redirect_stdout(io.StringIO()):  # prdc prints the set sizes
        return {key: float(v) for key, v in compute_prdc(real, fake, k).items()}


@pytest.mark.parametrize(
    ("n_real", "n_fake", "dim"), [(300, 300, 8), (400, 250, 32), (120, 500, 3)]
)
def test_all_four_agree_with_prdc(n_real: int, n_fake: int, dim: int) -> None:
    rng = np.random.default_rng(n_real + dim)
    real = rng.normal(size=(n_real, dim))
    fake = rng.normal(0.4, 1.3, size=(n_fake, dim))  # overlapping, not equal: values in (0, 1)
    ours = manifolds(torch.from_numpy(real), torch.from_numpy(fake), (PR_K, DC_K))
    for k in (PR_K, DC_K):
        want = reference(real, fake, k)
        got = ours[k]
        assert 0 < want["precision"] < 1  # not a trivial case: some samples fall outside
        for key in ("precision", "recall", "density", "coverage"):
            assert getattr(got, key) == pytest.approx(want[key], abs=1e-6), (k, key)


def test_chunks_give_the_same_answer(monkeypatch) -> None:
    import ganforge.metrics.manifold as manifold

    rng = np.random.default_rng(1)
    real, fake = (torch.from_numpy(rng.normal(size=(300, 6))) for _ in range(2))
    whole = manifolds(real, fake, (3,))
    monkeypatch.setattr(manifold, "CHUNK", 7)  # many partial blocks
    assert manifolds(real, fake, (3,)) == whole


def test_metric_names_state_protocol_and_space() -> None:
    for name in ("pr10k", "dc10k", "pr_domain5k", "dc_domain5k", "pr50k"):
        assert name in METRICS
    assert METRICS.get("pr_domain5k").extractor == "domain"
    assert METRICS.get("pr10k").extractor == "inception"


def test_real_digits_against_themselves_and_one_repeated_image(monkeypatch) -> None:
    """Training digits against test digits in the domain classifier's features: both near 1.
    A generator that repeats one image: realistic (precision high) but no recall or coverage."""
    calls = []
    real_manifolds = evaluate.manifolds
    monkeypatch.setattr(evaluate, "manifolds", lambda *a: calls.append(1) or real_manifolds(*a))
    ev = Evaluator(
        DataConfig(name="digits"),
        ["pr_domain1k", "dc_domain1k"],
        ref="digits:test",
        num_samples=300,
    )
    images = load_dataset(DataConfig(name="digits")).data[:300]  # uint8 pixels
    same = ev(images)
    assert calls == [1]  # precision/recall and density/coverage shared one pass
    # two samples of one distribution: 0.87 / 0.74 / 0.82 / 0.83 here (k-NN balls of 300
    # points miss some of the other sample's; the values rise towards 1 with N)
    assert same["pr_domain1k_precision"] > 0.75 and same["pr_domain1k_recall"] > 0.65
    assert same["dc_domain1k_coverage"] > 0.7 and 0.6 < same["dc_domain1k_density"] < 1.3
    stuck = ev(images[:1].repeat(300, 1, 1, 1))
    assert stuck["pr_domain1k_recall"] < 0.02 and stuck["dc_domain1k_coverage"] < 0.1
    assert stuck["pr_domain1k_precision"] > 0.9  # one real-looking digit, realistic every time


def test_the_best_checkpoint_can_follow_recall(tmp_path):
    """pr logs two scores and no headline: best_metric names one, and higher is better."""
    run = tmp_path / "run"
    metrics = ["eval.every=2", "eval.metrics=[pr_domain1k]", "eval.num_samples=64"]
    assert train_cli(run, "train.steps=6", *metrics, "eval.best_metric=pr_domain1k_recall") == 0
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    values = {r["step"]: r["pr_domain1k_recall"] for r in rows if "pr_domain1k_recall" in r}
    best = torch.load(run / "checkpoints" / "best.pt", weights_only=True)
    assert best["best"] == max(values.values()) and best["step"] == max(values, key=values.get)


def test_a_best_metric_without_a_headline_value_is_refused_before_training():
    with pytest.raises(ConfigError, match="pr_domain1k_precision, pr_domain1k_recall"):
        tiny_config("eval.metrics=[pr_domain1k]", "eval.best_metric=pr_domain1k")

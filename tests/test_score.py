"""`ganforge score A B`: registered metrics between two image sets, its saved features checked
against torch-fidelity's formulas and Naeem et al.'s prdc, `ganforge fid` as its shortcut, and
a run directory as the generated set."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from prdc import compute_prdc

from conftest import run_cli, train_cli
from ganforge.metrics.scores import frechet_distance, statistics


def score(*argv: str) -> dict:
    code, out, err = run_cli("score", *argv)
    assert code == 0, err
    return json.loads(out)


def test_two_sets_in_domain_features_agree_with_the_reference_code(tmp_path: Path) -> None:
    saved = tmp_path / "features.npz"
    metrics = "fid,pr,dc,fid_inf"
    got = score(
        "digits:test",
        "digits",
        "--metrics",
        metrics,
        "--features",
        "domain",
        "--save-features",
        str(saved),
    )
    assert (got["count_a"], got["count_b"], got["features"]) == (297, 1500, "domain")
    arrays = np.load(saved)
    a, b = arrays["a"], arrays["b"]
    assert a.shape == (297, 128) and b.shape == (1500, 128)
    fid = frechet_distance(statistics(torch.from_numpy(a)), statistics(torch.from_numpy(b)))
    assert got["fid"] == pytest.approx(fid, rel=1e-9) and got["fid"] > 0
    for k, prefix, keys in ((3, "pr", ("precision", "recall")), (5, "dc", ("density", "coverage"))):
        with contextlib.redirect_stdout(io.StringIO()):
            want = compute_prdc(b.astype(np.float64), a.astype(np.float64), k)
        for key in keys:
            assert got[f"{prefix}_{key}"] == pytest.approx(float(want[key]), abs=1e-6)
    assert len(got["fid_inf_points"]) == 15 and got["fid_inf_points"][-1][0] == 297


def test_fid_is_the_shortcut_of_score(tmp_path: Path, random_inception: Path) -> None:
    common = ["--inception-weights", str(random_inception), "--num-samples", "40"]
    code, out, err = run_cli("fid", "digits:test", "digits", *common)
    assert code == 0, err
    fid = json.loads(out)
    assert set(fid) == {"fid", "count_a", "count_b"} and fid["count_a"] == 40
    both = score("digits:test", "digits", "--metrics", "fid,kid,is", *common)
    assert both["fid"] == pytest.approx(fid["fid"]) and both["fid"] > 1e-3
    assert {"kid", "kid_std", "is", "is_std"} <= set(both)


def test_a_run_directory_is_a_generated_set(tmp_path: Path) -> None:
    assert train_cli(tmp_path / "run") == 0
    got = score(
        str(tmp_path / "run"),
        "digits",
        "--metrics",
        "fid,pr",
        "--features",
        "domain",
        "--num-samples",
        "120",
    )
    assert got["count_a"] == 120 and got["fid"] > 0
    assert 0 <= got["pr_precision"] <= 1 and 0 <= got["pr_recall"] <= 1


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--metrics", "nope"], "no metric 'nope' in the inception feature space"),
        (["--metrics", "kid", "--features", "domain"], "no metric 'kid' in the domain"),
        (["--metrics", "fid_domain", "--features", "inception"], "measured in domain features"),
        (["--metrics", "classes", "--features", "domain"], "needs labels"),
    ],
)
def test_bad_requests_get_one_sentence(argv: list[str], words: str) -> None:
    code, out, err = run_cli("score", "digits:test", "digits", *argv)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1

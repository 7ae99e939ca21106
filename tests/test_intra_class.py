"""Intra-class FID: low when each sample shows the class it was asked for, high when the
classes are mixed up (a plain FID cannot tell), and refused before training for a generator
whose samples have no intended class."""

from __future__ import annotations

import pytest

from conftest import tiny_config
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import ConfigError
from ganforge.metrics import METRICS, Evaluator


def test_mixed_up_classes_raise_intra_class_fid_but_not_fid() -> None:
    data = load_dataset(DataConfig(name="digits"))
    images, labels = data.data[:600], data.labels[:600]
    ev = Evaluator(DataConfig(name="digits"), ["ifid_domain1k", "fid_domain1k"], num_samples=600)
    right = ev(images, labels)
    wrong = ev(images, (labels + 1) % 10)  # every sample claims the next class
    assert wrong["fid_domain1k"] == pytest.approx(right["fid_domain1k"])  # blind to labels
    assert right["ifid_domain1k_classes"] == 10
    assert wrong["ifid_domain1k"] > 5 * right["ifid_domain1k"]


def test_registered_in_both_spaces() -> None:
    assert METRICS.get("ifid10k").extractor == "inception"
    assert METRICS.get("ifid_domain5k").extractor == "domain"


def test_an_unconditional_run_is_refused_before_training() -> None:
    with pytest.raises(ConfigError, match="needs each sample's intended class"):
        tiny_config("eval.metrics=[ifid_domain1k]", "eval.every=2")  # loaded and resolved
    conditional = tiny_config("eval.metrics=[ifid_domain1k]", "model.conditional=concat")
    assert conditional.eval.metrics == ("ifid_domain1k",)
    with pytest.raises(ConfigError, match="intended class"):
        Evaluator(DataConfig(name="digits"), ["accuracy1k"], labelled_outputs=False)

"""Progress bars outside the training loop: a domain classifier's training, feature extraction
and sample generation show one on a terminal (or in a notebook) and nothing in a log file."""

from __future__ import annotations

import contextlib
import io

import pytest
import torch

import ganforge.progress
from conftest import train_cli
from ganforge.progress import progress


@pytest.fixture
def terminal(monkeypatch, capsys):
    """stderr as a terminal would get it: `terminal()` is what the bars wrote."""
    monkeypatch.setattr(ganforge.progress, "shown", lambda: True)
    return lambda: capsys.readouterr().err


def test_no_bar_when_stderr_is_a_file():
    err = io.StringIO()
    with contextlib.redirect_stderr(err):  # not a terminal
        assert not ganforge.progress.shown()
        assert list(progress(range(3), desc="sampling")) == [0, 1, 2]
    assert err.getvalue() == ""


def test_sample_generation_shows_a_bar(tmp_path, terminal):
    from ganforge.sampling import load_generator

    assert train_cli(tmp_path / "run") == 0
    terminal()  # not the training's output
    samples = load_generator(tmp_path / "run").sample(30, batch_size=10)
    assert samples.shape[0] == 30
    assert "sampling:   0%|          | 0/3" in terminal()


def test_feature_extraction_shows_a_bar(terminal):
    from ganforge.metrics.features import batched

    images = torch.zeros(50, 1, 8, 8, dtype=torch.uint8)
    assert sum(len(b) for b in batched(images, 20)) == 50
    assert "features:   0%|          | 0/3" in terminal()


def test_the_domain_classifiers_training_shows_a_bar(terminal):
    from ganforge.config import DataConfig
    from ganforge.data import load_dataset
    from ganforge.metrics.classifier import BATCH, MIN_UPDATES, train_classifier

    data = load_dataset(DataConfig(name="digits", limit=BATCH * 2))
    _, accuracy = train_classifier(data, data, torch.device("cpu"), epochs=1)
    assert accuracy > 0.5
    assert f"domain classifier:   0%|          | 0/{MIN_UPDATES}" in terminal()


def test_in_a_log_file_a_loop_given_log_says_where_it_is_in_lines():
    from ganforge.config import DataConfig
    from ganforge.data import load_dataset
    from ganforge.metrics.classifier import MIN_UPDATES, train_classifier

    lines: list[str] = []
    err = io.StringIO()
    with contextlib.redirect_stderr(err):  # not a terminal: no bar
        data = load_dataset(DataConfig(name="digits", limit=256))
        train_classifier(data, data, torch.device("cpu"), epochs=1, log=lines.append)
    assert err.getvalue() == ""
    assert lines[0].startswith(f"domain classifier: 0/{MIN_UPDATES} (0%), 00:00 elapsed, ETA")
    assert lines[-1].startswith(f"domain classifier: {MIN_UPDATES}/{MIN_UPDATES} (100%)")
    ticks: list[str] = []
    bar = progress(total=4, desc="x", log=ticks.append, every_s=30)
    for _ in range(4):
        bar.update(1)  # well within 30 s: no line until the end
    bar.close()
    assert [t.split(",")[0] for t in ticks] == ["x: 0/4 (0%)", "x: 4/4 (100%)"]

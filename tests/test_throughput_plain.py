"""benchmarks/throughput.py's hand-written StyleGAN2 loop computes what ganforge's loop does:
from the same weights, batches and random states, the first steps' losses agree, so its
throughput ratio compares two implementations of the same training."""

from __future__ import annotations

import math

import pytest
import torch

from conftest import REPO, TINY
from ganforge.config import load_config
from ganforge.training import resolve_config

# a 8x8 StyleGAN2 on 64 digits: style mixing, path length every 2 steps, DiffAugment
TINY_STYLEGAN = [
    *TINY,
    "data.name=digits",
    "data.resolution=8",
    "model.latent_dim=16",
    "model.g.mapping_layers=2",
    "model.g.max_channels=16",
    "model.d.max_channels=16",
    "model.g.pl_weight=2",
    "model.g.pl_every=2",
    "train.channels_last=false",
    "train.augment=translation",
]


@pytest.fixture
def benchmarks(monkeypatch):
    """The benchmarks folder on the import path, as it is for `python benchmarks/x.py`."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))


def tiny(*extra: str):
    return resolve_config(load_config("stylegan-mnist32", [*TINY_STYLEGAN, *extra]))


def test_plain_stylegan_steps_compute_ganforge_losses(benchmarks):
    from plain_stylegan import first_losses

    # steps 1-3: D, G, and path length at step 2, each step from the weights the last left
    # (R1 every 16 steps is not due; the next test takes it)
    theirs, ours = first_losses(tiny("loss.reg_every=16"), start=1, steps=3)
    assert [sorted(o) for o in ours] == [
        ["d_loss", "g_loss"],
        ["d_loss", "g_loss", "g_pl_penalty"],
        ["d_loss", "g_loss"],
    ]
    for mine, loop in zip(ours, theirs, strict=True):
        for key, value in mine.items():
            assert math.isfinite(value)
            assert value == pytest.approx(loop[key], rel=1e-5, abs=1e-7), key


def test_plain_lazy_r1_equals_ganforge_lazy_r1(benchmarks):
    from plain_stylegan import first_losses

    # R1 at steps 0 and 2, with DiffAugment: ganforge's R1 phase draws no fake batch (R1 reads
    # real images only), so both loops draw the same random numbers through R1 and beyond
    theirs, ours = first_losses(tiny("loss.reg_every=2"), start=0, steps=3)
    assert [sorted(o) for o in ours] == [
        ["d_loss", "d_penalty", "g_loss", "g_pl_penalty"],
        ["d_loss", "g_loss"],
        ["d_loss", "d_penalty", "g_loss", "g_pl_penalty"],
    ]
    assert ours[0]["d_penalty"] > 0
    for mine, loop in zip(ours, theirs, strict=True):
        for key, value in mine.items():
            assert value == pytest.approx(loop[key], rel=1e-5, abs=1e-7), key


def test_the_throughput_plain_loop_runs_stylegan_by_hand(benchmarks):
    import throughput
    from plain_stylegan import stylegan_step

    assert throughput.PLAIN_STEPS["stylegan"] is stylegan_step
    config = tiny("train.log_every=2", "loss.reg_every=2")
    data = torch.rand(16, 1, 8, 8) * 2 - 1
    seconds = throughput.plain_loop(config, data, steps=2, warmup=1, device="cpu")
    assert 0 < seconds < 60

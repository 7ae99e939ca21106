"""PacGAN packing (`model.d.pack`): D scores packs of samples stacked along the channels."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from conftest import tiny_config, trained
from ganforge.errors import ConfigError
from ganforge.models import FAMILIES, build_networks
from ganforge.models.packing import Packed
from ganforge.regularizers import gradient_penalty, r1_penalty

# every registered family whose discriminator takes `model.d.pack`
PACKING = [
    name
    for name in FAMILIES.names()
    if "pack" in {f.name for f in dataclasses.fields(FAMILIES.get(name).discriminator_options)}
]


def packed_d(family: str = "dcgan", pack: int = 2) -> Packed:
    cfg = tiny_config(f"model.name={family}", f"model.d.pack={pack}")
    torch.manual_seed(0)
    D = build_networks(cfg, (1, 8, 8))["discriminator"]
    assert isinstance(D, Packed)
    return D


@pytest.mark.parametrize("family", PACKING)
def test_d_scores_each_pack_of_consecutive_samples_on_stacked_channels(family):
    D = packed_d(family, pack=2).eval()
    x = torch.rand(6, 1, 8, 8) * 2 - 1
    scores = D(x)
    assert scores.shape == (3,)
    # the inner network sees samples 2k and 2k+1 as the two channels of one input
    by_hand = D.inner(torch.cat([x[0::2], x[1::2]], dim=1))
    torch.testing.assert_close(scores, by_hand, rtol=1e-5, atol=0)
    changed = x.clone()
    changed[3] = -changed[3]  # a sample of the second pack only
    new = D(changed)
    torch.testing.assert_close(new[[0, 2]], scores[[0, 2]], rtol=1e-6, atol=0)
    assert not torch.isclose(new[1], scores[1], rtol=1e-4, atol=0)


def test_a_batch_that_is_not_whole_packs_is_refused():
    with pytest.raises(Exception, match="divisible by 4"):
        packed_d(pack=4)(torch.zeros(6, 1, 8, 8))


def test_penalties_are_taken_per_pack_as_d_sees_its_input():
    D = packed_d(pack=2)
    real, fake = torch.rand(8, 1, 8, 8), torch.rand(8, 1, 8, 8)

    def inner(x, y=None):  # the same D fed the packs by hand
        return D.inner(x.reshape(4, 2, 8, 8))

    r1 = r1_penalty(D, real, gamma=2.0)
    by_hand = r1_penalty(D.inner, real.reshape(4, 2, 8, 8), gamma=2.0)
    torch.testing.assert_close(r1, by_hand, rtol=1e-5, atol=0)  # DCGAN init: tiny gradients
    per_sample = r1_penalty(inner, real, gamma=2.0) / 2
    assert not torch.isclose(r1, per_sample, rtol=0.1, atol=0)
    gen = torch.Generator().manual_seed(1)
    gp = gradient_penalty(D, real, fake, 10.0, generator=gen)
    assert math.isfinite(gp.item()) and gp.item() > 0


@pytest.mark.parametrize(
    "extra",
    [
        ["loss.r1_gamma=1"],
        ["loss.name=wasserstein", "loss.gp_weight=10", "train.n_critic=2"],
        ["loss.label_noise=0.1", "train.mixed_batches=true"],
        ["loss.r1_gamma=1", "loss.reg_every=2", "train.augment=translation,cutout"],
    ],
)
def test_training_with_packs_keeps_losses_finite(tmp_path, extra):
    cfg = tiny_config("model.d.pack=4", "train.steps=3", *extra)
    t = trained(cfg, tmp_path / "run")
    row = t.run.read_metrics()[-1]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert math.isfinite(row[key]), key
    assert isinstance(t.task.networks["discriminator"], Packed)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.d.pack=3"], "multiple of model.d.pack"),
        (["model.d.pack=0"], "at least 1"),
        (["model.d.pack=2", "model.conditional=concat"], "model.conditional=none"),
    ],
)
def test_packing_rules_are_one_sentence(overrides, message):
    with pytest.raises(ConfigError, match=message):
        tiny_config(*overrides)


def test_the_stacked_mnist_preset_trains_with_packs_of_four(tmp_path):
    """The README's PacGAN4 command: the preset with model.d.pack=4."""
    import numpy as np
    from sklearn.datasets import load_digits

    from ganforge.cli import main

    digits = load_digits()
    source = tmp_path / "digits.npz"
    np.savez(source, images=(digits.images * 255 / 16).astype(np.uint8), labels=digits.target)
    run = tmp_path / "run"
    tiny = ["model.g.hidden=[8]", "model.d.hidden=[8]", "train.batch_size=8", "data.limit=64"]
    quiet = ["train.sample_every=0", "train.tensorboard=false", "train.log_every=1"]
    args = ["train", "--preset", "stacked-mnist", f"data.path={source}", "train.steps=2"]
    args += ["model.d.pack=4", "eval.every=0"]
    assert main([*args, *tiny, *quiet, "--run-dir", str(run), "--no-progress"]) == 0
    state = torch.load(sorted((run / "checkpoints").glob("step_*.pt"))[-1], weights_only=True)
    first = state["networks"]["discriminator"]["inner.net.0.weight"]
    assert first.shape[1] == 3 * 4  # D's first layer sees 4 RGB images at once

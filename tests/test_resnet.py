"""The resnet family: Mimicry's SNGAN (sngan_32.py) and cGAN-PD (cgan_pd_32.py) CIFAR-10
networks, with the parameter counts of those files, and the cifar10-sngan preset."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from conftest import resolved
from ganforge.cli import main
from ganforge.models import build_networks
from ganforge.models.resnet import DBlock, GBlock
from ganforge.models.summary import summarize

CIFAR = (3, 32, 32)
MIMICRY = ["model.name=resnet", "model.latent_dim=128", "model.width=64", "model.init=default"]


def counts(config, num_classes=0):
    nets = build_networks(config, CIFAR, num_classes)
    y = torch.zeros(2, dtype=torch.long) if num_classes else None
    g = summarize(nets["generator"], torch.zeros(2, 128), y)
    d = summarize(nets["discriminator"], torch.zeros(2, *CIFAR), y)
    return (g.trainable, g.total, d.trainable, d.total), nets


def test_sngan_counts_equal_mimicry_sngan_32(capsys):
    # SNGANGenerator32() / SNGANDiscriminator32() of kwotsin/mimicry: trainable parameters, and
    # with batch-norm running statistics counted the Keras way
    assert main(["summary", "cifar10-sngan", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "generator": {"total": 4_280_323, "trainable": 4_276_739},
        "discriminator": {"total": 1_053_825, "trainable": 1_053_825},
    }


def test_projection_counts_equal_mimicry_cgan_pd_32():
    # CGANPDGenerator32(num_classes=10) / CGANPDDiscriminator32(num_classes=10)
    found, nets = counts(resolved(*MIMICRY, "model.conditional=projection"), num_classes=10)
    assert found == (4_304_387, 4_307_971, 1_055_105, 1_055_105)
    assert sum(isinstance(m, GBlock) for m in nets["generator"].modules()) == 3


def test_depth_follows_the_resolution():
    config = resolved(*MIMICRY, "model.g.channels=8", "model.d.channels=8")
    for shape, g_blocks, d_size in [((3, 32, 32), 3, 8), ((1, 28, 28), 2, 14), ((3, 64, 64), 4, 8)]:
        nets = build_networks(config, shape)
        G, D = nets["generator"], nets["discriminator"]
        assert len(G.blocks) == g_blocks and G(torch.zeros(2, 128)).shape == (2, *shape)
        assert D.blocks(torch.zeros(2, *shape)).shape[-1] == d_size


def test_d_block_shortcut_carries_the_rectified_input_as_mimicry_computes_it():
    """Mimicry's in-place ReLU rectifies x before its identity shortcut reads it."""
    block = DBlock(4, 4, downsample=False)
    torch.nn.init.zeros_(block.c2.weight)
    torch.nn.init.zeros_(block.c2.bias)
    x = torch.randn(2, 4, 5, 5)
    torch.testing.assert_close(block(x), F.relu(x))
    first = DBlock(3, 4, downsample=True, first=True)
    torch.nn.init.zeros_(first.c2.weight)
    torch.nn.init.zeros_(first.c2.bias)
    torch.testing.assert_close(first(x[:, :3]), first.c_sc(F.avg_pool2d(x[:, :3], 2)))


def test_sngan_preset_is_hinge_with_a_spectrally_normalised_resnet():
    config = resolved(source="cifar10-sngan")
    assert config.loss.name == "hinge" and config.model.d.spectral_norm
    assert (config.train.n_critic, config.train.batch_size, config.train.steps) == (5, 64, 100_000)
    D = build_networks(config, CIFAR)["discriminator"]
    convs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
    assert convs and all(hasattr(m, "parametrizations") for m in convs)


@pytest.mark.parametrize("preset", ["mnist-cgan", "mnist-acgan", "seed004-acgan", "stacked-mnist"])
def test_issue_9_presets_resolve(preset):
    config = resolved(source=preset)
    assert config.description
    if preset != "stacked-mnist":
        assert config.model.conditional in ("projection", "acgan")

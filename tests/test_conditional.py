"""Issue 9: class conditioning (concat, projection, conditional batch norm, ACGAN), DiffAugment,
spectral norm, class sampling and the accuracy metric."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import make_trainer, resolved, tiny_config, trained
from ganforge.cli import main
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import ConfigError, GanforgeError
from ganforge.losses import LOSSES
from ganforge.metrics import Evaluator
from ganforge.models import FAMILIES, build_networks
from ganforge.models.augment import diff_augment
from ganforge.models.conditional import ConditionalBatchNorm, Projection
from ganforge.sampling import load_generator

SCHEMES = ["concat", "projection", "acgan"]
# every registered family with a scheme, so a family is covered as soon as it registers
PAIRS = [
    pytest.param(scheme, family, id=f"{scheme}-{family}")
    for scheme in SCHEMES
    for family in FAMILIES.names()
    if scheme in FAMILIES.get(family).conditionings
]
CRITIC = ["loss.clip_value=0.01", "optim.d.name=rmsprop", "optim.g.name=rmsprop"]


def config(family: str, scheme: str, *extra: str):
    return tiny_config(f"model.name={family}", f"model.conditional={scheme}", *extra)


@pytest.mark.parametrize("scheme, family", PAIRS)
def test_the_same_z_with_two_labels_gives_two_images(family, scheme):
    torch.manual_seed(0)
    nets = build_networks(config(family, scheme), (1, 8, 8), num_classes=10)
    G, D = nets["generator"].eval(), nets["discriminator"].eval()
    z = torch.randn(4, 8)
    y0, y1 = torch.zeros(4, dtype=torch.long), torch.full((4,), 7)
    assert not torch.allclose(G(z, y0), G(z, y1))
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    if scheme == "acgan":  # D sees x alone; its class head answers
        torch.testing.assert_close(D(x, y0), D(x, y1))
        scores, logits = D.classify(x)
        assert scores.shape == (4,) and logits.shape == (4, 10)
    else:
        assert not torch.allclose(D(x, y0), D(x, y1))


@pytest.mark.parametrize("scheme, family", PAIRS)
@pytest.mark.parametrize("loss", LOSSES.names())
def test_every_family_scheme_and_loss_trains(tmp_path, family, scheme, loss):
    extra = CRITIC if loss == "wasserstein" else []
    cfg = config(family, scheme, f"loss.name={loss}", "train.steps=2", *extra)
    t = trained(cfg, tmp_path / "run")
    row = t.run.read_metrics()[-1]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert math.isfinite(row[key]), key
    if scheme == "acgan":
        assert math.isfinite(row["d_aux"]) and math.isfinite(row["g_aux"])


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("penalty", ["loss.gp_weight=10", "loss.r1_gamma=1"])
def test_penalties_work_with_every_scheme(tmp_path, scheme, penalty):
    loss = ["loss.name=wasserstein"] if "gp" in penalty else []
    t = trained(config("dcgan", scheme, penalty, *loss, "train.steps=2"), tmp_path / "run")
    row = t.run.read_metrics()[-1]
    assert math.isfinite(row["d_penalty"]) and row["d_penalty"] > 0


def test_projection_adds_the_inner_product_of_the_label_embedding():
    torch.manual_seed(0)
    D = build_networks(config("dcgan", "projection"), (1, 8, 8), 10)["discriminator"].eval()
    assert isinstance(D.head, Projection)
    x, y = torch.rand(3, 1, 8, 8), torch.tensor([1, 4, 9])
    h = D.features(x)
    expected = D.net[-1](h).view(-1) + (D.head.embed.weight[y] * h).sum(1)
    torch.testing.assert_close(D(x, y), expected)


def test_projection_generators_use_conditional_batch_norm_not_concatenation():
    nets = build_networks(config("dcgan", "projection"), (1, 8, 8), 10)
    G = nets["generator"]
    assert G.net[0].in_features == 8  # z only: labels enter through the norms
    assert any(isinstance(m, ConditionalBatchNorm) for m in G.modules())
    concat = build_networks(
        config("dcgan", "projection", "model.g.label_input=concat"), (1, 8, 8), 10
    )["generator"]
    assert concat.net[0].in_features == 18
    assert not any(isinstance(m, ConditionalBatchNorm) for m in concat.modules())
    with pytest.raises(ConfigError, match="conditional batch norm needs batch norm"):
        build_networks(config("dcgan", "projection", "model.g.batch_norm=false"), (1, 8, 8), 10)


def test_acgan_losses_add_the_weighted_class_cross_entropy(tmp_path):
    t = make_trainer(config("dcgan", "acgan", "loss.aux_weight=0.5"), tmp_path / "run")
    assert [p.name for p in t.task.phases] == ["D", "G"]
    torch.manual_seed(0)
    d_phase, g_phase = t.task.phases
    for phase, adv, aux in ((d_phase, "d_loss", "d_aux"), (g_phase, "g_loss", "g_aux")):
        total, logs = phase.loss(t.sources)
        torch.testing.assert_close(total, logs[adv] + 0.5 * logs[aux])
    with pytest.raises(ConfigError, match="aux_weight"):
        config("dcgan", "acgan", "loss.aux_weight=-1")


def test_diff_augment_is_differentiable_seeded_and_checked():
    augment = diff_augment("color,translation,cutout")
    x = (torch.rand(4, 3, 16, 16) * 2 - 1).requires_grad_()
    out = augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and not torch.allclose(out, x)
    out.square().sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    again = augment(x.detach(), torch.Generator().manual_seed(0))
    torch.testing.assert_close(again, out.detach())
    assert diff_augment("") is None and diff_augment(None) is None
    with pytest.raises(ConfigError, match="unknown augmentation 'flip'"):
        config("dcgan", "none", "train.augment=color,flip")
    with pytest.raises(ConfigError, match=r"transforms images, and toy_ring is 2-D points"):
        resolved("data.name=toy_ring", "model.name=mlp", "train.augment=translation")


def test_diff_augment_reaches_d_for_real_and_fake_in_both_phases(tmp_path):
    """Cutout zeroes at least a 2x2 square per image; un-augmented pixels are never exactly 0."""
    t = make_trainer(tiny_config("train.augment=cutout"), tmp_path / "run")
    seen: list[torch.Tensor] = []
    D = t.task.networks["discriminator"]
    D.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    d_phase, g_phase = t.task.phases[0], t.task.phases[-1]
    d_phase.loss(t.sources)
    g_phase.loss(t.sources)
    assert len(seen) == 3  # real and fake in D's phase, fake in G's
    for batch in seen:
        zeros = (batch == 0).flatten(1).sum(1)
        assert (zeros >= 4).all()
    real, _ = t.sources.real()
    assert ((real == 0).flatten(1).sum(1) == 0).all()


def test_spectral_norm_keeps_the_largest_singular_value_near_one():
    torch.manual_seed(0)
    for family in ("mlp", "dcgan"):
        D = build_networks(
            tiny_config(f"model.name={family}", "model.d.spectral_norm=true", "model.init=default"),
            (1, 8, 8),
        )["discriminator"]
        x = torch.rand(8, 1, 8, 8)
        for _ in range(30):  # power iterations run in training-mode forward passes
            D(x)
        layers = [m for m in D.modules() if hasattr(m, "parametrizations")]
        assert layers
        for m in layers:
            sigma = torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2)
            assert abs(sigma.item() - 1) < 0.05, (family, m)
            raw = m.parametrizations.weight.original.detach().flatten(1)
            assert abs(torch.linalg.matrix_norm(raw, ord=2).item() - 1) > 0.05


@pytest.fixture
def conditional_run(tmp_path):
    return trained(config("dcgan", "projection", "train.steps=2"), tmp_path / "run").run.path


def test_sample_a_class_and_a_class_grid(conditional_run, tmp_path):
    loaded = load_generator(conditional_run)
    threes = loaded.sample(5, seed=1, label=3)
    z_seed = torch.Generator().manual_seed(1)
    z = torch.randn(5, 8, generator=z_seed)
    torch.testing.assert_close(threes, loaded.generator(z, torch.full((5,), 3)))
    grid = loaded.class_grid(seed=2)  # (K * K, ...): row k is class k
    k = loaded.num_classes
    z = torch.randn(k, 8, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(grid[7 * k + 2], loaded.generator(z[2:3], torch.tensor([7]))[0])
    with pytest.raises(GanforgeError, match="class 12 is out of range"):
        loaded.sample(2, label=12)


def test_sample_cli_class_options(conditional_run, tmp_path, capsys):
    def sample(name: str, *options: str) -> Path:
        assert main(["sample", str(conditional_run), *options, "-o", str(tmp_path / name)]) == 0
        return tmp_path / name

    threes = np.load(sample("3.npz", "--class", "3", "-n", "6", "--seed", "1"))["samples"]
    fives = np.load(sample("5.npz", "--class", "5", "-n", "6", "--seed", "1"))["samples"]
    assert threes.shape == (6, 8, 8, 1) and (threes != fives).any()  # the class reaches G
    grid = Image.open(sample("grid.png", "--class-grid")).size
    plain = Image.open(sample("100.png", "-n", "100")).size  # 10 classes x 10 samples
    assert grid[1] == plain[1] and grid[0] > plain[0]  # the same rows, and a column of labels


def test_accuracy_metric_scores_requested_labels():
    """Real digits with their true labels score the classifier's accuracy; wrong labels ~0."""
    data = load_dataset(DataConfig(name="digits"))
    images, labels = data.data[:500], data.labels[:500]
    evaluator = Evaluator(DataConfig(name="digits"), ["accuracy1k"], num_samples=500)
    right = evaluator(images, labels)["accuracy1k"]
    wrong = evaluator(images, (labels + 1) % 10)["accuracy1k"]
    assert right > 0.9 and wrong < 0.1
    with pytest.raises(GanforgeError, match="needs a conditional generator"):
        evaluator(images)

import pytest
import torch

from conftest import resolved
from ganforge.cli import main
from ganforge.data import dataset_shape
from ganforge.errors import ConfigError
from ganforge.models import FAMILIES, build_networks
from ganforge.models.summary import summarize


def build_models(config, shape, num_classes=0):
    nets = build_networks(config, shape, num_classes)
    return nets["generator"], nets["discriminator"]


IMAGE_SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 64, 64)]


def shapes_for(family: str):
    return IMAGE_SHAPES + ([(2,)] if family == "mlp" else [])


ONE_DOMAIN = [f for f in FAMILIES.names() if FAMILIES.get(f).domains == 1]
CASES = [(f, s) for f in ONE_DOMAIN for s in shapes_for(f)]  # two domains: test_two_domain


@pytest.mark.parametrize("family, shape", CASES)
def test_every_family_maps_z_to_data_and_data_to_scores(family, shape):
    config = resolved(
        *[f"model.name={family}", "model.width=8", "model.latent_dim=16"]
        + (["model.g.last_activation=none"] if len(shape) == 1 else []),
    )
    torch.manual_seed(0)
    generator, discriminator = build_models(config, shape)
    z = torch.randn(3, 16)
    fake = generator(z)
    assert fake.shape == (3, *shape)
    if len(shape) == 3:
        assert fake.min() >= -1 and fake.max() <= 1  # tanh output
    scores = discriminator(fake)
    assert scores.shape == (3,) and torch.isfinite(scores).all()
    (scores.sum() + fake.sum()).backward()
    for name, p in [*generator.named_parameters(), *discriminator.named_parameters()]:
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"{name} got no gradient"


@pytest.mark.parametrize(
    "preset, g_total, g_trainable, d_total, d_trainable",
    [
        ("seed000-dense", 1_493_520, 1_489_936, 533_505, 533_505),
        ("seed000-conv", 1_031_297, 1_030_657, 80_769, 80_769),
        ("seed003-mnist", 2_330_944, 2_305_472, 212_865, 212_865),
    ],
)
def test_seed_presets_match_the_published_parameter_counts(
    preset, g_total, g_trainable, d_total, d_trainable
):
    config = resolved(source=preset)
    shape = dataset_shape(config.data)
    generator, discriminator = build_models(config, shape)
    g = summarize(generator, torch.zeros(2, config.model.latent_dim))
    d = summarize(discriminator, torch.zeros(2, *shape))
    assert (g.total, g.trainable, d.total, d.trainable) == (
        g_total,
        g_trainable,
        d_total,
        d_trainable,
    )
    assert g.rows[-1].output_shape == (1, 28, 28)


def test_summary_cli_json_gives_design_numbers(capsys):
    import json

    assert main(["summary", "seed000-conv", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "generator": {"total": 1031297, "trainable": 1030657},
        "discriminator": {"total": 80769, "trainable": 80769},
    }


def test_summary_table_lists_layers_like_keras(capsys):
    assert main(["summary", "seed000-dense"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 1,493,520" in out and "Non-trainable params: 3,584" in out
    assert "BatchNorm1d" in out and "(None, 1, 28, 28)" in out


def test_keras_momentum_and_layer_order_options():
    config = resolved(source="seed000-dense")
    generator, _ = build_models(config, (1, 28, 28))
    kinds = [type(m).__name__ for m in generator.net]
    assert kinds[:3] == ["Linear", "LeakyReLU", "BatchNorm1d"]  # Keras: act then BN
    assert generator.net[2].momentum == pytest.approx(0.2)  # Keras 0.8
    upsampling = resolved(*["model.g.upsample=nearest", "model.g.kernel_size=3"])
    g2, _ = build_models(upsampling, (1, 8, 8))
    assert any(type(m).__name__ == "Upsample" for m in g2.modules())


def test_dcgan_depth_follows_resolution():
    config = resolved(
        *[
            "model.name=dcgan",
            "model.g.hidden=none",
            "model.d.hidden=none",
            "model.g.project_channels=none",
            "model.g.strides=none",
            "model.d.strides=none",
            "model.g.out_kernel_size=none",
        ],
    )
    for size, blocks in ((28, 2), (32, 3), (64, 4)):
        generator, discriminator = build_models(config, (3, size, size))
        ups = [
            m
            for m in generator.modules()
            if isinstance(m, torch.nn.ConvTranspose2d | torch.nn.Conv2d)
        ]
        convs = [m for m in discriminator.modules() if isinstance(m, torch.nn.Conv2d)]
        assert len(ups) == blocks + 1 and len(convs) == blocks


def test_dcgan_rejects_points_and_bad_strides():
    config = resolved()
    with pytest.raises(ConfigError, match="square images"):
        build_models(config, (2,))
    bad = resolved(*["model.g.hidden=[8,8,8]", "model.g.strides=[2,2,2]"])
    with pytest.raises(ConfigError, match="does not divide the resolution"):
        build_models(bad, (1, 28, 28))


@pytest.mark.parametrize("scheme", ["dcgan", "glorot", "default"])
def test_init_schemes(scheme):
    config = resolved(*[f"model.init={scheme}"])
    torch.manual_seed(0)
    generator, _ = build_models(config, (1, 8, 8))
    linear = generator.net[0]
    if scheme == "dcgan":
        assert abs(linear.weight.std().item() - 0.02) < 0.002
    if scheme == "glorot":
        bound = (6 / (linear.in_features + linear.out_features)) ** 0.5
        assert linear.weight.abs().max() <= bound and linear.weight.abs().max() > 0.9 * bound
    if scheme != "default":
        assert linear.bias.abs().sum() == 0

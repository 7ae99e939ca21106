"""Model families: each registers a Generator and a Discriminator with one constructor contract.

`Generator(*, latent_dim, data_shape, width, spec)` maps z (B, latent_dim) to (B, *data_shape) in
the data's range; `Discriminator(*, data_shape, width, spec)` maps a batch to (B,) raw scores. The
contract uses `data_shape` rather than a resolution so the dense family also serves 2-D points.
"""

from __future__ import annotations

from typing import NamedTuple

from torch import nn

from ganforge.config import Config
from ganforge.models import dcgan, mlp
from ganforge.models.layers import initialize
from ganforge.registry import Registry


class ModelFamily(NamedTuple):
    generator: type[nn.Module]
    discriminator: type[nn.Module]


MODELS: Registry[ModelFamily] = Registry("model family")
MODELS.add(
    "mlp",
    ModelFamily(mlp.Generator, mlp.Discriminator),
    "dense layers (vanilla GAN, Keras 'GAN', 2-D toy data)",
)
MODELS.add(
    "dcgan",
    ModelFamily(dcgan.Generator, dcgan.Discriminator),
    "strided convolutions and batch norm (DCGAN, Keras 'DCGAN'/'WGAN')",
)


def build_generator(config: Config, data_shape: tuple[int, ...]) -> nn.Module:
    family = MODELS.get(config.model.name)
    net = family.generator(
        latent_dim=config.model.latent_dim,
        data_shape=tuple(data_shape),
        width=config.model.width,
        spec=config.model.g,
    )
    initialize(net, config.model.init)
    return net


def build_discriminator(config: Config, data_shape: tuple[int, ...]) -> nn.Module:
    family = MODELS.get(config.model.name)
    net = family.discriminator(
        data_shape=tuple(data_shape), width=config.model.width, spec=config.model.d
    )
    initialize(net, config.model.init)
    return net


def build_models(config: Config, data_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """Generator and discriminator for `config`, initialised with the model's init scheme."""
    return build_generator(config, data_shape), build_discriminator(config, data_shape)


__all__ = ["MODELS", "ModelFamily", "build_discriminator", "build_generator", "build_models"]

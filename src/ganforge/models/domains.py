"""Two-domain families (cogan, cyclegan, dtn): which families take a domain B, and the rules
between the two domains' shapes, checked in the build step before any data is loaded.

A family says what it is in `Family.extra`: `domains: 2` (it needs `data_b`), `translates:
True` (its `generator` maps images of domain A to domain B, for `ganforge translate`; its
sample grids show translations of fixed A images), `same_channels: True` (both domains must
have the same number of channels), `pairs: True` (G draws, and D scores, a pair side by side:
CoGAN).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.models.family import FAMILIES

TWO_DOMAIN_DATA = "data_b.name=... (or data_b.derive=invert | edges | mnistm of the same data)"


def two_domains(config: Config) -> bool:
    return FAMILIES.get(config.model.name).extra.get("domains", 1) == 2


def translates(config: Config) -> bool:
    """Whether the family's `generator` translates images (A -> B) rather than latents."""
    return bool(FAMILIES.get(config.model.name).extra.get("translates"))


def check_domains(config: Config, shape: tuple[int, ...], shape_b: tuple[int, ...] | None) -> None:
    """data_b only for two-domain families, and always for them; equal image sizes."""
    name = config.model.name
    if not two_domains(config):
        if config.data_b is not None:
            raise ConfigError(
                f"data_b is domain B of the two-domain families (cogan, cyclegan, dtn); the "
                f"{name} family trains on data alone: drop data_b"
            )
        return
    if shape_b is None:
        raise ConfigError(
            f"the {name} family learns between two domains; give domain B as " + TWO_DOMAIN_DATA
        )
    if len(shape) != 3 or len(shape_b) != 3:
        raise ConfigError(f"the {name} family needs images in both domains")
    if shape[1:] != shape_b[1:]:
        raise ConfigError(
            f"domain A is {shape[1]}x{shape[2]} and domain B is {shape_b[1]}x{shape_b[2]}; "
            "set data.resolution and data_b.resolution to one size"
        )
    if FAMILIES.get(name).extra.get("same_channels") and shape[0] != shape_b[0]:
        raise ConfigError(
            f"the {name} family needs the same channels in both domains, and A has "
            f"{shape[0]}, B {shape_b[0]}; set data.channels and data_b.channels to one value"
        )


def summary_inputs(
    config: Config, shape: tuple[int, ...], shape_b: tuple[int, ...] | None, n: int = 2
) -> tuple[Tensor, Tensor]:
    """Example inputs of the `generator` and `discriminator` networks (`ganforge summary`):
    z and a data batch, an A image for a translating G, a pair for CoGAN's D."""
    extra = FAMILIES.get(config.model.name).extra
    n *= config.model.d.get("pack", 1)  # a PacGAN D takes whole packs
    g_input = (
        torch.zeros(n, *shape)
        if extra.get("translates")
        else torch.zeros(n, config.model.latent_dim)
    )
    d_shape = shape_b or shape
    if extra.get("pairs"):
        d_shape = (*d_shape[:-1], 2 * d_shape[-1])
    return g_input, torch.zeros(n, *d_shape)

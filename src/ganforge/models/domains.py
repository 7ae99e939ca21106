"""Two-domain families: which families take a domain B, and the rules between the two
domains' shapes, checked in the build step before any data is loaded.

A family says what it is in its typed fields: `domains=2` (it needs `data_b`),
`translations` (its `generator` maps images of domain A to domain B, for `ganforge
translate`), `same_channels` (both domains must have the same number of channels), `paired`
(G draws, and D scores, a pair side by side: CoGAN).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.models.family import FAMILIES

TWO_DOMAIN_DATA = "data_b.name=... (or data_b.derive=invert | edges | mnistm of the same data)"


def check_domains(config: Config, shape: tuple[int, ...], shape_b: tuple[int, ...] | None) -> None:
    """data_b only for two-domain families, and always for them; equal image sizes."""
    name = config.model.name
    family = FAMILIES.get(name)
    if family.domains == 1:
        if config.data_b is not None:
            two = ", ".join(n for n in FAMILIES.names() if FAMILIES.get(n).domains == 2)
            raise ConfigError(
                f"data_b is domain B of the two-domain families ({two}); the "
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
    if family.same_channels and shape[0] != shape_b[0]:
        raise ConfigError(
            f"the {name} family needs the same channels in both domains, and A has "
            f"{shape[0]}, B {shape_b[0]}; set data.channels and data_b.channels to one value"
        )


def summary_inputs(
    config: Config, shape: tuple[int, ...], shape_b: tuple[int, ...] | None, n: int = 2
) -> tuple[Tensor, Tensor]:
    """Example inputs of the `generator` and `discriminator` networks (`ganforge summary`):
    z and a data batch, an A image for a translating G, a pair for CoGAN's D."""
    family = FAMILIES.get(config.model.name)
    n *= config.model.d.get("pack", 1)  # a PacGAN D takes whole packs
    g_input = (
        torch.zeros(n, config.model.latent_dim) if family.latent_space else torch.zeros(n, *shape)
    )
    d_shape = shape_b or shape
    if family.paired:
        d_shape = (*d_shape[:-1], 2 * d_shape[-1])
    return g_input, torch.zeros(n, *d_shape)

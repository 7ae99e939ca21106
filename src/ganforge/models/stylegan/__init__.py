"""StyleGAN2 (Karras et al. 2020) sized for 28-128 px: mapping network, learned constant,
modulated convolutions, noise inputs, skip generator, residual discriminator, style mixing,
lazy R1 and path-length regularisation. The design of NVlabs/stylegan2-ada-pytorch in plain
PyTorch ops, so it trains on a CPU.

Files: `layers.py` (equalised layers, modulated conv, resampling, minibatch std),
`generator.py`, `discriminator.py`, `task.py` (phases), `options.py` (`model.g/d.*`).
Conditional (`model.conditional=concat`): a label embedding is concatenated to z at the
mapping network's input, and D projects its features on a label embedding.
"""

from __future__ import annotations

from torch import nn

from ganforge.models.family import NetworkSpec
from ganforge.models.stylegan.discriminator import Discriminator
from ganforge.models.stylegan.generator import Generator
from ganforge.models.stylegan.options import DiscriminatorOptions, GeneratorOptions
from ganforge.models.stylegan.task import check, stylegan_task

CONDITIONINGS = ("none", "concat")
DESCRIPTION = (
    "StyleGAN2: mapping network, modulated convs, noise, style mixing, lazy R1/path length"
)


def build(
    spec: NetworkSpec, g_options: GeneratorOptions, d_options: DiscriminatorOptions
) -> dict[str, nn.Module]:
    """G then D; equalised learning rate sets the init, so model.init does not apply."""
    common = dict(data_shape=spec.data_shape, num_classes=spec.num_classes, width=spec.width)
    G = Generator(latent_dim=spec.latent_dim, options=g_options, **common)
    D = Discriminator(options=d_options, **common)
    return {"generator": G, "discriminator": D}


__all__ = [
    "CONDITIONINGS",
    "DESCRIPTION",
    "Discriminator",
    "DiscriminatorOptions",
    "Generator",
    "GeneratorOptions",
    "build",
    "check",
    "stylegan_task",
]

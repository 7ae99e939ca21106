"""Model families: each registers its options, networks and training phases as one `Family`.

Every family's networks share one keyword-only constructor contract:
`Generator(*, latent_dim, data_shape, num_classes, width, options)` maps z (B, latent_dim) and
labels y (B,) to (B, *data_shape) in the data's range; `Discriminator(*, data_shape,
num_classes, width, options)` maps a batch and its labels to (B,) raw scores. `num_classes` 0
means unconditional (y is None). The contract uses `data_shape` rather than a resolution so the
dense family also serves 2-D points.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from torch import nn

from ganforge.config import Config
from ganforge.models import (
    cogan,
    conditional,
    cyclegan,
    dcgan,
    dtn,
    mlp,
    resnet,
    stylegan,
)
from ganforge.models.domains import check_domains, summary_inputs
from ganforge.models.family import (
    FAMILIES,
    DomainClassifiers,
    Family,
    GeneratorInputs,
    InputSource,
    NetworkSpec,
    Phase,
    Sources,
    Task,
    family_options,
    image_inputs,
)
from ganforge.models.latent import sample_latent
from ganforge.models.layers import initialize, spectral_normalize
from ganforge.models.packing import Packed, packed_shape


def generator_and_discriminator(generator: type[nn.Module], discriminator: type[nn.Module]):  # noqa: ANN201
    """`Family.build` for families made of one generator and one discriminator class.

    Schemes beyond cGAN concatenation reach the networks as a `conditioning=` keyword,
    `model.d.spectral_norm`, where the family has it, normalises D after initialisation, and
    `model.d.pack` (PacGAN) builds D for packs of samples and wraps it in `Packed`.
    """

    def build(spec: NetworkSpec, g_options: Any, d_options: Any) -> dict[str, nn.Module]:
        common = dict(data_shape=spec.data_shape, num_classes=spec.num_classes, width=spec.width)
        if spec.conditional not in ("none", "concat"):
            common["conditioning"] = spec.conditional
        G = generator(latent_dim=spec.latent_dim, options=g_options, **common)
        initialize(G, spec.init)  # before D is built: the global RNG order is part of a seed
        pack = getattr(d_options, "pack", 1)
        if pack > 1:
            common["data_shape"] = packed_shape(spec.data_shape, pack)
        D = discriminator(options=d_options, **common)
        initialize(D, spec.init)
        if pack > 1:
            D = Packed(D, pack)
        if getattr(d_options, "spectral_norm", False):
            spectral_normalize(D)
        return {"generator": G, "discriminator": D}

    return build


def single_pair_family(
    module: ModuleType, description: str, discriminator_module: ModuleType | None = None
) -> Family:
    """A family made of one `module.Generator` and one `module.Discriminator` (of
    `discriminator_module`, when given) with their option classes, trained by the adversarial
    task with every conditioning scheme."""
    d_module = discriminator_module or module
    return Family(
        module.GeneratorOptions,
        d_module.DiscriminatorOptions,
        generator_and_discriminator(module.Generator, d_module.Discriminator),
        conditional.task,
        conditionings=conditional.SCHEMES,
        check=conditional.check,
        description=description,
    )


FAMILIES.add(
    "mlp", single_pair_family(mlp, "dense layers (vanilla GAN, Keras 'GAN', cGAN, 2-D toy data)")
)
FAMILIES.add(
    "dcgan",
    single_pair_family(
        dcgan, "strided convolutions and batch norm (DCGAN, Keras 'DCGAN'/'WGAN', cDCGAN)"
    ),
)
FAMILIES.add(  # Akel 2022 exp 9 pairs the dense generator with the convolutional discriminator
    "mlp_dcgan",
    single_pair_family(
        mlp, "mlp's dense generator + dcgan's conv discriminator (Akel 2022 exp 9)", dcgan
    ),
)
FAMILIES.add(
    "resnet",
    single_pair_family(resnet, "32x32 SNGAN/WGAN-GP residual networks (Mimicry sngan_32, cGAN-PD)"),
)
FAMILIES.add(
    "stylegan",
    Family(
        stylegan.GeneratorOptions,
        stylegan.DiscriminatorOptions,
        stylegan.build,
        stylegan.stylegan_task,
        conditionings=stylegan.CONDITIONINGS,
        check=stylegan.check,
        description=stylegan.DESCRIPTION,
        style_mixing=True,
    ),
)


FAMILIES.add(
    "cogan",
    Family(
        cogan.GeneratorOptions,
        cogan.DiscriminatorOptions,
        cogan.build,
        cogan.task,
        check=cogan.check,
        description="Coupled GANs: two G sharing first layers, two D sharing last (data_b)",
        domains=2,
        same_channels=True,
        paired=True,
    ),
)
FAMILIES.add(
    "cyclegan",
    Family(
        cyclegan.GeneratorOptions,
        cyclegan.DiscriminatorOptions,
        cyclegan.build,
        cyclegan.task,
        check=cyclegan.check,
        description="CycleGAN: unpaired translation A <-> B, cycle and identity losses (data_b)",
        domains=2,
        translations={"a2b": "generator", "b2a": "generator_ba"},
        inputs=image_inputs,
    ),
)
FAMILIES.add(
    "dtn",
    Family(
        dtn.GeneratorOptions,
        dtn.DiscriminatorOptions,
        dtn.build,
        dtn.task,
        check=dtn.check,
        description="Domain Transfer Network: G = g(f(x)), f a fixed domain classifier (data_b)",
        domains=2,
        translations={"a2b": "generator"},
        inputs=image_inputs,
        resolve=dtn.default_encoder,
        prepare=dtn.prepare_encoder,
    ),
)


def network_spec(
    config: Config,
    data_shape: tuple[int, ...],
    num_classes: int,
    data_shape_b: tuple[int, ...] | None = None,
) -> NetworkSpec:
    conditional = config.model.conditional != "none"
    return NetworkSpec(
        latent_dim=config.model.latent_dim,
        data_shape=tuple(data_shape),
        num_classes=num_classes if conditional else 0,
        width=config.model.width,
        init=config.model.init,
        conditional=config.model.conditional if conditional else "none",
        data_shape_b=tuple(data_shape_b) if data_shape_b else None,
    )


def build_networks(
    config: Config,
    data_shape: tuple[int, ...],
    num_classes: int = 0,
    data_shape_b: tuple[int, ...] | None = None,
) -> dict[str, nn.Module]:
    """Every network of `config`'s family, initialised with the model's init scheme;
    `data_shape_b` is domain B's shape for two-domain families (default: `data_shape`)."""
    g_options, d_options = family_options(config)
    family = FAMILIES.get(config.model.name)
    spec = network_spec(config, data_shape, num_classes, data_shape_b)
    return family.build(spec, g_options, d_options)


def build_task(
    config: Config,
    data_shape: tuple[int, ...],
    num_classes: int = 0,
    data_shape_b: tuple[int, ...] | None = None,
) -> Task:
    """The networks of `config` and the phases that train them."""
    g_options, d_options = family_options(config)
    family = FAMILIES.get(config.model.name)
    spec = network_spec(config, data_shape, num_classes, data_shape_b)
    return family.task(family.build(spec, g_options, d_options), config, g_options, d_options)


def build_generator(
    config: Config,
    data_shape: tuple[int, ...],
    num_classes: int = 0,
    data_shape_b: tuple[int, ...] | None = None,
) -> nn.Module:
    """The network that `sample`, `eval` and exports use: a translator needs domain B's shape."""
    return build_networks(config, data_shape, num_classes, data_shape_b)["generator"]


__all__ = [
    "FAMILIES",
    "DomainClassifiers",
    "Family",
    "GeneratorInputs",
    "InputSource",
    "NetworkSpec",
    "Phase",
    "Sources",
    "Task",
    "build_generator",
    "build_networks",
    "build_task",
    "check_domains",
    "family_options",
    "sample_latent",
    "summary_inputs",
]

"""What a model family is: its options, its networks and the phases that train them.

A family is one file that registers one `Family`. The training loop knows only phases (which
optimiser steps, how often, on what loss), so a family with an extra head (ACGAN), lazy
regularisation (StyleGAN2) or two generator/discriminator pairs (CycleGAN) needs no change
outside its own file. This is the phase idea of stylegan2-ada-pytorch, written our way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from ganforge.config import Config, DataConfig, from_dict
from ganforge.errors import ConfigError
from ganforge.registry import Registry, suggest


@dataclass(frozen=True)
class NetworkSpec:
    """What every network constructor receives, besides the family's own options."""

    latent_dim: int
    data_shape: tuple[int, ...]  # (C, H, W) images or (D,) points
    num_classes: int  # 0: unconditional; else networks take labels y of shape (B,)
    width: int  # base width when the options leave sizes to the resolution
    init: str = "dcgan"  # weight init scheme (models.layers.initialize)
    conditional: str = "none"  # model.conditional: how the labels enter (concat, projection...)
    data_shape_b: tuple[int, ...] | None = None  # domain B of two-domain families (data_b)


class Sources(Protocol):
    """What a phase's loss may draw from; the loop provides it, seeded and resumable."""

    noise: torch.Generator  # every random number of a step: label noise, GP mixing...
    batch_size: int  # examples per batch in this process (train.batch_size / processes)

    def real(self, domain: str = "a") -> tuple[Tensor, Tensor | None]:
        """The next training batch (model range) and its labels (None if unconditional);
        domain "b" draws from data_b's own stream (two-domain families)."""

    def latent(self, n: int) -> Tensor:
        """n latent vectors from the configured distribution."""

    def fake_labels(self, n: int) -> Tensor | None:
        """n class labels to generate (None if unconditional)."""


PhaseLoss = Callable[[Sources], tuple[Tensor, dict[str, Tensor]]]


@dataclass(frozen=True)
class Phase:
    """One kind of optimiser update. The loop runs each phase every `interval` steps,
    `repeats` times in a row; only the modules of `optimizer` receive gradients."""

    name: str  # "D", "D_reg", "G", ...; logs `<name>_grad_norm` in lower case
    optimizer: str  # a key of Task.modules and of config.optim ("g" or "d")
    loss: PhaseLoss  # (total to minimise, detached scalars to log)
    interval: int = 1
    repeats: int = 1
    after_step: Callable[[], None] | None = None  # e.g. WGAN weight clipping


@dataclass
class Task:
    """A family's networks and how to train them."""

    networks: dict[str, nn.Module]  # saved in checkpoints under these names; "generator" samples
    modules: dict[str, list[nn.Module]]  # optimiser key -> the networks it updates
    phases: list[Phase]
    # networks some phase differentiates twice (R1, gradient penalty, path length): never
    # compiled, since torch.compile and double backward do not mix
    twice_differentiated: tuple[str, ...] = ()


@dataclass(frozen=True)
class GeneratorInputs:
    """One batch of what a family's `generator` maps, and the labels its outputs should have."""

    x: Tensor  # latents (B, latent_dim), or domain-A images in the model's range
    given: Tensor | None  # the labels G takes (None: unconditional, or a translator)
    expected: Tensor | None  # the labels the outputs should carry (class metrics), if known


class InputSource(Protocol):
    """Where a family draws its generator's inputs from; the caller provides it, seeded, so
    grids, evaluations, `sample` and `eval` draw the same inputs for the same seed."""

    def latent(self, n: int) -> Tensor:
        """n latent vectors of the configured distribution, from the source's own stream."""

    def labels(self, start: int, n: int) -> Tensor | None:
        """Class labels for outputs start..start+n (None if unconditional)."""

    def domain_a(self, start: int, n: int) -> tuple[Tensor, Tensor | None]:
        """Domain A's examples start..start+n in the model's range, and their labels."""


def latent_inputs(source: InputSource, start: int, n: int) -> GeneratorInputs:
    """A generator of latents: z, and classes 0, 1, ..., K-1 in turn when conditional."""
    z = source.latent(n)
    labels = source.labels(start, n)
    return GeneratorInputs(z, labels, labels)


def image_inputs(source: InputSource, start: int, n: int) -> GeneratorInputs:
    """A translator: domain A's images in order, whose labels its translations should keep."""
    images, labels = source.domain_a(start, n)
    return GeneratorInputs(images, None, labels)


class DomainClassifiers(Protocol):
    """ganforge's cached classifier of a labelled dataset (the metrics provide it); a family
    whose networks use one (DTN's fixed encoder f) asks for it through this."""

    def path(self, data: DataConfig) -> str:
        """Where the classifier of dataset `data` is cached; may not exist yet."""

    def ensure(self, data: DataConfig) -> None:
        """Train and cache that classifier if it is missing."""


@dataclass(frozen=True)
class Family:
    """A registered model family: its options, networks, phases, what it can do, and its hooks.

    Generic code (the loop, the metrics, the commands) asks the family instead of testing its
    name, so a new family brings its own behaviour and nothing outside its files changes.
    """

    generator_options: type  # frozen dataclass of `model.g.*`
    discriminator_options: type  # frozen dataclass of `model.d.*`
    build: Callable[[NetworkSpec, Any, Any], dict[str, nn.Module]]  # spec, g opts, d opts
    task: Callable[[dict[str, nn.Module], Config, Any, Any], Task]  # nets, config, g/d opts
    conditionings: tuple[str, ...] = ("none",)
    check: Callable[[Config], None] | None = None  # rules between the family and other options
    description: str = ""
    # what the family is
    domains: int = 1  # 2: it learns between data (domain A) and data_b (domain B)
    same_channels: bool = False  # both domains must have the same number of channels
    paired: bool = False  # G draws, and D scores, an A | B pair side by side (CoGAN)
    style_mixing: bool = False  # G has per-layer styles: `ganforge mix` draws mixing grids
    # direction -> network: a family that maps domain A images to domain B (`translate`);
    # its `generator` is then sampled and evaluated on domain A's images, scored in domain B
    translations: dict[str, str] = field(default_factory=dict)
    # hooks
    inputs: Callable[[InputSource, int, int], GeneratorInputs] = latent_inputs
    resolve: Callable[[Config, DomainClassifiers], Config] | None = None  # fill defaults
    prepare: Callable[[Config, DomainClassifiers], None] | None = None  # once, before training

    @property
    def latent_space(self) -> bool:
        """Whether G maps latents (truncation, walks), rather than translating images."""
        return not self.translations

    @property
    def latent_spaces(self) -> tuple[str, ...]:
        """The latent spaces path metrics can walk: z for every family with a latent, and W
        (the mapping network's output) for a style-based G; none for a translator."""
        if not self.latent_space:
            return ()
        return ("z", "w") if self.style_mixing else ("z",)

    def output_shape(
        self, shape: tuple[int, ...], shape_b: tuple[int, ...] | None
    ) -> tuple[int, ...]:
        """The shape of one of G's outputs: a translator's is domain B's, a pair is twice as
        wide as one image."""
        if self.paired:
            return (*shape[:-1], 2 * shape[-1])
        return shape_b if self.translations and shape_b else shape

    def output_data(self, config: Config) -> DataConfig:
        """The DataConfig that G's outputs are compared with: domain B for a translator."""
        return config.data_b if self.translations else config.data

    def labelled_outputs(self, config: Config) -> bool:
        """Whether each output comes with the class it should show: the class a conditional
        generator was asked for, or the source label a translator must keep."""
        return config.model.conditional != "none" or bool(self.translations)

    def commands(self) -> list[str]:
        """What a user can do with a trained run of this family, for `ganforge families`."""
        out = ["train", "sample", "eval", "export"]
        out += ["interpolate"] if self.latent_space else []
        out += [f"translate ({', '.join(self.translations)})"] if self.translations else []
        out += ["mix"] if self.style_mixing else []
        return out

    def require_latent_space(self, name: str, command: str) -> None:
        """Refuse, in one sentence, a latent-space command on a translating family."""
        if not self.latent_space:
            raise ConfigError(
                f"the {name} family translates images and has no latent space for {command}; "
                "use 'ganforge translate RUN INPUT -o OUT' (or 'ganforge sample', which "
                "translates domain A's first images)"
            )


FAMILIES: Registry[Family] = Registry("model family")


def family_options(config: Config) -> tuple[Any, Any]:
    """The family's typed generator and discriminator options, checked key by key."""
    family = FAMILIES.get(config.model.name)
    out = []
    for net, cls in (("g", family.generator_options), ("d", family.discriminator_options)):
        given = dict(getattr(config.model, net))
        known = {f.name for f in dataclasses.fields(cls)}
        for key in given:
            if key not in known:
                elsewhere = [
                    name
                    for name in FAMILIES.names()
                    if key in _option_names(FAMILIES.get(name), net)
                ]
                hint = f" (it is an option of {', '.join(elsewhere)})" if elsewhere else ""
                other = "d" if net == "g" else "g"
                if not hint and key in _option_names(family, other):
                    hint = f" (it is a model.{other} option)"
                hint = hint or suggest(key, sorted(known))
                listed = f"its options are {', '.join(sorted(known))}" if known else "it has none"
                raise ConfigError(
                    f"the {config.model.name} family has no option 'model.{net}.{key}'{hint}; "
                    + listed
                )
        options = from_dict(cls, given, f"model.{net}")
        if hasattr(options, "check"):
            options.check(f"model.{net}")
        out.append(options)
    if config.model.conditional not in family.conditionings:
        raise ConfigError(
            f"the {config.model.name} family supports model.conditional = "
            f"{' | '.join(family.conditionings)}, not '{config.model.conditional}'"
        )
    if family.check is not None:
        family.check(config)
    return out[0], out[1]


def _option_names(family: Family, net: str) -> set[str]:
    cls = family.generator_options if net == "g" else family.discriminator_options
    return {f.name for f in dataclasses.fields(cls)}

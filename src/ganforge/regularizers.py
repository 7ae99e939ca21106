"""Regularisers as registry entries: each is one function and the config option that weighs it.

A discriminator penalty is `(D, real, fake, y, noise, weight) -> scalar`, added to D's loss
(every step, or every `loss.reg_every` steps scaled by the interval); a weight rule such as
clipping runs after each D update. Families look the active ones up with `active(config)`,
so adding a regulariser (R2, say) is one function, one `REGULARIZERS.add` and its option in
the config schema. StyleGAN's path length, a generator regulariser, registers itself beside
its generator (`models/stylegan/task.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.registry import Registry


@dataclass(frozen=True)
class Regularizer:
    """What a regulariser does and which config option turns it on (unset or 0: off)."""

    option: str  # dotted config key of its weight, e.g. "loss.r1_gamma"
    apply: Callable[..., Any]  # a penalty term, or a rule applied to the weights
    network: str = "discriminator"  # the network it regularises
    after_step: bool = False  # a weight rule run after each update, not a loss term
    reads_fake: bool = True  # a D penalty that reads generated images (R1 reads only real ones)

    def weight(self, config: Config) -> float | None:
        """Its weight in `config`: `loss.*` fields, or a family option (`model.g.*`)."""
        *path, key = self.option.split(".")
        section: Any = config
        for part in path:
            section = getattr(section, part)
        return section.get(key) if isinstance(section, Mapping) else getattr(section, key)


REGULARIZERS: Registry[Regularizer] = Registry("regulariser")


def active(
    config: Config, network: str = "discriminator", after_step: bool = False
) -> list[tuple[str, Regularizer, float]]:
    """(name, entry, weight) of every regulariser `config` turns on for `network`, by name."""
    out = []
    for name in REGULARIZERS.names():
        entry = REGULARIZERS.get(name)
        if entry.network == network and entry.after_step == after_step:
            weight = entry.weight(config)
            if weight:
                out.append((name, entry, float(weight)))
    return out


def refuse_all(config: Config, family: str) -> None:
    """For a family whose phases take no regulariser: refuse one that is set, rather than
    train without it and let the user believe it was applied."""
    on = [e.option for _, e, _ in active(config) + active(config, after_step=True)]
    if on:
        raise ConfigError(
            f"the {family} family takes no discriminator regulariser; drop {', '.join(on)}"
        )


def _input_gradients(discriminator: nn.Module, x: Tensor, y: Tensor | None) -> Tensor:
    x = x.detach().requires_grad_(True)
    scores = discriminator(x, y)
    (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    # one row per score: (B, C*H*W), or per pack of samples when D packs them (PacGAN)
    return grad.reshape(scores.shape[0], -1)


def gradient_penalty(
    discriminator: nn.Module,
    real: Tensor,
    fake: Tensor,
    weight: float,
    y: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017): weight * E[(||grad D(x_hat)||_2 - 1)^2] on interpolates."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)
    mixed = eps * real.detach() + (1.0 - eps) * fake.detach()
    grad = _input_gradients(discriminator, mixed, y)
    return weight * ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


def r1_penalty(
    discriminator: nn.Module, real: Tensor, gamma: float, y: Tensor | None = None
) -> Tensor:
    """R1 (Mescheder et al. 2018): gamma / 2 * E[||grad D(x)||^2] on real data."""
    grad = _input_gradients(discriminator, real, y)
    return 0.5 * gamma * grad.pow(2).sum(dim=1).mean()


@torch.no_grad()
def clip_weights(discriminator: nn.Module, value: float) -> None:
    """WGAN weight clipping to [-value, value] (Arjovsky et al. 2017), after each critic update."""
    for param in discriminator.parameters():
        param.clamp_(-value, value)


def _gp(D: nn.Module, real: Tensor, fake: Tensor, y: Tensor | None, noise, weight: float):  # noqa: ANN001, ANN202
    return gradient_penalty(D, real, fake, weight, y, noise)


def _r1(D: nn.Module, real: Tensor, fake: Tensor, y: Tensor | None, noise, weight: float):  # noqa: ANN001, ANN202
    return r1_penalty(D, real, weight, y)


def _r2(D: nn.Module, real: Tensor, fake: Tensor, y: Tensor | None, noise, weight: float):  # noqa: ANN001, ANN202
    """R2 (Mescheder et al. 2018): the R1 penalty taken on generated samples."""
    return r1_penalty(D, fake, weight, y)


REGULARIZERS.add("gp", Regularizer("loss.gp_weight", _gp), "WGAN-GP gradient penalty")
REGULARIZERS.add(
    "r1",
    Regularizer("loss.r1_gamma", _r1, reads_fake=False),
    "R1: gradient penalty on real data",
)
REGULARIZERS.add("r2", Regularizer("loss.r2_gamma", _r2), "R2: gradient penalty on fake data")
REGULARIZERS.add(
    "clip",
    Regularizer("loss.clip_value", clip_weights, after_step=True),
    "WGAN weight clipping after each critic update",
)

"""GAN objectives as pure functions of discriminator outputs.

Every discriminator loss has the signature `(real, fake, real_target, fake_target) -> scalar`
and every generator loss `(fake) -> scalar`, where `real` and `fake` are the raw (B,) outputs of
D. Binary cross-entropy losses take logits and fuse the sigmoid into the log for stability, so a
"sigmoid last activation" in Keras terms is the same network here. The discriminator loss is the
sum of the real and fake terms, as in the papers (Keras scripts print half of it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.registry import Registry

Target = Tensor | float


def _target(scores: Tensor, target: Target) -> Tensor:
    if isinstance(target, Tensor):
        return target.to(scores.dtype).expand_as(scores)
    return torch.full_like(scores, float(target))


def bce_discriminator(
    real: Tensor, fake: Tensor, real_target: Target = 1.0, fake_target: Target = 0.0
) -> Tensor:
    """-log D(x) - log(1 - D(G(z))) on logits (Ngô 2023, eq. 3.4)."""
    return F.binary_cross_entropy_with_logits(
        real, _target(real, real_target)
    ) + F.binary_cross_entropy_with_logits(fake, _target(fake, fake_target))


def minimax_generator(fake: Tensor) -> Tensor:
    """Minimise log(1 - D(G(z))), the saturating loss of the original minimax game."""
    return -F.softplus(fake).mean()  # log(1 - sigmoid(x)) = -softplus(x)


def nonsaturating_generator(fake: Tensor) -> Tensor:
    """Minimise -log D(G(z)): same fixed point, strong gradients early in training."""
    return F.softplus(-fake).mean()  # -log(sigmoid(x)) = softplus(-x)


def lsgan_discriminator(
    real: Tensor, fake: Tensor, real_target: Target = 1.0, fake_target: Target = 0.0
) -> Tensor:
    """Least squares (Mao et al. 2017, a=0, b=c=1): 1/2 E(D(x)-b)^2 + 1/2 E(D(G(z))-a)^2."""
    return (
        0.5 * ((real - _target(real, real_target)) ** 2).mean()
        + 0.5 * ((fake - _target(fake, fake_target)) ** 2).mean()
    )


def lsgan_generator(fake: Tensor) -> Tensor:
    return 0.5 * ((fake - 1.0) ** 2).mean()


def wasserstein_discriminator(
    real: Tensor, fake: Tensor, real_target: Target = 1.0, fake_target: Target = 0.0
) -> Tensor:
    """Critic loss E[D(G(z))] - E[D(x)]; targets do not exist for this loss."""
    return fake.mean() - real.mean()


def critic_generator(fake: Tensor) -> Tensor:
    """-E[D(G(z))], shared by the Wasserstein and hinge generators."""
    return -fake.mean()


def hinge_discriminator(
    real: Tensor, fake: Tensor, real_target: Target = 1.0, fake_target: Target = 0.0
) -> Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))] (Lim & Ye 2017; SNGAN, BigGAN)."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


@dataclass(frozen=True)
class LossSpec:
    """A discriminator/generator loss pair and what it needs from the discriminator's output."""

    discriminator: Callable[..., Tensor]
    generator: Callable[[Tensor], Tensor]
    needs_probability: bool  # a cross-entropy: D's output is a logit of a probability
    allows_sigmoid: bool  # may D's output be squashed by a sigmoid before the loss?
    uses_targets: bool  # real/fake targets exist, so label smoothing and noise apply
    default_last_activation: str  # what model.d.last_activation=None resolves to
    decision_threshold: float | None  # D says "real" above this; None: no accuracy for critics


LOSSES: Registry[LossSpec] = Registry("loss")
_BCE = dict(
    needs_probability=True,
    allows_sigmoid=True,
    uses_targets=True,
    default_last_activation="sigmoid",
    decision_threshold=0.0,
)  # on logits
_CRITIC = dict(
    needs_probability=False,
    allows_sigmoid=False,
    uses_targets=False,
    default_last_activation="none",
)
LOSSES.add(
    "minimax",
    LossSpec(bce_discriminator, minimax_generator, **_BCE),
    "original minimax game, saturating generator loss log(1 - D(G(z)))",
)
LOSSES.add(
    "nonsaturating",
    LossSpec(bce_discriminator, nonsaturating_generator, **_BCE),
    "binary cross-entropy, generator maximises log D(G(z)) (Keras 'binary_crossentropy')",
)
LOSSES.add(
    "lsgan",
    LossSpec(
        lsgan_discriminator,
        lsgan_generator,
        needs_probability=False,
        allows_sigmoid=True,
        uses_targets=True,
        default_last_activation="none",
        decision_threshold=0.5,
    ),
    "least squares GAN (Keras 'mse')",
)
LOSSES.add(
    "wasserstein",
    LossSpec(wasserstein_discriminator, critic_generator, decision_threshold=None, **_CRITIC),
    "WGAN critic loss; pair with loss.clip_value or loss.gp_weight",
)
LOSSES.add(
    "hinge",
    LossSpec(hinge_discriminator, critic_generator, decision_threshold=0.0, **_CRITIC),
    "hinge loss (SNGAN, BigGAN)",
)

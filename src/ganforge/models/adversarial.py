"""The standard adversarial task: one generator, one discriminator, a loss pair from LOSSES.

The `mlp`, `dcgan` and `resnet` families train with it (ACGAN: `conditional.acgan_task`); a
family with other needs writes its own task.
Phases: `D` (train.n_critic times per step), `D_reg` (only with loss.reg_every > 1: the
gradient penalties every k steps, scaled by k, as StyleGAN2's lazy regularisation) and `G`.
With loss.reg_every=1 the penalties are part of `D`, as the WGAN-GP and R1 papers do it.
With train.augment, D sees DiffAugment's T(x) of real and fake images in all three phases, and
the penalties are taken on the images D saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.losses import LOSSES, LossSpec
from ganforge.models.augment import diff_augment, parse_policy
from ganforge.models.family import Phase, PhaseLoss, Sources, Task
from ganforge.regularizers import clip_weights, gradient_penalty, r1_penalty


@dataclass(frozen=True)
class Objective:
    """The loss pair, targets, penalties and clipping a config describes."""

    spec: LossSpec
    squash: bool  # apply a sigmoid to D's output before a loss that does not fuse it (LSGAN)
    label_smoothing: float = 0.0
    label_noise: float = 0.0
    gp_weight: float | None = None
    r1_gamma: float | None = None
    clip_value: float | None = None

    @classmethod
    def from_config(cls, config: Config) -> Objective:
        loss = config.loss
        spec = LOSSES.get(loss.name)
        last = config.model.d.get("last_activation") or spec.default_last_activation
        return cls(
            spec,
            squash=last == "sigmoid" and not spec.needs_probability,
            label_smoothing=loss.label_smoothing,
            label_noise=loss.label_noise,
            gp_weight=loss.gp_weight,
            r1_gamma=loss.r1_gamma,
            clip_value=loss.clip_value,
        )

    def scores(self, raw: Tensor) -> Tensor:
        return torch.sigmoid(raw) if self.squash else raw

    def shown(self, raw: Tensor) -> Tensor:
        """What users call D(x): a probability for cross-entropy losses, else the score."""
        return torch.sigmoid(raw) if (self.squash or self.spec.needs_probability) else raw

    def targets(
        self, n: int, device: torch.device, generator: torch.Generator
    ) -> tuple[Tensor | float, Tensor | float]:
        """Real and fake targets with one-sided smoothing and random flips (seed 003 sec. 6.2)."""
        real: Tensor | float = 1.0 - self.label_smoothing
        fake: Tensor | float = 0.0
        if self.label_noise:
            flip_real = torch.rand(n, generator=generator, device=device) < self.label_noise
            flip_fake = torch.rand(n, generator=generator, device=device) < self.label_noise
            real = torch.where(flip_real, 0.0, real)
            fake = torch.where(flip_fake, 1.0 - self.label_smoothing, 0.0)
        return real, fake

    def penalty(
        self,
        D: nn.Module,
        real: Tensor,
        fake: Tensor,
        y: Tensor | None,
        generator: torch.Generator,
        scale: float = 1.0,
    ) -> Tensor | None:
        total = None
        if self.gp_weight:
            total = gradient_penalty(D, real, fake, self.gp_weight * scale, y, generator)
        if self.r1_gamma:
            r1 = r1_penalty(D, real, self.r1_gamma * scale, y)
            total = r1 if total is None else total + r1
        return total


def check(config: Config) -> None:
    """The discriminator's last activation and the targets must make sense for the loss."""
    loss, last = config.loss, config.model.d.get("last_activation")
    spec = LOSSES.get(loss.name)
    if last not in (None, "none", "sigmoid"):
        raise ConfigError(f"'model.d.last_activation' must be none or sigmoid, got '{last}'")
    if last == "sigmoid" and not spec.allows_sigmoid:
        raise ConfigError(
            f"the {loss.name} loss needs an unbounded critic score, but model.d.last_activation "
            "is sigmoid; set model.d.last_activation=none"
        )
    if last == "none" and spec.needs_probability:
        raise ConfigError(
            f"the {loss.name} loss is a binary cross-entropy and needs D to output a "
            "probability; set model.d.last_activation=sigmoid (ganforge fuses it into the loss)"
        )
    if not spec.uses_targets and (loss.label_smoothing or loss.label_noise):
        raise ConfigError(
            f"label smoothing and label noise change real/fake targets, which the {loss.name} "
            "loss does not have; set them to 0"
        )
    parse_policy(config.train.augment)


def discriminate(
    D: nn.Module, real: Tensor, fake: Tensor, y: Tensor | None, mixed: bool
) -> tuple[Tensor, Tensor]:
    """D's raw scores of a real and a fake batch that share the labels y."""
    if mixed:  # one pass: batch norm sees real and fake together (the original GAN code)
        both_y = None if y is None else torch.cat([y, y])
        raw_real, raw_fake = D(torch.cat([real, fake]), both_y).chunk(2)
        return raw_real, raw_fake
    return D(real, y), D(fake, y)  # separate passes per batch (seed 001 sec. 3.2.7)


def d_logs(
    objective: Objective, loss: Tensor, raw_real: Tensor, raw_fake: Tensor, penalty: Tensor | None
) -> dict[str, Tensor]:
    """What the D phase logs: its loss, D(x), D(G(z)), the penalty and, where defined, accuracy."""
    logs = {
        "d_loss": loss.detach(),
        "d_real": objective.shown(raw_real).mean().detach(),
        "d_fake": objective.shown(raw_fake).mean().detach(),
    }
    if penalty is not None:
        logs["d_penalty"] = penalty.detach()
    threshold = objective.spec.decision_threshold
    if threshold is not None:
        logs["d_acc_real"] = (objective.scores(raw_real) > threshold).float().mean().detach()
        logs["d_acc_fake"] = (objective.scores(raw_fake) <= threshold).float().mean().detach()
    return logs


def augmenter(config: Config) -> Callable[[Tensor, Sources], Tensor]:
    """What D sees of an image batch: the batch itself, or its DiffAugment (train.augment)."""
    augment = diff_augment(config.train.augment)
    if augment is None:
        return lambda x, src: x
    return lambda x, src: augment(x, src.noise)


def adversarial_task(networks: dict[str, nn.Module], config: Config) -> Task:
    """Phases D (n_critic times), optional lazy D_reg, then G."""
    G, D = networks["generator"], networks["discriminator"]
    objective = Objective.from_config(config)
    mixed, every = config.train.mixed_batches, config.loss.reg_every
    lazy = every > 1
    seen = augmenter(config)  # DiffAugment: D sees augmented real and fake in every phase

    def d_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        real, y = src.real()
        z = src.latent(real.shape[0])
        with torch.no_grad():
            fake = G(z, y)
        real, fake = seen(real, src), seen(fake, src)
        raw_real, raw_fake = discriminate(D, real, fake, y, mixed)
        # one target per score: B/pack of them with PacGAN packing
        real_target, fake_target = objective.targets(raw_real.shape[0], real.device, src.noise)
        loss = objective.spec.discriminator(
            objective.scores(raw_real), objective.scores(raw_fake), real_target, fake_target
        )
        penalty = None if lazy else objective.penalty(D, real, fake, y, src.noise)
        logs = d_logs(objective, loss, raw_real, raw_fake, penalty)
        return (loss if penalty is None else loss + penalty), logs

    d_reg_loss = lazy_penalty(G, D, objective, seen, every)

    def g_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        z = src.latent(src.batch_size)
        y = src.fake_labels(z.shape[0])
        loss = objective.spec.generator(objective.scores(D(seen(G(z, y), src), y)))
        return loss, {"g_loss": loss.detach()}

    return Task(
        networks=networks,
        modules={"g": [G], "d": [D]},
        phases=phases(config, objective, D, d_loss, d_reg_loss, g_loss),
        twice_differentiated=penalised(config),
    )


def penalised(config: Config) -> tuple[str, ...]:
    """("discriminator",) when R1 or a gradient penalty differentiates D twice."""
    return ("discriminator",) if config.loss.gp_weight or config.loss.r1_gamma else ()


def lazy_penalty(
    generate: Callable[..., Tensor],
    D: nn.Module,
    objective: Objective,
    seen: Callable[[Tensor, Sources], Tensor],
    every: int,
) -> PhaseLoss:
    """The D_reg phase's loss: R1/GP on a fresh batch, scaled by the interval (StyleGAN2).

    `generate(z, y)` makes the fakes the gradient penalty interpolates with.
    """

    def d_reg_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        real, y = src.real()
        with torch.no_grad():
            fake = generate(src.latent(real.shape[0]), y)
        real, fake = seen(real, src), seen(fake, src)
        penalty = objective.penalty(D, real, fake, y, src.noise, scale=float(every))
        return penalty, {"d_penalty": penalty.detach() / every}

    return d_reg_loss


def phases(
    config: Config,
    objective: Objective,
    D: nn.Module,
    d_loss: PhaseLoss,
    d_reg_loss: PhaseLoss,
    g_loss: PhaseLoss,
) -> list[Phase]:
    """D (n_critic times, then weight clipping if asked), lazy D_reg every k steps, then G."""
    clip = (lambda: clip_weights(D, objective.clip_value)) if objective.clip_value else None
    out = [Phase("D", "d", d_loss, repeats=config.train.n_critic, after_step=clip)]
    if config.loss.reg_every > 1:
        out.append(Phase("D_reg", "d", d_reg_loss, interval=config.loss.reg_every))
    out.append(Phase("G", "g", g_loss))
    return out

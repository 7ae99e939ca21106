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
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.losses import LOSSES, LossSpec
from ganforge.models.augment import diff_augment, parse_policy
from ganforge.models.family import Phase, PhaseLoss, Sources, Task
from ganforge.regularizers import REGULARIZERS, active


@dataclass(frozen=True)
class Objective:
    """The loss pair, targets, penalties and weight rule a config describes."""

    spec: LossSpec
    squash: bool  # apply a sigmoid to D's output before a loss that does not fuse it (LSGAN)
    label_smoothing: float = 0.0
    label_noise: float = 0.0
    # (name, penalty function, weight) of the active D penalties (ganforge.regularizers)
    penalties: tuple[tuple[str, Callable[..., Tensor], float], ...] = ()
    # (weight rule, value) run on D after each update: WGAN clipping
    weight_rule: tuple[Callable[[nn.Module, float], None], float] | None = None

    @classmethod
    def from_config(cls, config: Config) -> Objective:
        loss = config.loss
        spec = LOSSES.get(loss.name)
        last = config.model.d.get("last_activation") or spec.default_last_activation
        rules = [(entry.apply, weight) for _, entry, weight in active(config, after_step=True)]
        return cls(
            spec,
            squash=last == "sigmoid" and not spec.needs_probability,
            label_smoothing=loss.label_smoothing,
            label_noise=loss.label_noise,
            penalties=tuple((name, entry.apply, w) for name, entry, w in active(config)),
            weight_rule=rules[0] if rules else None,
        )

    @property
    def penalties_read_fake(self) -> bool:
        """Whether a lazy penalty phase must generate a batch (R1 alone needs none)."""
        return any(REGULARIZERS.get(name).reads_fake for name, _, _ in self.penalties)

    @property
    def clip_value(self) -> float | None:
        return self.weight_rule[1] if self.weight_rule else None

    def scores(self, raw: Tensor) -> Tensor:
        return torch.sigmoid(raw) if self.squash else raw

    def shown(self, raw: Tensor) -> Tensor:
        """What users call D(x): a probability for cross-entropy losses, else the score."""
        return torch.sigmoid(raw) if (self.squash or self.spec.needs_probability) else raw

    def targets(
        self, n: int, device: torch.device, generator: torch.Generator
    ) -> tuple[Tensor | float, Tensor | float]:
        """Real and fake targets with one-sided smoothing and random flips (Ngô 2023 sec. 6.2)."""
        real: Tensor | float = 1.0 - self.label_smoothing
        fake: Tensor | float = 0.0
        if self.label_noise:
            flip_real = torch.rand(n, generator=generator, device=device) < self.label_noise
            flip_fake = torch.rand(n, generator=generator, device=device) < self.label_noise
            real = torch.where(flip_real, 0.0, real)
            fake = torch.where(flip_fake, 1.0 - self.label_smoothing, 0.0)
        return real, fake

    def discriminator_loss(
        self, raw_real: Tensor, raw_fake: Tensor, noise: torch.Generator
    ) -> Tensor:
        """D's loss on its raw scores of a real and a fake batch, with this step's targets."""
        real_target, fake_target = self.targets(raw_real.shape[0], raw_real.device, noise)
        return self.spec.discriminator(
            self.scores(raw_real), self.scores(raw_fake), real_target, fake_target
        )

    def penalty(
        self,
        D: nn.Module,
        real: Tensor,
        fake: Tensor,
        y: Tensor | None,
        generator: torch.Generator,
        scale: float = 1.0,
    ) -> Tensor | None:
        """The sum of the active penalties (None when there is none), each weight x scale."""
        total = None
        for _, term, weight in self.penalties:
            value = term(D, real, fake, y, generator, weight * scale)
            total = value if total is None else total + value
        return total

    def after_step(self, D: nn.Module) -> Callable[[], None] | None:
        """The weight rule as a phase's `after_step`, or None."""
        if self.weight_rule is None:
            return None
        rule, value = self.weight_rule
        return lambda: rule(D, value)


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
    return D(real, y), D(fake, y)  # separate passes per batch (Akel 2022 sec. 3.2.7)


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


Generate = Callable[[Sources, int, Tensor | None], Tensor]  # (src, n, labels) -> fakes
# D's view of a real and a fake batch that share labels y: (raw real scores, raw fake scores,
# an extra loss term or None, extra logs)
Score = Callable[[Tensor, Tensor, Tensor | None], tuple[Tensor, Tensor, Tensor | None, dict]]


def d_loss_builder(
    objective: Objective,
    D: nn.Module,
    generate: Generate,
    score: Score,
    seen: Callable[[Tensor, Sources], Tensor],
    lazy: bool,
) -> PhaseLoss:
    """The D phase every single-D family shares: a real batch, as many fakes made without
    gradients, what D sees of both, the loss with this step's targets, the penalties unless
    they are lazy, and the standard logs. `score` is where families differ (ACGAN's class
    head adds a term and logs of its own)."""

    def d_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        real, y = src.real()
        with torch.no_grad():
            fake = generate(src, real.shape[0], y)
        real, fake = seen(real, src), seen(fake, src)
        raw_real, raw_fake, extra, extra_logs = score(real, fake, y)
        # one target per score: B/pack of them with PacGAN packing
        loss = objective.discriminator_loss(raw_real, raw_fake, src.noise)
        penalty = None if lazy else objective.penalty(D, real, fake, y, src.noise)
        logs = {**d_logs(objective, loss, raw_real, raw_fake, penalty), **extra_logs}
        total = loss if extra is None else loss + extra
        return (total if penalty is None else total + penalty), logs

    return d_loss


def plain_score(D: nn.Module, mixed: bool) -> Score:
    """D's raw scores, in one pass over real+fake when `mixed`, with nothing added."""
    return lambda real, fake, y: (*discriminate(D, real, fake, y, mixed), None, {})


def adversarial_task(
    networks: dict[str, nn.Module], config: Config, g_options: Any, d_options: Any
) -> Task:
    """Phases D (n_critic times), optional lazy D_reg, then G."""
    G, D = networks["generator"], networks["discriminator"]
    objective = Objective.from_config(config)
    every = config.loss.reg_every
    seen = augmenter(config)  # DiffAugment: D sees augmented real and fake in every phase

    def generate(src: Sources, n: int, y: Tensor | None) -> Tensor:
        return G(src.latent(n), y)

    d_loss = d_loss_builder(
        objective, D, generate, plain_score(D, config.train.mixed_batches), seen, every > 1
    )
    d_reg_loss = lazy_penalty(generate, D, objective, seen, every)

    def g_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        z = src.latent(src.batch_size)
        y = src.fake_labels(z.shape[0])
        loss = objective.spec.generator(objective.scores(D(seen(G(z, y), src), y)))
        return loss, {"g_loss": loss.detach()}

    return Task(
        networks=networks,
        modules={"g": [G], "d": [D]},
        phases=phases(config, objective, D, d_loss, d_reg_loss, g_loss),
        twice_differentiated=penalised(objective),
    )


def penalised(objective: Objective) -> tuple[str, ...]:
    """("discriminator",) when a gradient penalty differentiates D twice."""
    return ("discriminator",) if objective.penalties else ()


def lazy_penalty(
    generate: Generate,
    D: nn.Module,
    objective: Objective,
    seen: Callable[[Tensor, Sources], Tensor],
    every: int,
) -> PhaseLoss:
    """The D_reg phase's loss: R1/GP on a fresh batch, scaled by the interval (StyleGAN2).

    `generate(src, n, y)` makes the fakes the gradient penalty interpolates with; R1 alone
    reads real images only, so then no fake batch is generated (a G forward saved per phase).
    """

    reads_fake = objective.penalties_read_fake

    def d_reg_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        real, y = src.real()
        if reads_fake:
            with torch.no_grad():
                fake = generate(src, real.shape[0], y)
            real, fake = seen(real, src), seen(fake, src)
        else:
            real = fake = seen(real, src)  # no penalty reads `fake`
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
    clip = objective.after_step(D)
    out = [Phase("D", "d", d_loss, repeats=config.train.n_critic, after_step=clip)]
    if config.loss.reg_every > 1:
        out.append(Phase("D_reg", "d", d_reg_loss, interval=config.loss.reg_every))
    out.append(Phase("G", "g", g_loss))
    return out

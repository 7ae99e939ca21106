"""The adversarial objective a config describes: loss pair, targets, penalties and clipping.

It turns config values into one object the steps can call, so the steps never read the config
and the losses stay pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.losses import LOSSES, LossSpec
from ganforge.regularizers import clip_weights, gradient_penalty, r1_penalty


@dataclass(frozen=True)
class Objective:
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
        last = config.model.d.last_activation or spec.default_last_activation
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
        discriminator: nn.Module,
        real: Tensor,
        fake: Tensor,
        y: Tensor | None,
        generator: torch.Generator,
    ) -> Tensor | None:
        total = None
        if self.gp_weight:
            total = gradient_penalty(discriminator, real, fake, self.gp_weight, y, generator)
        if self.r1_gamma:
            r1 = r1_penalty(discriminator, real, self.r1_gamma, y)
            total = r1 if total is None else total + r1
        return total

    def after_discriminator_update(self, discriminator: nn.Module) -> None:
        if self.clip_value:
            clip_weights(discriminator, self.clip_value)

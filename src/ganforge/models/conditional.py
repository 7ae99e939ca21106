"""Class conditioning beyond cGAN concatenation: projection, conditional batch norm and ACGAN.

`model.conditional` names a scheme for both networks:

* `concat` (Mirza & Osindero 2014): one-hot labels join z and D's input (`layers.with_label`).
* `projection` (Miyato & Koyama 2018): D(x, y) = w . phi(x) + <embed(y), phi(x)>; the
  convolutional generators use conditional batch norm (de Vries et al. 2017), as cGAN-PD does.
* `acgan` (Odena et al. 2017): D sees x alone and has a second head that classifies it; both
  networks add `loss.aux_weight` times its cross-entropy (D on real and fake, G on fake). Its
  phases are `acgan_task`; the loop is unchanged.

A generator's `model.g.label_input` (concat | batch_norm) overrides the scheme's choice.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import ganforge.models.adversarial as adversarial
import ganforge.models.packing as packing
from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.models.family import Sources, Task

SCHEMES = ("none", "concat", "projection", "acgan")
LabelInput = Literal["none", "concat", "batch_norm"]


def generator_label_input(
    num_classes: int, conditioning: str, requested: str | None = None
) -> LabelInput:
    """How labels enter a generator: concatenated to z, or as conditional batch norm."""
    if not num_classes:
        return "none"
    if requested is not None:
        return requested  # type: ignore[return-value]
    return "batch_norm" if conditioning == "projection" else "concat"


def input_label_features(num_classes: int, conditioning: str) -> int:
    """How many one-hot label features join D's input: all of them for cGAN concatenation."""
    return num_classes if conditioning == "concat" else 0


def _labels(y: Tensor | None) -> Tensor:
    if y is None:
        raise ValueError("a conditional network needs class labels y")
    return y.long()


class ConditionalBatchNorm(nn.Module):
    """Batch norm whose scale and shift are looked up per class (Mimicry's
    `ConditionalBatchNorm2d`: one embedding of 2C, scale initialised N(1, 0.02), shift 0)."""

    def __init__(self, features: int, num_classes: int, momentum: float = 0.1, dims: int = 2):
        super().__init__()
        cls = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
        self.features = features
        self.bn = cls(features, affine=False, momentum=momentum)
        self.embed = nn.Embedding(num_classes, 2 * features)
        with torch.no_grad():
            self.embed.weight[:, :features].normal_(1.0, 0.02)
            self.embed.weight[:, features:].zero_()

    def forward(self, x: Tensor, y: Tensor | None) -> Tensor:
        gamma, beta = self.embed(_labels(y)).chunk(2, dim=1)  # (B, C) each
        shape = (-1, self.features) + (1,) * (x.dim() - 2)
        return self.bn(x) * gamma.view(shape) + beta.view(shape)


def with_conditional_norms(layers: list[nn.Module], num_classes: int) -> list[nn.Module]:
    """`layers` with every batch norm replaced by a conditional one of the same momentum."""
    out: list[nn.Module] = []
    for m in layers:
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            dims = 1 if isinstance(m, nn.BatchNorm1d) else 2
            m = ConditionalBatchNorm(m.num_features, num_classes, m.momentum or 0.1, dims)
        out.append(m)
    if not any(isinstance(m, ConditionalBatchNorm) for m in out):
        raise ConfigError(
            "conditional batch norm needs batch norm in the generator; set model.g.batch_norm="
            "true or model.g.label_input=concat"
        )
    return out


class LabelledSequential(nn.Sequential):
    """A Sequential that hands the labels to its conditional batch norms."""

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:  # type: ignore[override]
        for m in self:
            x = m(x, y) if isinstance(m, ConditionalBatchNorm) else m(x)
        return x


class Projection(nn.Module):
    """The projection term <embed(y), phi(x)> of Miyato & Koyama (2018)."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, features)
        nn.init.xavier_uniform_(self.embed.weight)  # as Mimicry's cGAN-PD

    def forward(self, h: Tensor, y: Tensor | None) -> Tensor:
        return (self.embed(_labels(y)) * h).sum(dim=1)  # (B,)


def label_head(features: int, num_classes: int, conditioning: str) -> nn.Module | None:
    """What D adds on its features phi(x): a projection, an auxiliary classifier, or nothing."""
    if num_classes and conditioning == "projection":
        return Projection(features, num_classes)
    if num_classes and conditioning == "acgan":
        return nn.Linear(features, num_classes)  # class logits
    return None


def head_score(last: nn.Module, head: nn.Module | None, h: Tensor, y: Tensor | None) -> Tensor:
    """D's (B,) score from its features h (B, F): last(h), plus the projection term if any."""
    score = last(h).view(-1)
    return score + head(h, y) if isinstance(head, Projection) else score


def check(config: Config) -> None:
    """The adversarial rules, PacGAN packing, and the ACGAN weight."""
    adversarial.check(config)
    packing.check(config)
    if config.loss.aux_weight < 0:
        raise ConfigError("'loss.aux_weight' must be at least 0")


def task(networks: dict[str, nn.Module], config: Config, g_options: Any, d_options: Any) -> Task:
    """ACGAN's phases for model.conditional=acgan, the standard adversarial ones otherwise."""
    if config.model.conditional == "acgan":
        return acgan_task(networks, config)
    return adversarial.adversarial_task(networks, config, g_options, d_options)


def acgan_task(networks: dict[str, nn.Module], config: Config) -> Task:
    """Phases of the auxiliary-classifier GAN (Odena et al. 2017): the adversarial loss of
    `loss.name` plus `loss.aux_weight` x cross-entropy of D's class head, on real and fake
    images for D and on fake images for G. D must have `classify(x) -> (scores, logits)`."""
    G, D = networks["generator"], networks["discriminator"]
    if not hasattr(D, "classify"):
        raise ConfigError(f"model.conditional=acgan needs a classifier head on {type(D).__name__}")
    objective = adversarial.Objective.from_config(config)
    weight, mixed, every = config.loss.aux_weight, config.train.mixed_batches, config.loss.reg_every
    seen = adversarial.augmenter(config)

    def generate(src: Sources, n: int, y: Tensor | None) -> Tensor:
        return G(src.latent(n), _labels(y))

    def score(real: Tensor, fake: Tensor, y: Tensor | None):  # noqa: ANN202
        y = _labels(y)
        if mixed:
            raw, logits = D.classify(torch.cat([real, fake]))
            (raw_real, raw_fake), (logits_real, logits_fake) = raw.chunk(2), logits.chunk(2)
        else:
            (raw_real, logits_real), (raw_fake, logits_fake) = D.classify(real), D.classify(fake)
        aux = F.cross_entropy(logits_real, y) + F.cross_entropy(logits_fake, y)
        logs = {
            "d_aux": aux.detach(),
            "d_class_acc_real": (logits_real.argmax(1) == y).float().mean().detach(),
        }
        return raw_real, raw_fake, weight * aux, logs

    d_loss = adversarial.d_loss_builder(objective, D, generate, score, seen, every > 1)
    d_reg_loss = adversarial.lazy_penalty(generate, D, objective, seen, every)

    def g_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        z = src.latent(src.batch_size)
        y = _labels(src.fake_labels(z.shape[0]))
        raw, logits = D.classify(seen(G(z, y), src))
        loss = objective.spec.generator(objective.scores(raw))
        aux = F.cross_entropy(logits, y)
        logs = {"g_loss": loss.detach(), "g_aux": aux.detach()}
        logs["g_class_acc"] = (logits.argmax(1) == y).float().mean().detach()
        return loss + weight * aux, logs

    phases = adversarial.phases(config, objective, D, d_loss, d_reg_loss, g_loss)
    twice = adversarial.penalised(objective)
    return Task(networks, {"g": [G], "d": [D]}, phases, twice_differentiated=twice)

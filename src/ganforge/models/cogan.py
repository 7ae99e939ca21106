"""Coupled GANs (Liu & Tuzel 2016): two GANs whose weight sharing learns a joint distribution
of two domains from unpaired images.

The generators share their first layers (the high-level concepts) and keep their own last ones
(the rendering in each domain); the discriminators keep their own first layers and share their
last ones. A shared layer is one module, so one parameter object, used by both branches. Sizes
follow the paper's MNIST networks, scaled by `model.width` and sized by the resolution (a
multiple of 4): G projects z to (4w, R/4, R/4) and upsamples twice; D downsamples twice.

The `generator` network maps one z to a pair side by side, (B, C, H, 2W), so sample grids and
`ganforge sample` show pairs; `pair(z)` returns the two images. The `discriminator` scores
such a pair (the mean of both domains' scores); the task uses `score(x, domain)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.models.adversarial import Objective, augmenter
from ganforge.models.adversarial import check as adversarial_check
from ganforge.models.family import NetworkSpec, Phase, Sources, Task
from ganforge.models.layers import Dropout, initialize
from ganforge.regularizers import refuse_all


@dataclass(frozen=True)
class GeneratorOptions:
    batch_norm: bool = True  # after every hidden layer, as the paper's generators
    alpha: float = 0.0  # negative slope of the hidden activations (0: ReLU)


@dataclass(frozen=True)
class DiscriminatorOptions:
    alpha: float = 0.2  # LeakyReLU slope
    dropout: float = 0.0  # before the shared dense layers
    last_activation: str | None = None  # None: the loss's default (sigmoid for cross-entropy)


def _side(data_shape: tuple[int, ...]) -> int:
    if len(data_shape) != 3 or data_shape[-1] % 4:
        raise ConfigError(f"cogan needs images whose side is a multiple of 4, got {data_shape}")
    return data_shape[-1] // 4


class CoupledGenerator(nn.Module):
    """z -> (x_a, x_b): shared projection and first upsampling, then one head per domain."""

    def __init__(
        self,
        *,
        latent_dim: int,
        data_shape: tuple[int, ...],
        num_classes: int,
        width: int,
        options: GeneratorOptions,
    ) -> None:
        super().__init__()
        s, c, w = _side(data_shape), data_shape[0], width

        def norm(n: int, dims: int) -> list[nn.Module]:
            if not options.batch_norm:
                return []
            return [nn.BatchNorm1d(n) if dims == 1 else nn.BatchNorm2d(n)]

        def act() -> nn.Module:
            return nn.LeakyReLU(options.alpha) if options.alpha else nn.ReLU()

        self.shared = nn.Sequential(  # z -> (2w, 2s, 2s): both domains' high-level layers
            nn.Linear(latent_dim, 4 * w * s * s),
            *norm(4 * w * s * s, 1),
            act(),
            nn.Unflatten(1, (4 * w, s, s)),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1),
            *norm(2 * w, 2),
            act(),
        )
        self.heads = nn.ModuleDict(
            {
                d: nn.Sequential(  # (2w, 2s, 2s) -> (C, 4s, 4s) in this domain
                    nn.ConvTranspose2d(2 * w, w, 4, 2, 1),
                    *norm(w, 2),
                    act(),
                    nn.Conv2d(w, c, 3, 1, 1),
                    nn.Tanh(),
                )
                for d in ("a", "b")
            }
        )

    def branch(self, domain: str) -> nn.Sequential:
        """The whole generator of one domain; the shared layers are the same module in both."""
        return nn.Sequential(self.shared, self.heads[domain])

    def pair(self, z: Tensor) -> tuple[Tensor, Tensor]:
        h = self.shared(z)  # computed once for both domains
        return self.heads["a"](h), self.heads["b"](h)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return torch.cat(self.pair(z), dim=-1)  # (B, C, H, 2W): the pair side by side


class CoupledDiscriminator(nn.Module):
    """One first stage per domain, shared last layers: x -> (B,) raw score."""

    def __init__(
        self,
        *,
        data_shape: tuple[int, ...],
        num_classes: int,
        width: int,
        options: DiscriminatorOptions,
    ) -> None:
        super().__init__()
        s, c, w = _side(data_shape), data_shape[0], width
        self.stems = nn.ModuleDict(
            {
                d: nn.Sequential(
                    nn.Conv2d(c, w, 4, 2, 1),
                    nn.LeakyReLU(options.alpha),
                    nn.Conv2d(w, 2 * w, 4, 2, 1),
                    nn.LeakyReLU(options.alpha),
                )
                for d in ("a", "b")
            }
        )
        self.shared = nn.Sequential(
            nn.Flatten(),
            Dropout(options.dropout),
            nn.Linear(2 * w * s * s, 4 * w),
            nn.LeakyReLU(options.alpha),
            nn.Linear(4 * w, 1),
        )

    def branch(self, domain: str) -> nn.Sequential:
        return nn.Sequential(self.stems[domain], self.shared)

    def score(self, x: Tensor, domain: str) -> Tensor:
        return self.shared(self.stems[domain](x)).squeeze(1)  # (B,)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        a, b = x.chunk(2, dim=-1)  # a pair side by side, as the generator draws it
        return 0.5 * (self.score(a, "a") + self.score(b, "b"))


def build(
    spec: NetworkSpec, g_options: GeneratorOptions, d_options: DiscriminatorOptions
) -> dict[str, nn.Module]:
    common = dict(data_shape=spec.data_shape, num_classes=0, width=spec.width)
    G = CoupledGenerator(latent_dim=spec.latent_dim, options=g_options, **common)
    initialize(G, spec.init)
    D = CoupledDiscriminator(options=d_options, **common)
    initialize(D, spec.init)
    return {"generator": G, "discriminator": D}


def check(config: Config) -> None:
    adversarial_check(config)
    refuse_all(config, "cogan")


def task(
    networks: dict[str, nn.Module],
    config: Config,
    g_options: GeneratorOptions,
    d_options: DiscriminatorOptions,
) -> Task:
    """Phases D (both discriminators, n_critic times) and G (both generators, one z)."""
    G, D = networks["generator"], networks["discriminator"]
    objective = Objective.from_config(config)
    seen = augmenter(config)
    drawn = {"n": config.train.batch_size}  # G makes as many pairs as D last saw real images

    def d_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        total, logs = 0.0, {}
        z = None
        for domain in ("a", "b"):
            real, _ = src.real(domain)
            if z is None:
                drawn["n"] = real.shape[0]
                z = src.latent(real.shape[0])
                with torch.no_grad():
                    fakes = dict(zip("ab", G.pair(z), strict=True))
            raw_real = D.score(seen(real, src), domain)
            raw_fake = D.score(seen(fakes[domain], src), domain)
            total = total + objective.discriminator_loss(raw_real, raw_fake, src.noise)
            logs[f"d_real_{domain}"] = objective.shown(raw_real).mean().detach()
            logs[f"d_fake_{domain}"] = objective.shown(raw_fake).mean().detach()
        logs["d_loss"] = total.detach()
        logs["d_real"] = 0.5 * (logs["d_real_a"] + logs["d_real_b"])
        logs["d_fake"] = 0.5 * (logs["d_fake_a"] + logs["d_fake_b"])
        return total, logs

    def g_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        fake_a, fake_b = G.pair(src.latent(drawn["n"]))
        loss = objective.spec.generator(objective.scores(D.score(seen(fake_a, src), "a")))
        loss = loss + objective.spec.generator(objective.scores(D.score(seen(fake_b, src), "b")))
        return loss, {"g_loss": loss.detach()}

    return Task(
        networks=networks,
        modules={"g": [G], "d": [D]},
        phases=[Phase("D", "d", d_loss, repeats=config.train.n_critic), Phase("G", "g", g_loss)],
    )

"""CycleGAN (Zhu et al. 2017): unpaired translation between domains A and B.

G: A -> B (`generator`) and F: B -> A (`generator_ba`) are the paper's ResNet generators (c7s1,
two stride-2 downsamplings, `model.g.blocks` residual blocks, two upsamplings, c7s1, instance
norm), sized by `model.width`; the discriminators D_B (`discriminator`) and D_A
(`discriminator_a`) are PatchGANs scored per patch. The objective is the paper's: LSGAN
adversarial terms on patch scores (`loss.name`, with ganforge's 1/2 (D - 1)^2 in both
steps), cycle consistency
lambda * (|F(G(a)) - a|_1 + |G(F(b)) - b|_1) with lambda = `model.g.cycle_weight` (10), and
identity lambda * `model.g.identity` (0.5, so 5) * (|G(b) - b|_1 + |F(a) - a|_1), which needs
equal channels in both domains (else it is 0). D learns from a pool of the last 50 fakes
(`model.d.pool_size`), kept in the `pool_a`/`pool_b` networks so checkpoints restore it.

Phases: `G` (both generators) then `D` (both discriminators, on the fakes G just made), as the
reference implementation orders them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.losses import LOSSES
from ganforge.models.family import NetworkSpec, Phase, Sources, Task
from ganforge.models.layers import initialize
from ganforge.regularizers import refuse_all


@dataclass(frozen=True)
class GeneratorOptions:
    blocks: int = 6  # residual blocks at the lowest resolution (the paper: 6 for 128 px)
    cycle_weight: float = 10.0  # lambda of the cycle-consistency loss
    identity: float = 0.5  # identity loss weight, as a fraction of cycle_weight (0: off)

    def check(self, where: str) -> None:
        if self.blocks < 0 or self.cycle_weight < 0 or self.identity < 0:
            raise ConfigError(f"'{where}' blocks and loss weights must be zero or positive")


@dataclass(frozen=True)
class DiscriminatorOptions:
    layers: int = 2  # stride-2 convolutions before the patch scores (the paper: 3 at 70x70)
    pool_size: int = 50  # fakes remembered for D (Shrivastava et al. 2017); 0: no pool

    def check(self, where: str) -> None:
        if self.layers < 1 or self.pool_size < 0:
            raise ConfigError(f"'{where}.layers' must be at least 1 and pool_size >= 0")


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class Translator(nn.Module):
    """(B, C_in, H, W) in [-1, 1] -> (B, C_out, H, W) in [-1, 1]; H, W multiples of 4."""

    def __init__(self, in_channels: int, out_channels: int, width: int, blocks: int) -> None:
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, w, 7),
            nn.InstanceNorm2d(w),
            nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, 2, 1),
            nn.InstanceNorm2d(2 * w),
            nn.ReLU(),
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1),
            nn.InstanceNorm2d(4 * w),
            nn.ReLU(),
            *[ResidualBlock(4 * w) for _ in range(blocks)],
            nn.ConvTranspose2d(4 * w, 2 * w, 3, 2, 1, output_padding=1),
            nn.InstanceNorm2d(2 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 3, 2, 1, output_padding=1),
            nn.InstanceNorm2d(w),
            nn.ReLU(),
            nn.ReflectionPad2d(3),
            nn.Conv2d(w, out_channels, 7),
            nn.Tanh(),
        )

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """x -> (B, 1, h, w) patch scores (`patches`); forward: their mean, (B,)."""

    def __init__(self, channels: int, width: int, layers: int) -> None:
        super().__init__()
        body: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        for i in range(1, layers):
            c = width * 2 ** (i - 1)
            body += [nn.Conv2d(c, 2 * c, 4, 2, 1), nn.InstanceNorm2d(2 * c), nn.LeakyReLU(0.2)]
        c = width * 2 ** (layers - 1)
        body += [nn.Conv2d(c, 1, 3, 1, 1)]
        self.net = nn.Sequential(*body)

    def patches(self, x: Tensor) -> Tensor:
        return self.net(x)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(x).flatten(1).mean(1)


class ImagePool(nn.Module):
    """The last `size` fakes, as buffers so checkpoints save them: a query returns, for each
    new image, either itself (while the pool fills, or with probability 1/2) or a stored one
    that it then replaces (Shrivastava et al. 2017; CycleGAN's `ImagePool`)."""

    def __init__(self, size: int, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.size = size
        self.register_buffer("images", torch.zeros(size, *shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def query(self, fakes: Tensor, generator: torch.Generator) -> Tensor:
        if self.size == 0:
            return fakes
        out = fakes.clone()
        # draw a fixed amount per image, so the random stream does not depend on the pool state
        coins = torch.rand(len(fakes), generator=generator, device=fakes.device)
        slots = torch.randint(self.size, (len(fakes),), generator=generator, device=fakes.device)
        for i in range(len(fakes)):
            n = int(self.count)
            if n < self.size:
                self.images[n] = fakes[i]
                self.count += 1
            elif coins[i] > 0.5:
                j = int(slots[i])
                out[i] = self.images[j]
                self.images[j] = fakes[i]
        return out


def build(
    spec: NetworkSpec, g_options: GeneratorOptions, d_options: DiscriminatorOptions
) -> dict[str, nn.Module]:
    shape_a = spec.data_shape
    shape_b = spec.data_shape_b or shape_a
    ca, cb, w = shape_a[0], shape_b[0], spec.width
    nets: dict[str, nn.Module] = {
        "generator": Translator(ca, cb, w, g_options.blocks),
        "generator_ba": Translator(cb, ca, w, g_options.blocks),
        "discriminator": PatchDiscriminator(cb, w, d_options.layers),
        "discriminator_a": PatchDiscriminator(ca, w, d_options.layers),
    }
    for net in nets.values():
        initialize(net, spec.init)
    nets["pool_a"] = ImagePool(d_options.pool_size, shape_a)
    nets["pool_b"] = ImagePool(d_options.pool_size, shape_b)
    return nets


def check(config: Config) -> None:
    if config.model.conditional != "none":
        raise ConfigError("cyclegan is unconditional; set model.conditional=none")
    refuse_all(config, "cyclegan")


def cycle_loss(G: nn.Module, F_: nn.Module, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(|F(G(a)) - a|_1 + |G(F(b)) - b|_1, G(a), F(b)): zero when G and F invert each other."""
    fake_b, fake_a = G(a), F_(b)
    loss = F.l1_loss(F_(fake_b), a) + F.l1_loss(G(fake_a), b)
    return loss, fake_b, fake_a


def task(
    networks: dict[str, nn.Module],
    config: Config,
    options: GeneratorOptions,
    d_options: DiscriminatorOptions,
) -> Task:
    G, F_ = networks["generator"], networks["generator_ba"]
    D_b, D_a = networks["discriminator"], networks["discriminator_a"]
    pool_a, pool_b = networks["pool_a"], networks["pool_b"]
    spec = LOSSES.get(config.loss.name)
    cycle, identity = options.cycle_weight, options.cycle_weight * options.identity
    made: dict[str, Tensor] = {}  # the G phase's fakes, for the D phase of the same step

    def g_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        a, _ = src.real("a")
        b, _ = src.real("b")
        cyc, fake_b, fake_a = cycle_loss(G, F_, a, b)
        adv = spec.generator(D_b.patches(fake_b)) + spec.generator(D_a.patches(fake_a))
        loss = adv + cycle * cyc
        logs = {"g_adv": adv.detach(), "g_cycle": cyc.detach()}
        if identity and a.shape[1] == b.shape[1]:
            idt = F.l1_loss(G(b), b) + F.l1_loss(F_(a), a)
            loss = loss + identity * idt
            logs["g_identity"] = idt.detach()
        made["a"], made["b"] = fake_a.detach(), fake_b.detach()
        logs["g_loss"] = loss.detach()
        return loss, logs

    def d_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        a, _ = src.real("a")
        b, _ = src.real("b")
        if not made:  # a D phase alone (never in this task's order): make the fakes
            with torch.no_grad():
                made["a"], made["b"] = F_(b), G(a)
        old_a = pool_a.query(made.pop("a"), src.noise)
        old_b = pool_b.query(made.pop("b"), src.noise)
        real_b, fake_b = D_b.patches(b), D_b.patches(old_b)
        real_a, fake_a = D_a.patches(a), D_a.patches(old_a)
        loss_b = spec.discriminator(real_b, fake_b, 1.0, 0.0)  # LSGAN: 1/2 of each squared error
        loss_a = spec.discriminator(real_a, fake_a, 1.0, 0.0)
        logs = {
            "d_loss": (loss_a + loss_b).detach(),
            "d_real": real_b.mean().detach(),
            "d_fake": fake_b.mean().detach(),
        }
        return loss_a + loss_b, logs

    return Task(
        networks=networks,
        modules={"g": [G, F_], "d": [D_b, D_a]},
        phases=[Phase("G", "g", g_loss), Phase("D", "d", d_loss, repeats=config.train.n_critic)],
    )

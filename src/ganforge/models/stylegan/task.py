"""How StyleGAN2 trains, as phases (stylegan2-ada-pytorch `training/loss.py`, our way):

- `D`: any registered loss (the paper's is logistic non-saturating) on real and fake batches
  (with `train.augment`, on their DiffAugment, in every phase);
- `D_reg`: the R1 (or gradient) penalty every `loss.reg_every` steps, scaled by the interval;
- `G`: the generator's loss;
- `G_reg`: path-length regularisation every `model.g.pl_every` steps, scaled by the interval,
  when `model.g.pl_weight` > 0.

Every generated batch mixes two latents with probability `model.g.style_mixing`, switching
from one w to the other at a random layer. All randomness comes from `Sources`, so a resumed
run draws the same numbers.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.errors import ConfigError
from ganforge.models.adversarial import (
    Objective,
    augmenter,
    d_loss_builder,
    lazy_penalty,
    penalised,
    plain_score,
)
from ganforge.models.adversarial import check as adversarial_check
from ganforge.models.family import Phase, Sources, Task
from ganforge.models.stylegan.generator import Generator
from ganforge.models.stylegan.layers import EqualConv2d, EqualLinear
from ganforge.models.stylegan.options import DiscriminatorOptions, GeneratorOptions
from ganforge.regularizers import REGULARIZERS, Regularizer, active


class PathLengthMean(nn.Module):
    """The running mean path length: task state kept as a network so checkpoints hold it."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros([]))


def mixed_styles(G: Generator, z: Tensor, y: Tensor | None, src: Sources, prob: float) -> Tensor:
    """Per-layer styles (B, num_ws, w_dim); with probability `prob` the layers from a random
    cutoff on take the w of a second latent (style mixing regularisation)."""
    ws = G.mapping(z, y).unsqueeze(1).repeat(1, G.num_ws, 1)
    if prob > 0 and G.num_ws > 1:
        draw = torch.rand([], generator=src.noise, device=z.device).item()
        cutoff = int(torch.randint(1, G.num_ws, [], generator=src.noise, device=z.device))
        if draw < prob:
            other = G.mapping(src.latent(z.shape[0]), y, update_w_avg=False)
            ws = torch.cat([ws[:, :cutoff], other.unsqueeze(1).expand_as(ws[:, cutoff:])], 1)
    return ws


def path_length_penalty(
    G: Generator, ws: Tensor, state: PathLengthMean, decay: float, noise: torch.Generator
) -> Tensor:
    """E[(||J_w^T n||_2 - a)^2] with n random image-space noise and a the running mean length."""
    img = G.synthesize(ws)  # (B, C, H, W)
    pl_noise = torch.randn(img.shape, generator=noise, device=img.device) / math.sqrt(
        img.shape[2] * img.shape[3]
    )
    (grads,) = torch.autograd.grad((img * pl_noise).sum(), ws, create_graph=True)
    lengths = grads.square().sum(dim=2).mean(dim=1).sqrt()  # (B,)
    mean = state.mean.lerp(lengths.mean().float(), decay)  # fp32 state, also under bf16
    state.mean.copy_(mean.detach())
    return (lengths - mean).square().mean()


@torch.no_grad()
def clip_effective_weights(D: nn.Module, value: float) -> None:
    """WGAN weight clipping of the weights D computes with: equalised learning rate stores them
    divided by their gain, so the stored bound is value / gain."""
    for layer in D.modules():
        if isinstance(layer, EqualLinear | EqualConv2d):
            layer.weight.clamp_(-value / layer.weight_gain, value / layer.weight_gain)
            if layer.bias is not None:
                gain = getattr(layer, "bias_gain", 1.0)
                layer.bias.clamp_(-value / gain, value / gain)


def check(config: Config) -> None:
    """The loss options as for every adversarial family; D sees real and fake separately."""
    adversarial_check(config)
    if config.train.mixed_batches:
        raise ConfigError(
            "the stylegan family runs D on real and fake batches separately (it has no batch "
            "norm); set train.mixed_batches=false"
        )


def stylegan_task(
    networks: dict[str, nn.Module],
    config: Config,
    options: GeneratorOptions,
    d_options: DiscriminatorOptions,
) -> Task:
    """Phases D (n_critic times), lazy D_reg, G and lazy G_reg (path length)."""
    G, D = networks["generator"], networks["discriminator"]
    assert isinstance(G, Generator)
    objective = Objective.from_config(config)
    every, mixing = config.loss.reg_every, options.style_mixing
    seen = augmenter(config)  # train.augment: D sees DiffAugment's T(x) in every phase

    def generate(src: Sources, n: int, y: Tensor | None) -> Tensor:
        return G.synthesize(mixed_styles(G, src.latent(n), y, src, mixing))

    d_loss = d_loss_builder(objective, D, generate, plain_score(D, False), seen, every > 1)
    d_reg_loss = lazy_penalty(generate, D, objective, seen, every)

    def g_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        n = src.batch_size
        y = src.fake_labels(n)
        loss = objective.spec.generator(objective.scores(D(seen(generate(src, n, y), src), y)))
        return loss, {"g_loss": loss.detach()}

    clip = (
        (lambda: clip_effective_weights(D, objective.clip_value)) if objective.clip_value else None
    )
    phases = [Phase("D", "d", d_loss, repeats=config.train.n_critic, after_step=clip)]
    if every > 1 and objective.penalties:
        phases.append(Phase("D_reg", "d", d_reg_loss, interval=every))
    phases.append(Phase("G", "g", g_loss))
    twice = penalised(objective)
    for_g = active(config, network="generator")  # path length, when model.g.pl_weight > 0
    if for_g:
        _, entry, weight = for_g[0]
        state = PathLengthMean()
        networks = {**networks, "path_length": state}
        scale = weight * options.pl_every

        def g_reg_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
            n = max(1, src.batch_size // options.pl_batch_shrink)
            y = src.fake_labels(n)
            ws = mixed_styles(G, src.latent(n), y, src, mixing)
            penalty = entry.apply(G, ws, state, options.pl_decay, src.noise)
            return penalty * scale, {"g_pl_penalty": penalty.detach()}

        phases.append(Phase("G_reg", "g", g_reg_loss, interval=options.pl_every))
        twice += ("generator",)  # path length: dG/dw, twice
    return Task(networks, {"g": [G], "d": [D]}, phases, twice_differentiated=twice)


REGULARIZERS.add(
    "path_length",
    Regularizer("model.g.pl_weight", path_length_penalty, network="generator"),
    "StyleGAN2 path-length regularisation of the generator",
)

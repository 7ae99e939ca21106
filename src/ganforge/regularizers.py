"""Discriminator regularisers: gradient penalties (functions of D and its inputs) and clipping."""

from __future__ import annotations

import torch
from torch import Tensor, nn


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

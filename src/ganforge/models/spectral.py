"""Spectral normalisation as Miyato et al. 2018 (Algorithm 1) compute it.

Each training forward pass takes one power-iteration step from the stored u:
v = W^T u / |W^T u|, u = W v / |W v|, and divides W by sigma = u^T W v (= |W v|). This is the
order of the SNGAN Chainer code, of `torch.nn.utils.spectral_norm` (the hook Mimicry and
StudioGAN train with) and of Mimicry's own `SpectralNorm`. PyTorch's parametrization
(`torch.nn.utils.parametrizations.spectral_norm`) steps the other way round (u from the stored
v, then v) and divides by |W^T u|: another estimate of the same singular value, which gives
other losses from the same weights and vectors (benchmarks/peer_mimicry.py --check).

The buffers keep the parametrization's names (`parametrizations.weight.0._u`, `._v`), so
checkpoints written with it load unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize


class SpectralNorm(nn.Module):
    """weight -> weight / sigma, sigma from one power-iteration step per training forward."""

    def __init__(self, weight: Tensor, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps
        matrix = self._matrix(weight.detach())
        # drawn as PyTorch's parametrization draws them (u, then v): seeds keep their networks
        u = F.normalize(matrix.new_empty(matrix.shape[0]).normal_(0, 1), dim=0, eps=eps)
        v = F.normalize(matrix.new_empty(matrix.shape[1]).normal_(0, 1), dim=0, eps=eps)
        self.register_buffer("_u", u)
        self.register_buffer("_v", v)
        for _ in range(15):  # a settled u to start from, as PyTorch's parametrization does
            self._power_step(matrix)

    def _matrix(self, weight: Tensor) -> Tensor:
        """(out, in) view of the weight: dim first (1 for transposed convolutions)."""
        if self.dim:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    @torch.no_grad()
    def _power_step(self, matrix: Tensor) -> None:
        """v <- W^T u / |W^T u|, then u <- W v / |W v|, in place (the buffers persist)."""
        F.normalize(torch.mv(matrix.t(), self._u), dim=0, eps=self.eps, out=self._v)
        F.normalize(torch.mv(matrix, self._v), dim=0, eps=self.eps, out=self._u)

    def forward(self, weight: Tensor) -> Tensor:
        matrix = self._matrix(weight)
        if self.training:
            self._power_step(matrix.detach())
        # clones: a second forward (D(real), then D(fake)) must not change what the first
        # one's backward needs
        u, v = self._u.clone(), self._v.clone()
        sigma = torch.dot(u, torch.mv(matrix, v))
        return weight / sigma


def spectral_norm(module: nn.Module, name: str = "weight") -> nn.Module:
    """Register `SpectralNorm` on `module.<name>` (dim 1 for transposed convolutions)."""
    transposed = isinstance(module, nn.ConvTranspose1d | nn.ConvTranspose2d | nn.ConvTranspose3d)
    weight = getattr(module, name)
    parametrize.register_parametrization(module, name, SpectralNorm(weight, int(transposed)))
    return module

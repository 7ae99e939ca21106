"""Dense (fully connected) GAN: the original Goodfellow et al. networks and the Keras 'GAN'.

Works for images (flattened) and for 2-D toy points. Default widths give the Keras reference
networks of seed 000 fig. 4.1a/4.2a and seed 001 figs. 4.4-4.5 (G 256-512-1024, D 512-256).
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from ganforge.config import DiscriminatorConfig, GeneratorConfig
from ganforge.models.layers import activation, block_tail


class Generator(nn.Module):
    def __init__(
        self, *, latent_dim: int, data_shape: tuple[int, ...], width: int, spec: GeneratorConfig
    ) -> None:
        super().__init__()
        hidden = spec.hidden or (4 * width, 8 * width, 16 * width)
        layers: list[nn.Module] = []
        prev = latent_dim
        for size in hidden:
            layers.append(nn.Linear(prev, size, bias=spec.bias))
            layers += block_tail(size, 1, spec, use_norm=spec.batch_norm)
            prev = size
        layers += [nn.Linear(prev, math.prod(data_shape)), activation(spec.last_activation)]
        if len(data_shape) > 1:
            layers.append(nn.Unflatten(1, data_shape))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(z)  # (B, *data_shape)


class Discriminator(nn.Module):
    def __init__(
        self, *, data_shape: tuple[int, ...], width: int, spec: DiscriminatorConfig
    ) -> None:
        super().__init__()
        hidden = spec.hidden or (8 * width, 4 * width)
        layers: list[nn.Module] = [nn.Flatten()]
        prev = math.prod(data_shape)
        for i, size in enumerate(hidden):
            layers.append(nn.Linear(prev, size, bias=spec.bias))
            use_norm = spec.batch_norm and (i > 0 or spec.norm_first_block)
            layers += block_tail(size, 1, spec, use_norm=use_norm)
            prev = size
        layers.append(nn.Linear(prev, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(x).view(-1)  # (B,) raw scores (logits for cross-entropy losses)

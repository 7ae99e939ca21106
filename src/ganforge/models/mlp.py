"""Dense (fully connected) GAN: the original Goodfellow et al. networks and the Keras 'GAN'.

Works for images (flattened) and for 2-D toy points. Default widths give the Keras reference
networks of seed 000 fig. 4.1a/4.2a and seed 001 figs. 4.4-4.5 (G 256-512-1024, D 512-256).
Conditional (`model.conditional=concat`): one-hot labels are concatenated to z and to the
flattened input, as in Mirza & Osindero (2014).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor, nn

from ganforge.models.layers import BlockOptions, activation, block_tail, with_label


@dataclass(frozen=True)
class GeneratorOptions(BlockOptions):
    hidden: tuple[int, ...] | None = None  # layer widths (default 4, 8, 16 x model.width)
    last_activation: str = "tanh"


@dataclass(frozen=True)
class DiscriminatorOptions(BlockOptions):
    hidden: tuple[int, ...] | None = None  # layer widths (default 8, 4 x model.width)
    activation: str = "leaky_relu"
    batch_norm: bool = False
    norm_first_block: bool = False
    last_activation: str | None = None  # none | sigmoid; None: what the loss expects


class Generator(nn.Module):
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
        self.num_classes = num_classes
        hidden = options.hidden or (4 * width, 8 * width, 16 * width)
        layers: list[nn.Module] = []
        prev = latent_dim + num_classes
        for size in hidden:
            layers.append(nn.Linear(prev, size, bias=options.bias))
            layers += block_tail(size, 1, options, use_norm=options.batch_norm)
            prev = size
        layers += [nn.Linear(prev, math.prod(data_shape)), activation(options.last_activation)]
        if len(data_shape) > 1:
            layers.append(nn.Unflatten(1, data_shape))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(with_label(z, y, self.num_classes))  # (B, *data_shape)


class Discriminator(nn.Module):
    def __init__(
        self,
        *,
        data_shape: tuple[int, ...],
        num_classes: int,
        width: int,
        options: DiscriminatorOptions,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        hidden = options.hidden or (8 * width, 4 * width)
        layers: list[nn.Module] = []
        prev = math.prod(data_shape) + num_classes
        for i, size in enumerate(hidden):
            layers.append(nn.Linear(prev, size, bias=options.bias))
            use_norm = options.batch_norm and (i > 0 or options.norm_first_block)
            layers += block_tail(size, 1, options, use_norm=use_norm)
            prev = size
        layers.append(nn.Linear(prev, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(with_label(x.flatten(1), y, self.num_classes)).view(-1)  # (B,) scores

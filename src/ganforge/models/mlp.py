"""Dense (fully connected) GAN: the original Goodfellow et al. networks and the Keras 'GAN'.

Works for images (flattened) and for 2-D toy points. Default widths give the Keras reference
networks of Deng 2024 fig. 4.1a/4.2a and Akel 2022 figs. 4.4-4.5 (G 256-512-1024, D 512-256).
Conditional: one-hot labels are concatenated to z (every scheme) and, with `concat`, to the
flattened input, as in Mirza & Osindero (2014); `projection` and `acgan` put their label head
on D's last hidden layer (`models.conditional`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor, nn

from ganforge.models.conditional import head_score, input_label_features, label_head
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
    spectral_norm: bool = False  # spectral normalisation of every layer (Miyato et al. 2018)
    pack: int = 1  # PacGAN: D judges this many samples at once (models.packing)


class Generator(nn.Module):
    def __init__(
        self,
        *,
        latent_dim: int,
        data_shape: tuple[int, ...],
        num_classes: int,
        width: int,
        options: GeneratorOptions,
        conditioning: str = "concat",  # every scheme concatenates labels to z here
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
        conditioning: str = "concat",  # concat | projection | acgan
    ) -> None:
        super().__init__()
        self.num_classes = input_label_features(num_classes, conditioning)
        hidden = options.hidden or (8 * width, 4 * width)
        layers: list[nn.Module] = []
        prev = math.prod(data_shape) + self.num_classes
        for i, size in enumerate(hidden):
            layers.append(nn.Linear(prev, size, bias=options.bias))
            use_norm = options.batch_norm and (i > 0 or options.norm_first_block)
            layers += block_tail(size, 1, options, use_norm=use_norm)
            prev = size
        layers.append(nn.Linear(prev, 1))
        self.net = nn.Sequential(*layers)
        self.head = label_head(prev, num_classes, conditioning)

    def features(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net[:-1](with_label(x.flatten(1), y, self.num_classes))  # (B, hidden[-1])

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return head_score(self.net[-1], self.head, self.features(x, y), y)  # (B,) scores

    def classify(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """ACGAN: (B,) scores and (B, K) class logits."""
        h = self.features(x)
        return self.net[-1](h).view(-1), self.head(h)

"""Convolutional GAN (Radford et al. 2016) with the knobs varied in Akel 2022 tables 4.4-4.5.

Generator: latent -> dense projection to (C0, R0, R0) -> upsampling conv blocks -> output conv.
Discriminator: strided conv blocks -> flatten -> dense score. Depth follows the resolution unless
`hidden` is given: blocks are added until the smallest feature map is 4 to 7 pixels wide, so 28x28
MNIST gets 7 -> 14 -> 28 and 64x64 faces get 4 -> 8 -> 16 -> 32 -> 64. Conditional
(`model.conditional=concat`): one-hot labels join z, and enter D as constant label maps;
`projection` and `acgan` put their label head on D's flattened features, and the generator
takes labels through conditional batch norm (`model.g.label_input`, `models.conditional`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from torch import Tensor, nn

from ganforge.errors import ConfigError
from ganforge.models.conditional import (
    LabelledSequential,
    generator_label_input,
    head_score,
    input_label_features,
    label_head,
    with_conditional_norms,
)
from ganforge.models.layers import (
    BlockOptions,
    activation,
    batch_norm,
    block_tail,
    conv_out_size,
    conv_padding,
    norm_act,
    upconv,
    with_label,
)


@dataclass(frozen=True)
class GeneratorOptions(BlockOptions):
    hidden: tuple[int, ...] | None = None  # channels per upsampling block (default: from width)
    strides: tuple[int, ...] | None = None  # upsampling factor per block (default 2 each)
    project_channels: int | None = None  # channels of the projected latent (default hidden[0])
    project_norm: Literal["none", "channel", "feature"] | None = None  # None: batch_norm's
    upsample: Literal["transposed", "nearest"] = "transposed"  # ConvTranspose2d | resize + conv
    kernel_size: int = 4
    out_kernel_size: int | None = None  # kernel of the output conv (default kernel_size)
    out_stride: int = 1  # upsampling done by the output conv itself
    last_activation: str = "tanh"
    # how labels enter: concat (to z) | batch_norm (conditional batch norm); None: batch_norm
    # with model.conditional=projection, else concat
    label_input: Literal["concat", "batch_norm"] | None = None

    def check(self, where: str) -> None:
        super().check(where)
        if self.kernel_size < 1 or (self.out_kernel_size or 1) < 1 or self.out_stride < 1:
            raise ConfigError(f"'{where}' kernel sizes and strides must be at least 1")


@dataclass(frozen=True)
class DiscriminatorOptions(BlockOptions):
    hidden: tuple[int, ...] | None = None  # channels per strided conv block (default: from width)
    strides: tuple[int, ...] | None = None  # stride per block (default 2 each)
    activation: str = "leaky_relu"
    batch_norm: bool = False
    norm_first_block: bool = False  # DCGAN leaves the first block without batch norm
    kernel_size: int = 4
    last_activation: str | None = None  # none | sigmoid; None: what the loss expects
    spectral_norm: bool = False  # spectral normalisation of every layer (Miyato et al. 2018)
    pack: int = 1  # PacGAN: D judges this many samples at once (models.packing)

    def check(self, where: str) -> None:
        super().check(where)
        if self.kernel_size < 1:
            raise ConfigError(f"'{where}.kernel_size' must be at least 1")


def default_depth(resolution: int) -> int:
    """Number of stride-2 stages that bring `resolution` down to between 4 and 7 pixels."""
    return max(1, int(math.log2(resolution / 4)))


def _image_shape(data_shape: tuple[int, ...]) -> tuple[int, int]:
    if len(data_shape) != 3 or data_shape[1] != data_shape[2]:
        raise ConfigError(
            f"the dcgan family needs square images, but the data has shape {data_shape}; "
            "use model.name=mlp for 2-D points"
        )
    return data_shape[0], data_shape[1]


def projection(
    z_dim: int, c0: int, start: int, norm_kind: str, options: GeneratorOptions
) -> list[nn.Module]:
    """z -> (c0, start, start): a linear layer, then the norm and activation in the order the
    options ask (on the flat vector, as TensorFlow's DCGAN tutorial, or per channel)."""
    act = dict(
        act=options.activation,
        alpha=options.alpha,
        norm_after_activation=options.norm_after_activation,
        keras_momentum=options.bn_momentum,
    )
    layers: list[nn.Module] = [nn.Linear(z_dim, c0 * start * start, bias=options.bias)]
    if norm_kind == "feature":  # batch norm on the flat vector (TensorFlow DCGAN tutorial)
        layers += norm_act(c0 * start * start, 1, use_norm=True, **act)
        layers.append(nn.Unflatten(1, (c0, start, start)))
    elif options.norm_after_activation or norm_kind == "none":
        layers += [
            activation(options.activation, options.alpha),
            nn.Unflatten(1, (c0, start, start)),
        ]
        if norm_kind == "channel":
            layers.append(batch_norm(c0, options.bn_momentum, 2))
    else:
        layers += [
            nn.Unflatten(1, (c0, start, start)),
            batch_norm(c0, options.bn_momentum, 2),
            activation(options.activation, options.alpha),
        ]
    return layers


class Generator(nn.Module):
    def __init__(
        self,
        *,
        latent_dim: int,
        data_shape: tuple[int, ...],
        num_classes: int,
        width: int,
        options: GeneratorOptions,
        conditioning: str = "concat",  # concat | projection | acgan
    ) -> None:
        super().__init__()
        label_input = generator_label_input(num_classes, conditioning, options.label_input)
        self.conditional_norm = label_input == "batch_norm"
        self.num_classes = num_classes if label_input == "concat" else 0  # one-hot z features
        channels, resolution = _image_shape(data_shape)
        depth = default_depth(resolution)
        hidden = options.hidden or tuple(width * 2 ** (depth - 1 - i) for i in range(depth))
        strides = options.strides or (2,) * len(hidden)
        if len(strides) != len(hidden):
            raise ConfigError("'model.g.strides' must have one entry per 'model.g.hidden' block")
        upscale = math.prod(strides) * options.out_stride
        if resolution % upscale:
            raise ConfigError(
                f"the generator upsamples by {upscale}, which does not divide the resolution "
                f"{resolution}; change model.g.strides or data.resolution"
            )
        start = resolution // upscale
        c0 = options.project_channels or hidden[0]
        norm_kind = options.project_norm or ("channel" if options.batch_norm else "none")
        z_dim = latent_dim + self.num_classes
        layers = projection(z_dim, c0, start, norm_kind, options)
        prev = c0
        for out_ch, stride in zip(hidden, strides, strict=True):
            layers += upconv(
                prev, out_ch, options.kernel_size, stride, options.upsample, options.bias
            )
            layers += block_tail(out_ch, 2, options, use_norm=options.batch_norm)
            prev = out_ch
        out_kernel = options.out_kernel_size or options.kernel_size
        layers += upconv(
            prev, channels, out_kernel, options.out_stride, options.upsample, options.bias
        )
        layers.append(activation(options.last_activation))
        if self.conditional_norm:
            self.net = LabelledSequential(*with_conditional_norms(layers, num_classes))
        else:
            self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        if self.conditional_norm:
            return self.net(z, y)  # (B, C, H, W)
        return self.net(with_label(z, y, self.num_classes))  # (B, C, H, W)


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
        channels, size = _image_shape(data_shape)
        depth = default_depth(size)
        hidden = options.hidden or tuple(width * 2**i for i in range(depth))
        strides = options.strides or (2,) * len(hidden)
        if len(strides) != len(hidden):
            raise ConfigError("'model.d.strides' must have one entry per 'model.d.hidden' block")
        layers: list[nn.Module] = []
        prev = channels + self.num_classes  # labels enter as constant maps (cDCGAN)
        for i, (out_ch, stride) in enumerate(zip(hidden, strides, strict=True)):
            k = options.kernel_size
            padding = conv_padding(k) if stride > 1 else "same"
            layers.append(nn.Conv2d(prev, out_ch, k, stride, padding, bias=options.bias))
            use_norm = options.batch_norm and (i > 0 or options.norm_first_block)
            layers += block_tail(out_ch, 2, options, use_norm=use_norm)
            size = conv_out_size(size, k, stride) if stride > 1 else size
            prev = out_ch
        if size < 1:
            raise ConfigError(
                f"the discriminator shrinks {data_shape[1]}px images to nothing; "
                "use fewer blocks in model.d.hidden or smaller strides"
            )
        layers += [nn.Flatten(), nn.Linear(prev * size * size, 1)]
        self.net = nn.Sequential(*layers)
        self.head = label_head(prev * size * size, num_classes, conditioning)

    def features(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net[:-1](with_label(x, y, self.num_classes))  # (B, C * H * W)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return head_score(self.net[-1], self.head, self.features(x, y), y)  # (B,) raw scores

    def classify(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """ACGAN: (B,) scores and (B, K) class logits."""
        h = self.features(x)
        return self.net[-1](h).view(-1), self.head(h)

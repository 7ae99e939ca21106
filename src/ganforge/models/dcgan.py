"""Convolutional GAN (Radford et al. 2016) with the knobs varied in seed 001 tables 4.4-4.5.

Generator: latent -> dense projection to (C0, R0, R0) -> upsampling conv blocks -> output conv.
Discriminator: strided conv blocks -> flatten -> dense score. Depth follows the resolution unless
`hidden` is given: blocks are added until the smallest feature map is 4 to 7 pixels wide, so 28x28
MNIST gets 7 -> 14 -> 28 and 64x64 faces get 4 -> 8 -> 16 -> 32 -> 64.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from ganforge.config import DiscriminatorConfig, GeneratorConfig
from ganforge.errors import ConfigError
from ganforge.models.layers import (
    activation,
    batch_norm,
    block_tail,
    conv_out_size,
    conv_padding,
    norm_act,
    upconv,
)


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


class Generator(nn.Module):
    def __init__(
        self, *, latent_dim: int, data_shape: tuple[int, ...], width: int, spec: GeneratorConfig
    ) -> None:
        super().__init__()
        channels, resolution = _image_shape(data_shape)
        depth = default_depth(resolution)
        hidden = spec.hidden or tuple(width * 2 ** (depth - 1 - i) for i in range(depth))
        strides = spec.strides or (2,) * len(hidden)
        if len(strides) != len(hidden):
            raise ConfigError("'model.g.strides' must have one entry per 'model.g.hidden' block")
        upscale = math.prod(strides) * spec.out_stride
        if resolution % upscale:
            raise ConfigError(
                f"the generator upsamples by {upscale}, which does not divide the resolution "
                f"{resolution}; change model.g.strides or data.resolution"
            )
        start = resolution // upscale
        c0 = spec.project_channels or hidden[0]
        norm_kind = spec.project_norm or ("channel" if spec.batch_norm else "none")
        act = dict(
            act=spec.activation,
            alpha=spec.alpha,
            norm_after_activation=spec.norm_after_activation,
            keras_momentum=spec.bn_momentum,
        )

        layers: list[nn.Module] = [nn.Linear(latent_dim, c0 * start * start, bias=spec.bias)]
        if norm_kind == "feature":  # batch norm on the flat vector (TensorFlow DCGAN tutorial)
            layers += norm_act(c0 * start * start, 1, use_norm=True, **act)
            layers.append(nn.Unflatten(1, (c0, start, start)))
        elif spec.norm_after_activation or norm_kind == "none":
            layers += [activation(spec.activation, spec.alpha), nn.Unflatten(1, (c0, start, start))]
            if norm_kind == "channel":
                layers.append(batch_norm(c0, spec.bn_momentum, 2))
        else:
            layers += [
                nn.Unflatten(1, (c0, start, start)),
                batch_norm(c0, spec.bn_momentum, 2),
                activation(spec.activation, spec.alpha),
            ]
        prev = c0
        for out_ch, stride in zip(hidden, strides, strict=True):
            layers += upconv(prev, out_ch, spec.kernel_size, stride, spec.upsample, spec.bias)
            layers += block_tail(out_ch, 2, spec, use_norm=spec.batch_norm)
            prev = out_ch
        out_kernel = spec.out_kernel_size or spec.kernel_size
        layers += upconv(prev, channels, out_kernel, spec.out_stride, spec.upsample, spec.bias)
        layers.append(activation(spec.last_activation))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(z)  # (B, C, H, W)


class Discriminator(nn.Module):
    def __init__(
        self, *, data_shape: tuple[int, ...], width: int, spec: DiscriminatorConfig
    ) -> None:
        super().__init__()
        channels, size = _image_shape(data_shape)
        depth = default_depth(size)
        hidden = spec.hidden or tuple(width * 2**i for i in range(depth))
        strides = spec.strides or (2,) * len(hidden)
        if len(strides) != len(hidden):
            raise ConfigError("'model.d.strides' must have one entry per 'model.d.hidden' block")
        layers: list[nn.Module] = []
        prev = channels
        for i, (out_ch, stride) in enumerate(zip(hidden, strides, strict=True)):
            k = spec.kernel_size
            padding = conv_padding(k) if stride > 1 else "same"
            layers.append(nn.Conv2d(prev, out_ch, k, stride, padding, bias=spec.bias))
            use_norm = spec.batch_norm and (i > 0 or spec.norm_first_block)
            layers += block_tail(out_ch, 2, spec, use_norm=use_norm)
            size = conv_out_size(size, k, stride) if stride > 1 else size
            prev = out_ch
        if size < 1:
            raise ConfigError(
                f"the discriminator shrinks {data_shape[1]}px images to nothing; "
                "use fewer blocks in model.d.hidden or smaller strides"
            )
        layers += [nn.Flatten(), nn.Linear(prev * size * size, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(x).view(-1)  # (B,) raw scores

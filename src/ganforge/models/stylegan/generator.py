"""StyleGAN2's generator: a mapping network z -> w and a skip-architecture synthesis network
that draws an image from a learned constant, one style vector per layer.

Resolution comes from the data: the constant is 4 to 7 pixels wide and each block doubles it,
so 32x32 gets 4 -> 8 -> 16 -> 32, 28x28 gets 7 -> 14 -> 28 and 128x128 gets six blocks.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from ganforge.errors import ConfigError
from ganforge.models.layers import activation, one_hot
from ganforge.models.stylegan.layers import (
    EqualLinear,
    lrelu,
    modulated_conv2d,
    normalize_2nd_moment,
    upsample,
)
from ganforge.models.stylegan.options import GeneratorOptions

NoiseMode = Literal["random", "const", "none"]


class MappingNetwork(nn.Module):
    """z (and a label embedding) -> w through `depth` dense layers at a low learning rate;
    tracks the running mean of w for truncation."""

    def __init__(
        self,
        *,
        z_dim: int,
        w_dim: int,
        num_classes: int,
        depth: int,
        lr_multiplier: float,
        w_avg_beta: float,
    ) -> None:
        super().__init__()
        self.num_classes, self.w_avg_beta = num_classes, w_avg_beta
        # conditional: the label's embedding joins z, as stylegan2-ada's `embed` layer
        self.embed = EqualLinear(num_classes, w_dim) if num_classes else None
        sizes = [z_dim + (w_dim if num_classes else 0)] + [w_dim] * depth
        self.layers = nn.ModuleList(
            EqualLinear(i, o, lr_multiplier=lr_multiplier, activate=True)
            for i, o in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: Tensor, y: Tensor | None = None, update_w_avg: bool = True) -> Tensor:
        x = normalize_2nd_moment(z)  # (B, z_dim)
        if self.embed is not None:
            if y is None:
                raise ValueError("a conditional network needs class labels y")
            label = normalize_2nd_moment(self.embed(one_hot(y, self.num_classes).to(z.dtype)))
            x = torch.cat([x, label], dim=1)  # (B, z_dim + w_dim)
        for layer in self.layers:
            x = layer(x)
        if self.training and update_w_avg:
            with torch.no_grad():
                # in fp32, whatever autocast computed x in (lerp wants one dtype)
                self.w_avg.copy_(x.detach().float().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        return x  # (B, w_dim)


class StyledConv(nn.Module):
    """3x3 modulated convolution, per-pixel noise with a learned strength, bias, leaky ReLU."""

    def __init__(
        self, in_ch: int, out_ch: int, w_dim: int, resolution: int, up: bool, seed: int
    ) -> None:
        super().__init__()
        self.up = up
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)  # w -> per-channel style
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, 3, 3))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        # fixed noise for evaluation: reproducible samples and smooth interpolations; derived
        # from a constant seed, so it is neither saved nor drawn from the training RNG
        fixed = torch.randn(resolution, resolution, generator=torch.Generator().manual_seed(seed))
        self.register_buffer("noise_const", fixed, persistent=False)

    def forward(self, x: Tensor, w: Tensor, noise_mode: NoiseMode) -> Tensor:
        if self.up:
            x = upsample(x)  # (B, I, 2H, 2W)
        x = modulated_conv2d(x, self.weight, self.affine(w))  # (B, O, H, W)
        if noise_mode == "random":
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
            x = x + noise * self.noise_strength
        elif noise_mode == "const":
            x = x + self.noise_const * self.noise_strength
        return lrelu(x + self.bias[:, None, None])


class ToRGB(nn.Module):
    """1x1 modulated convolution to image channels, without demodulation."""

    def __init__(self, in_ch: int, channels: int, w_dim: int) -> None:
        super().__init__()
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(channels, in_ch, 1, 1))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.gain = in_ch**-0.5

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        styles = self.affine(w) * self.gain  # (B, I)
        return modulated_conv2d(x, self.weight, styles, demodulate=False) + self.bias[:, None, None]


class SynthesisBlock(nn.Module):
    """One resolution: (upsample +) styled convs, then its toRGB added to the upsampled image."""

    def __init__(
        self, in_ch: int, out_ch: int, w_dim: int, resolution: int, channels: int, index: int
    ) -> None:
        super().__init__()
        first = index == 0
        self.const = nn.Parameter(torch.randn(out_ch, resolution, resolution)) if first else None
        seeds = iter(range(2 * index, 2 * index + 2))
        convs = [] if first else [StyledConv(in_ch, out_ch, w_dim, resolution, True, next(seeds))]
        convs.append(StyledConv(out_ch, out_ch, w_dim, resolution, False, next(seeds)))
        self.convs = nn.ModuleList(convs)
        self.torgb = ToRGB(out_ch, channels, w_dim)

    @property
    def num_convs(self) -> int:
        return len(self.convs)

    def forward(
        self, x: Tensor | None, img: Tensor | None, ws: Tensor, noise_mode: NoiseMode
    ) -> tuple[Tensor, Tensor]:
        """ws (B, num_convs + 1, w_dim): one style per conv, the last one for toRGB."""
        if self.const is not None:
            x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)  # (B, C, r0, r0)
        for i, conv in enumerate(self.convs):
            x = conv(x, ws[:, i], noise_mode)
        rgb = self.torgb(x, ws[:, -1])  # (B, channels, H, W)
        img = rgb if img is None else upsample(img) + rgb
        return x, img


def image_shape(data_shape: tuple[int, ...]) -> tuple[int, int]:
    """(channels, resolution) of square image data; anything else is refused."""
    if len(data_shape) != 3 or data_shape[1] != data_shape[2]:
        raise ConfigError(
            f"the stylegan family needs square images, but the data has shape {data_shape}"
        )
    start_resolution(data_shape[1])
    return data_shape[0], data_shape[1]


def start_resolution(resolution: int) -> int:
    """Halve an even resolution down to 4-7 pixels: 32 -> 4, 28 -> 7, 8 -> 4."""
    start = resolution
    while start >= 8 and start % 2 == 0:
        start //= 2
    if not 4 <= start <= 7:
        raise ConfigError(
            f"the stylegan family needs square images of r x 2^k pixels with r from 4 to 7 "
            f"(28, 32, 64, 128...), not {resolution}"
        )
    return start


def block_channels(resolution: int, width: int, max_channels: int) -> dict[int, int]:
    """Channels per block resolution: `width` at full size, doubling as the size halves."""
    sizes, r = [], resolution
    while True:
        sizes.append(r)
        if r == start_resolution(resolution):
            break
        r //= 2
    return {r: min(max_channels, width * resolution // r) for r in sizes}


class SynthesisNetwork(nn.Module):
    """Per-layer styles ws (B, num_ws, w_dim) -> images (B, C, H, W), skip (toRGB) design."""

    def __init__(
        self, *, w_dim: int, channels: int, resolution: int, width: int, max_channels: int
    ) -> None:
        super().__init__()
        widths = block_channels(resolution, width, max_channels)
        sizes = sorted(widths)
        self.blocks = nn.ModuleList(
            SynthesisBlock(widths[sizes[i - 1]] if i else 0, widths[r], w_dim, r, channels, i)
            for i, r in enumerate(sizes)
        )
        # a block's toRGB shares its style with the next block's first conv (StyleGAN2)
        self.num_ws = sum(b.num_convs for b in self.blocks) + 1

    def forward(self, ws: Tensor, noise_mode: NoiseMode = "random") -> Tensor:
        if ws.dim() == 2:
            ws = ws.unsqueeze(1).expand(-1, self.num_ws, -1)  # one w for every layer
        x = img = None
        start = 0
        for block in self.blocks:
            x, img = block(x, img, ws[:, start : start + block.num_convs + 1], noise_mode)
            start += block.num_convs
        return img


class Generator(nn.Module):
    """z (B, latent_dim), labels (B,) -> images (B, C, H, W).

    Besides the family contract it exposes what the latent tools use: `mapping(z, y) -> w`,
    `truncate(w, psi)`, `synthesis(ws)` with ws (B, num_ws, w_dim) or (B, w_dim), `num_ws`
    and `w_avg`. `noise_mode` None draws fresh noise in training and uses fixed noise in eval.
    """

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
        channels, resolution = image_shape(data_shape)
        w_dim = options.w_dim or latent_dim
        self.num_classes = num_classes
        self.noise_mode: NoiseMode | None = None
        self.mapping = MappingNetwork(
            z_dim=latent_dim,
            w_dim=w_dim,
            num_classes=num_classes,
            depth=options.mapping_layers,
            lr_multiplier=options.mapping_lr,
            w_avg_beta=options.w_avg_beta,
        )
        self.synthesis = SynthesisNetwork(
            w_dim=w_dim,
            channels=channels,
            resolution=resolution,
            width=width,
            max_channels=options.max_channels,
        )
        self.num_ws = self.synthesis.num_ws
        self.output = activation(options.last_activation)

    @property
    def w_avg(self) -> Tensor:
        return self.mapping.w_avg

    def truncate(self, w: Tensor, psi: float) -> Tensor:
        """Move w toward the mean w: psi 1 keeps it, 0 gives the 'average' image."""
        return self.w_avg.lerp(w, psi)

    def synthesize(self, ws: Tensor) -> Tensor:
        """Images from per-layer styles, in the data's range."""
        mode = self.noise_mode or ("random" if self.training else "const")
        return self.output(self.synthesis(ws, mode))

    def forward(self, z: Tensor, y: Tensor | None = None, truncation: float = 1.0) -> Tensor:
        w = self.mapping(z, y)  # (B, w_dim)
        if truncation != 1.0:
            w = self.truncate(w, truncation)
        return self.synthesize(w)  # (B, C, H, W)

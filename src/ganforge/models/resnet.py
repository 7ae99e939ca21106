"""Residual GAN networks of the SNGAN and WGAN-GP CIFAR-10 experiments, as Mimicry builds them.

We follow kwotsin/mimicry `torch_mimicry/nets/sngan/sngan_32.py` (SNGANGenerator32,
SNGANDiscriminator32), its blocks in `torch_mimicry/modules/resblocks.py` (GBlock, DBlock,
DBlockOptimized) and, for class-conditional runs, `nets/cgan_pd/cgan_pd_32.py` (conditional
batch norm in G, a projection in D). At 32x32 with model.width=64 and model.latent_dim=128 the
counts equal Mimicry's: G 4,276,739 trainable parameters (4,280,323 with batch-norm statistics),
D 1,053,825; cGAN-PD with 10 classes G 4,304,387, D 1,055,105.

Generator: z -> linear to (ch, 4, 4) -> upsampling residual blocks (BN, ReLU, 2x upsample,
3x3 conv, BN, ReLU, 3x3 conv; 1x1 conv shortcut) -> BN, ReLU, 3x3 conv, tanh.
Discriminator: an optimised first block (conv, ReLU, conv, avg-pool; pooled 1x1 shortcut), a
downsampling block, two plain blocks, ReLU, global sum pooling, linear score. Spectral norm is
`model.d.spectral_norm` (SNGAN: true), so the same D also serves WGAN-GP. Depth follows the
resolution: G has one block per doubling from 4-7 pixels (3 at 32x32); D downsamples one time
fewer and then adds two blocks that keep the size.

The networks initialise themselves as Mimicry does (Xavier-uniform, gain sqrt 2 inside the
residual branches); `model.init: default` keeps that, other schemes replace it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.errors import ConfigError
from ganforge.models.conditional import (
    ConditionalBatchNorm,
    generator_label_input,
    head_score,
    input_label_features,
    label_head,
)
from ganforge.models.dcgan import default_depth
from ganforge.models.layers import activation, with_label


@dataclass(frozen=True)
class GeneratorOptions:
    channels: int | None = None  # channels of every block (default 4 x model.width: 256)
    upsample: Literal["bilinear", "nearest"] = "bilinear"  # Mimicry: bilinear; Chainer: nearest
    # how labels enter: concat (to z) | batch_norm (conditional batch norm, cGAN-PD); None:
    # batch_norm with model.conditional=projection, else concat
    label_input: Literal["concat", "batch_norm"] | None = None
    last_activation: str = "tanh"

    def check(self, where: str) -> None:
        if self.channels is not None and self.channels < 1:
            raise ConfigError(f"'{where}.channels' must be at least 1")


@dataclass(frozen=True)
class DiscriminatorOptions:
    channels: int | None = None  # channels of every block (default 2 x model.width: 128)
    spectral_norm: bool = False  # spectral normalisation of every layer (SNGAN: true)
    last_activation: str | None = None  # none | sigmoid (fused into the loss); None: the loss's
    pack: int = 1  # PacGAN: D judges this many samples at once (models.packing)

    def check(self, where: str) -> None:
        if self.channels is not None and self.channels < 1:
            raise ConfigError(f"'{where}.channels' must be at least 1")


def _xavier(module: nn.Module, gain: float = 1.0) -> nn.Module:
    nn.init.xavier_uniform_(module.weight, gain)
    return module


def _conv3(in_ch: int, out_ch: int) -> nn.Conv2d:
    return _xavier(nn.Conv2d(in_ch, out_ch, 3, 1, padding=1), math.sqrt(2.0))


def _image_shape(data_shape: tuple[int, ...]) -> tuple[int, int]:
    if len(data_shape) != 3 or data_shape[1] != data_shape[2]:
        raise ConfigError(
            f"the resnet family needs square images, but the data has shape {data_shape}"
        )
    return data_shape[0], data_shape[1]


def _doubling(n: int, like: Tensor) -> Tensor:
    """(2n, n) weights of 1-D linear upsampling by 2 (align_corners=False): PyTorch's own
    interpolation of the identity, so the weights (0.25, 0.75, edges clamped) are its own."""
    eye = torch.eye(n, dtype=like.dtype, device=like.device).view(n, 1, n)
    return F.interpolate(eye, scale_factor=2, mode="linear", align_corners=False)[:, 0].t()


def upsample2x_bilinear(x: Tensor) -> Tensor:
    """`F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)` as two matrix
    products (the same values to float rounding). PyTorch's CPU kernel copies a 256-channel
    NCHW batch to channels-last and back: 205 ms against 77 ms for 64x256x16x16 here."""
    rows, cols = _doubling(x.shape[-2], x), _doubling(x.shape[-1], x)
    return rows @ x @ cols.t()  # (B, C, 2H, 2W)


class GBlock(nn.Module):
    """Pre-activation residual block that doubles the size (Mimicry `GBlock`, upsample=True)."""

    def __init__(self, channels: int, num_classes: int, upsample: str) -> None:
        super().__init__()
        norm = (lambda: ConditionalBatchNorm(channels, num_classes)) if num_classes else None
        self.b1 = norm() if norm else nn.BatchNorm2d(channels)
        self.c1 = _conv3(channels, channels)
        self.b2 = norm() if norm else nn.BatchNorm2d(channels)
        self.c2 = _conv3(channels, channels)
        self.c_sc = _xavier(nn.Conv2d(channels, channels, 1, 1, padding=0))
        self.mode = upsample

    def _up(self, x: Tensor) -> Tensor:
        if self.mode == "nearest":
            return F.interpolate(x, scale_factor=2, mode="nearest")
        if x.is_contiguous(memory_format=torch.channels_last):  # native NHWC kernel, no copies
            return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return upsample2x_bilinear(x)

    def _norm(self, norm: nn.Module, x: Tensor, y: Tensor | None) -> Tensor:
        return norm(x, y) if isinstance(norm, ConditionalBatchNorm) else norm(x)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        # in-place ReLUs (as Mimicry's): batch norm and convolutions do not need their
        # outputs for backward, and each 32x32 activation of 64 images is 67 MB to allocate
        h = self.c1(self._up(F.relu(self._norm(self.b1, x, y), inplace=True)))
        h = self.c2(F.relu(self._norm(self.b2, h, y), inplace=True))
        # Mimicry convolves the upsampled x; a 1x1 conv commutes with bilinear and nearest
        # upsampling (each output pixel is a weighted mean of inputs, weights summing to 1),
        # so convolving first computes the same on a quarter of the pixels (~4% of G's work)
        return h + self._up(self.c_sc(x))  # (B, C, 2H, 2W)


class DBlock(nn.Module):
    """Residual block of D (Mimicry `DBlock`, hidden = in channels); `first` is
    `DBlockOptimized`: no leading ReLU, and the shortcut pools before its 1x1 conv.

    Mimicry's leading `nn.ReLU(inplace=True)` also rectifies the block's input before the
    shortcut reads it, so its shortcut carries relu(x), not x as in the Chainer SNGAN code. We
    compute what Mimicry computes (outputs checked equal with the same weights): its FIDs come
    from that network.
    """

    def __init__(self, in_ch: int, out_ch: int, downsample: bool, first: bool = False) -> None:
        super().__init__()
        self.first, self.downsample = first, downsample
        self.c1 = _conv3(in_ch, out_ch if first else in_ch)
        self.c2 = _conv3(out_ch if first else in_ch, out_ch)
        learnable = first or downsample or in_ch != out_ch
        self.c_sc = _xavier(nn.Conv2d(in_ch, out_ch, 1, 1, padding=0)) if learnable else None

    def forward(self, x: Tensor) -> Tensor:
        if not self.first:
            x = F.relu(x, inplace=True)  # x is the last block's sum; the shortcut sees relu(x)
        h = self.c2(F.relu(self.c1(x), inplace=True))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        if self.first:
            return h + self.c_sc(F.avg_pool2d(x, 2))
        sc = x if self.c_sc is None else self.c_sc(x)
        return h + (F.avg_pool2d(sc, 2) if self.downsample else sc)


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
        channels, resolution = _image_shape(data_shape)
        depth = default_depth(resolution)
        if resolution % 2**depth:
            raise ConfigError(f"the resnet generator cannot reach {resolution}px by doubling")
        self.bottom = resolution // 2**depth
        label_input = generator_label_input(num_classes, conditioning, options.label_input)
        self.num_classes = num_classes if label_input == "concat" else 0  # one-hot z features
        norm_classes = num_classes if label_input == "batch_norm" else 0
        self.ch = ch = options.channels or 4 * width
        self.l1 = _xavier(nn.Linear(latent_dim + self.num_classes, self.bottom**2 * ch))
        self.blocks = nn.ModuleList(
            GBlock(ch, norm_classes, options.upsample) for _ in range(depth)
        )
        self.b5 = nn.BatchNorm2d(ch)
        self.c5 = _xavier(nn.Conv2d(ch, channels, 3, 1, padding=1))
        self.out = activation(options.last_activation)
        self.conditional_norm = bool(norm_classes)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        if self.conditional_norm and y is None:
            raise ValueError("a conditional network needs class labels y")
        h = self.l1(with_label(z, y, self.num_classes))
        h = h.view(z.shape[0], self.ch, self.bottom, self.bottom)  # (B, ch, 4, 4)
        for block in self.blocks:
            h = block(h, y if self.conditional_norm else None)
        return self.out(self.c5(F.relu(self.b5(h), inplace=True)))  # (B, C, H, W)


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
        channels, resolution = _image_shape(data_shape)
        self.num_classes = input_label_features(num_classes, conditioning)
        ch = options.channels or 2 * width
        downs = max(1, default_depth(resolution) - 1)  # 32x32: 32 -> 16 -> 8
        blocks = [DBlock(channels + self.num_classes, ch, downsample=True, first=True)]
        blocks += [DBlock(ch, ch, downsample=True) for _ in range(downs - 1)]
        blocks += [DBlock(ch, ch, downsample=False) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.l5 = _xavier(nn.Linear(ch, 1))
        self.head = label_head(ch, num_classes, conditioning)

    def features(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = F.relu(self.blocks(with_label(x, y, self.num_classes)), inplace=True)
        return h.sum(dim=(2, 3))  # (B, ch): global sum pooling

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return head_score(self.l5, self.head, self.features(x, y), y)  # (B,) raw scores

    def classify(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """ACGAN: (B,) scores and (B, K) class logits."""
        h = self.features(x)
        return self.l5(h).view(-1), self.head(h)

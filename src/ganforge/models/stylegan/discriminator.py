"""StyleGAN2's residual discriminator: fromRGB, one residual block per halving of the
resolution, then minibatch standard deviation, a conv and two dense layers at 4-7 pixels.
Conditional: the score is projected on a label embedding (stylegan2-ada's `cmap`)."""

from __future__ import annotations

import math

from torch import Tensor, nn

from ganforge.models.layers import one_hot
from ganforge.models.stylegan.generator import block_channels, image_shape, start_resolution
from ganforge.models.stylegan.layers import (
    EqualConv2d,
    EqualLinear,
    MinibatchStd,
    normalize_2nd_moment,
)
from ganforge.models.stylegan.options import DiscriminatorOptions

HALF = math.sqrt(0.5)  # residual sums are scaled to keep unit variance


class ResidualBlock(nn.Module):
    """conv 3x3, conv 3x3 down 2, plus a 1x1 down-2 skip; both paths scaled by sqrt(1/2)."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv0 = EqualConv2d(in_ch, in_ch, 3)
        self.conv1 = EqualConv2d(in_ch, out_ch, 3, down=True)
        self.skip = EqualConv2d(in_ch, out_ch, 1, bias=False, activate=False, down=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.skip(x, gain=HALF) + self.conv1(self.conv0(x), gain=HALF)  # (B, O, H/2, W/2)


class Discriminator(nn.Module):
    """Images (B, C, H, W), labels (B,) -> raw scores (B,)."""

    def __init__(
        self,
        *,
        data_shape: tuple[int, ...],
        num_classes: int,
        width: int,
        options: DiscriminatorOptions,
    ) -> None:
        super().__init__()
        channels, resolution = image_shape(data_shape)
        start = start_resolution(resolution)
        widths = block_channels(resolution, width, options.max_channels)
        sizes = sorted(widths, reverse=True)  # R, R/2, ..., start
        self.fromrgb = EqualConv2d(channels, widths[resolution], 1)
        self.blocks = nn.Sequential(*(ResidualBlock(widths[r], widths[r // 2]) for r in sizes[:-1]))
        top = widths[start]
        self.mbstd = MinibatchStd(options.mbstd_group) if options.mbstd_group else None
        self.conv = EqualConv2d(top + (1 if self.mbstd else 0), top, 3)
        self.fc = EqualLinear(top * start * start, top, activate=True)
        self.num_classes = num_classes
        self.out = EqualLinear(top, top if num_classes else 1)
        self.embed = EqualLinear(num_classes, top) if num_classes else None

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        x = self.blocks(self.fromrgb(x))  # (B, top, start, start)
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.fc(self.conv(x).flatten(1))  # (B, top)
        out = self.out(x)  # (B, 1) or (B, top)
        if self.embed is None:
            return out.view(-1)
        if y is None:
            raise ValueError("a conditional network needs class labels y")
        cmap = normalize_2nd_moment(self.embed(one_hot(y, self.num_classes).to(x.dtype)))
        return (out * cmap).sum(dim=1) / math.sqrt(out.shape[1])  # (B,) projection score

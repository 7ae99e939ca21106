"""StyleGAN2's building blocks in plain PyTorch ops: equalised learning rate, modulated
convolution, [1, 3, 3, 1] resampling and minibatch standard deviation.

Written after NVlabs/stylegan2-ada-pytorch `training/networks.py`, without its custom CUDA
kernels, so every block runs (and double-backpropagates, for R1 and path length) on a CPU.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LRELU_GAIN = math.sqrt(2.0)  # keeps activations at unit variance after leaky ReLU (He init)


def lrelu(x: Tensor, gain: float = 1.0) -> Tensor:
    """Leaky ReLU (slope 0.2) scaled by sqrt(2) * gain, StyleGAN's `lrelu` with `def_gain`."""
    return F.leaky_relu(x, 0.2) * (LRELU_GAIN * gain)


def normalize_2nd_moment(x: Tensor, eps: float = 1e-8) -> Tensor:
    """Scale each row to unit root mean square (pixel norm of z and label embeddings)."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


class EqualLinear(nn.Module):
    """Dense layer with equalised learning rate: weights are stored N(0, 1) / lr_multiplier and
    scaled by lr_multiplier / sqrt(fan_in) at run time, so Adam's step is the same for every
    layer and `lr_multiplier` slows a layer down (0.01 for the mapping network)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        bias_init: float = 0.0,
        lr_multiplier: float = 1.0,
        activate: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier
        self.activate = activate

    def forward(self, x: Tensor) -> Tensor:
        bias = None if self.bias is None else self.bias * self.bias_gain
        x = F.linear(x, self.weight * self.weight_gain, bias)
        return lrelu(x) if self.activate else x


class EqualConv2d(nn.Module):
    """Convolution with equalised learning rate, optional leaky ReLU and 2x downsampling
    (blur, then a stride-2 convolution, as the discriminator's `Conv2dLayer(down=2)`)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        bias: bool = True,
        activate: bool = True,
        down: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size**2)
        self.activate, self.down = activate, down
        self.padding = kernel_size // 2

    def forward(self, x: Tensor, gain: float = 1.0) -> Tensor:
        weight = self.weight * self.weight_gain
        if self.down:
            x = blur(x, pad=self.padding + 1)  # (B, I, H + 1, W + 1)
            x = F.conv2d(x, weight, self.bias, stride=2)  # (B, O, H / 2, W / 2)
        else:
            x = F.conv2d(x, weight, self.bias, padding=self.padding)
        return lrelu(x, gain) if self.activate else x * gain


def blur(x: Tensor, pad: int) -> Tensor:
    """Depthwise [1, 3, 3, 1] x [1, 3, 3, 1] / 64 low-pass filter, `pad` zeros on each side:
    (B, C, H, W) -> (B, C, H + 2 pad - 3, W + 2 pad - 3)."""
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0], dtype=x.dtype, device=x.device)
    kernel = torch.outer(taps, taps) / taps.sum() ** 2  # (4, 4), sums to 1
    channels = x.shape[1]
    kernel = kernel.expand(channels, 1, 4, 4)
    return F.conv2d(F.pad(x, (pad, pad, pad, pad)), kernel, groups=channels)


def upsample(x: Tensor) -> Tensor:
    """2x upsampling with the [1, 3, 3, 1] filter: bilinear interpolation at half-pixel centres
    (the same weights 1/4 and 3/4), edges replicated instead of zero-padded."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def downsample(x: Tensor) -> Tensor:
    """2x downsampling with the [1, 3, 3, 1] filter (the skip path of residual blocks)."""
    return blur(x, pad=1)[:, :, ::2, ::2]  # (B, C, H / 2, W / 2)


def modulated_conv2d(x: Tensor, weight: Tensor, styles: Tensor, demodulate: bool = True) -> Tensor:
    """StyleGAN2's modulated convolution: scale the input channels by each sample's style,
    convolve with the shared weight, then (demodulate) divide each output channel by the norm
    its modulated weights would have, so unit-variance inputs give unit-variance outputs.

    x (B, I, H, W), weight (O, I, k, k), styles (B, I) -> (B, O, H, W). This is the unfused
    form of the paper's per-sample weights w'_ijk = s_i w_ijk / sqrt(sum_ik (s_i w_ijk)^2 + eps):
    the same numbers without a grouped convolution.
    """
    x = x * styles[:, :, None, None]  # (B, I, H, W)
    x = F.conv2d(x, weight, padding=weight.shape[-1] // 2)  # (B, O, H, W)
    if demodulate:
        # sum over I, k, k of (s_i w_oik)^2 = (w^2 summed over k, k) @ s^2
        norms = styles.square() @ weight.square().sum(dim=(2, 3)).t()  # (B, O)
        x = x * (norms + 1e-8).rsqrt()[:, :, None, None]
    return x


class MinibatchStd(nn.Module):
    """Appends one channel: the standard deviation of features across groups of samples, so D
    can see a batch that lacks variety (Karras et al. 2018)."""

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        group = min(self.group_size, n)
        while n % group:  # the largest group size that divides the batch
            group -= 1
        y = x.reshape(group, -1, c, h, w)  # (G, n/G, C, H, W): sample i joins group i % (n/G)
        y = (y - y.mean(dim=0)).square().mean(dim=0)  # (n/G, C, H, W) variance over the group
        y = (y + 1e-8).sqrt().mean(dim=(1, 2, 3))  # (n/G,) mean std over channels and pixels
        y = y.reshape(-1, 1, 1, 1).repeat(group, 1, h, w)  # (N, 1, H, W)
        return torch.cat([x, y], dim=1)

"""Building blocks shared by the model families: activations, batch norm, padding, init."""

from __future__ import annotations

import math
from collections.abc import Callable

from torch import nn

from ganforge.registry import Registry

ACTIVATIONS: Registry[Callable[[float], nn.Module]] = Registry("activation")
ACTIVATIONS.add("relu", lambda alpha: nn.ReLU(), "max(0, x)")
ACTIVATIONS.add("leaky_relu", lambda alpha: nn.LeakyReLU(alpha), "LeakyReLU with slope alpha")
ACTIVATIONS.add("elu", lambda alpha: nn.ELU(), "ELU")
ACTIVATIONS.add("gelu", lambda alpha: nn.GELU(), "GELU")
ACTIVATIONS.add("silu", lambda alpha: nn.SiLU(), "SiLU (swish)")
ACTIVATIONS.add("tanh", lambda alpha: nn.Tanh(), "tanh, the usual generator output for [-1, 1]")
ACTIVATIONS.add("sigmoid", lambda alpha: nn.Sigmoid(), "logistic sigmoid")
ACTIVATIONS.add("none", lambda alpha: nn.Identity(), "identity (linear output)")


def activation(name: str, alpha: float = 0.2) -> nn.Module:
    return ACTIVATIONS.get(name)(alpha)


def batch_norm(features: int, keras_momentum: float, dims: int) -> nn.Module:
    """Batch norm whose momentum is given as Keras does (0.8 keeps 80% of the running mean)."""
    cls = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
    return cls(features, momentum=1.0 - keras_momentum)


def norm_act(
    features: int,
    dims: int,
    *,
    use_norm: bool,
    keras_momentum: float,
    act: str,
    alpha: float,
    norm_after_activation: bool,
) -> list[nn.Module]:
    """[norm, act] or [act, norm]: Keras-era GANs put batch norm after the activation."""
    layers = [activation(act, alpha)]
    if use_norm:
        norm = batch_norm(features, keras_momentum, dims)
        layers = layers + [norm] if norm_after_activation else [norm] + layers
    return layers


def block_tail(features: int, dims: int, spec, use_norm: bool) -> list[nn.Module]:  # noqa: ANN001
    """What follows every hidden layer: norm and activation in the spec's order, then dropout.

    `spec` is a GeneratorConfig or DiscriminatorConfig; both name these options alike.
    """
    layers = norm_act(
        features,
        dims,
        use_norm=use_norm,
        keras_momentum=spec.bn_momentum,
        act=spec.activation,
        alpha=spec.alpha,
        norm_after_activation=spec.norm_after_activation,
    )
    if spec.dropout:
        layers.append(nn.Dropout(spec.dropout))
    return layers


def conv_padding(kernel: int) -> int:
    """Symmetric padding that keeps 'same' sizes for odd kernels (Keras padding='same')."""
    return (kernel - 1) // 2


def conv_out_size(size: int, kernel: int, stride: int) -> int:
    return (size + 2 * conv_padding(kernel) - kernel) // stride + 1


def upconv(
    in_ch: int, out_ch: int, kernel: int, stride: int, mode: str, bias: bool
) -> list[nn.Module]:
    """Layers that multiply the spatial size by `stride` exactly, like Keras padding='same'."""
    if stride == 1:
        if kernel % 2:
            return [nn.ConvTranspose2d(in_ch, out_ch, kernel, 1, kernel // 2, bias=bias)]
        return [nn.Conv2d(in_ch, out_ch, kernel, 1, padding="same", bias=bias)]
    if mode == "nearest":
        return [
            nn.Upsample(scale_factor=stride, mode="nearest"),
            nn.Conv2d(in_ch, out_ch, kernel, 1, padding="same", bias=bias),
        ]
    padding = max(0, math.ceil((kernel - stride) / 2))
    output_padding = stride - kernel + 2 * padding
    return [nn.ConvTranspose2d(in_ch, out_ch, kernel, stride, padding, output_padding, bias=bias)]


def initialize(module: nn.Module, scheme: str) -> None:
    """Weight init: PyTorch's default, DCGAN's N(0, 0.02), or Keras' Glorot-uniform."""
    if scheme == "default":
        return
    for m in module.modules():
        if isinstance(m, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
            if scheme == "dcgan":
                nn.init.normal_(m.weight, 0.0, 0.02)
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            if scheme == "dcgan":
                nn.init.normal_(m.weight, 1.0, 0.02)
            else:
                nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

"""Building blocks shared by the model families: activations, batch norm, padding, init."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.errors import ConfigError
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


@dataclass(frozen=True)
class BlockOptions:
    """What follows every hidden layer; the families' option classes extend it."""

    activation: str = "relu"  # relu | leaky_relu | elu | gelu | silu | tanh | sigmoid | none
    alpha: float = 0.2  # negative slope when activation is leaky_relu
    batch_norm: bool = True
    bn_momentum: float = 0.8  # Keras semantics: 0.8 here is PyTorch momentum 0.2
    norm_after_activation: bool = False  # Keras GAN order is layer -> activation -> batch norm
    bias: bool = True
    dropout: float = 0.0

    def check(self, where: str) -> None:
        """Names and ranges; `where` is the config prefix, e.g. 'model.g'."""
        ACTIVATIONS.get(self.activation)
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"'{where}.dropout' must be in [0, 1)")
        if not 0.0 <= self.bn_momentum < 1.0:
            raise ConfigError(f"'{where}.bn_momentum' must be in [0, 1)")
        for name in ("hidden", "strides"):
            values = getattr(self, name, None)
            if values is not None and (len(values) == 0 or min(values) < 1):
                raise ConfigError(f"'{where}.{name}' must be a non-empty list of positive numbers")


class Dropout(nn.Dropout):
    """nn.Dropout whose CPU mask is `rand < keep` rather than `bernoulli_`.

    On CPU `bernoulli_` draws its numbers one at a time (pytorch/pytorch#138199): it was a fifth
    of a training step of the deng2024-conv GAN here, four times the cost of `torch.rand` for the
    same mask. `rand < keep` has the same Bernoulli(keep) distribution, drawn from the same global
    generator, and is inductor's own CPU decomposition of bernoulli (pytorch/pytorch#97002). The
    random stream differs from nn.Dropout's, so runs are reproducible against themselves, not
    against a loop built with nn.Dropout. Other devices keep PyTorch's fused dropout kernel.
    """

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or not self.p or x.device.type != "cpu":
            return super().forward(x)
        keep = 1.0 - self.p
        # float32 uniforms even for bf16 inputs: a bf16 uniform has only 256 levels
        mask = torch.rand_like(x, dtype=torch.float32).lt_(keep).div_(keep).to(x.dtype)
        return x.mul_(mask) if self.inplace else x * mask


def one_hot(y: Tensor, num_classes: int) -> Tensor:
    """(B,) class indices -> (B, num_classes) floats: the label input of cGAN (Mirza 2014)."""
    return F.one_hot(y.long(), num_classes).float()


def with_label(x: Tensor, y: Tensor | None, num_classes: int) -> Tensor:
    """Concatenate one-hot labels to flat inputs, or as constant maps to images (cDCGAN).

    Unconditional networks (num_classes 0) get x back unchanged; a conditional one without
    labels is a caller's bug, so it raises.
    """
    if not num_classes:
        return x
    if y is None:
        raise ValueError("a conditional network needs class labels y")
    code = one_hot(y, num_classes).to(x.dtype)  # (B, K)
    if x.dim() == 4:
        code = code[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])  # (B, K, H, W)
    return torch.cat([x, code], dim=1)


def block_tail(features: int, dims: int, spec: BlockOptions, use_norm: bool) -> list[nn.Module]:
    """What follows every hidden layer: norm and activation in the spec's order, then dropout."""
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
        layers.append(Dropout(spec.dropout))
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
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) and m.affine:
            if scheme == "dcgan":
                nn.init.normal_(m.weight, 1.0, 0.02)
            else:
                nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def spectral_normalize(module: nn.Module) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) of every weight layer of `module`.

    Each weight is divided by its largest singular value, estimated by one power iteration
    per training forward pass in the paper's order (models/spectral.py: SNGAN's and Mimicry's
    maths, not PyTorch's parametrization's). Applied after initialisation, as SNGAN does.
    """
    from ganforge.models.spectral import spectral_norm

    for m in list(module.modules()):
        if isinstance(m, nn.Linear | nn.Conv2d | nn.ConvTranspose2d | nn.Embedding):
            spectral_norm(m)
    return module

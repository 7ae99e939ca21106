"""The stylegan family's options: `model.g.*` and `model.d.*` (`ganforge families stylegan`)."""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.errors import ConfigError
from ganforge.models.layers import ACTIVATIONS


@dataclass(frozen=True)
class GeneratorOptions:
    w_dim: int | None = None  # size of W (None: model.latent_dim)
    mapping_layers: int = 8  # depth of the mapping network z -> w
    mapping_lr: float = 0.01  # learning-rate multiplier of the mapping network
    w_avg_beta: float = 0.995  # decay of the running mean of w (truncation's centre)
    max_channels: int = 512  # channels double from model.width as the resolution halves, to this
    style_mixing: float = 0.9  # probability of two latents per generated batch (regulariser)
    pl_weight: float = 0.0  # path-length regularisation weight (StyleGAN2: 2); 0 turns it off
    pl_every: int = 4  # lazy path-length regularisation: every k steps, scaled by k
    pl_batch_shrink: int = 2  # the path-length batch is batch_size / this
    pl_decay: float = 0.01  # decay of the running mean path length
    last_activation: str = "tanh"  # tanh keeps [-1, 1]; none is NVIDIA's linear output

    def check(self, where: str) -> None:
        ACTIVATIONS.get(self.last_activation)
        if self.mapping_layers < 1 or self.max_channels < 1 or (self.w_dim or 1) < 1:
            raise ConfigError(f"'{where}' mapping_layers, max_channels and w_dim must be >= 1")
        if not 0.0 <= self.style_mixing <= 1.0:
            raise ConfigError(f"'{where}.style_mixing' is a probability, in [0, 1]")
        if not 0.0 < self.mapping_lr <= 1.0 or not 0.0 <= self.w_avg_beta < 1.0:
            raise ConfigError(f"'{where}' mapping_lr must be in (0, 1], w_avg_beta in [0, 1)")
        if self.pl_weight < 0 or self.pl_every < 1 or self.pl_batch_shrink < 1:
            raise ConfigError(
                f"'{where}' pl_weight must be >= 0, pl_every and pl_batch_shrink >= 1"
            )
        if not 0.0 < self.pl_decay <= 1.0:
            raise ConfigError(f"'{where}.pl_decay' must be in (0, 1]")


@dataclass(frozen=True)
class DiscriminatorOptions:
    max_channels: int = 512  # channels double from model.width as the resolution halves, to this
    mbstd_group: int = 4  # minibatch standard deviation over groups of this size (0: off)
    last_activation: str | None = None  # none | sigmoid; None: what the loss expects

    def check(self, where: str) -> None:
        if self.max_channels < 1 or self.mbstd_group < 0:
            raise ConfigError(f"'{where}' max_channels must be >= 1 and mbstd_group >= 0")

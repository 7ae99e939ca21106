"""PacGAN packing (Lin et al. 2018): D judges `pack` samples at once, all real or all fake.

A generator that has collapsed onto a few modes makes packs of near-identical samples, which
real packs never are, so D can see and punish the collapse that it cannot see one sample at a
time. PacGAN concatenates the samples along the channel axis and widens only D's first layer;
that is what `Packed` does around any discriminator of the contract, built for `pack` times
the data's channels. The losses are unchanged: they average D's B/pack scores.
"""

from __future__ import annotations

from torch import Tensor, nn

from ganforge.config import Config
from ganforge.errors import ConfigError, GanforgeError


def packed_shape(data_shape: tuple[int, ...], pack: int) -> tuple[int, ...]:
    """The shape D is built for: channels (or point coordinates) times `pack`."""
    return (data_shape[0] * pack, *data_shape[1:])


class Packed(nn.Module):
    """`inner` applied to groups of `pack` consecutive samples, stacked along the channels."""

    def __init__(self, inner: nn.Module, pack: int) -> None:
        super().__init__()
        self.inner = inner
        self.pack = pack

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        if y is not None:
            raise ValueError("a packed discriminator is unconditional")
        if x.shape[0] % self.pack:
            raise GanforgeError(
                f"model.d.pack={self.pack} needs batches divisible by {self.pack}, "
                f"but D got {x.shape[0]} samples"
            )
        # (B, C, ...) -> (B/pack, pack*C, ...): samples 0..pack-1 form the first pack
        return self.inner(x.reshape(x.shape[0] // self.pack, -1, *x.shape[2:]))


def check(config: Config) -> None:
    """Packing needs whole packs in every batch and no labels."""
    pack = config.model.d.get("pack", 1)  # a whole number: the typed options checked that
    if pack < 1:
        raise ConfigError(f"'model.d.pack' must be at least 1, got {pack}")
    if pack == 1:
        return
    if config.model.conditional != "none":
        raise ConfigError(
            "model.d.pack (PacGAN) packs samples of different classes together, so it needs "
            f"model.conditional=none, not {config.model.conditional}"
        )
    if config.train.batch_size % pack:
        raise ConfigError(
            f"train.batch_size ({config.train.batch_size}) must be a multiple of "
            f"model.d.pack ({pack})"
        )

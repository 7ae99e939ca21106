"""Stop training at the first non-finite loss or gradient, with one sentence that says where."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.config import Config
from ganforge.errors import TrainingDiverged

WATCHED = ("_loss", "_penalty", "_grad_norm")  # logged names whose non-finite value stops a run


def watched(key: str) -> bool:
    return key.endswith(WATCHED)


def check_finite(values: dict[str, Any], step: int, config: Config, checkpoints: Path) -> None:
    """Raise TrainingDiverged naming the network, the quantity and its learning rate."""
    for key, value in values.items():
        if watched(key) and isinstance(value, float) and not math.isfinite(value):
            side = "d" if key.startswith("d_") else "g"
            net = "discriminator" if side == "d" else "generator"
            what = "gradient" if key.endswith("grad_norm") else "loss"
            raise diverged(f"the {net}'s {what} became {value}", side, step, config, checkpoints)


def check_weights(
    networks: Mapping[str, nn.Module], step: int, config: Config, checkpoints: Path
) -> None:
    """Raise TrainingDiverged before a checkpoint would hold non-finite weights or batch-norm
    statistics: an update can overflow them while every loss and gradient norm logged so far
    is finite (the NaN shows one step later), and such a checkpoint would load but be useless."""
    for name, net in networks.items():
        tensors = [*net.parameters(), *(b for b in net.buffers() if b.is_floating_point())]
        if all(bool(torch.isfinite(x).all()) for x in tensors):  # batch-norm statistics too
            continue
        side = "d" if "discriminator" in name else "g"
        raise diverged(f"the {name}'s weights became non-finite", side, step, config, checkpoints)


def diverged(
    what: str, side: str, step: int, config: Config, checkpoints: Path
) -> TrainingDiverged:
    """The one sentence: where it went non-finite, the learning rate to lower, what is kept."""
    lr = getattr(config.optim, side).lr
    return TrainingDiverged(
        f"training diverged at step {step}: {what}; the usual cause is a learning rate that is "
        f"too high (optim.{side}.lr={lr:g}); the checkpoints already in {checkpoints} are kept"
    )

"""Stop training at the first non-finite loss or gradient, with one sentence that says where."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

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
            lr = getattr(config.optim, side).lr
            raise TrainingDiverged(
                f"training diverged at step {step}: the {net}'s {what} became {value}; the "
                f"usual cause is a learning rate that is too high (optim.{side}.lr={lr:g}); the "
                f"checkpoints already in {checkpoints} are kept"
            )

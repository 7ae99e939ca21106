"""Learning-rate decay as a pure function of the step.

Setting each optimiser's rate from the step, rather than keeping a scheduler object, means a
resumed run needs nothing but the step counter to be on the same schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ganforge.registry import Registry

SCHEDULES: Registry[Callable[[float], float]] = Registry("learning-rate decay")
SCHEDULES.add("none", lambda progress: 1.0, "constant learning rates")
SCHEDULES.add("linear", lambda progress: 1.0 - progress, "linear decay to 0 at the last step")
SCHEDULES.add(
    "cosine",
    lambda progress: 0.5 * (1.0 + math.cos(math.pi * progress)),
    "cosine decay to 0 at the last step",
)


def apply_decay(
    optimizer: torch.optim.Optimizer, base_lr: float, name: str, step: int, total: int
) -> None:
    """Set the rate for update number `step` (0-based) of `total`."""
    factor = SCHEDULES.get(name)(min(step / total, 1.0))
    for group in optimizer.param_groups:
        group["lr"] = base_lr * factor

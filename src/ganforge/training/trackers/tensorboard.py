"""TensorBoard: event files in the run's tensorboard/ folder (`tensorboard --logdir runs`)."""

from __future__ import annotations

import math
from typing import Any

from ganforge.training.trackers.base import TrackerContext, numbers


class TensorBoardTracker:
    def __init__(self, ctx: TrackerContext) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # purge_step drops events a killed run logged after its last checkpoint
        self.writer = SummaryWriter(
            log_dir=str(ctx.run.tensorboard_dir), purge_step=ctx.start_step or None
        )

    def row(self, row: dict[str, Any], step: int) -> None:
        for key, value in numbers(row).items():
            if math.isfinite(value) and isinstance(row[key], float):
                self.writer.add_scalar(f"train/{key}", value, step)

    def image(self, tag: str, grid: Any, step: int) -> None:
        self.writer.add_image(tag, grid, step)

    def close(self) -> None:
        self.writer.close()

"""Weights & Biases (`pip install 'ganforge[wandb]'`): the resolved config, metrics per step,
sample grids and the loss plot, in a W&B run named after the run directory.

Without network or a login the run is written offline into RUN/wandb/ (upload it later with
`wandb sync`); $WANDB_MODE, when set, decides instead. A resumed run continues the same W&B run
(its id is kept in trackers.json).
"""

from __future__ import annotations

import math
import netrc
import os
import socket
import sys
import uuid
from typing import Any
from urllib.parse import urlparse

from ganforge.training.trackers.base import TrackerContext, flat_config, numbers


def online(timeout: float = 3.0) -> bool:
    """A login (WANDB_API_KEY or ~/.netrc) and a W&B server that answers."""
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or ""
    try:
        key = os.environ.get("WANDB_API_KEY") or (netrc.netrc().authenticators(host) or [None])[-1]
    except (OSError, netrc.NetrcParseError):
        key = None
    if not key:
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


class WandbTracker:
    def __init__(self, ctx: TrackerContext) -> None:
        import wandb

        mode = os.environ.get("WANDB_MODE") or ("online" if online() else "offline")
        run_id = ctx.recall("wandb").get("id") if ctx.start_step else None
        self.wandb, self.run_dir = wandb, ctx.run
        self.run = wandb.init(
            project=ctx.config.log.experiment,
            name=ctx.run.path.name,
            id=run_id or uuid.uuid4().hex[:12],
            resume="allow",
            dir=str(ctx.run.path),
            config=flat_config(ctx.config),
            mode=mode,
            reinit="create_new",  # never hand back a notebook's own active run
            settings=wandb.Settings(console="off", quiet=True, silent=True),
        )
        ctx.remember("wandb", {"id": self.run.id, "mode": mode})
        if mode == "offline":
            ctx.say(
                f"W&B runs offline (no network or no login); upload later with "
                f"`wandb sync {ctx.run.path / 'wandb'}`"
            )

    def row(self, row: dict[str, Any], step: int) -> None:
        values = {k: v for k, v in numbers(row).items() if math.isfinite(v)}
        self.run.log(values, step=step)

    def image(self, tag: str, grid: Any, step: int) -> None:
        pixels = grid.mul(255).round().byte().permute(1, 2, 0).numpy()  # (H, W, C) uint8
        self.run.log({tag: self.wandb.Image(pixels)}, step=step)

    def close(self) -> None:
        if self.run_dir.plot_path.exists():
            self.run.log({"losses": self.wandb.Image(str(self.run_dir.plot_path))})
        # close() runs in the trainer's `finally`: an exception in flight means the run stopped
        self.run.finish(exit_code=1 if sys.exc_info()[0] is not None else 0)

"""Exponential moving average of the generator's weights (Karras et al.; Yazici et al. 2019)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class GeneratorEMA:
    """Keeps an averaged copy of the generator; before `start` the copy just follows it."""

    def __init__(self, generator: nn.Module, decay: float, start: int = 0) -> None:
        self.module = copy.deepcopy(generator).eval().requires_grad_(False)
        self.decay = decay
        self.start = start

    @torch.no_grad()
    def update(self, generator: nn.Module, step: int) -> None:
        decay = self.decay if step >= self.start else 0.0
        for avg, cur in zip(self.module.parameters(), generator.parameters(), strict=True):
            avg.lerp_(cur, 1.0 - decay)
        for avg, cur in zip(self.module.buffers(), generator.buffers(), strict=True):
            avg.copy_(cur)  # batch-norm statistics follow the live generator

    def state_dict(self) -> dict:
        return self.module.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state)

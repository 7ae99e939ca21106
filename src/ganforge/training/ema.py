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
        """One multi-tensor lerp and copy per step (a StyleGAN2 generator has ~100 tensors:
        one Python-level op each costs more than the arithmetic on a CPU)."""
        decay = self.decay if step >= self.start else 0.0
        averaged, live = list(self.module.parameters()), list(generator.parameters())
        if len(averaged) != len(live):
            raise ValueError("the averaged generator and the live one differ in parameters")
        torch._foreach_lerp_(averaged, live, 1.0 - decay)
        buffers, live_buffers = list(self.module.buffers()), list(generator.buffers())
        if buffers:  # batch-norm statistics follow the live generator
            torch._foreach_copy_(buffers, live_buffers)

    def state_dict(self) -> dict:
        return self.module.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state)

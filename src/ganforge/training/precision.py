"""Mixed precision and compilation: the speed options of a run, behind one small seam.

* `train.precision=bf16` runs the phases' forward passes under autocast in bfloat16 (CPU and
  GPU); it keeps fp32's range, so no loss scaling is needed. `fp16` (GPU only) adds one
  GradScaler per optimiser, saved in checkpoints. Parameters, optimiser states and the logged
  numbers stay fp32. fp16 can cost quality (a StyleGAN2 FID went 3.99 -> 4.33-4.61 in another
  toolkit), so bf16 is the one to try first.
* `train.compile=true` compiles each network with `torch.compile`, except those a phase
  differentiates twice (R1, WGAN-GP, path length): double backward through compiled graphs
  gives wrong gradients in older PyTorch and an error in newer ones (pytorch#91469).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.errors import ConfigError

DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    def __init__(self, name: str, device: torch.device, optimizer_keys: list[str]) -> None:
        if name == "fp16" and device.type != "cuda":
            raise ConfigError(
                "train.precision=fp16 needs a CUDA GPU; use train.precision=bf16 on a CPU"
            )
        self.dtype, self.device = DTYPES[name], device
        self.scalers = (
            {key: torch.amp.GradScaler(device.type) for key in optimizer_keys}
            if name == "fp16"
            else {}
        )

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.dtype is None:
            yield
            return
        with torch.autocast(self.device.type, dtype=self.dtype):
            yield

    def backward(self, loss: Tensor, key: str, optimizer: torch.optim.Optimizer) -> None:
        """loss.backward(), scaled for fp16; gradients are unscaled again before they are used."""
        scaler = self.scalers.get(key)
        if scaler is None:
            loss.backward()
            return
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)

    def step(self, key: str, optimizer: torch.optim.Optimizer) -> None:
        scaler = self.scalers.get(key)
        if scaler is None:
            optimizer.step()
            return
        scaler.step(optimizer)  # skips the update when a gradient overflowed
        scaler.update()

    def state_dict(self) -> dict[str, Any]:
        return {key: scaler.state_dict() for key, scaler in self.scalers.items()}

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        for key, scaler in self.scalers.items():
            if state and key in state:
                scaler.load_state_dict(state[key])


def compile_networks(
    networks: dict[str, nn.Module], twice_differentiated: tuple[str, ...]
) -> list[str]:
    """Compile every network a phase does not differentiate twice; return their names.

    `nn.Module.compile` compiles in place, so state dicts, checkpoints and the EMA copy keep
    their keys.
    """
    compiled = []
    for name, net in networks.items():
        if name not in twice_differentiated and any(True for _ in net.parameters()):
            net.compile()
            compiled.append(name)
    return compiled

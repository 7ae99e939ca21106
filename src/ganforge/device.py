"""Which torch device a run uses: the one seam between ganforge and the hardware."""

from __future__ import annotations

import torch

from ganforge.errors import ConfigError

DEVICE_KINDS = ("auto", "cpu", "cuda", "mps")


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when PyTorch sees a GPU; a device that is absent is one sentence."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    kind = name.split(":", 1)[0]
    if kind not in DEVICE_KINDS:
        raise ConfigError(f"unknown device '{name}'; use one of {', '.join(DEVICE_KINDS)}")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name} was asked for, but PyTorch sees no CUDA GPU here")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"--device {name} was asked for, but PyTorch sees no Apple GPU here")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ConfigError(f"'{name}' is not a device name (e.g. cpu, cuda, cuda:1)") from None

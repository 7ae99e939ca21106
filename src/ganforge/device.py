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


def available_memory(device: torch.device) -> int:
    """Bytes a run on `device` can still allocate: free GPU memory, or the RAM Linux reports
    as available (free plus reclaimable caches), else the machine's physical RAM."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import os

        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: no estimate
        return 2**63


def format_bytes(count: float) -> str:
    """1.5e12 -> '1.5 TB' (decimal units, as `free -h --si` and disk makers print them)."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(count) < 1000 or unit == "PB":
            return f"{count:.3g} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1000
    return f"{count:.3g} PB"

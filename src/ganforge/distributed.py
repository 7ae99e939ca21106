"""Data-parallel training with `torchrun`: the one seam between ganforge and torch.distributed.

`torchrun --nproc_per_node=N -m ganforge train ...` starts N processes with RANK, WORLD_SIZE
and LOCAL_RANK set. Each process trains the same networks on its own shard of every batch
(`train.batch_size` stays the global batch), gradients are averaged after each phase's
backward pass, and only rank 0 writes the run directory. Gradients are all-reduced per phase,
as stylegan2-ada-pytorch does, rather than through the DistributedDataParallel wrapper: a
family's phases freeze and unfreeze networks and run double backward (R1, GP), which DDP's
hooks do not support.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn

from ganforge.device import resolve_device
from ganforge.errors import ConfigError


@dataclass(frozen=True)
class Distributed:
    """Where this process stands in a data-parallel job (one process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def all_reduce_mean(self, tensors: list[Tensor]) -> None:
        """Replace each tensor by its mean over the processes, in one collective call."""
        if not self.active or not tensors:
            return
        flat = torch.cat([t.reshape(-1) for t in tensors])
        dist.all_reduce(flat)
        flat.div_(self.world_size)
        for t, part in zip(tensors, flat.split([t.numel() for t in tensors]), strict=True):
            t.copy_(part.view_as(t))

    def broadcast_state(self, modules: list[nn.Module]) -> None:
        """Copy rank 0's parameters and buffers (batch-norm statistics) to every process."""
        if not self.active:
            return
        with torch.no_grad():
            for module in modules:
                for tensor in [*module.parameters(), *module.buffers()]:
                    dist.broadcast(tensor.data, src=0)

    def broadcast_object(self, obj: Any) -> Any:
        """rank 0's `obj` on every process (e.g. the run directory it chose)."""
        if not self.active:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.active:
            dist.barrier()


def from_environment(device_name: str = "auto") -> tuple[Distributed, torch.device]:
    """The job torchrun describes in the environment, its process group, and this rank's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed(), resolve_device(device_name)
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name)
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise ConfigError(f"distributed training runs on CPU (gloo) or CUDA (nccl), not {device}")
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=30))
    return Distributed(rank, world, local), device


def shutdown(job: Distributed) -> None:
    if job.active and dist.is_initialized():
        dist.destroy_process_group()

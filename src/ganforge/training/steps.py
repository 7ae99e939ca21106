"""One optimisation step: every phase that is due, in the family's order.

Only the networks of a phase's optimiser receive gradients; gradients and batch-norm
statistics are averaged over the processes of a torchrun job; logs stay on the device (no
host sync per step) until the loop writes a row.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganforge.models import Phase
from ganforge.training.parts import Parts
from ganforge.training.schedule import apply_decay


def grad_norm(params: list[nn.Parameter]) -> Tensor:
    """L2 norm of all gradients: logged to diagnose vanishing or exploding updates."""
    grads = [p.grad for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def one_step(parts: Parts) -> dict[str, Tensor]:
    """Every phase due at `parts.step`, in order; returns what they logged."""
    cfg = parts.config
    if cfg.train.lr_decay != "none":
        for key, opt in parts.optimizers.items():
            base = getattr(cfg.optim, key).lr
            apply_decay(opt, base, cfg.train.lr_decay, parts.step, cfg.train.steps)
    out: dict[str, Tensor] = {}
    for phase in parts.task.phases:
        if parts.step % phase.interval == 0:
            out.update(run_phase(parts, phase))
    parts.job.all_reduce_mean(parts.buffers)
    if parts.ema is not None:
        parts.ema.update(parts.task.networks["generator"], parts.step)
    return out


def run_phase(parts: Parts, phase: Phase) -> dict[str, Tensor]:
    """`phase.repeats` updates of its optimiser's networks, the others frozen."""
    for key, modules in parts.task.modules.items():  # only this phase's networks learn
        for module in modules:
            module.requires_grad_(key == phase.optimizer)
    key = phase.optimizer
    optimizer, params = parts.optimizers[key], parts.params[key]
    for _ in range(phase.repeats):
        with parts.precision.autocast():
            loss, logs = phase.loss(parts.sources)
        optimizer.zero_grad(set_to_none=True)
        parts.precision.backward(loss, key, optimizer)
        parts.job.all_reduce_mean([p.grad for p in params if p.grad is not None])
        logs[f"{phase.name.lower()}_grad_norm"] = grad_norm(params).detach()
        parts.precision.step(key, optimizer)
        if phase.after_step is not None:
            phase.after_step()
    return {k: v.float() for k, v in logs.items()}  # bf16/fp16 logs are summed in fp32

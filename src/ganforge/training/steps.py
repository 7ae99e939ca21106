"""One optimiser update each for the discriminator and the generator.

Steps return detached scalar tensors rather than Python floats so that a GPU never waits for
the host inside the loop; the loop turns them into numbers only when it logs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.training.objective import Objective


@dataclass
class Networks:
    """What the steps update. Models never see optimisers; this pairs them."""

    generator: nn.Module
    discriminator: nn.Module
    g_optimizer: torch.optim.Optimizer
    d_optimizer: torch.optim.Optimizer


def grad_norm(module: nn.Module) -> Tensor:
    """L2 norm of all gradients: logged to diagnose vanishing or exploding updates."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def discriminator_step(
    nets: Networks,
    objective: Objective,
    real: Tensor,
    y: Tensor | None,
    z: Tensor,
    mixed: bool,
    generator: torch.Generator,
) -> dict[str, Tensor]:
    """Update D once on a real batch and G(z); return its loss and what it predicted."""
    D = nets.discriminator
    with torch.no_grad():
        fake = nets.generator(z, y)
    if mixed:  # one pass: batch norm sees real and fake together (the original GAN code)
        raw_real, raw_fake = D(
            torch.cat([real, fake]), None if y is None else torch.cat([y, y])
        ).chunk(2)
    else:  # separate passes per batch (seed 001 sec. 3.2.7)
        raw_real, raw_fake = D(real, y), D(fake, y)
    real_target, fake_target = objective.targets(real.shape[0], real.device, generator)
    loss = objective.spec.discriminator(
        objective.scores(raw_real), objective.scores(raw_fake), real_target, fake_target
    )
    penalty = objective.penalty(D, real, fake, y, generator)
    total = loss if penalty is None else loss + penalty
    nets.d_optimizer.zero_grad(set_to_none=True)
    total.backward()
    norm = grad_norm(D)
    nets.d_optimizer.step()
    objective.after_discriminator_update(D)
    out = {
        "d_loss": loss.detach(),
        "d_grad_norm": norm.detach(),
        "d_real": objective.shown(raw_real).mean().detach(),
        "d_fake": objective.shown(raw_fake).mean().detach(),
    }
    if penalty is not None:
        out["d_penalty"] = penalty.detach()
    threshold = objective.spec.decision_threshold
    if threshold is not None:
        out["d_acc_real"] = (objective.scores(raw_real) > threshold).float().mean().detach()
        out["d_acc_fake"] = (objective.scores(raw_fake) <= threshold).float().mean().detach()
    return out


def generator_step(
    nets: Networks, objective: Objective, z: Tensor, y: Tensor | None
) -> dict[str, Tensor]:
    """Update G once to fool the current D; D's weights get no gradients."""
    D = nets.discriminator
    D.requires_grad_(False)
    try:
        raw = D(nets.generator(z, y), y)
        loss = objective.spec.generator(objective.scores(raw))
        nets.g_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = grad_norm(nets.generator)
        nets.g_optimizer.step()
    finally:
        D.requires_grad_(True)
    return {"g_loss": loss.detach(), "g_grad_norm": norm.detach()}

"""Optimisers as ganforge builds them: the same updates as PyTorch's reference implementations."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganforge.config import OptimizerConfig
from ganforge.training.optim import build_optimizer


def _train(make_optimizer, steps: int = 20) -> list[torch.Tensor]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    optimizer = make_optimizer(net.parameters())
    data = torch.randn(steps, 32, 6)
    for x in data:
        optimizer.zero_grad(set_to_none=True)
        (net(x) - x.sum(1, keepdim=True)).pow(2).mean().backward()
        optimizer.step()
    return [p.detach().clone() for p in net.parameters()]


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_adam_is_fused_on_cpu_and_takes_the_reference_steps(weight_decay):
    config = OptimizerConfig(lr=2e-3, beta1=0.5, beta2=0.999, weight_decay=weight_decay)
    built = build_optimizer(nn.Linear(2, 2).parameters(), config)
    assert built.defaults["fused"] is True
    ours = _train(lambda params: build_optimizer(params, config))
    reference = _train(
        lambda params: torch.optim.Adam(
            params, lr=2e-3, betas=(0.5, 0.999), weight_decay=weight_decay, foreach=False
        )
    )
    initial = _train(lambda params: torch.optim.SGD(params, lr=0.0))
    moved = sum((a - b).abs().sum() for a, b in zip(ours, initial, strict=True))
    assert moved > 0.1  # the comparison below is between trained weights, not initial ones
    for a, b in zip(ours, reference, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)

"""Optimisers by name, one per network, built from an OptimizerConfig."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from ganforge.config import OptimizerConfig
from ganforge.registry import Registry

Factory = Callable[[Iterable[nn.Parameter], OptimizerConfig], torch.optim.Optimizer]
OPTIMIZERS: Registry[Factory] = Registry("optimizer")


def _adam(params: Iterable[nn.Parameter], c: OptimizerConfig) -> torch.optim.Optimizer:
    params = list(params)
    on_gpu = bool(params) and all(p.is_cuda for p in params)  # one fused kernel per step
    return torch.optim.Adam(
        params,
        lr=c.lr,
        betas=(c.beta1, c.beta2),
        weight_decay=c.weight_decay,
        fused=on_gpu or None,
    )


OPTIMIZERS.add("adam", _adam, "Adam; DCGAN uses lr 2e-4 and beta1 0.5 (fused on GPUs)")
OPTIMIZERS.add(
    "rmsprop",
    lambda params, c: torch.optim.RMSprop(
        params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay
    ),
    "RMSprop; WGAN uses lr 5e-5",
)
OPTIMIZERS.add(
    "sgd",
    lambda params, c: torch.optim.SGD(
        params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay
    ),
    "plain SGD",
)


def build_optimizer(
    params: Iterable[nn.Parameter], config: OptimizerConfig
) -> torch.optim.Optimizer:
    return OPTIMIZERS.get(config.name)(params, config)

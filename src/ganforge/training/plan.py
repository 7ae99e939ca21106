"""The build step: every package checks the names it owns, before any data is loaded.

`ganforge.config` only knows types, ranges and rules between its own fields. Here each owner
checks its part: the dataset and the options it reads, the family and its own `model.g/d`
options, the loss, the optimisers, the learning-rate decay and the metrics. The result is the
config with the family's defaults filled in, so `config.yaml` and `--dry-run` show every option
that is in effect. `ganforge train`, `--dry-run`, `summary`, sweeps and the library's `train()`
all run it, so a misspelt name fails in milliseconds.

It also refuses, with the numbers, a run whose tensors cannot fit in memory: the networks are
built on PyTorch's "meta" device (shapes only, no storage, no random numbers drawn), so a
`data.resolution=100000` is refused in milliseconds instead of failing after minutes.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import torch

from ganforge.config import Config, Options, to_dict, validate
from ganforge.config.validation import MAX_SIZE
from ganforge.data import DATASETS, check_data
from ganforge.device import available_memory, format_bytes
from ganforge.errors import ConfigError
from ganforge.losses import LOSSES
from ganforge.metrics import check_best, check_metrics
from ganforge.metrics.classifier import DomainClassifiers
from ganforge.models import FAMILIES, build_networks, check_domains, family_options
from ganforge.training.optim import OPTIMIZERS
from ganforge.training.schedule import SCHEDULES
from ganforge.training.trackers import check_trackers


def resolve_config(config: Config, device: torch.device | None = None) -> Config:
    """Check every name in `config` with its owner; return it with family defaults filled in.

    The memory estimate is compared with what `device` (default: the CPU) has available.
    """
    validate(config)
    shape = check_data(config.data)
    shape_b = check_data(config.data_b) if config.data_b else None
    check_domains(config, shape, shape_b)
    LOSSES.get(config.loss.name)
    g_options, d_options = family_options(config)
    for net, options in (("g", g_options), ("d", d_options)):
        _check_finite(to_dict(options), f"model.{net}")
    if config.model.conditional != "none" and not DATASETS.get(config.data.name).labelled:
        raise ConfigError(
            f"model.conditional={config.model.conditional} needs class labels, and the "
            f"{config.data.name} dataset has none"
        )
    if config.train.augment and len(shape) != 3:
        raise ConfigError(
            f"train.augment (DiffAugment) transforms images, and {config.data.name} is "
            f"{shape[0]}-D points; drop train.augment"
        )
    OPTIMIZERS.get(config.optim.g.name)
    OPTIMIZERS.get(config.optim.d.name)
    SCHEDULES.get(config.train.lr_decay)
    check_trackers(config)
    family = FAMILIES.get(config.model.name)
    # a translator's outputs are domain B's; a coupled generator's are pairs
    outputs = family.output_shape(shape, shape_b)
    labelled = family.labelled_outputs(config)
    data = family.output_data(config)
    check_metrics(config.eval.metrics, data, outputs, labelled, family.latent_spaces)
    check_best(config.eval.best_metric, config.eval.metrics)
    model = dataclasses.replace(
        config.model, g=Options(to_dict(g_options)), d=Options(to_dict(d_options))
    )
    config = dataclasses.replace(config, model=model)
    if family.resolve is not None:  # defaults the family fills in from elsewhere
        config = family.resolve(config, DomainClassifiers())
    check_memory(config, shape, device or torch.device("cpu"))
    return config


def _check_finite(value: Any, where: str) -> None:
    """A family option that is NaN or infinite is refused like any other config number."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for item in value:
            _check_finite(item, where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"'{where}' must be a finite number, got {value}")
    elif isinstance(value, int) and abs(value) > MAX_SIZE:
        raise ConfigError(f"'{where}' must be at most {MAX_SIZE}, got {value}")


def memory_estimate(config: Config, shape: tuple[int, ...]) -> dict[str, float]:
    """A lower bound, in bytes, of what training `config` on data of `shape` holds in memory.

    Parts: the data set (at least one batch of examples), the networks'
    weights and gradients, the activations of one batch through G and D, and the fixed
    sample grid. The networks are built on the meta device, which allocates nothing.
    """
    per_example = math.prod(shape) * (1 if len(shape) == 3 else 4)  # uint8 pixels, float points
    t = config.train
    parts = {"data": float(per_example * t.batch_size)}  # the data holds at least one batch
    if len(shape) == 3:  # the grid: latents, images, and the pairwise distances of diversity
        grid = t.grid_size
        parts["sample grid"] = 4.0 * grid * (config.model.latent_dim + math.prod(shape) + grid)
    try:
        params, activations = _meta_pass(config, shape)
    except ConfigError:
        raise
    except ValueError as err:  # PyTorch's input checks, e.g. batch norm on a batch of one
        raise ConfigError(
            f"the {config.model.name} networks cannot train on batches of "
            f"train.batch_size={t.batch_size} of shape {'x'.join(map(str, shape))} "
            f"({str(err).strip().splitlines()[0]})"
        ) from None
    except Exception:  # noqa: BLE001 - an estimate only: the real build reports real errors
        return parts
    parts["weights and gradients"] = 8.0 * params
    parts["activations"] = 4.0 * activations
    return parts


def _meta_pass(config: Config, shape: tuple[int, ...]) -> tuple[int, int]:
    """(parameters, activation elements of one training batch through G then D)."""
    classes = 10 if config.model.conditional != "none" else 0
    batch = config.train.batch_size
    counted = [0]

    def count(module: torch.nn.Module, inputs: Any, output: Any) -> None:
        if isinstance(output, torch.Tensor):
            counted[0] += output.numel()

    with torch.device("meta"), torch.no_grad(), warnings.catch_warnings():  # in train mode
        warnings.simplefilter("ignore")  # the real networks warn when they run
        nets = build_networks(config, shape, classes)
        G, D = nets["generator"], nets["discriminator"]
        for net in (G, D):
            for module in net.modules():
                if not any(True for _ in module.children()):
                    module.register_forward_hook(count)
        y = torch.zeros(batch, dtype=torch.long) if classes else None
        D(G(torch.zeros(batch, config.model.latent_dim), y), y)
    params = sum(p.numel() for net in nets.values() for p in net.parameters())
    return params, counted[0]


def check_memory(config: Config, shape: tuple[int, ...], device: torch.device) -> None:
    """Refuse, with the numbers, a run whose estimated tensors exceed the device's memory."""
    parts = memory_estimate(config, shape)
    needed, available = sum(parts.values()), available_memory(device)
    if needed <= available:
        return
    largest = sorted(parts.items(), key=lambda kv: -kv[1])
    detail = ", ".join(f"{name} {format_bytes(size)}" for name, size in largest if size)
    side = "x".join(map(str, shape))
    raise ConfigError(
        f"this run needs at least {format_bytes(needed)} of memory ({detail}) for data of "
        f"shape {side} and train.batch_size={config.train.batch_size}, but {device.type} has "
        f"{format_bytes(available)} available; lower {LOWER[largest[0][0]]}"
    )


LOWER = {  # what to change when each part of the estimate is the largest
    "data": "data.resolution or data.limit",
    "sample grid": "train.grid_size",
    "weights and gradients": "model.width, model.latent_dim or the networks' hidden sizes",
    "activations": "data.resolution, train.batch_size or model.width",
}

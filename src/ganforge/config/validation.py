"""Checks that need nothing but the config: ranges, and rules between fields.

Names (datasets, families and their options, losses, optimisers, metrics) belong to the
packages that define them and are checked by each of them in one build step,
`ganforge.training.plan.resolve_config`, so this file imports no other part of ganforge.
"""

from __future__ import annotations

import math

from ganforge.config.schema import Config
from ganforge.errors import ConfigError

MAX_BATCH_ELEMENTS = 2**31  # one batch of images above this cannot be indexed by most kernels
MAX_SIZE = 2**31  # sizes above this overflow tensor indexing before memory is even asked for
MAX_SEED = 2**32  # seeds derive others (seed * 1_000_003 + epoch) that must fit in 64 bits
# loss.* weights of the gradient penalties (ganforge.regularizers), which loss.reg_every spaces out
PENALTIES = ("gp_weight", "r1_gamma", "r2_gamma")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _finite(value: float | None, where: str) -> None:
    _check(value is None or math.isfinite(value), f"'{where}' must be a finite number")


def validate(config: Config) -> None:
    """Raise ConfigError naming the first problem found in `config`."""
    data, model, loss, train = config.data, config.model, config.loss, config.train
    _check(0 <= config.seed < MAX_SEED, f"'seed' must be a whole number from 0 to {MAX_SEED - 1}")
    for where, size in (
        ("data.resolution", data.resolution),
        ("model.latent_dim", model.latent_dim),
        ("model.width", model.width),
        ("train.batch_size", train.batch_size),
        ("train.grid_size", train.grid_size),
    ):
        _check(size is None or size <= MAX_SIZE, f"'{where}' must be at most {MAX_SIZE}")
    _check(data.resolution is None or data.resolution >= 4, "'data.resolution' must be at least 4")
    _check(data.channels in (None, 1, 3), "'data.channels' must be 1 or 3")
    _check(data.limit is None or data.limit > 0, "'data.limit' must be positive")
    _check(model.latent_dim > 0, "'model.latent_dim' must be positive")
    _check(model.width > 0, "'model.width' must be positive")
    for net in ("g", "d"):
        opt = getattr(config.optim, net)
        for key in ("lr", "beta1", "beta2", "momentum", "weight_decay"):
            _finite(getattr(opt, key), f"optim.{net}.{key}")
        _check(opt.lr > 0, f"'optim.{net}.lr' must be positive")
        _check(0 <= opt.beta1 < 1 and 0 <= opt.beta2 < 1, f"'optim.{net}' betas must be in [0, 1)")
        _check(opt.momentum >= 0 and opt.weight_decay >= 0, f"'optim.{net}' momentum >= 0")
    _check(train.steps > 0, "'train.steps' must be positive")
    _check(train.minutes >= 0, "'train.minutes' must be zero or positive")
    _check(train.batch_size > 0, "'train.batch_size' must be positive")
    _check(train.n_critic >= 1, "'train.n_critic' must be at least 1")
    _check(train.log_every >= 1, "'train.log_every' must be at least 1")
    _check(train.grid_size >= 1, "'train.grid_size' must be at least 1")
    for key in ("sample_every", "checkpoint_every", "keep_checkpoints", "ema_start"):
        _check(getattr(train, key) >= 0, f"'train.{key}' must be zero or positive")
    _finite(train.ema_decay, "train.ema_decay")
    _check(
        train.ema_decay is None or 0.0 < train.ema_decay < 1.0,
        "'train.ema_decay' must be between 0 and 1 (e.g. 0.999), or none to disable the EMA",
    )
    _check(0.0 <= loss.label_smoothing < 0.5, "'loss.label_smoothing' must be in [0, 0.5)")
    _check(0.0 <= loss.label_noise < 0.5, "'loss.label_noise' must be in [0, 0.5)")
    for key in (*PENALTIES, "clip_value"):
        value = getattr(loss, key)
        _finite(value, f"loss.{key}")
        _check(value is None or value > 0, f"'loss.{key}' must be positive, or none to disable it")
    _check(loss.reg_every >= 1, "'loss.reg_every' must be at least 1")
    _check(
        loss.reg_every == 1 or any(getattr(loss, key) for key in PENALTIES),
        "'loss.reg_every' spaces out the gradient penalties ("
        + ", ".join(f"loss.{key}" for key in PENALTIES)
        + "), and none is set",
    )
    _check_eval(config)
    _check_log(config)


def _check_eval(config: Config) -> None:
    ev = config.eval
    _check(ev.every >= 0, "'eval.every' must be zero or positive")
    _check(not ev.every or ev.metrics, "'eval.every' is set but 'eval.metrics' is empty")
    _check(ev.every_minutes >= 0, "'eval.every_minutes' must be zero or positive")
    _check(
        not ev.every_minutes or ev.metrics,
        "'eval.every_minutes' is set but 'eval.metrics' is empty",
    )
    _check(ev.num_samples is None or ev.num_samples >= 2, "'eval.num_samples' must be at least 2")
    _check(
        ev.best_metric is None or any(ev.best_metric.startswith(m) for m in ev.metrics),
        f"'eval.best_metric' ({ev.best_metric}) must be one of eval.metrics (or one of the "
        "values it logs, as pr10k_recall)",
    )


def _check_log(config: Config) -> None:
    log = config.log
    _finite(log.heartbeat_s, "log.heartbeat_s")
    _check(log.heartbeat_s >= 0, "'log.heartbeat_s' must be zero (no heartbeat) or positive")
    _check(
        len(set(log.trackers)) == len(log.trackers),
        f"'log.trackers' names a tracker twice: {', '.join(log.trackers)}",
    )

"""Cross-field checks that turn impossible or risky combinations into one readable sentence."""

from __future__ import annotations

from ganforge.config.schema import Config
from ganforge.errors import ConfigError

LATENT_DISTS = ("gaussian", "uniform")
INITS = ("default", "dcgan", "glorot")
UPSAMPLES = ("transposed", "nearest")
PROJECT_NORMS = ("none", "channel", "feature")
D_LAST_ACTIVATIONS = ("none", "sigmoid")
SPLITS = ("train", "test")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _choice(value: str, choices: tuple[str, ...], where: str) -> None:
    _check(value in choices, f"'{where}' must be one of {', '.join(choices)}, got '{value}'")


def validate(config: Config) -> None:
    """Raise ConfigError naming the first problem found in `config`."""
    from ganforge.data import DATASETS
    from ganforge.losses import LOSSES
    from ganforge.models import MODELS
    from ganforge.models.layers import ACTIVATIONS
    from ganforge.training.optim import OPTIMIZERS

    data, model, loss, train = config.data, config.model, config.loss, config.train
    if DATASETS.get(data.name).needs_path and not data.path:
        raise ConfigError(f"the {data.name} dataset needs data.path=... naming your file or folder")
    MODELS.get(model.name)
    spec = LOSSES.get(loss.name)
    for net in ("g", "d"):
        OPTIMIZERS.get(getattr(config.optim, net).name)
        _check(getattr(config.optim, net).lr > 0, f"'optim.{net}.lr' must be positive")
        ACTIVATIONS.get(getattr(model, net).activation)
        cfg = getattr(model, net)
        _check(0.0 <= cfg.dropout < 1.0, f"'model.{net}.dropout' must be in [0, 1)")
        _check(0.0 <= cfg.bn_momentum < 1.0, f"'model.{net}.bn_momentum' must be in [0, 1)")
        _check(cfg.kernel_size >= 1, f"'model.{net}.kernel_size' must be at least 1")
        for field in ("hidden", "strides"):
            values = getattr(cfg, field)
            _check(
                values is None or (len(values) > 0 and min(values) >= 1),
                f"'model.{net}.{field}' must be a non-empty list of positive numbers",
            )
    ACTIVATIONS.get(model.g.last_activation)
    _choice(data.split, SPLITS, "data.split")
    from ganforge.training.schedule import SCHEDULES

    SCHEDULES.get(train.lr_decay)
    _choice(model.latent_dist, LATENT_DISTS, "model.latent_dist")
    _choice(model.init, INITS, "model.init")
    _choice(model.g.upsample, UPSAMPLES, "model.g.upsample")
    if model.g.project_norm is not None:
        _choice(model.g.project_norm, PROJECT_NORMS, "model.g.project_norm")
    _check(data.resolution is None or data.resolution >= 4, "'data.resolution' must be at least 4")
    _check(data.channels in (None, 1, 3), "'data.channels' must be 1 or 3")
    _check(data.limit is None or data.limit > 0, "'data.limit' must be positive")
    _check(model.latent_dim > 0, "'model.latent_dim' must be positive")
    _check(train.steps > 0, "'train.steps' must be positive")
    _check(train.batch_size > 0, "'train.batch_size' must be positive")
    _check(train.n_critic >= 1, "'train.n_critic' must be at least 1")
    _check(train.log_every >= 1, "'train.log_every' must be at least 1")
    _check(train.grid_size >= 1, "'train.grid_size' must be at least 1")
    for key in ("sample_every", "checkpoint_every", "keep_checkpoints", "ema_start"):
        _check(getattr(train, key) >= 0, f"'train.{key}' must be zero or positive")
    _check(
        train.ema_decay is None or 0.0 < train.ema_decay < 1.0,
        "'train.ema_decay' must be between 0 and 1 (e.g. 0.999), or none to disable the EMA",
    )
    _check(0.0 <= loss.label_smoothing < 0.5, "'loss.label_smoothing' must be in [0, 0.5)")
    _check(0.0 <= loss.label_noise < 0.5, "'loss.label_noise' must be in [0, 0.5)")
    for key in ("gp_weight", "r1_gamma", "clip_value"):
        value = getattr(loss, key)
        _check(value is None or value > 0, f"'loss.{key}' must be positive, or none to disable it")
    _check_loss_output(config, spec)
    _check_eval(config)


def _check_eval(config: Config) -> None:
    from ganforge.metrics.protocols import METRICS

    ev = config.eval
    for name in ev.metrics:
        METRICS.get(name)
    _check(ev.every >= 0, "'eval.every' must be zero or positive")
    _check(not ev.every or ev.metrics, "'eval.every' is set but 'eval.metrics' is empty")
    _check(ev.num_samples is None or ev.num_samples >= 2, "'eval.num_samples' must be at least 2")
    _check(
        ev.best_metric is None or ev.best_metric in ev.metrics,
        f"'eval.best_metric' ({ev.best_metric}) must be one of eval.metrics",
    )


def _check_loss_output(config: Config, spec) -> None:  # noqa: ANN001 - LossSpec, imported lazily
    """The discriminator's last activation and the targets must make sense for the loss."""
    loss, last = config.loss, config.model.d.last_activation
    if last is not None:
        _choice(last, D_LAST_ACTIVATIONS, "model.d.last_activation")
    if last == "sigmoid" and not spec.allows_sigmoid:
        raise ConfigError(
            f"the {loss.name} loss needs an unbounded critic score, but model.d.last_activation "
            "is sigmoid; set model.d.last_activation=none"
        )
    if last == "none" and spec.needs_probability:
        raise ConfigError(
            f"the {loss.name} loss is a binary cross-entropy and needs D to output a "
            "probability; set model.d.last_activation=sigmoid (ganforge fuses it into the loss)"
        )
    if not spec.uses_targets and (loss.label_smoothing or loss.label_noise):
        raise ConfigError(
            f"label smoothing and label noise change real/fake targets, which the {loss.name} "
            "loss does not have; set them to 0"
        )

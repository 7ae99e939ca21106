"""The build step: every package checks the names it owns, before any data is loaded.

`ganforge.config` only knows types, ranges and rules between its own fields. Here each owner
checks its part: the dataset and the options it reads, the family and its own `model.g/d`
options, the loss, the optimisers, the learning-rate decay and the metrics. The result is the
config with the family's defaults filled in, so `config.yaml` and `--dry-run` show every option
that is in effect. `ganforge train`, `--dry-run`, `summary`, sweeps and the library's `train()`
all run it, so a misspelt name fails in milliseconds.
"""

from __future__ import annotations

import dataclasses

from ganforge.config import Config, Options, to_dict, validate
from ganforge.data import DATASETS, check_data
from ganforge.errors import ConfigError
from ganforge.losses import LOSSES
from ganforge.metrics import check_metrics
from ganforge.models import family_options
from ganforge.training.optim import OPTIMIZERS
from ganforge.training.schedule import SCHEDULES


def resolve_config(config: Config) -> Config:
    """Check every name in `config` with its owner; return it with family defaults filled in."""
    validate(config)
    check_data(config.data)
    LOSSES.get(config.loss.name)
    g_options, d_options = family_options(config)
    if config.model.conditional != "none" and not DATASETS.get(config.data.name).labelled:
        raise ConfigError(
            f"model.conditional={config.model.conditional} needs class labels, and the "
            f"{config.data.name} dataset has none"
        )
    OPTIMIZERS.get(config.optim.g.name)
    OPTIMIZERS.get(config.optim.d.name)
    SCHEDULES.get(config.train.lr_decay)
    check_metrics(config.eval.metrics, config.data)
    model = dataclasses.replace(
        config.model, g=Options(to_dict(g_options)), d=Options(to_dict(d_options))
    )
    return dataclasses.replace(config, model=model)

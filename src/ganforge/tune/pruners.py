"""Pruners by name: what stops a hopeless trial early. Each builds Optuna's own pruner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ganforge.errors import ConfigError
from ganforge.registry import Registry

PRUNERS: Registry[Callable[..., Any]] = Registry("pruner")


@PRUNERS.register("median", "stop a trial below the median of earlier trials at the same step")
def median(**options: Any) -> Any:
    import optuna

    return optuna.pruners.MedianPruner(**{"n_startup_trials": 4, **options})


@PRUNERS.register("successive_halving", "asynchronous successive halving (ASHA)")
def successive_halving(**options: Any) -> Any:
    import optuna

    return optuna.pruners.SuccessiveHalvingPruner(**options)


@PRUNERS.register("hyperband", "Hyperband: several successive-halving brackets")
def hyperband(**options: Any) -> Any:
    import optuna

    return optuna.pruners.HyperbandPruner(**options)


@PRUNERS.register("none", "never prune: every trial trains its whole budget")
def no_pruner(**options: Any) -> Any:
    import optuna

    return optuna.pruners.NopPruner(**options)


def build_pruner(name: str, options: dict[str, Any]) -> Any:
    """Optuna's pruner, or one sentence naming the option it refused."""
    try:
        return PRUNERS.get(name)(**options)
    except TypeError as err:  # an unknown keyword: Optuna's own words name it
        raise ConfigError(f"pruner '{name}' refused its options {options}: {err}") from None

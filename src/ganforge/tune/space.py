"""A search space: what `ganforge tune` varies, within which ranges, and what it optimises.

```yaml
description: what is searched and why
base: default                          # preset or YAML path every trial starts from
overrides: {train.batch_size: 64}      # fixed for every trial
params:                                # dotted config keys and their ranges
  optim.d.lr: {log_uniform: [1e-5, 1e-3]}
  optim.g.beta1: {uniform: [0.0, 0.9]}
  model.latent_dim: {int: [32, 256]}   # {int: [lo, hi], step: 8}; {log_int: [lo, hi]}
  loss.name: [nonsaturating, lsgan, hinge]
metric: fid_domain2k                   # a registered metric; its own higher_is_better
budget: {steps: 1500}                  # or {minutes: 2}: what one trial may spend
eval: {every: 300, num_samples: 500}   # evaluations during training feed the pruner
pruner: median                         # median | successive_halving | none, or {median: {...}}
seed: 0                                # the sampler's seed and every trial's config seed
```

Every range is checked against the base config when the space is loaded (each end, each
choice), so a misspelt key or a value the config refuses fails before any trial starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ganforge.errors import ConfigError
from ganforge.registry import suggest
from ganforge.studies.spec import (
    Budget,
    as_overrides,
    format_value,
    parse_budget,
    shipped_names,
    yaml_file,
)

SPACE_KEYS = (
    "description",
    "base",
    "overrides",
    "params",
    "metric",
    "budget",
    "eval",
    "pruner",
    "seed",
)
EVAL_KEYS = ("every", "every_minutes", "num_samples", "ref", "inception_weights")
RANGES = ("uniform", "log_uniform", "int", "log_int")
EVALS_PER_TRIAL = 5  # evaluations during a trial when the space does not say how often


@dataclass(frozen=True)
class Param:
    """One searched key: a range (`kind` in RANGES, `low`..`high`) or a list of `choices`."""

    key: str
    kind: str  # uniform | log_uniform | int | log_int | choice
    low: float = 0.0
    high: float = 0.0
    step: int | None = None
    choices: tuple[Any, ...] = ()

    def ends(self) -> tuple[Any, ...]:
        """The values that bound the range: each is tried against the config on load."""
        if self.kind == "choice":
            return self.choices
        cast = int if self.kind in ("int", "log_int") else float
        return (cast(self.low), cast(self.high))


@dataclass(frozen=True)
class Space:
    name: str
    base: str | None
    metric: str
    higher_is_better: bool
    budget: Budget
    params: tuple[Param, ...]
    overrides: tuple[str, ...] = ()
    eval: dict[str, Any] = field(default_factory=dict)
    pruner: tuple[str, dict[str, Any]] = ("median", {})
    seed: int = 0
    description: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def direction(self) -> str:
        return "maximize" if self.higher_is_better else "minimize"

    def fixed_overrides(self) -> list[str]:
        """Every trial's overrides before its sampled values: the space's, the budget, the
        evaluation during training (the pruner's intermediate values) and the seed."""
        ev = dict(self.eval)
        if not ev.get("every") and not ev.get("every_minutes"):
            if self.budget.minutes:
                ev["every_minutes"] = self.budget.minutes / EVALS_PER_TRIAL
            else:
                ev["every"] = max(1, (self.budget.steps or 1) // EVALS_PER_TRIAL)
        out = [*self.overrides, *self.budget.overrides(), f"eval.metrics=[{self.metric}]"]
        out += [f"eval.{k}={format_value(v)}" for k, v in ev.items() if v is not None]
        return [*out, f"seed={self.seed}"]


def space_names() -> list[str]:
    """The spaces shipped in ganforge/tune/spaces."""
    return shipped_names("ganforge.tune", "spaces")


def load_space(source: str | Path) -> Space:
    """A shipped space name or a YAML path -> a checked Space (ConfigError in one sentence)."""
    found = yaml_file(source, "search space file")
    if found is not None:
        path, text = found
        return parse_space(path.stem, text, folder=path.resolve().parent)
    names = space_names()
    if str(source) not in names:
        raise ConfigError(
            f"unknown search space '{source}'{suggest(str(source), names)}; "
            f"available: {', '.join(names)} (or a SPACE.yaml path)"
        )
    text = (resources.files("ganforge.tune") / "spaces" / f"{source}.yaml").read_text()
    return parse_space(str(source), text, folder=None)


def with_overrides(space: Space, overrides: list[str] | tuple[str, ...]) -> Space:
    """The space with command-line `key=value` overrides added to its fixed ones (checked
    again, and recorded in the raw form that space.yaml keeps)."""
    if not overrides:
        return space
    added = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"an override is written key=value, not '{item}'")
        added[key] = value
    raw = {**space.raw, "base": space.base}
    raw["overrides"] = {**(raw.get("overrides") or {}), **added}
    return parse_space(space.name, yaml.safe_dump(raw, sort_keys=False))


def parse_space(name: str, text: str, folder: Path | None = None) -> Space:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"search space '{name}' is not valid YAML: {err}") from None
    _known(data, SPACE_KEYS, f"search space '{name}'")
    params = data.get("params")
    if not isinstance(params, dict) or not params:
        raise ConfigError(f"search space '{name}' must list 'params': dotted keys and ranges")
    metric = data.get("metric")
    if not metric:
        raise ConfigError(f"search space '{name}' must name the 'metric' to optimise")
    budget = data.get("budget")
    if not budget:
        raise ConfigError(
            f"search space '{name}' must give each trial a 'budget', e.g. {{steps: 1500}}"
        )
    ev = data.get("eval") or {}
    _known(ev, EVAL_KEYS, f"search space '{name}' eval")
    base = data.get("base")
    if folder is not None and base and str(base).endswith((".yaml", ".yml")):
        base = str(Path(base) if Path(base).is_absolute() else folder / base)
    space = Space(
        name=name,
        base=base,
        metric=str(metric),
        higher_is_better=_higher_is_better(str(metric)),
        budget=parse_budget(budget),
        params=tuple(parse_param(k, v) for k, v in params.items()),
        overrides=as_overrides(data.get("overrides") or {}),
        eval=dict(ev),
        pruner=parse_pruner(data.get("pruner", "median")),
        seed=int(data.get("seed", 0)),
        description=str(data.get("description", "")),
        raw=data,
    )
    check_against_config(space)
    return space


def parse_param(key: str, spec: Any) -> Param:
    """`[a, b, c]` -> choices; `{log_uniform: [lo, hi]}` and the like -> a range."""
    where = f"search parameter '{key}'"
    if isinstance(spec, list):
        if not spec:
            raise ConfigError(f"{where} has an empty list of choices")
        if len({format_value(v) for v in spec}) != len(spec):
            raise ConfigError(f"{where} lists a choice twice: {spec}")
        return Param(key, "choice", choices=tuple(spec))
    if not isinstance(spec, dict):
        raise ConfigError(
            f"{where} must be a list of choices or a range like {{log_uniform: [1e-5, 1e-3]}}"
        )
    kinds = [k for k in spec if k in RANGES]
    _known(spec, (*RANGES, "step"), where)
    if len(kinds) != 1:
        raise ConfigError(f"{where} must give exactly one of {', '.join(RANGES)}")
    kind, bounds = kinds[0], spec[kinds[0]]
    if not (isinstance(bounds, list) and len(bounds) == 2):
        raise ConfigError(f"{where}: {kind} takes [low, high], not {bounds!r}")
    low, high = (_number(b, where) for b in bounds)
    if not low < high:
        raise ConfigError(f"{where}: the range [{low:g}, {high:g}] is empty (low must be < high)")
    if kind.startswith("log") and low <= 0:
        raise ConfigError(f"{where}: a {kind} range must be above 0, not [{low:g}, {high:g}]")
    if kind in ("int", "log_int") and (low != int(low) or high != int(high)):
        raise ConfigError(f"{where}: an {kind} range takes whole numbers, not [{low}, {high}]")
    step = spec.get("step")
    if step is not None and (kind != "int" or not isinstance(step, int) or step < 1):
        raise ConfigError(f"{where}: 'step' is a positive whole number of an int range")
    return Param(key, kind, low, high, step)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: range ends must be finite numbers, not {value!r}")
    return float(value)


def parse_pruner(spec: Any) -> tuple[str, dict[str, Any]]:
    """`median`, or `{median: {n_startup_trials: 5}}`: a name of tune.search.PRUNERS."""
    from ganforge.tune.pruners import PRUNERS

    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, dict) and len(spec) == 1:
        name, options = next(iter(spec.items()))
        options = options or {}
    else:
        raise ConfigError("search space 'pruner' must be a name or {name: {options}}")
    PRUNERS.get(name)  # unknown names listed
    if not isinstance(options, dict):
        raise ConfigError(f"pruner '{name}' options must be a mapping")
    return name, dict(options)


def _higher_is_better(metric: str) -> bool:
    from ganforge.metrics import METRICS

    return METRICS.get(metric).higher_is_better  # an unknown name lists the registered ones


def check_against_config(space: Space) -> None:
    """Resolve the base config with each end of each range, as training would: misspelt keys,
    unknown names (losses, families) and refused values fail before any trial starts."""
    from ganforge.config import load_config
    from ganforge.training import resolve_config

    fixed = space.fixed_overrides()
    resolve_config(load_config(space.base, fixed))
    for param in space.params:
        for value in param.ends():
            try:
                overrides = [*fixed, f"{param.key}={format_value(value)}"]
                resolve_config(load_config(space.base, overrides))
            except ConfigError as err:
                raise ConfigError(f"search parameter '{param.key}' = {value!r}: {err}") from None


def _known(data: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping")
    for key in data:
        if key not in keys:
            raise ConfigError(f"unknown key '{key}' in {where}{suggest(str(key), keys)}")

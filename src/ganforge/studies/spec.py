"""A study: runs to compare, written as YAML and expanded into named points.

```yaml
description: what is compared and where it comes from
base: deng2024-conv                # preset or YAML path for runs that name none
overrides: {train.batch_size: 64}  # dotted keys applied to every run
grid: {loss.name: [nonsaturating, lsgan], optim.d.lr: [1e-4, 2e-4]}
seeds: [0, 1, 2]                   # or `ganforge sweep STUDY --seeds 3`
budget: {minutes: 5}               # every run trains 5 minutes (steps: N caps them instead)
runs:                              # named presets/configs, each crossed with grid x seeds
  - {name: dense, preset: deng2024-dense}
  - {name: conv, config: my.yaml, overrides: {model.width: 32}}
eval: {metrics: [fid_domain5k, classes5k], every: null, every_minutes: null}
published: {source: "...", metric: fid5k, note: "...", values: {dense: 53.7}}
target: {metric: fid_domain2k, value: 50}  # report: training time until a run reaches it
```

Every point is named by what differs between points (`conv,loss.name=lsgan,seed=1`), so the
name alone says which run is which in the study folder and in the report.

A study evaluates its runs during training (five times by default: every fifth of the steps,
or of the minutes of a time budget), so the report has each run's best and last value and
curves over steps and over training time.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ganforge.config.aliases import STUDY_ALIASES, current_name
from ganforge.errors import ConfigError
from ganforge.registry import suggest

STUDY_KEYS = (
    "description",
    "base",
    "overrides",
    "grid",
    "seeds",
    "budget",
    "runs",
    "eval",
    "published",
    "target",
)
RUN_KEYS = ("name", "preset", "config", "overrides")
EVAL_KEYS = ("metrics", "ref", "num_samples", "inception_weights", "every", "every_minutes")
BUDGET_KEYS = ("minutes", "steps")
UNCAPPED_STEPS = 100_000_000  # a time budget without a step cap: the clock ends every run


@dataclass(frozen=True)
class RunSpec:
    name: str
    source: str | None  # preset name or YAML path; None: the study's base
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalSpec:
    metrics: tuple[str, ...] = ()
    ref: str | None = None
    num_samples: int | None = None
    inception_weights: str | None = None
    every: int | None = None  # steps between evaluations during training
    every_minutes: float | None = None  # training minutes between evaluations


@dataclass(frozen=True)
class Budget:
    """What every run of the study may spend: training minutes (equal-cost comparisons) and/or
    steps. A time budget alone lifts the presets' step counts, so the clock ends every run."""

    minutes: float | None = None
    steps: int | None = None

    def overrides(self) -> tuple[str, ...]:
        out = [f"train.minutes={self.minutes:g}"] if self.minutes else []
        if self.steps or self.minutes:
            out.append(f"train.steps={self.steps or UNCAPPED_STEPS}")
        return tuple(out)


@dataclass(frozen=True)
class Study:
    name: str
    description: str = ""
    base: str | None = None
    overrides: tuple[str, ...] = ()
    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    seeds: tuple[int, ...] | None = None
    budget: Budget = field(default_factory=Budget)
    runs: tuple[RunSpec, ...] = ()
    eval: EvalSpec = field(default_factory=EvalSpec)
    published: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)  # as written, for the record


@dataclass(frozen=True)
class Point:
    """One run of a study: where its config comes from and the overrides that make it."""

    name: str
    source: str | None
    overrides: tuple[str, ...]


def shipped_names(package: str, folder: str) -> list[str]:
    """The YAML files shipped in `package`'s `folder`, by name (studies, search spaces)."""
    files = resources.files(package) / folder
    return sorted(p.name[: -len(".yaml")] for p in files.iterdir() if p.name.endswith(".yaml"))


def yaml_file(source: str | Path, what: str) -> tuple[Path, str] | None:
    """(path, text) when `source` is a YAML path rather than a shipped name; a path that does
    not exist is one sentence ("study file 'x.yaml' does not exist")."""
    path = Path(source)
    if path.suffix not in (".yaml", ".yml") and not path.exists():
        return None
    try:
        return path, path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{what} '{path}' does not exist") from None


def study_names() -> list[str]:
    """Studies shipped in ganforge/studies/configs."""
    return shipped_names("ganforge.studies", "configs")


def load_study(source: str | Path) -> Study:
    """A shipped study name or a YAML path -> Study (relative config paths resolved)."""
    found = yaml_file(source, "study file")
    if found is not None:
        path, text = found
        return parse_study(path.stem, text, folder=path.resolve().parent)
    # An old alias keeps the name it was typed with: the study folder is named after it, so a
    # sweep started under the old name resumes in its own folder.
    current = current_name(str(source), STUDY_ALIASES, "study")
    if current not in study_names():
        names = study_names()
        raise ConfigError(
            f"unknown study '{source}'{suggest(str(source), [*names, *STUDY_ALIASES])}; "
            f"available: {', '.join(names)}"
        )
    text = (resources.files("ganforge.studies") / "configs" / f"{current}.yaml").read_text()
    return parse_study(str(source), text, folder=None)


def parse_study(name: str, text: str, folder: Path | None) -> Study:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"study '{name}' is not valid YAML: {err}") from None
    _known(data, STUDY_KEYS, f"study '{name}'")
    grid = data.get("grid") or {}
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"study grid '{key}' must be a non-empty list of values")
    seeds = data.get("seeds")
    if seeds is not None and (not isinstance(seeds, list) or not seeds):
        raise ConfigError("study 'seeds' must be a non-empty list of integers")
    runs = tuple(_run_spec(item, i, folder) for i, item in enumerate(data.get("runs") or []))
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ConfigError(f"study '{name}' names two runs the same: {', '.join(names)}")
    ev = data.get("eval") or {}
    _known(ev, EVAL_KEYS, "study eval")
    target = data.get("target")
    if target is not None and not (isinstance(target, dict) and {"metric", "value"} <= set(target)):
        raise ConfigError(
            "study 'target' must give a metric and a value, e.g. {metric: fid5k, value: 50}"
        )
    return Study(
        name=name,
        description=str(data.get("description", "")),
        base=_source_path(data.get("base"), folder),
        overrides=as_overrides(data.get("overrides") or {}),
        grid=tuple((k, tuple(v)) for k, v in grid.items()),
        seeds=tuple(int(s) for s in seeds) if seeds else None,
        budget=parse_budget(data.get("budget")),
        runs=runs,
        eval=EvalSpec(
            metrics=tuple(ev.get("metrics") or ()),
            ref=ev.get("ref"),
            num_samples=ev.get("num_samples"),
            inception_weights=ev.get("inception_weights"),
            every=_positive(ev.get("every"), "study eval 'every'", int),
            every_minutes=_positive(ev.get("every_minutes"), "study eval 'every_minutes'", float),
        ),
        published=data.get("published"),
        raw=data,
    )


def parse_budget(data: Any) -> Budget:
    """`budget: {minutes: 5}` -> Budget(minutes=5.0), refused in one sentence when malformed."""
    if data is None:
        return Budget()
    _known(data, BUDGET_KEYS, "study budget")
    if not data:
        raise ConfigError("study 'budget' must give minutes, steps or both, e.g. {minutes: 5}")
    return Budget(
        minutes=_positive(data.get("minutes"), "study budget 'minutes'", float),
        steps=_positive(data.get("steps"), "study budget 'steps'", int),
    )


def parse_seeds(text: str) -> tuple[int, ...]:
    """`--seeds 3` -> (0, 1, 2); `--seeds 0,5,9` -> (0, 5, 9)."""
    try:
        values = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ConfigError(
            f"--seeds takes a count or a list of integers (3, or 0,5,9), not '{text}'"
        ) from None
    if len(values) == 1 and "," not in str(text):
        if values[0] < 1:
            raise ConfigError("--seeds must be at least 1")
        return tuple(range(values[0]))
    if not values or len(set(values)) != len(values):
        raise ConfigError(f"--seeds lists each seed once: '{text}'")
    return tuple(values)


def expand(study: Study, extra: list[str] | tuple[str, ...] = ()) -> list[Point]:
    """All points of the study: runs x grid x seeds, each with its full override list.

    `extra` (the command line's `--steps` and `key=value`) applies to every point last.
    """
    runs = study.runs or (RunSpec(name="", source=None),)
    keys = [k for k, _ in study.grid]
    combos = list(itertools.product(*(values for _, values in study.grid)))
    seeds: tuple[int | None, ...] = study.seeds or (None,)
    points = []
    for run, combo, seed in itertools.product(runs, combos, seeds):
        parts = [run.name] if len(runs) > 1 else []
        parts += [
            f"{k}={format_value(v)}"
            for (k, values), v in zip(study.grid, combo, strict=True)
            if len(values) > 1
        ]
        if len(seeds) > 1:
            parts.append(f"seed={seed}")
        overrides = [*study.overrides, *run.overrides, *study.budget.overrides()]
        overrides += [f"{k}={format_value(v)}" for k, v in zip(keys, combo, strict=True)]
        if seed is not None:
            overrides.append(f"seed={seed}")
        name = safe_name(",".join(p for p in parts if p) or run.name or "run")
        points.append(Point(name, run.source or study.base, (*overrides, *extra)))
    return points


def format_value(value: Any) -> str:
    """A grid value as it appears in an override and in a run name (strings unquoted)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def as_overrides(mapping: dict[str, Any]) -> tuple[str, ...]:
    """{"train.steps": 10} -> ("train.steps=10",), as typed on the command line."""
    if not isinstance(mapping, dict):
        raise ConfigError("study 'overrides' must map dotted keys to values")
    return tuple(f"{k}={format_value(v)}" for k, v in mapping.items())


def safe_name(name: str) -> str:
    """A run name usable as a folder name: no path separators."""
    return name.replace("/", "_").replace("\\", "_")


def _run_spec(item: Any, index: int, folder: Path | None) -> RunSpec:
    if isinstance(item, str):
        return RunSpec(name=item, source=item)
    if not isinstance(item, dict):
        raise ConfigError(f"study run {index + 1} must be a preset name or a mapping")
    _known(item, RUN_KEYS, f"study run {index + 1}")
    if "preset" in item and "config" in item:
        raise ConfigError(f"study run {index + 1} gives both 'preset' and 'config'")
    source = item.get("preset") or _source_path(item.get("config"), folder)
    name = item.get("name") or (Path(source).stem if source else f"run{index + 1}")
    return RunSpec(
        name=str(name), source=source, overrides=as_overrides(item.get("overrides") or {})
    )


def _source_path(source: str | None, folder: Path | None) -> str | None:
    """YAML paths in a study file are relative to that file; preset names stay names."""
    if source is None or folder is None or not str(source).endswith((".yaml", ".yml")):
        return source
    path = Path(source)
    return str(path if path.is_absolute() else folder / path)


def _positive(value: Any, what: str, kind: type) -> Any:
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0 or isinstance(value, bool):
        raise ConfigError(f"{what} must be a positive number, not {value!r}")
    return number


def _known(data: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping")
    for key in data:
        if key not in keys:
            raise ConfigError(f"unknown key '{key}' in {where}{suggest(str(key), keys)}")

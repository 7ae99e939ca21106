"""Runs grouped into experiments (everything equal but the seed) and summarised over seeds.

Each experiment gets, for every metric, the best and the last evaluation of each seed summarised
as mean, spread and interval (studies/stats.py), a rank that experiments with overlapping
intervals share, the pairwise tests between experiments, its cost (training seconds), the time
until a target quality, and curves over steps and over training time with a band over seeds.
The HTML page, Markdown, JSON and LaTeX all print these same objects.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ganforge.studies.rundata import RunData, metric_keys
from ganforge.studies.stats import (
    ALPHA,
    Comparison,
    RankAgreement,
    Summary,
    pairwise,
    rank_agreement,
    shared_ranks,
    summarize,
)
from ganforge.studies.table import IGNORED_SECTIONS, direction

SEED_PART = re.compile(r"(^|,)seed=-?\d+(?=,|$)")


@dataclass
class Experiment:
    """The runs of one setting, one per seed."""

    name: str
    runs: list[RunData]

    @property
    def seeds(self) -> list[Any]:
        return [r.config.get("seed") for r in self.runs]


@dataclass(frozen=True)
class Entry:
    """One line of the aggregated table: an experiment's metric, best or last, over seeds."""

    experiment: str
    metric: str
    which: str  # best | last
    summary: Summary
    values: tuple[float, ...]
    rank: int | None = None  # shared when intervals overlap; None: no better direction


@dataclass(frozen=True)
class CurvePoint:
    """The k-th evaluation of every seed: their mean step and training time, and the values."""

    step: float
    seconds: float
    summary: Summary


def experiment_name(run: RunData) -> str:
    """'exp03,seed=1' -> 'exp03'; a run named by its seed alone -> its config's name."""
    name = SEED_PART.sub("", run.name).strip(",")
    return name or str(run.config.get("name") or "run")


def _identity(run: RunData) -> str:
    """The run's setting: its config without the seed, where its numbers went (`log.`), and
    options left at None, so a run written before an option existed (its config.yaml lacks
    the key) groups with the runs written after (whose config.yaml says None)."""
    config = {
        k: v
        for k, v in run.config.items()
        if k != "seed" and v is not None and not k.startswith(IGNORED_SECTIONS)
    }
    return json.dumps(config, sort_keys=True, default=str)


def group(runs: list[RunData]) -> list[Experiment]:
    """Experiments in the study's order (else the order their first run appears); runs whose
    configs differ only in `seed` are one experiment."""
    found: dict[str, Experiment] = {}
    for run in runs:
        key = _identity(run)
        if key not in found:
            found[key] = Experiment(experiment_name(run), [])
        found[key].runs.append(run)
    experiments = sorted(found.values(), key=lambda e: _study_order(e.runs[0]))
    names = [e.name for e in experiments]
    for e in experiments:  # two settings that strip to one name keep their run's full name
        if names.count(e.name) > 1:
            e.name = e.runs[0].name
    return experiments


def _study_order(run: RunData) -> int:
    """Where the run's experiment stands in its study's `runs:` list (the end if absent)."""
    names = [
        item if isinstance(item, str) else str(item.get("name", ""))
        for item in (run.study or {}).get("runs") or []
    ]
    name = experiment_name(run).split(",")[0]
    return names.index(name) if name in names else len(names)


def several_evaluations(runs: list[RunData], key: str) -> bool:
    return any(len(r.eval_values(key)) > 1 for r in runs)


def per_seed(experiment: Experiment, key: str, which: str) -> list[float]:
    """Each seed's best (by the metric's direction) or last value of `key`."""
    higher = direction(key) == "higher"
    out = []
    for run in experiment.runs:
        values = [v for _, v in run.eval_values(key) if math.isfinite(v)]
        if values:
            out.append(values[-1] if which == "last" else (max(values) if higher else min(values)))
    return out


def entries(experiments: list[Experiment], keys: list[str] | None = None) -> list[Entry]:
    """Best and last of every metric (last only for a metric evaluated once per run, and for
    diagnostic numbers without a better direction, which are not ranked)."""
    runs = [r for e in experiments for r in e.runs]
    out = []
    for key in keys if keys is not None else metric_keys(runs):
        better = direction(key)
        kinds = ("best", "last") if better and several_evaluations(runs, key) else ("last",)
        for which in kinds:
            values = {e.name: per_seed(e, key, which) for e in experiments}
            summaries = {name: summarize(v) for name, v in values.items()}
            ranks = shared_ranks(summaries, better == "higher") if better else {}
            out += [
                Entry(name, key, which, summaries[name], tuple(values[name]), ranks.get(name))
                for name in values
                if values[name]
            ]
    return out


def comparisons(experiments: list[Experiment], key: str, which: str) -> list[Comparison]:
    return pairwise({e.name: per_seed(e, key, which) for e in experiments})


def sentence(c: Comparison, key: str) -> str:
    """'exp08 beats exp03 on fid_domain5k (p = 0.01, g = 2.1)' or 'no difference'."""
    if not (c.p_holm < ALPHA):
        return f"{c.a} vs {c.b}: no difference at these seeds (Holm p = {c.p_holm:.2g})"
    higher = direction(key) == "higher"
    a_better = (c.t > 0) == higher
    winner, loser = (c.a, c.b) if a_better else (c.b, c.a)
    return f"{winner} beats {loser} (Holm p = {c.p_holm:.2g}, Hedges' g = {abs(c.g):.2g})"


def agreement(
    experiments: list[Experiment], key: str, which: str, published: dict[str, float]
) -> RankAgreement | None:
    """Our ranking against published values (same direction assumed: lower FID is better)."""
    groups = {e.name: per_seed(e, key, which) for e in experiments}
    return rank_agreement(groups, published)


def curve(experiment: Experiment, key: str) -> list[CurvePoint]:
    """Seeds evaluated on one cadence line up by evaluation index: the k-th evaluation of each
    seed is at the same step (eval.every) or training time (eval.every_minutes)."""
    series = [
        [(step, run.seconds_until(step), value) for step, value in run.eval_values(key)]
        for run in experiment.runs
    ]
    points = []
    for k in range(max((len(s) for s in series), default=0)):
        at = [s[k] for s in series if len(s) > k and math.isfinite(s[k][2])]
        if at:
            steps, seconds, values = zip(*at, strict=True)
            mean = sum(steps) / len(steps), sum(seconds) / len(seconds)
            points.append(CurvePoint(mean[0], mean[1], summarize(values)))
    return points


def cost(experiment: Experiment) -> dict[str, Summary]:
    """Training seconds, steps and steps per second over seeds (evaluations not counted)."""
    runs = experiment.runs
    return {
        "train_seconds": summarize([r.train_seconds for r in runs if r.train_seconds]),
        "steps": summarize([r.last_step for r in runs if r.rows]),
        "steps_per_second": summarize(
            [r.last_step / r.train_seconds for r in runs if r.train_seconds]
        ),
    }


@dataclass(frozen=True)
class TimeToTarget:
    summary: Summary  # over the seeds that reached the target
    reached: int
    runs: int


def time_to_target(experiment: Experiment, metric: str, value: float) -> TimeToTarget:
    """Training seconds until `metric` first reaches `value`, per seed."""
    higher = direction(metric) == "higher"
    reach: Callable[[float], bool] = (lambda v: v >= value) if higher else (lambda v: v <= value)
    times = []
    for run in experiment.runs:
        step = next((s for s, v in run.eval_values(metric) if reach(v)), None)
        if step is not None:
            times.append(run.seconds_until(step))
    return TimeToTarget(summarize(times), len(times), len(experiment.runs))


def primary_metric(entries_: list[Entry], study: dict[str, Any] | None) -> str | None:
    """The metric a comparison is about: the study's first evaluation metric (as logged, a
    multi-valued metric by its first part), else the first metric with a direction."""
    ranked = [e.metric for e in entries_ if e.rank is not None]
    wanted = ((study or {}).get("eval") or {}).get("metrics") or []
    for name in wanted:
        for metric in ranked:
            if metric == name or metric.startswith(f"{name}_"):
                return metric
    return ranked[0] if ranked else None

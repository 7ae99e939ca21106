"""The comparison as data: what `--format json` writes and what Markdown, LaTeX and the HTML
page print. One function builds it from the runs' files, so every format says the same."""

from __future__ import annotations

import math
from typing import Any

from ganforge.studies.groups import (
    Entry,
    Experiment,
    agreement,
    comparisons,
    cost,
    entries,
    group,
    primary_metric,
    sentence,
    time_to_target,
)
from ganforge.studies.rundata import RunData
from ganforge.studies.stats import ALPHA, BOOTSTRAP, CONFIDENCE, Summary

METHOD = (
    f"Each experiment's runs differ only in their seed. Per metric: each seed's best and last "
    f"evaluation; mean, sample standard deviation (n - 1), n, and the two-sided "
    f"{CONFIDENCE:.0%} Student's t interval of the mean, so the numbers are deterministic. "
    f"Experiments whose intervals overlap share a rank. Pairs: Welch's t-test over seeds, "
    f"Holm-corrected over every pair of a metric (alpha {ALPHA}), Hedges' g as effect size. "
    f"Published rankings: Spearman's rho of our means against the published values, with a "
    f"percentile bootstrap interval ({BOOTSTRAP} resamples of each experiment's seeds, fixed "
    f"seed)."
)


def number(value: float | None) -> float | None:
    """JSON has no NaN: unknown numbers are null."""
    return None if value is None or not math.isfinite(value) else float(value)


def summary_dict(s: Summary) -> dict[str, Any]:
    return {
        "mean": number(s.mean),
        "std": number(s.std),
        "n": s.n,
        "ci_low": number(s.low),
        "ci_high": number(s.high),
    }


def entry_dict(e: Entry) -> dict[str, Any]:
    return {
        "experiment": e.experiment,
        "metric": e.metric,
        "which": e.which,
        **summary_dict(e.summary),
        "rank": e.rank,
        "values": [number(v) for v in e.values],
    }


def study_of(runs: list[RunData]) -> dict[str, Any]:
    return next((r.study for r in runs if r.study), None) or {}


def build(runs: list[RunData]) -> dict[str, Any]:
    """The whole comparison as plain data (JSON-ready)."""
    experiments = group(runs)
    study = study_of(runs)
    rows = entries(experiments)
    first = primary_metric(rows, study)
    rows.sort(key=lambda e: e.metric != first)  # stable: the compared metric first
    return {
        "study": study.get("name"),
        "method": METHOD,
        "confidence": CONFIDENCE,
        "alpha": ALPHA,
        "primary_metric": first,
        "experiments": [_experiment(e) for e in experiments],
        "rows": [entry_dict(e) for e in rows],
        "pairwise": _pairwise(experiments, rows),
        "published": _published(experiments, rows, study),
        "target": _target(experiments, study),
    }


def _experiment(e: Experiment) -> dict[str, Any]:
    alarms: dict[str, int] = {}
    for run in e.runs:
        for name, count in run.alarms.items():
            alarms[name] = alarms.get(name, 0) + count
    return {
        "experiment": e.name,
        "runs": [r.name for r in e.runs],
        "seeds": e.seeds,
        "alarms": alarms,
        **{key: summary_dict(s) for key, s in cost(e).items()},
    }


def _pairwise(experiments: list[Experiment], rows: list[Entry]) -> list[dict[str, Any]]:
    out = []
    for metric, which in dict.fromkeys((e.metric, e.which) for e in rows if e.rank is not None):
        for c in comparisons(experiments, metric, which):
            out.append(
                {
                    "metric": metric,
                    "which": which,
                    "a": c.a,
                    "b": c.b,
                    "t": number(c.t),
                    "df": number(c.df),
                    "p": number(c.p),
                    "p_holm": number(c.p_holm),
                    "hedges_g": number(c.g),
                    "significant": bool(c.p_holm < ALPHA),
                    "sentence": sentence(c, metric),
                }
            )
    return out


def _published(
    experiments: list[Experiment], rows: list[Entry], study: dict[str, Any]
) -> dict[str, Any] | None:
    published = study.get("published") or {}
    values = published.get("values") or {}
    metric = primary_metric(rows, study)
    if not values or metric is None:
        return None
    out: dict[str, Any] = {
        "source": published.get("source"),
        "metric": published.get("metric"),
        "ours": metric,
        "values": values,
    }
    for which in dict.fromkeys(e.which for e in rows if e.metric == metric):
        found = agreement(experiments, metric, which, values)
        if found is not None:
            out[which] = {
                "rho": number(found.rho),
                "ci_low": number(found.low),
                "ci_high": number(found.high),
                "n": found.n,
                "verdict": found.verdict,
                "sentence": _agreement_sentence(found.verdict, which, metric, found),
            }
    return out


def _agreement_sentence(verdict: str, which: str, metric: str, found: Any) -> str:
    return (
        f"Spearman's rho between our {which} {metric} and the published values is "
        f"{found.rho:.2f} ({CONFIDENCE:.0%} interval {found.low:.2f} to {found.high:.2f}, "
        f"{found.n} experiments): the published ranking is {verdict}."
    )


def _target(experiments: list[Experiment], study: dict[str, Any]) -> dict[str, Any] | None:
    target = study.get("target")
    if not target:
        return None
    metric, value = str(target["metric"]), float(target["value"])
    out = []
    for e in experiments:
        found = time_to_target(e, metric, value)
        out.append(
            {
                "experiment": e.name,
                "seconds": summary_dict(found.summary),
                "reached": found.reached,
                "runs": found.runs,
            }
        )
    return {"metric": metric, "value": value, "experiments": out}

"""The table of runs: config keys that differ, final/best metrics, time, alarms, published values.

One `Column` per table column with the function that reads a run and, for metrics, whether lower
or higher is better, so HTML (sortable, best highlighted) and Markdown render the same table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ganforge.studies.rundata import RunData, metric_keys

# first match wins; None: shown but never highlighted (a spread, a classifier's own accuracy)
DIRECTIONS: tuple[tuple[str, str | None], ...] = (
    (r"_(std|slope|classes)$", None),
    (r"accuracy$", None),
    (r"_max_modes$", None),
    (r"_(modes|high_quality|covered)$", "higher"),
    (r"_(precision|recall|density|coverage)$", "higher"),
    (r"_(reverse_kl|kl)$", "lower"),
    (r"^is(_inf)?\d", "higher"),
    (r"^(fid|kid|fid_domain|classes|ifid|ifid_domain|ppl_(domain_)?[zw])(_inf)?\d", "lower"),
)
IGNORED_CONFIG = ("name", "description")
IGNORED_SECTIONS = ("log.",)  # where a run's numbers went (trackers, heartbeat), not what it is


def direction(metric: str) -> str | None:
    """'lower' or 'higher' is better, or None when neither makes sense."""
    return next((d for pattern, d in DIRECTIONS if re.search(pattern, metric)), None)


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[RunData], Any]
    better: str | None = None  # lower | higher: the best cell is highlighted
    kind: str = "number"  # text | config | number | metric | published
    digits: int = 4


def differing_keys(runs: list[RunData]) -> list[str]:
    """Config keys whose values are not the same in every run (absent counts as a value)."""
    keys: dict[str, None] = {}
    for run in runs:
        keys.update(dict.fromkeys(run.config))
    return [
        key
        for key in keys
        if key not in IGNORED_CONFIG
        and not key.startswith(IGNORED_SECTIONS)
        and len({json.dumps(r.config.get(key), sort_keys=True, default=str) for r in runs}) > 1
    ]


def _final(key: str) -> Callable[[RunData], float | None]:
    def read(run: RunData) -> float | None:
        values = run.eval_values(key)
        return values[-1][1] if values else None

    return read


def _best(key: str, better: str) -> Callable[[RunData], float | None]:
    def read(run: RunData) -> float | None:
        values = [v for _, v in run.eval_values(key)]
        if not values:
            return None
        return max(values) if better == "higher" else min(values)

    return read


def _published(run: RunData) -> float | None:
    published = (run.study or {}).get("published") or {}
    return (published.get("values") or {}).get(run.name)


def _steps_per_second(run: RunData) -> float | None:
    return run.last_step / run.train_seconds if run.train_seconds else None


def _alarms(run: RunData) -> str:
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in run.alarms.items())


def columns(runs: list[RunData]) -> list[Column]:
    """Run, metrics (ours, then the published ones), time, alarms, then the differing config."""
    cols = [Column("run", lambda r: r.name, kind="text"), *metric_columns(runs)]
    published = next((r.study["published"] for r in runs if (r.study or {}).get("published")), None)
    if published:
        label = published.get("label") or f"{published.get('metric', 'value')} (published)"
        better = direction(str(published.get("metric", ""))) or "lower"
        cols.append(Column(label, _published, better, "published"))
    target = next((r.study["target"] for r in runs if (r.study or {}).get("target")), None)
    if target:
        cols.append(time_to_target(str(target["metric"]), float(target["value"])))
    cols += [
        Column("steps", lambda r: r.last_step, digits=0),
        Column("train time (s)", lambda r: r.train_seconds or None, "lower", digits=3),
        Column("steps/s", _steps_per_second, "higher", digits=3),
        Column("alarms", _alarms, kind="text"),
        Column("d_loss (last)", lambda r: r.rows[-1].get("d_loss") if r.rows else None),
        Column("g_loss (last)", lambda r: r.rows[-1].get("g_loss") if r.rows else None),
    ]
    return cols + [Column(key, _config_reader(key), kind="config") for key in differing_keys(runs)]


def metric_columns(runs: list[RunData]) -> list[Column]:
    """Final (and best, when runs were evaluated more than once) value of each metric; values
    without a better direction that are the same everywhere (a classifier's accuracy) are left
    out."""
    keys = metric_keys(runs)
    several = any(len(r.eval_values(k)) > 1 for r in runs for k in keys)
    cols = []
    for key in keys:
        better = direction(key)
        if better is None and len({_final(key)(r) for r in runs}) == 1:
            continue
        if several and better:
            cols.append(Column(f"{key} final", _final(key), better, "metric"))
            cols.append(Column(f"{key} best", _best(key, better), better, "metric"))
        else:
            cols.append(Column(key, _final(key), better, "metric"))
    return cols


def time_to_target(metric: str, value: float) -> Column:
    """Training seconds until `metric` first reaches `value` (Deng 2024 chose its family by
    training time): needs evaluations during training (`eval.every`); blank if never reached."""
    higher = direction(metric) == "higher"

    def read(run: RunData) -> float | None:
        for step, v in run.eval_values(metric):
            if (v >= value) if higher else (v <= value):
                return run.seconds_until(step)
        return None

    sign = ">=" if higher else "<="
    return Column(f"time to {metric} {sign} {value:g} (s)", read, "lower", digits=3)


def _config_reader(key: str) -> Callable[[RunData], Any]:
    return lambda run: run.config.get(key)


def best_values(cols: list[Column], runs: list[RunData]) -> dict[str, float]:
    """The best value of each highlighted column over the runs that have one."""
    best = {}
    for col in cols:
        values = [v for r in runs if isinstance(v := col.value(r), int | float)]
        if col.better and values:
            best[col.title] = max(values) if col.better == "higher" else min(values)
    return best


def format_cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}" if digits == 0 else str(value)
    if isinstance(value, float):
        if digits == 0:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:.3e}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_cell(v, digits) for v in value) + "]"
    return str(value)


def markdown(runs: list[RunData]) -> str:
    """The table as GitHub Markdown; the best value per metric in bold."""
    cols = columns(runs)
    best = best_values(cols, runs)
    lines = [
        "| " + " | ".join(c.title for c in cols) + " |",
        "|" + "|".join("---" if c.kind in ("text", "config") else "---:" for c in cols) + "|",
    ]
    for run in runs:
        cells = []
        for col in cols:
            value = col.value(run)
            text = format_cell(value, col.digits).replace("|", "\\|")
            cells.append(f"**{text}**" if col.title in best and value == best[col.title] else text)
        lines.append("| " + " | ".join(cells) + " |")
    note = next((r.study["published"] for r in runs if (r.study or {}).get("published")), None)
    if note and note.get("note"):
        lines += ["", f"{note.get('source', 'Published')}: {note['note']}"]
    return "\n".join(lines) + "\n"

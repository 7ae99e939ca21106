"""A run at a glance, as a notebook or a REPL shows it: its progress, last losses, metrics and
newest sample grid, read from the run's own files (the run may still be training)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganforge.runs.images import image_uri

if TYPE_CHECKING:
    from ganforge.runs.directory import RunDir

LOSSES = ("d_loss", "g_loss")
NOT_METRICS = {"step", "kind", "ref", "seconds", "alarms", "evaluated", "eval_seconds"}
NOT_METRICS |= {"domain_classifier_accuracy"}  # how far to trust a domain metric, not a score


@dataclass
class RunGlance:
    """What `repr(run)` and a notebook cell show."""

    path: Path
    step: int = 0
    steps: int | None = None  # train.steps of its config (None: no config)
    family: str | None = None
    dataset: str | None = None
    losses: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # the newest value of each
    metric_steps: dict[str, int] = field(default_factory=dict)  # the step it was measured at
    grid: Path | None = None  # the newest sample grid

    def headline(self) -> str:
        total = max(self.steps or 0, self.step)  # a resume may train past config.yaml's steps
        parts = [f"step {self.step}" + (f"/{total}" if total else "")]
        if self.family:
            parts.append(f"{self.family} on {self.dataset}")
        parts += [f"{k} {v:.4g}" for k, v in {**self.losses, **self.metrics}.items()]
        return ", ".join(parts)


def glance(run: RunDir) -> RunGlance:
    """Read config.yaml, metrics.jsonl and samples/ (each may be missing)."""
    import yaml

    seen = RunGlance(run.path)
    if run.config_path.is_file():
        config = yaml.safe_load(run.config_path.read_text()) or {}
        seen.steps = (config.get("train") or {}).get("steps")
        seen.family = (config.get("model") or {}).get("name")
        seen.dataset = (config.get("data") or {}).get("name")
    for row in run.read_metrics():
        seen.step = max(seen.step, int(row.get("step", 0)))
        if row.get("kind") == "eval" or "evaluated" in row:
            keys = row.get("evaluated") or [k for k in row if k not in NOT_METRICS]
            found = {k: row[k] for k in keys if _number(row.get(k))}
            seen.metrics.update(found)
            seen.metric_steps.update(dict.fromkeys(found, int(row.get("step", 0))))
        else:
            seen.losses.update({k: row[k] for k in LOSSES if _number(row.get(k))})
    grids = sorted(run.samples_dir.glob("step_*.png")) if run.samples_dir.is_dir() else []
    seen.grid = grids[-1] if grids else None
    return seen


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def run_html(run: RunDir) -> str:
    """A small card: the headline, a table of losses and metrics, the newest grid inline."""
    seen = glance(run)
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{v:.4g}</td></tr>"
        for k, v in {**seen.losses, **seen.metrics}.items()
    )
    table = f"<table>{rows}</table>" if rows else ""
    image = ""
    if seen.grid is not None:
        image = (
            f"<img alt='samples' style='image-rendering:pixelated;max-width:320px' "
            f"src='{image_uri(seen.grid)}'><br><small>{escape(seen.grid.name)}</small>"
        )
    title = f"<b>{escape(str(seen.path))}</b>: {escape(seen.headline())}"
    return f"<div>{title}<div style='display:flex;gap:16px'>{table}<div>{image}</div></div></div>"

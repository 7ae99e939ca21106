"""What a sweep still has to do for one run, read from its run directory alone.

A run is trained when a checkpoint at (or past) its final step exists (`checkpoints/
step_NNNNNNN.pt`, always written at the last step), or, under a time budget, when its last
row's training time reached `train.minutes` and that step has its checkpoint. It is evaluated
when `metrics.jsonl` holds a row at that step with every metric the study asks for (an eval row
of `ganforge eval`, or a training row of an evaluation during training). Anything less is
resumed: the trainer's exact resume picks the newest good checkpoint, so a killed sweep
finishes bit-identical.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CHECKPOINT = re.compile(r"^step_(\d+)\.pt$")


def last_checkpoint_step(run_dir: Path) -> int:
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return -1
    steps = [int(m.group(1)) for p in folder.iterdir() if (m := CHECKPOINT.match(p.name))]
    return max(steps, default=-1)


def read_rows(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a killed process
    return rows


def eval_rows(run_dir: Path) -> list[dict]:
    """Rows that hold evaluations: `ganforge eval`'s, and training rows that evaluated."""
    return [r for r in read_rows(run_dir) if r.get("kind") == "eval" or r.get("evaluated")]


def trained_until(run_dir: Path, steps: int, minutes: float = 0.0) -> int | None:
    """The step the run ended at, or None while it still has to train."""
    last = last_checkpoint_step(run_dir)
    if last >= steps:
        return last
    if minutes:
        rows = [r for r in read_rows(run_dir) if r.get("kind") != "eval"]
        if rows and rows[-1].get("step") == last and rows[-1].get("seconds", 0) >= minutes * 60:
            return last
    return None


def has_metric(row: dict, metric: str) -> bool:
    """Metrics log under their own name or, for multi-valued ones, as `NAME_part`."""
    return any(key == metric or key.startswith(f"{metric}_") for key in row)


def action_for(
    run_dir: Path, steps: int, metrics: tuple[str, ...] | list[str], minutes: float = 0.0
) -> str:
    """new | resume | eval | skip."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.yaml").exists():
        return "new"
    end = trained_until(run_dir, steps, minutes)
    if end is None:
        return "resume"
    done = [r for r in eval_rows(run_dir) if r.get("step", -1) >= end]
    if metrics and not any(all(has_metric(r, m) for m in metrics) for r in done):
        return "eval"
    return "skip"

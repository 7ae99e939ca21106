"""What a sweep still has to do for one run, read from its run directory alone.

A run is trained when a checkpoint at (or past) its final step exists (`checkpoints/
step_NNNNNNN.pt`, always written at the last step), and evaluated when `metrics.jsonl` holds an
eval row at that step with every metric the study asks for. Anything less is resumed: the
trainer's exact resume picks the newest good checkpoint, so a killed sweep finishes bit-identical.
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


def eval_rows(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row.get("kind") == "eval":
            rows.append(row)
    return rows


def has_metric(row: dict, metric: str) -> bool:
    """Metrics log under their own name or, for multi-valued ones, as `NAME_part`."""
    return any(key == metric or key.startswith(f"{metric}_") for key in row)


def action_for(run_dir: Path, steps: int, metrics: tuple[str, ...]) -> str:
    """new | resume | eval | skip."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.yaml").exists():
        return "new"
    if last_checkpoint_step(run_dir) < steps:
        return "resume"
    done = [r for r in eval_rows(run_dir) if r.get("step", -1) >= steps]
    if metrics and not any(all(has_metric(r, m) for m in metrics) for r in done):
        return "eval"
    return "skip"

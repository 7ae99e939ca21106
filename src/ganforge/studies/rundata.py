"""Run directories as the report sees them: only their files, never ganforge's training code.

The report must open runs made by other versions, on other machines, or half-finished, so it
reads config.yaml, metrics.jsonl, samples/*.png and a study folder's study.yaml as plain data.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SAMPLE = re.compile(r"^step_(\d+)\.png$")
NOT_METRICS = ("step", "kind", "ref", "seconds", "time", "eval_seconds", "sec_per_step")


@dataclass
class RunData:
    name: str
    path: Path
    config: dict[str, Any]  # flattened: {"model.g.hidden": [8], ...}
    rows: list[dict[str, Any]]  # training rows of metrics.jsonl
    evals: list[dict[str, Any]]  # eval rows ("kind": "eval"), oldest first
    samples: list[tuple[int, Path]]  # (step, png) sorted by step
    study: dict[str, Any] | None = None  # the study.yaml of the folder it came from
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def last_step(self) -> int:
        return max((r.get("step", 0) for r in self.rows), default=0)

    @property
    def train_seconds(self) -> float:
        return self.seconds_until(self.last_step)

    def seconds_until(self, last: int) -> float:
        """Training time up to step `last`, without start-up and evaluations: the rows' own
        clock (`seconds`) where they carry one, else each row's seconds per step times the
        steps it covers (runs of older versions)."""
        total, previous = 0.0, 0
        for row in self.rows:
            step = row.get("step", 0)
            if step > last:
                break
            if isinstance(row.get("seconds"), int | float):
                total = float(row["seconds"])
            elif isinstance(row.get("sec_per_step"), int | float):
                total += (step - previous) * row["sec_per_step"]
            previous = step
        return total

    @property
    def alarms(self) -> Counter:
        """Alarms of training rows and of evaluations (class_collapse is raised by these)."""
        return Counter(name for r in [*self.rows, *self.evals] for name in r.get("alarms") or ())

    def eval_values(self, key: str) -> list[tuple[int, float]]:
        """(step, value) of a metric from eval rows and from training rows (eval.every)."""
        found = {}
        for row in [*self.rows, *self.evals]:
            if isinstance(row.get(key), int | float):
                found[row.get("step", 0)] = float(row[key])
        return sorted(found.items())


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"model": {"g": {"hidden": [8]}}} -> {"model.g.hidden": [8]}."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a killed process
    return rows


def read_run(path: Path, study: dict[str, Any] | None = None) -> RunData:
    config = yaml.safe_load((path / "config.yaml").read_text()) or {}
    rows = read_jsonl(path / "metrics.jsonl")
    samples = sorted(
        (int(m.group(1)), p)
        for p in (path / "samples").glob("step_*.png")
        if (m := SAMPLE.match(p.name))
    )
    return RunData(
        name=path.name,
        path=path,
        config=flatten(config),
        rows=[r for r in rows if r.get("kind") != "eval"],
        evals=[r for r in rows if r.get("kind") == "eval"],
        samples=samples,
        study=study,
    )


def collect(sources: list[Path]) -> list[RunData]:
    """Runs from run directories and study folders (their sub-folders that hold a run)."""
    runs: list[RunData] = []
    for source in sources:
        source = Path(source)
        if (source / "config.yaml").exists():
            runs.append(read_run(source))
            continue
        if not source.is_dir():
            raise FileNotFoundError(f"'{source}' is neither a run directory nor a study folder")
        study_file = source / "study.yaml"
        study = yaml.safe_load(study_file.read_text()) if study_file.exists() else None
        found = sorted(p for p in source.iterdir() if (p / "config.yaml").exists())
        runs += [read_run(p, study) for p in found]
    names = Counter(r.name for r in runs)
    for run in runs:  # the same run name from two folders: qualify with the parent
        if names[run.name] > 1:
            run.name = f"{run.path.parent.name}/{run.name}"
    return runs


def metric_keys(runs: list[RunData]) -> list[str]:
    """Numeric keys of the eval rows, and the keys training rows list as `evaluated`."""
    keys: dict[str, None] = {}
    for run in runs:
        for row in run.rows:
            keys.update(
                dict.fromkeys(
                    k for k in row.get("evaluated") or () if isinstance(row.get(k), int | float)
                )
            )
        for row in run.evals:
            for key, value in row.items():
                if key not in NOT_METRICS and isinstance(value, int | float):
                    keys[key] = None
    return list(keys)


def failures(sources: list[Path]) -> list[dict[str, Any]]:
    """Runs whose latest sweep attempt failed, from the study folders' study.jsonl."""
    out = []
    for source in sources:
        latest: dict[str, dict[str, Any]] = {}
        for row in read_jsonl(Path(source) / "study.jsonl"):
            latest[row.get("run", "?")] = row
        out += [row for row in latest.values() if row.get("status") not in ("ok", None)]
    return out

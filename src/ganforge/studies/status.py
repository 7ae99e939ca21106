"""`ganforge status RUN_OR_STUDY`: where a run or a study stands, read from its files alone.

A run is finished, running, stopped or diverged. log.txt says how each attempt ended (the
trainer writes "finished", "stopped by ..." or "training diverged ..."); an attempt with no
ending line is running while its files still change (log.txt takes a heartbeat line every
log.heartbeat_s seconds), else it was killed: stopped.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from ganforge.errors import GanforgeError
from ganforge.studies.rundata import read_jsonl
from ganforge.studies.state import CHECKPOINT
from ganforge.studies.table import direction

QUIET_S = 120.0  # files of a running run change at least this often (or 3 heartbeats)
ENDINGS = (
    ("finished ", "finished"),
    ("train.minutes=", "finished"),  # "... already spent at step N; nothing to train"
    ("stopped by ", "stopped"),
    ("training diverged", "diverged"),
)


def run_state(run_dir: Path, heartbeat_s: float, now: float | None = None) -> tuple[str, str]:
    """(state, the log line that says so) from log.txt's last attempt and the files' age."""
    lines = (run_dir / "log.txt").read_text().splitlines() if (run_dir / "log.txt").exists() else []
    for line in reversed(lines):
        text = line[20:]  # after "YYYY-MM-DD HH:MM:SS "
        if text.startswith("training '"):
            break  # an attempt that has not ended (yet)
        for start, state in ENDINGS:
            if text.startswith(start):
                return state, text
    files = [run_dir / n for n in ("log.txt", "metrics.jsonl") if (run_dir / n).exists()]
    changed = max((p.stat().st_mtime for p in files), default=0.0)
    quiet = (now or time.time()) - changed
    if quiet < max(QUIET_S, 3 * heartbeat_s):
        return "running", f"files changed {quiet:.0f} s ago"
    return "stopped", f"killed or lost: nothing written for {quiet / 60:.0f} min"


def run_status(run_dir: str | Path) -> dict[str, Any]:
    """Steps done and total, last losses, best metrics, checkpoints and state of one run."""
    path = Path(run_dir)
    if not (path / "config.yaml").exists():
        raise GanforgeError(f"'{path}' is neither a run (no config.yaml) nor a study folder")
    config = yaml.safe_load((path / "config.yaml").read_text()) or {}
    train = config.get("train", {})
    rows = read_jsonl(path / "metrics.jsonl")
    trained = [r for r in rows if r.get("kind") != "eval" and "step" in r]
    last = trained[-1] if trained else {}
    state, why = run_state(path, float(config.get("log", {}).get("heartbeat_s", 30.0)))
    folder = path / "checkpoints"
    checkpoints = sorted(p.name for p in folder.glob("*.pt")) if folder.is_dir() else []
    return {
        "run": str(path),
        "state": state,
        "why": why,
        "step": last.get("step", 0),
        "steps": train.get("steps"),
        "seconds": last.get("seconds"),
        "losses": {k: v for k, v in last.items() if k.endswith("_loss")},
        "best": best_metrics(rows),
        "checkpoints": [c for c in checkpoints if CHECKPOINT.match(c) or c == "best.pt"],
    }


def best_metrics(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For every evaluated metric with a direction: its best value and the step it came at."""
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        names = row.get("evaluated") or (
            [k for k in row if direction(k)] if row.get("kind") else []
        )
        for name in names:
            value, better = row.get(name), direction(name)
            if not isinstance(value, int | float) or better is None:
                continue
            held = best.get(name)
            if held is None or (
                value < held["value"] if better == "lower" else value > held["value"]
            ):
                best[name] = {"value": value, "step": row.get("step")}
    return best


def study_status(study_dir: str | Path) -> dict[str, Any]:
    """Every run of a study folder, and the sweep's record of runs that failed to start."""
    path = Path(study_dir)
    runs = [run_status(p) for p in sorted(path.iterdir()) if (p / "config.yaml").exists()]
    records = {r["run"]: r for r in read_jsonl(path / "study.jsonl") if "run" in r}
    for run in runs:
        record = records.get(Path(run["run"]).name, {})
        if record.get("status") not in (None, "ok") and run["state"] != "running":
            run["state"], run["why"] = "failed", record.get("error") or record["status"]
    present = {Path(r["run"]).name for r in runs}
    for name, record in records.items():  # a config that failed before its folder existed
        if name not in present and record.get("status") not in (None, "ok"):
            runs.append({"run": str(path / name), "state": "failed", "why": record.get("error")})
    counts: dict[str, int] = {}
    for run in runs:
        counts[run["state"]] = counts.get(run["state"], 0) + 1
    return {"study": str(path), "counts": counts, "runs": runs}


def status(source: str | Path) -> dict[str, Any]:
    """A run's status, or a study's (a folder holding study.yaml or study.jsonl)."""
    path = Path(source)
    if not path.is_dir():
        raise GanforgeError(f"'{path}' is not a folder; give a run directory or a study folder")
    if (path / "config.yaml").exists():
        return run_status(path)
    if (path / "study.yaml").exists() or (path / "study.jsonl").exists():
        return study_status(path)
    raise GanforgeError(f"'{path}' is neither a run (no config.yaml) nor a study (no study.yaml)")


def format_run(run: dict[str, Any]) -> list[str]:
    steps = f"step {run.get('step', 0)}/{run.get('steps')}" if run.get("steps") else ""
    lines = [f"{run['run']}: {run['state']}{', ' + steps if steps else ''} ({run['why']})"]
    if run.get("losses"):
        lines.append(
            "  last losses: " + ", ".join(f"{k} {v:.4g}" for k, v in run["losses"].items())
        )
    for name, best in (run.get("best") or {}).items():
        lines.append(f"  best {name} {best['value']:.4g} at step {best['step']}")
    if run.get("checkpoints"):
        lines.append("  checkpoints: " + ", ".join(run["checkpoints"]))
    return lines


def format_status(result: dict[str, Any]) -> str:
    if "study" not in result:
        return "\n".join(format_run(result))
    counts = ", ".join(f"{n} {state}" for state, n in sorted(result["counts"].items()))
    lines = [f"study {result['study']}: {len(result['runs'])} runs: {counts or 'none yet'}"]
    for run in result["runs"]:
        lines += ["  " + line for line in format_run(run)]
    return "\n".join(lines)

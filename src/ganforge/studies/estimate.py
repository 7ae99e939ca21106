"""`ganforge sweep --dry-run` and `--estimate`: the runs and their estimated wall time.

Each distinct architecture (model, data, loss, batch size, critic steps) is timed once for a few
dozen steps with the threads a job would get, in a throw-away run directory (`--estimate`); the
timing is cached (`$GANFORGE_CACHE/step-timings.json`, keyed by the architecture, threads,
device and PyTorch version), so `--dry-run` answers at once from the cache and says which
architectures have no timing yet. A run's estimate is its step count times the median seconds
per step, capped by its train.minutes. Start-up, sampling, checkpoints and evaluation are not
included, so the estimate is a lower bound.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.studies.spec import Point

# steps up to WARM_UP are not counted: with two threads on a shared CPU the first ten ran 2-3x
# slower than the rest (a 300-step run here: 0.71 s/step, then 0.17-0.35)
WARM_UP, TIMED_STEPS = 10, 30
NOT_TIMED = "not timed yet"
NOT_ARCHITECTURE = ("name", "description", "seed", "eval", "log")
NOT_ARCHITECTURE_TRAIN = (
    "steps",
    "log_every",
    "sample_every",
    "checkpoint_every",
    "keep_checkpoints",
    "tensorboard",
    "grid_size",
)


def architecture_key(config: Any) -> str:
    """What decides the time of a step: everything but names, seeds, cadence and evaluation."""
    from ganforge.config import to_dict

    data = to_dict(config)
    for key in NOT_ARCHITECTURE:
        data.pop(key, None)
    for key in NOT_ARCHITECTURE_TRAIN:
        data.get("train", {}).pop(key, None)
    return json.dumps(data, sort_keys=True, default=str)


def seconds_per_step(point: Point, threads: int, device: str) -> float:
    """Median seconds per step over a short run of this point's config."""
    import torch

    from ganforge.config import load_config
    from ganforge.training import train

    timing = [
        f"train.steps={TIMED_STEPS}",
        "train.log_every=1",
        "train.sample_every=0",
        "train.checkpoint_every=0",
        "train.tensorboard=false",
        "log.trackers=[]",
        "log.heartbeat_s=0",
        "eval.every=0",
    ]
    config = load_config(point.source, [*point.overrides, *timing])
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:  # the trainer's log lines would bury the table: keep them out of the terminal
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(io.StringIO()):
            run = train(config, run_dir=Path(tmp) / "timing", device=device, progress=False)
            rows = [
                r for r in run.read_metrics() if r.get("step", 0) > WARM_UP and "sec_per_step" in r
            ]
    finally:
        torch.set_num_threads(previous)
    return statistics.median(r["sec_per_step"] for r in rows)


def timing_key(config: Any, threads: int, device: str) -> str:
    """The cache key of a timing: the architecture and what the machine runs it with."""
    import hashlib
    from importlib.metadata import version

    ident = f"{architecture_key(config)}|{threads}|{device}|{version('torch')}"
    return hashlib.sha256(ident.encode()).hexdigest()[:20]


def _cache_file() -> Path:
    from ganforge.storage import cache_dir

    return cache_dir() / "step-timings.json"


def read_timings() -> dict[str, float]:
    try:
        return {k: float(v) for k, v in json.loads(_cache_file().read_text()).items()}
    except (OSError, ValueError, AttributeError):  # none yet, or damaged: time again
        return {}


def write_timings(timings: dict[str, float]) -> None:
    from ganforge.storage import atomic_write

    text = json.dumps(timings, indent=0, sort_keys=True)
    atomic_write(_cache_file(), lambda f: f.write(text.encode()))


def estimate(
    points: list[Point], threads: int, device: str, measure: bool = True
) -> list[dict[str, Any]]:
    """One row per point: name, steps, seconds per step and estimated seconds (None if unknown).

    A cached timing is used as it is; without one, `measure` times the architecture (and
    caches it), else the row says it has no timing yet. `measure` also re-times cached ones."""
    from ganforge.config import load_config

    cached, timed = read_timings(), {}
    rows = []
    for point in points:
        row: dict[str, Any] = {"run": point.name, "steps": None, "sec_per_step": None}
        try:
            config = load_config(point.source, list(point.overrides))
            row["steps"] = config.train.steps
            key = timing_key(config, threads, device)
            if key not in timed and measure:
                try:
                    timed[key] = cached[key] = seconds_per_step(point, threads, device)
                except GanforgeError as err:
                    timed[key] = str(err)
            value = timed.get(key, cached.get(key, NOT_TIMED))
            if isinstance(value, str):
                row["error"] = value
            else:
                row["sec_per_step"] = value
                budget = config.train.minutes * 60 or float("inf")
                row["seconds"] = min(value * config.train.steps, budget)
        except GanforgeError as err:
            row["error"] = str(err)
        rows.append(row)
    if measure:
        write_timings(cached)
    return rows


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def print_estimate(rows: list[dict[str, Any]], jobs: int, say: Any = print) -> None:
    width = max([len(r["run"]) for r in rows] + [3])
    say(f"{'run':<{width}}  {'steps':>7}  {'s/step':>8}  {'estimate':>9}")
    for r in rows:
        sps = f"{r['sec_per_step']:.4f}" if r["sec_per_step"] is not None else "?"
        steps = r["steps"] if r["steps"] is not None else "?"
        line = f"{r['run']:<{width}}  {steps:>7}  {sps:>8}  {format_duration(r.get('seconds')):>9}"
        say(line + (f"  ({r['error']})" if r.get("error") else ""))
    known = [r["seconds"] for r in rows if r.get("seconds") is not None]
    total = sum(known)
    # with N parallel jobs the wall time is at least the longest run and about total / N
    wall = max(total / max(1, jobs), max(known, default=0.0))
    say(
        f"total {format_duration(total)} of training; about {format_duration(wall)} of wall time "
        f"with --jobs {jobs} ({len(known)}/{len(rows)} runs timed; start-up and evaluation not "
        "included)"
    )
    if any(r.get("error") == NOT_TIMED for r in rows):
        say(
            "runs marked 'not timed yet' have an architecture never timed here: --estimate "
            "times each once (30 steps) and caches it for later dry runs"
        )

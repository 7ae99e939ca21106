"""`ganforge sweep`: run every point of a study as an ordinary run directory.

runs/STUDY/
  NAME/           one run directory per point (train, resume, eval and report it as any run)
  study.yaml      the study as run (with the command line's overrides), read by the report
  study.jsonl     one row per run and attempt: status, error sentence, seconds, threads
  .sweep/         job, result and log files of the worker processes

Re-running a sweep skips finished runs, resumes killed ones from their newest checkpoint (exact
on CPU), evaluates runs that trained but were not evaluated, and records failures without
stopping the others. The exit status is 0 only if every run succeeded.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ganforge.config.aliases import PRESET_ALIASES
from ganforge.errors import GanforgeError
from ganforge.studies.launchers import LAUNCHERS, Job
from ganforge.studies.spec import EvalSpec, Point, Study, expand, format_value
from ganforge.studies.state import action_for
from ganforge.studies.sweep_progress import SweepProgress

CADENCE = ("train.sample_every", "train.log_every", "train.checkpoint_every")
# what may change between attempts of one run: its length, cadence, evaluation and logging
NOT_IDENTITY = ("train.steps=", "train.minutes=", "eval.", "log.", *(f"{k}=" for k in CADENCE))
EVALS_PER_RUN = 5


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def threads_per_job(jobs: int, cores: int | None = None) -> int:
    """Split the cores between parallel runs: two runs that each use every core are far slower
    than one after the other (measured 20 ms -> 1.1 s per step)."""
    return max(1, (cores or available_cores()) // max(1, jobs))


@dataclass(frozen=True)
class Planned:
    """A point with its resolved step count and what the sweep must do for it."""

    point: Point
    steps: int
    action: str  # new | resume | eval | skip | failed
    error: str | None = None
    minutes: float = 0.0  # train.minutes: a time budget ends the run before `steps`


def command_line_overrides(steps: int | None, overrides: list[str] | tuple[str, ...]) -> list[str]:
    return [*overrides, *([f"train.steps={steps}"] if steps else [])]


def quick_cadence(config: Any, steps: int, given: list[str] | tuple[str, ...]) -> list[str]:
    """With --steps, shrink sample/log/checkpoint intervals that would leave one grid, a couple
    of log rows and no checkpoint to resume from; keys the user set explicitly are kept."""
    wanted = {
        "train.sample_every": max(1, steps // 4),
        "train.log_every": max(1, steps // 25),
        "train.checkpoint_every": max(1, steps // 4),
    }
    out = []
    for key, value in wanted.items():
        current = getattr(config.train, key.split(".")[1])
        if any(o.startswith(f"{key}=") for o in given) or current <= value:
            continue
        out.append(f"{key}={value}")
    return out


def eval_overrides(ev: EvalSpec, config: Any) -> list[str]:
    """Evaluate during training on the study's metrics, EVALS_PER_RUN times unless the study
    says how often: every fifth of the time budget (runs of one budget are then scored at the
    same training times), else of the steps. Best and last values, and curves, then exist for
    every run. A run whose config evaluates during training already (a cheap metric often,
    the study's costly one once at the end) keeps its own cadence."""
    if not ev.metrics or config.eval.every or config.eval.every_minutes:
        return []  # nothing to score, or the runs' own evaluation during training is kept
    out = [f"eval.metrics=[{','.join(ev.metrics)}]"]
    out += [
        f"eval.{key}={format_value(value)}"
        for key in ("ref", "num_samples", "inception_weights")
        if (value := getattr(ev, key)) is not None
    ]
    if ev.every or ev.every_minutes:
        cadence = {"every": ev.every or 0, "every_minutes": ev.every_minutes or 0}
    elif config.train.minutes:
        cadence = {"every": 0, "every_minutes": config.train.minutes / EVALS_PER_RUN}
    else:
        cadence = {"every": max(1, config.train.steps // EVALS_PER_RUN), "every_minutes": 0}
    return out + [f"eval.{key}={value:g}" for key, value in cadence.items()]


def plan(
    study: Study, study_dir: Path, steps: int | None, overrides: list[str] | tuple[str, ...]
) -> list[Planned]:
    """Resolve every point's config (bad ones fail here, before any process starts)."""
    from ganforge.config import load_config

    extra = command_line_overrides(steps, overrides)
    history = _recorded_overrides(study_dir)
    planned = []
    for point in expand(study, extra):
        try:
            config = load_config(point.source, list(point.overrides))
            added = quick_cadence(config, config.train.steps, point.overrides) if steps else []
            added += eval_overrides(study.eval, config)
            if added:
                point = Point(point.name, point.source, (*point.overrides, *added))
                config = load_config(point.source, list(point.overrides))
            if (study_dir / point.name / "config.yaml").exists():  # a run to protect
                _check_same_point(point, history.get(point.name))
            t = config.train
            action = action_for(study_dir / point.name, t.steps, study.eval.metrics, t.minutes)
            planned.append(Planned(point, t.steps, action, minutes=t.minutes))
        except GanforgeError as err:
            planned.append(Planned(point, 0, "failed", str(err)))
    return planned


def _identity(point: Point) -> list[str]:
    """What must not change between attempts of a run: everything but its length and cadence."""
    return [str(point.source), *(o for o in point.overrides if not o.startswith(NOT_IDENTITY))]


def _check_same_point(point: Point, recorded: list[str] | None) -> None:
    if recorded:  # a run recorded under a preset's old name is the same run
        recorded = [PRESET_ALIASES.get(recorded[0], recorded[0]), *recorded[1:]]
    if recorded is not None and recorded != _identity(point):
        raise GanforgeError(
            f"'{point.name}' was started with other settings ({' '.join(recorded)}); delete "
            "its folder or sweep into another --out to run the new settings"
        )


def _recorded_overrides(study_dir: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in read_records(study_dir):
        if row.get("identity") is not None:
            out[row["run"]] = row["identity"]
    return out


def read_records(study_dir: Path) -> list[dict[str, Any]]:
    path = Path(study_dir) / "study.jsonl"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def _record(study_dir: Path, row: dict[str, Any]) -> None:
    row = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), **row}
    with (study_dir / "study.jsonl").open("a") as f:
        f.write(json.dumps(row, default=str) + "\n")


def write_study_file(study: Study, study_dir: Path, extra: list[str]) -> None:
    """study.yaml: the study as written plus the command line, so the report needs no import."""
    data = {"name": study.name, **study.raw, "command_line_overrides": extra}
    (study_dir / "study.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def sweep(
    study: Study,
    root: str | Path = "runs",
    jobs: int = 1,
    steps: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    device: str = "auto",
    launcher: str = "local",
    say: Callable[[str], None] = print,
) -> int:
    """Run the study; return 0 when every run succeeded (or was already done), 1 otherwise."""
    launch = LAUNCHERS.get(launcher)
    study_dir = Path(root) / study.name
    study_dir.mkdir(parents=True, exist_ok=True)
    write_study_file(study, study_dir, command_line_overrides(steps, overrides))
    planned = plan(study, study_dir, steps, overrides)
    threads = threads_per_job(jobs)
    say(f"study {study.name}: {len(planned)} runs in {study_dir}, {jobs} at a time")
    failures = 0
    todo: list[Job] = []
    for item in planned:
        if item.action in ("skip", "failed"):
            failures += item.action == "failed"
            _record(study_dir, _row(item, item.action, item.error))
            say(f"  {item.point.name}: {'done' if item.action == 'skip' else item.error}")
            continue
        spec = _job_spec(study, study_dir, item, threads, device)
        todo.append(Job(item.point.name, spec, study_dir / ".sweep"))
    by_name = {item.point.name: item for item in planned}
    progress = SweepProgress(len(planned), jobs, len(planned) - len(todo) - failures, failures)

    def done(job: Job, outcome: dict[str, Any]) -> None:
        nonlocal failures
        item = by_name[job.name]
        failures += outcome["status"] != "ok"
        _record(study_dir, {**_row(item, outcome["status"], outcome.get("error")), **outcome})
        detail = outcome.get("error") or f"{outcome.get('seconds', 0):.0f} s"
        counts = progress.ended(outcome["status"] == "ok")
        say(f"  {job.name}: {item.action} -> {outcome['status']} ({detail}) {counts}")

    launch(todo, jobs, done)
    ok = len(planned) - failures
    say(f"study {study.name}: {ok}/{len(planned)} runs succeeded")
    return 0 if failures == 0 else 1


def _row(item: Planned, status: str, error: str | None) -> dict[str, Any]:
    return {
        "run": item.point.name,
        "action": item.action,
        "status": "ok" if status == "skip" else status,
        "error": error,
        "steps": item.steps,
        "identity": _identity(item.point) if item.action != "failed" else None,
    }


def _job_spec(
    study: Study, study_dir: Path, item: Planned, threads: int, device: str
) -> dict[str, Any]:
    ev = study.eval
    return {
        "action": item.action,
        "source": item.point.source,
        "overrides": list(item.point.overrides),
        "steps": item.steps,
        "minutes": item.minutes,
        "run_dir": str(study_dir / item.point.name),
        "threads": threads,
        "device": device,
        "eval": {
            "metrics": list(ev.metrics),
            "ref": ev.ref,
            "num_samples": ev.num_samples,
            "inception_weights": ev.inception_weights,
        },
    }

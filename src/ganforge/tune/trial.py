"""One trial: an ordinary run directory `trial-NNNN` trained with the sampled values.

A trial that a killed tuner left behind is re-queued as a new Optuna trial with the same
values and the same run directory (user attr `run_dir`), and that trial *resumes* the run from
its newest checkpoint: the steps already trained are kept, and the evaluations they logged are
reported again so the pruner sees the whole curve.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import traceback
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError, TrainingStopped
from ganforge.runs import RunDir
from ganforge.studies.spec import format_value
from ganforge.tune.observer import PruningObserver, TrialInterrupted, record_trial
from ganforge.tune.space import Param, Space


def suggest(trial: Any, param: Param) -> Any:
    """Ask `trial` for a value of `param` in its Optuna distribution."""
    if param.kind == "choice":
        return trial.suggest_categorical(param.key, list(param.choices))
    log = param.kind.startswith("log")
    if param.kind in ("int", "log_int"):
        step = param.step or 1
        return trial.suggest_int(param.key, int(param.low), int(param.high), step=step, log=log)
    return trial.suggest_float(param.key, param.low, param.high, log=log)


def trial_overrides(space: Space, params: dict[str, Any]) -> list[str]:
    return [*space.fixed_overrides(), *(f"{k}={format_value(v)}" for k, v in params.items())]


def claim(trial: Any, folder: Path) -> Path:
    """Mark `trial` as this process's (host, pid, heartbeat) and name its run directory."""
    name = trial.user_attrs.get("run_dir") or f"trial-{trial.number:04d}"
    for key, value in (
        ("run_dir", name),
        ("host", socket.gethostname()),
        ("pid", os.getpid()),
        ("alive_at", time.time()),
    ):
        trial.set_user_attr(key, value)
    return folder / name


def run_trial(
    study: Any,
    trial: Any,
    space: Space,
    folder: Path,
    device: str = "auto",
    parent_pid: int | None = None,
) -> str:
    """Train `trial` and tell the study how it ended; return complete | pruned | failed |
    interrupted. Interrupted trials are left RUNNING for `recover` to re-queue."""
    import optuna

    path = claim(trial, folder)
    params = {p.key: suggest(trial, p) for p in space.params}
    observer = PruningObserver(
        trial, RunDir(path), space.metric, bool(space.budget.minutes), parent_pid
    )
    try:
        _train(space, trial, params, path, device, observer)
    except optuna.TrialPruned:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        return "pruned"
    except (TrainingStopped, TrialInterrupted, KeyboardInterrupt):
        return "interrupted"
    except GanforgeError as err:  # diverged, bad data: a result of these values
        return _failed(study, trial, path, str(err))
    except Exception as err:  # a bug: recorded with its traceback, the search goes on
        (path / "crash.log").parent.mkdir(parents=True, exist_ok=True)
        (path / "crash.log").write_text(traceback.format_exc())
        return _failed(study, trial, path, f"{type(err).__name__}: {err}")
    if observer.last is None:
        return _failed(study, trial, path, f"the run logged no {space.metric}")
    record_trial(path, {"state": "complete", "value": observer.last})
    study.tell(trial, observer.last)
    return "complete"


def _train(
    space: Space,
    trial: Any,
    params: dict[str, Any],
    path: Path,
    device: str,
    observer: PruningObserver,
) -> None:
    from ganforge.config import load_config
    from ganforge.studies.state import last_checkpoint_step
    from ganforge.training import resume, train

    overrides = trial_overrides(space, params)
    info = {"study": space.name, "trial": trial.number, "params": params, "state": "running"}
    if (path / "config.yaml").exists() and last_checkpoint_step(path) >= 0:
        values = replay(trial, path, space, last_checkpoint_step(path))
        # killed after its last step but before the study heard: the value is in the run
        observer.evaluations, observer.last = len(values), (values[-1] if values else None)
        record_trial(path, {**info, "resumed_by_trial": trial.number})
        resume(path, device=device, progress=False, stop_on_signals=True, observers=[observer])
        return
    config = load_config(space.base, overrides)
    if (path / "config.yaml").exists():  # killed before its first checkpoint: start again
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    record_trial(path, {**info, "overrides": overrides})
    # force: the folder holds trial.json, or a run killed before its first checkpoint
    train(config, path, device, False, force=True, stop_on_signals=True, observers=[observer])


def replay(trial: Any, path: Path, space: Space, until: int) -> list[float]:
    """Report the evaluations a resumed run already logged (up to its checkpoint) again."""
    from ganforge.studies.state import read_rows

    rows = [r for r in read_rows(path) if space.metric in r and r.get("step", 0) <= until]
    for ordinal, row in enumerate(rows, 1):
        trial.report(float(row[space.metric]), ordinal if space.budget.minutes else row["step"])
    return [float(row[space.metric]) for row in rows]


def _failed(study: Any, trial: Any, path: Path, error: str) -> str:
    import optuna

    trial.set_user_attr("error", error)
    if path.exists():
        record_trial(path, {"state": "failed", "error": error})
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return "failed"

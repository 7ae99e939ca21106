"""The Optuna study behind a search: where it is stored, and which of its trials count.

A search of `--trials N` ends when N trials *count*: complete, pruned, or failed on their own
values (diverged). Two kinds of failed trial do not count and carry the user attr `retired`:
a trial whose tuner was killed (`interrupted`: it is re-queued, and the new trial resumes the
same run directory), and a trial asked for after N already counted (`surplus`: several workers
asked at once; it never trained).
"""

from __future__ import annotations

import os
import random
import socket
import time
from pathlib import Path
from typing import Any

from ganforge.errors import ConfigError, GanforgeError
from ganforge.tune.observer import HEARTBEAT_SECONDS
from ganforge.tune.space import Space

STALE_SECONDS = 10 * HEARTBEAT_SECONDS  # a trial of another machine silent this long is dead
INSTALL = "ganforge tune needs Optuna; install it with: pip install 'ganforge[tune]'"


def require_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise GanforgeError(INSTALL) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def storage_url(folder: Path, storage: str | None) -> str:
    """The given SQLAlchemy URL, or an SQLite file beside the runs (folder/study.db)."""
    return storage or f"sqlite:///{(folder / 'study.db').resolve()}"


def open_study(space: Space, url: str, sampler_seed: int | None = None) -> Any:
    """Create or load the study named after the space; refuse one made from another space."""
    from ganforge.tune.pruners import build_pruner

    optuna = require_optuna()
    try:
        study = optuna.create_study(
            study_name=space.name,
            storage=_storage(optuna, url),
            sampler=optuna.samplers.TPESampler(seed=sampler_seed),
            pruner=build_pruner(*space.pruner),
            direction=space.direction,
            load_if_exists=True,
        )
    except (ImportError, ModuleNotFoundError) as err:
        raise GanforgeError(f"cannot open the storage '{url}': {err}") from None
    identity = space_identity(space)
    recorded = study.user_attrs.get("space")
    if recorded is None:
        study.set_user_attr("space", identity)
    elif recorded != identity:
        raise ConfigError(
            f"the study '{space.name}' in {url} was started with another search space; "
            "tune into another --out or --storage to search the new one"
        )
    return study


def _storage(optuna: Any, url: str, tries: int = 5) -> Any:
    """RDB storage; SQLite waits for a busy file instead of failing (several local workers).

    Workers that start together on an empty database race to create Optuna's tables (on
    PostgreSQL one gets a unique-key error for a type the other just made): try again."""
    import sqlalchemy.exc

    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for _ in range(tries - 1):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            time.sleep(0.5 + random.random())
    return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)


def space_identity(space: Space) -> dict[str, Any]:
    """What must not change between runs of one search: base, fixed overrides and params."""
    return {
        "base": space.base,
        "fixed": space.fixed_overrides(),
        "params": [[p.key, p.kind, p.low, p.high, p.step, list(p.choices)] for p in space.params],
        "metric": space.metric,
    }


def counts(trial: Any) -> bool:
    """Whether a trial takes one of the --trials slots (see the module docstring)."""
    return not trial.user_attrs.get("retired")


def counted(study: Any) -> int:
    return sum(counts(t) for t in study.get_trials(deepcopy=False))


def waiting(study: Any) -> int:
    """Queued trials (re-queued or enqueued by hand): they run before any new one."""
    optuna = require_optuna()
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)))


def rank(study: Any, number: int) -> int:
    """How many counted trials were created before trial `number`."""
    return sum(counts(t) for t in study.get_trials(deepcopy=False) if t.number < number)


def retire(study: Any, trial: Any, reason: str) -> bool:
    """Fail `trial` as not counted; False when another worker ended it first. Optuna's
    storage makes the state change atomic, so of two workers recovering one trial, one wins."""
    optuna = require_optuna()
    storage = study._storage  # Study.tell checks, then writes: not atomic between processes
    try:
        storage.set_trial_user_attr(trial._trial_id, "retired", reason)
        return storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False


def abandoned(trial: Any, now: float | None = None) -> bool:
    """A RUNNING trial nobody trains: its process on this machine is gone, or it has been
    silent longer than STALE_SECONDS (another machine's worker killed)."""
    now = time.time() if now is None else now
    attrs = trial.user_attrs
    if attrs.get("host") == socket.gethostname() and "pid" in attrs:
        return not pid_alive(int(attrs["pid"]))
    started = trial.datetime_start.timestamp() if trial.datetime_start else now
    return now - float(attrs.get("alive_at", started)) > STALE_SECONDS


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")  # a killed child not yet reaped is a zombie: dead
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def recover(study: Any, say: Any = print) -> list[int]:
    """Re-queue the trials a killed tuner left RUNNING; return their numbers. The new trial
    has the same values and run directory, and resumes that run from its checkpoint."""
    optuna = require_optuna()
    requeued = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if not abandoned(trial) or not retire(study, trial, "interrupted"):
            continue
        run_dir = trial.user_attrs.get("run_dir", f"trial-{trial.number:04d}")
        study.enqueue_trial(
            trial.params,
            user_attrs={"run_dir": run_dir, "resumes": trial.number},
            skip_if_exists=False,
        )
        say(f"trial {trial.number} was interrupted; re-queued to resume {run_dir}")
        requeued.append(trial.number)
    return requeued

"""`ganforge tune`: search a space with Optuna, every trial an ordinary run directory.

runs/tune/NAME/
  space.yaml      the space as searched (workers on other machines read the same file)
  study.db        the Optuna study (SQLite; --storage URL puts it in a database server)
  trial-NNNN/     one run directory per trial, with trial.json: values, state, pruned step
  tune.json       the summary the report reads: trials, history, importances, best trial
  .workers/       logs of the local worker processes (--jobs N)

Kill the tuner at any moment and run the same command again: trials it left running are
re-queued and resume their run directories from the newest checkpoint; no trial is lost or
counted twice (tune/study.py says which trials count).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ganforge.errors import TrainingStopped
from ganforge.tune.space import Space, parse_space
from ganforge.tune.study import (
    counted,
    open_study,
    rank,
    recover,
    retire,
    storage_url,
    waiting,
)
from ganforge.tune.summary import write_summary
from ganforge.tune.trial import run_trial

Say = Callable[[str], None]


def prepare(space: Space, root: Path) -> Path:
    """The search folder with space.yaml (base made absolute: workers run from anywhere)."""
    folder = Path(root) / space.name
    folder.mkdir(parents=True, exist_ok=True)
    data = {**space.raw, "base": space.base}
    (folder / "space.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def saved_space(folder: Path) -> Space:
    """The space a search folder was started with (what its workers search)."""
    return parse_space(folder.name, (folder / "space.yaml").read_text())


def work(
    space: Space,
    folder: Path,
    trials: int,
    storage: str | None = None,
    device: str = "auto",
    sampler_seed: int | None = None,
    parent_pid: int | None = None,
    say: Say = print,
) -> int:
    """One worker: ask, train and tell trials until `trials` count; return how many it ran.
    Several workers (processes, machines) may share one storage."""
    study = open_study(space, storage_url(folder, storage), sampler_seed)
    ran = 0
    while True:
        recover(study, say)
        if counted(study) >= trials and not waiting(study):
            break  # every slot taken, and no queued trial (re-queued or enqueued) left
        trial = study.ask()
        if "resumes" not in trial.user_attrs and rank(study, trial.number) >= trials:
            retire(study, trial, "surplus")  # another worker took the last slot meanwhile
            break
        outcome = run_trial(study, trial, space, folder, device, parent_pid)
        ran += 1
        say(f"trial {trial.number}: {outcome}{_value(study, trial.number)}")
        write_summary(study, space, folder)
        if outcome == "interrupted":  # Ctrl-C, SIGTERM, or the tuner of this worker is gone
            raise TrainingStopped(
                f"trial {trial.number} stopped with its checkpoint; run the same command again "
                "to resume it"
            )
    return ran


def _value(study: Any, number: int) -> str:
    value = study.get_trials(deepcopy=False)[number].value
    return f" ({value:.4g})" if value is not None else ""


def tune(
    space: Space,
    root: str | Path = "runs/tune",
    trials: int = 20,
    jobs: int = 1,
    storage: str | None = None,
    device: str = "auto",
    launcher: str = "local",
    say: Say = print,
) -> Path:
    """Search `space` until `trials` trials count; return the search folder."""
    from ganforge.tune.launch import LAUNCHERS

    folder = prepare(space, Path(root))
    url = storage_url(folder, storage)
    study = open_study(space, url, space.seed)  # created once, before any worker races to it
    done = counted(study)
    say(f"search {space.name}: {done}/{trials} trials counted in {url}; {jobs} worker(s)")
    if jobs == 1 and launcher == "local":
        work(space, folder, trials, storage, device, space.seed, say=say)
    else:
        LAUNCHERS.get(launcher)(folder, trials, jobs, storage, device)
    summary = write_summary(open_study(space, url), space, folder)
    say(f"search {space.name}: {summary['counted']} trials; summary in {folder / 'tune.json'}")
    return folder


def worker_seed(index: int) -> int:
    """A sampler seed per worker: equal seeds would propose the same first trials."""
    return random.SystemRandom().randrange(2**31) ^ (os.getpid() << 8) ^ index

"""Where the workers of `ganforge tune --jobs N` run: local processes or Slurm jobs.

Every worker runs `tune.search.work` against the same storage, so a worker on a laptop, one on
a cluster node and one started by hand on another machine (`ganforge tune SPACE --storage
postgresql://...`) all share one study.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.registry import Registry

Launch = Callable[[Path, int, int, "str | None", str], None]
LAUNCHERS: Registry[Launch] = Registry("launcher")


def worker_argv(folder: Path, trials: int, storage: str | None, device: str, index: int) -> list:
    argv = [sys.executable, "-m", "ganforge.tune.worker", str(folder), str(trials), device]
    return [*argv, str(index), storage or ""]


@LAUNCHERS.register("local", "N worker processes on this machine (--jobs N)")
def launch_local(folder: Path, trials: int, jobs: int, storage: str | None, device: str) -> None:
    from ganforge.studies.sweep import threads_per_job

    threads = str(threads_per_job(jobs))
    env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    logs = folder / ".workers"
    logs.mkdir(exist_ok=True)
    procs = []
    for index in range(jobs):
        with (logs / f"worker-{index}.log").open("a") as log:
            argv = worker_argv(folder, trials, storage, device, index)
            argv.append(str(os.getpid()))  # a worker stops when this tuner is killed
            procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env))
    codes = [p.wait() for p in procs]
    if any(codes):
        raise GanforgeError(f"a tuning worker failed (exit codes {codes}); see {logs}")


@LAUNCHERS.register("slurm", "one Slurm job per worker through submitit (ganforge[slurm])")
def launch_slurm(folder: Path, trials: int, jobs: int, storage: str | None, device: str) -> None:
    """GANFORGE_SLURM_CPUS, GANFORGE_SLURM_PARTITION and GANFORGE_SLURM_TIMEOUT_MIN as for
    `ganforge sweep --launcher slurm`. The storage must reach every node: a database server,
    or SQLite on a shared file system (which locks poorly under many workers)."""
    params: dict[str, Any] = {"cpus_per_task": int(os.environ.get("GANFORGE_SLURM_CPUS", "8"))}
    if partition := os.environ.get("GANFORGE_SLURM_PARTITION"):
        params["slurm_partition"] = partition
    launch_submitit(folder, trials, jobs, storage, device, "slurm", params)


@LAUNCHERS.register("submitit-local", "the Slurm path through submitit's local executor")
def launch_submitit_local(
    folder: Path, trials: int, jobs: int, storage: str | None, device: str
) -> None:
    launch_submitit(folder, trials, jobs, storage, device, "local", {})


def launch_submitit(
    folder: Path,
    trials: int,
    jobs: int,
    storage: str | None,
    device: str,
    cluster: str,
    params: dict[str, Any],
) -> None:
    """Submit `jobs` workers through submitit and wait for them."""
    try:
        import submitit
    except ImportError:
        needs = f"--launcher {cluster} needs submitit: pip install 'ganforge[slurm]'"
        raise GanforgeError(needs) from None
    logs = folder / ".workers" / "submitit"
    executor = submitit.AutoExecutor(folder=logs, cluster=cluster)
    executor.update_parameters(
        name="ganforge-tune",
        timeout_min=int(os.environ.get("GANFORGE_SLURM_TIMEOUT_MIN", 24 * 60)),
        **params,
    )
    handles = [
        executor.submit(subprocess.run, worker_argv(folder, trials, storage, device, i), check=True)
        for i in range(jobs)
    ]
    failed = []
    for handle in handles:
        try:
            handle.result()
        except Exception as err:  # submitit re-raises a job that died (time limit, node loss)
            failed.append(str(err).splitlines()[0] if str(err) else type(err).__name__)
    if failed:
        raise GanforgeError(f"{len(failed)} tuning job(s) failed: {failed[0]}; logs in {logs}")

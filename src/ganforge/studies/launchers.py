"""Where sweep jobs run: local processes (default) or Slurm jobs through submitit.

Both launch the same worker (`python -m ganforge.studies.worker JOB.json`) and read the same
result file, so skip/resume/failure handling is identical whichever launcher ran the job.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.registry import Registry


@dataclass(frozen=True)
class Job:
    """One worker invocation: the job file it reads, the result and log files it writes."""

    name: str
    spec: dict[str, Any]
    folder: Path  # the study's .sweep/ folder

    job_path = property(lambda self: self.folder / f"{self.name}.job.json")
    result_path = property(lambda self: self.folder / f"{self.name}.result.json")
    log_path = property(lambda self: self.folder / f"{self.name}.log")

    def prepare(self) -> None:
        """Write the job file and drop a stale result from an earlier, killed sweep."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.result_path.unlink(missing_ok=True)
        spec = {**self.spec, "result": str(self.result_path)}
        self.job_path.write_text(json.dumps(spec, indent=1))

    def outcome(self, returncode: int) -> dict[str, Any]:
        """The worker's result, or a sentence saying that it died without one."""
        try:
            return json.loads(self.result_path.read_text())
        except (OSError, json.JSONDecodeError):
            return {
                "status": "crashed",
                "error": f"the worker exited with code {returncode} before writing a result; "
                f"see {self.log_path}",
            }


Done = Callable[[Job, dict[str, Any]], None]
Launcher = Callable[[list[Job], int, Done], None]
LAUNCHERS: Registry[Launcher] = Registry("launcher")


def run_worker(job: Job) -> dict[str, Any]:
    """Run the worker in a child process with its share of threads; return its outcome."""
    threads = str(job.spec["threads"])
    env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    with job.log_path.open("a") as log:
        proc = subprocess.run(
            [sys.executable, "-m", "ganforge.studies.worker", str(job.job_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
        )
    return job.outcome(proc.returncode)


@LAUNCHERS.register("local", "N worker processes on this machine (--jobs N)")
def launch_local(jobs: list[Job], parallel: int, done: Done) -> None:
    for job in jobs:
        job.prepare()
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = {pool.submit(run_worker, job): job for job in jobs}
        for future in as_completed(futures):
            done(futures[future], future.result())


@LAUNCHERS.register("inline", "one run after another inside this process (debugging, tests)")
def launch_inline(jobs: list[Job], parallel: int, done: Done) -> None:
    import torch

    from ganforge.studies.worker import run_job

    previous = torch.get_num_threads()
    try:
        for job in jobs:
            job.prepare()
            done(job, run_job(json.loads(job.job_path.read_text())))
    finally:
        torch.set_num_threads(previous)


@LAUNCHERS.register("slurm", "one Slurm job per run through submitit (pip install ganforge[slurm])")
def launch_slurm(jobs: list[Job], parallel: int, done: Done) -> None:
    """Each job asks for GANFORGE_SLURM_CPUS cores (default 8) and uses them all as threads;
    GANFORGE_SLURM_PARTITION and GANFORGE_SLURM_TIMEOUT_MIN set the partition and time limit."""
    cpus = int(os.environ.get("GANFORGE_SLURM_CPUS", "8"))
    params: dict[str, Any] = {"cpus_per_task": cpus}
    if partition := os.environ.get("GANFORGE_SLURM_PARTITION"):
        params["slurm_partition"] = partition
    jobs = [dataclasses.replace(job, spec={**job.spec, "threads": cpus}) for job in jobs]
    launch_submitit(jobs, done, cluster="slurm", params=params)


@LAUNCHERS.register("submitit-local", "the Slurm path through submitit's local executor")
def launch_submitit_local(jobs: list[Job], parallel: int, done: Done) -> None:
    launch_submitit(jobs, done, cluster="local", params={})


def launch_submitit(jobs: list[Job], done: Done, cluster: str, params: dict[str, Any]) -> None:
    """Submit every job through submitit, then collect the outcomes as the jobs end."""
    try:
        import submitit
    except ImportError:
        raise GanforgeError(
            f"--launcher {'slurm' if cluster == 'slurm' else 'submitit-local'} needs submitit: "
            "pip install 'ganforge[slurm]'"
        ) from None
    if not jobs:
        return
    executor = submitit.AutoExecutor(folder=jobs[0].folder / "submitit", cluster=cluster)
    executor.update_parameters(
        name="ganforge-sweep",
        timeout_min=int(os.environ.get("GANFORGE_SLURM_TIMEOUT_MIN", 24 * 60)),
        **params,
    )
    submitted = []
    for job in jobs:
        job.prepare()
        submitted.append((job, executor.submit(run_worker, job)))
    for job, handle in submitted:
        try:
            outcome = handle.result()
        except Exception as err:  # submitit re-raises a job that died (time limit, node loss)
            outcome = {"status": "crashed", "error": f"the submitit job failed: {err}"}
        done(job, outcome)

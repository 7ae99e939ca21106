"""One sweep point in its own process: `python -m ganforge.studies.worker JOB.json`.

A separate process per run keeps a crash, a divergence or a kill confined to that run, and lets
the parent give each child its share of the cores (`torch.set_num_threads`) before torch starts
any thread pool. The job file says what to do; the result file (written atomically) says what
happened in one sentence, so the parent never has to parse logs.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

EXIT_CODES = {"ok": 0, "failed": 2, "diverged": 3, "crashed": 1, "stopped": 130}


def run_job(job: dict[str, Any], stop_on_signals: bool = False) -> dict[str, Any]:
    """Train (or resume) one run, then evaluate it; return {"status", "error", ...}.

    `stop_on_signals` (the worker process): Ctrl-C or SIGTERM ends the run at a step with a
    checkpoint, status "stopped"; sweeping again resumes it from there."""
    import torch

    from ganforge.errors import GanforgeError, TrainingDiverged, TrainingStopped

    torch.set_num_threads(int(job["threads"]))
    started = time.perf_counter()
    result: dict[str, Any] = {"status": "ok", "error": None, "threads": torch.get_num_threads()}
    try:
        _train(job, stop_on_signals)
        if job["eval"]["metrics"]:  # scored at its last step during training, or now
            result["eval"] = _evaluate(job) if _still_to_evaluate(job) else _last_scores(job)
    except TrainingStopped as err:
        result.update(status="stopped", error=str(err))
    except TrainingDiverged as err:
        result.update(status="diverged", error=str(err))
    except GanforgeError as err:
        result.update(status="failed", error=str(err))
    except Exception as err:  # a bug: the sentence plus the traceback in the job's log
        traceback.print_exc()
        result.update(status="crashed", error=f"{type(err).__name__}: {err}")
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _train(job: dict[str, Any], stop: bool) -> None:
    from ganforge.config import load_config
    from ganforge.training import resume, train

    run_dir, device = Path(job["run_dir"]), job["device"]
    if job["action"] == "new":
        config = load_config(job["source"], list(job["overrides"]))
        train(config, run_dir=run_dir, device=device, progress=False, stop_on_signals=stop)
    elif job["action"] == "resume":
        resume(run_dir, device=device, progress=False, steps=job["steps"], stop_on_signals=stop)


def _still_to_evaluate(job: dict[str, Any]) -> bool:
    from ganforge.studies.state import action_for

    metrics = job["eval"]["metrics"]
    steps, minutes = job["steps"], job.get("minutes", 0.0)
    return bool(metrics) and action_for(Path(job["run_dir"]), steps, metrics, minutes) == "eval"


def _last_scores(job: dict[str, Any]) -> dict[str, Any]:
    """The study's metrics from the run's last evaluation during training."""
    from ganforge.studies.state import eval_rows

    row = eval_rows(Path(job["run_dir"]))[-1]
    return {
        key: value
        for key, value in row.items()
        if any(key == m or key.startswith(f"{m}_") for m in job["eval"]["metrics"])
    }


def _evaluate(job: dict[str, Any]) -> dict[str, Any]:
    from ganforge.metrics.run_eval import evaluate_source

    ev = job["eval"]
    return evaluate_source(
        job["run_dir"],
        list(ev["metrics"]),
        ref=ev.get("ref"),
        num_samples=ev.get("num_samples"),
        inception_weights=ev.get("inception_weights"),
        device=job["device"],
    )


def write_json(path: Path, data: dict[str, Any]) -> None:
    from ganforge.storage import atomic_write

    atomic_write(path, lambda f: f.write(json.dumps(data, default=str).encode()))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job_path = Path(args[0])
    job = json.loads(job_path.read_text())
    result = run_job(job, stop_on_signals=True)  # this process is the run's own
    write_json(Path(job["result"]), result)
    if result["error"]:
        print(f"error: {result['error']}", file=sys.stderr)
    return EXIT_CODES[result["status"]]


if __name__ == "__main__":
    from ganforge.allocator import keep_freed_memory

    keep_freed_memory()  # this process is ganforge's own, as `ganforge train`'s is
    sys.exit(main())

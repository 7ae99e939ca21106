"""`ganforge status`: a run's and a study's state read from their files, and the sweep's
done/running/failed line with its ETA."""

from __future__ import annotations

import json
import os
import time

import yaml

from conftest import TINY, TINY_DCGAN, run_cli, train_cli
from ganforge.studies import load_study, sweep
from ganforge.studies.status import best_metrics
from ganforge.studies.sweep_progress import SweepProgress


def _status(path) -> dict:
    code, out, err = run_cli("status", str(path), "--json")
    assert code == 0, err
    return json.loads(out)


def test_a_finished_run(tmp_path):
    assert train_cli(tmp_path / "run") == 0
    status = _status(tmp_path / "run")
    assert status["state"] == "finished" and (status["step"], status["steps"]) == (4, 4)
    assert set(status["losses"]) >= {"d_loss", "g_loss"}
    assert status["checkpoints"] == ["step_0000002.pt", "step_0000004.pt"]
    code, out, _ = run_cli("status", str(tmp_path / "run"))
    assert "finished, step 4/4" in out and "checkpoints: step_0000002.pt" in out


def test_a_killed_run_is_running_while_its_files_change_then_stopped(tmp_path):
    run = tmp_path / "run"
    assert train_cli(run) == 0
    with (run / "log.txt").open("a") as log:  # what a resume killed by SIGKILL leaves
        log.write("2026-01-01 10:00:00 training 'default' for 8 steps on cpu (64 examples)\n")
    assert _status(run)["state"] == "running"
    old = time.time() - 3600
    for name in ("log.txt", "metrics.jsonl"):
        os.utime(run / name, (old, old))
    status = _status(run)
    assert status["state"] == "stopped" and "nothing written for 60 min" in status["why"]


def test_a_diverged_run(tmp_path):
    run = tmp_path / "run"
    huge = ("optim.g.name=sgd", "optim.d.name=sgd", "optim.g.lr=1e30", "optim.d.lr=1e30")
    assert train_cli(run, "loss.name=wasserstein", "train.steps=20", *huge) == 3
    status = _status(run)
    assert status["state"] == "diverged" and status["why"].startswith("training diverged at")


def test_best_metrics_follow_each_metrics_direction():
    rows = [
        {"step": 2, "fid5k": 50.0, "is5k": 2.0, "evaluated": ["fid5k", "is5k"]},
        {"step": 4, "fid5k": 40.0, "is5k": 1.5, "evaluated": ["fid5k", "is5k"]},
        {"step": 6, "fid5k": 45.0, "kind": "eval"},
    ]
    assert best_metrics(rows) == {
        "fid5k": {"value": 40.0, "step": 4},
        "is5k": {"value": 2.0, "step": 2},
    }


def test_the_sweep_counts_done_running_failed_with_an_eta(tmp_path):
    study = tmp_path / "tiny.yaml"
    overrides = dict(o.split("=", 1) for o in [*TINY, *TINY_DCGAN])
    runs = [{"name": f"s{i}", "overrides": {"seed": i}} for i in range(2)]
    runs.append({"name": "bad", "overrides": {"data.name": "npz", "data.path": "missing.npz"}})
    study.write_text(yaml.safe_dump({"overrides": overrides, "runs": runs}))
    said: list[str] = []
    code = sweep(load_study(study), root=tmp_path / "runs", launcher="inline", say=said.append)
    assert code == 1
    ended = [line for line in said if "->" in line]
    assert ended[0].endswith("[1/3 done, 1 running, 0 failed; ETA " + ended[0][-5:])
    assert ended[-1].endswith("[3/3 done, 0 running, 1 failed]")
    status = _status(tmp_path / "runs" / "tiny")
    assert status["counts"] == {"finished": 2, "failed": 1}
    code, out, _ = run_cli("status", str(tmp_path / "runs" / "tiny"))
    assert "3 runs: 1 failed, 2 finished" in out


def test_sweep_progress_eta_follows_the_pace_of_finished_runs():
    now = [0.0]
    progress = SweepProgress(total=6, parallel=2, done=1, clock=lambda: now[0])
    now[0] = 60.0
    assert progress.ended(True) == "[2/6 done, 2 running, 0 failed; ETA 4:00]"  # 4 left, 60 s each
    now[0] = 90.0
    assert progress.ended(False) == "[3/6 done, 2 running, 1 failed; ETA 2:15]"  # 45 s each


def test_status_of_a_folder_that_is_neither(tmp_path):
    code, _, err = run_cli("status", str(tmp_path))
    assert code == 2 and "is neither a run (no config.yaml) nor a study" in err

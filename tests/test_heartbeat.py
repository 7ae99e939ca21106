"""Heartbeat lines: a run whose stdout is a file (Slurm, nohup, a redirect) says where it is
every log.heartbeat_s seconds, on stdout and in log.txt."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO, TINY, TINY_DCGAN
from ganforge.training.heartbeat import Heartbeat, clock_text

BEAT = re.compile(r"step (\d+)/40 \(\d+%\), [\d.e-]+ s/step, ETA \d+:\d\d, d_loss [\d.]+, g_loss")


def test_a_redirected_run_prints_heartbeats_to_stdout_and_log_txt(tmp_path):
    out = tmp_path / "job.out"
    argv = [sys.executable, "-m", "ganforge", "train", *TINY, *TINY_DCGAN, "train.steps=40"]
    argv += ["train.log_every=5", "log.heartbeat_s=0.01", "--run-dir", str(tmp_path / "run")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    with out.open("w") as stdout:  # `ganforge train ... > job.out`
        done = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    lines = out.read_text().splitlines()
    beats = [int(m.group(1)) for line in lines if (m := BEAT.search(line))]
    assert len(beats) >= 2 and beats == sorted(beats) and beats[-1] <= 40
    assert lines[-1] == str(tmp_path / "run")  # the run's path stays the last line
    logged = (tmp_path / "run" / "log.txt").read_text()
    assert len(BEAT.findall(logged)) == len(beats)


def test_a_heartbeat_is_due_every_interval_with_rate_eta_losses_and_last_metric():
    now = [100.0]
    beat = Heartbeat(total=10, initial=2, every_s=30, clock=lambda: now[0])
    beat.observe({"step": 4, "d_loss": 1.25, "g_loss": 0.5, "fid5k": 42.0, "evaluated": ["fid5k"]})
    beat.observe({"step": 5, "d_loss": 1.5, "g_loss": 0.75})
    now[0] = 129.0
    assert beat.tick(5) is None  # 29 s: not yet
    now[0] = 130.0
    line = beat.tick(5)  # 3 steps in 30 s: 10 s/step, 5 steps left
    assert line == (
        "step 5/10 (50%), 10 s/step, ETA 0:50, d_loss 1.5, g_loss 0.75, last fid5k 42 at step 4"
    )
    assert beat.tick(6) is None  # the interval starts again
    assert Heartbeat(10, 0, 0, clock=lambda: now[0]).tick(9) is None  # 0: no heartbeat


def test_clock_text():
    assert clock_text(65) == "1:05" and clock_text(3725) == "1:02:05" and clock_text(-3) == "0:00"

"""Data-parallel training with torchrun (gloo, 2 CPU processes): each process trains on its
shard of every global batch, and the job follows a one-process run of the same config."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganforge.data import ArrayDataset, BatchStream
from ganforge.runs.checkpoints import list_checkpoints
from ganforge.training.sources import BatchSources

# no batch norm and no per-example noise: the two-process job computes the same means
CONFIG = [
    "train.steps=40",
    "train.batch_size=16",
    "train.log_every=5",
    "train.sample_every=0",
    "train.checkpoint_every=10",
    "train.tensorboard=false",
    "model.name=mlp",
    "model.latent_dim=8",
    "model.g.hidden=[32]",
    "model.d.hidden=[32]",
    "model.g.batch_norm=false",
    "data.limit=256",
]


def command(processes: int, *args: str) -> list[str]:
    launcher = [sys.executable, "-m", "ganforge"]
    if processes > 1:
        launcher = [
            sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}",
            "--standalone", "-m", "ganforge",
        ]  # fmt: skip
    return [*launcher, "train", *args, "--device", "cpu", "--no-progress"]


def run(processes: int, *args: str) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command(processes, *args), capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]


def rows(run_dir: Path) -> list[tuple[int, float, float]]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(r["step"], r["d_loss"], r["g_loss"]) for r in map(json.loads, lines)]


def assert_close(a, b) -> None:
    assert [r[0] for r in a] == [r[0] for r in b]
    torch.testing.assert_close(
        torch.tensor([r[1:] for r in a]), torch.tensor([r[1:] for r in b]), rtol=1e-5, atol=1e-6
    )


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("single") / "run"
    run(1, *CONFIG, "--run-dir", str(folder))
    return folder


def test_shards_of_a_global_batch_are_the_one_process_batch():
    data = ArrayDataset(torch.randint(0, 255, (40, 1, 4, 4), dtype=torch.uint8))
    whole = BatchStream(data, 8, seed=3)
    shards = [BatchStream(data, 8, seed=3, shard=(rank, 2)) for rank in range(2)]
    for _ in range(12):  # across epoch boundaries too
        torch.testing.assert_close(whole.next()[0], torch.cat([s.next()[0] for s in shards]))
    sources = [
        BatchSources(s, torch.Generator().manual_seed(1), 4, "gaussian", 10, (rank, 2))
        for rank, s in enumerate(shards)
    ]
    one = BatchSources(whole, torch.Generator().manual_seed(1), 4, "gaussian", 10)
    torch.testing.assert_close(one.latent(8), torch.cat([s.latent(4) for s in sources]))
    torch.testing.assert_close(one.fake_labels(8), torch.cat([s.fake_labels(4) for s in sources]))
    assert [s.batch_size for s in sources] == [4, 4] and one.batch_size == 8


def test_two_processes_follow_one_process(tmp_path, single):
    two = tmp_path / "two"
    run(2, *CONFIG, "--run-dir", str(two))
    assert_close(rows(two), rows(single))
    log = (two / "log.txt").read_text()
    assert log.count("training 'default'") == 1  # only rank 0 writes the run


def test_a_killed_two_process_job_resumes_on_one_process(tmp_path):
    two = tmp_path / "two"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = command(2, *CONFIG, "train.steps=100000", "--run-dir", str(two))
    proc = subprocess.Popen(args, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list_checkpoints(two / "checkpoints"):
        time.sleep(0.05)
    # SIGKILL the launcher and both workers (torchrun starts them in their own sessions)
    subprocess.run(["pkill", "-KILL", "-f", str(two)], check=False)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    killed_at = list_checkpoints(two / "checkpoints")[-1][0]
    final = killed_at + 20
    run(1, "--resume", str(two), f"train.steps={final}")
    one = tmp_path / "one"  # the same job on one process, never killed
    run(1, *CONFIG, f"train.steps={final}", "--run-dir", str(one))
    assert_close(rows(two), rows(one))
    assert f"resumed from step_{killed_at:07d}.pt" in (two / "log.txt").read_text()


def test_batch_must_split_over_the_processes(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = command(2, *CONFIG, "train.batch_size=15", "--run-dir", str(tmp_path / "odd"))
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert "must split evenly over the 2 processes" in done.stderr

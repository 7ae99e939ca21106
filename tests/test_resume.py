"""Exact resume: a run killed with SIGKILL and resumed ends bit-identical to one never killed."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import TINY, TINY_DCGAN, as_foreground_job
from ganforge.cli import main
from ganforge.runs.checkpoints import list_checkpoints
from ganforge.training.loop import agree
from ganforge.training.stopping import StopSignals

# dropout (global RNG), label noise, EMA and a decaying learning rate: every kind of state
CONFIG = [
    *TINY,
    *TINY_DCGAN,
    "model.d.dropout=0.2",
    "loss.label_noise=0.1",
    "train.ema_decay=0.9",
    "train.lr_decay=cosine",
    "train.steps=150",
    "train.checkpoint_every=10",
    "train.log_every=5",
    "train.sample_every=50",
    "train.keep_checkpoints=3",
    "data.limit=200",
]


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ganforge", *args, "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=as_foreground_job,
    )


def newest_step(run: Path) -> int:
    found = list_checkpoints(run / "checkpoints")
    return found[-1][0] if found else -1


def kill_after(proc: subprocess.Popen, run: Path, step: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while newest_step(run) < step and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def final_state(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "step_0000150.pt", weights_only=True)


def assert_identical(a: dict, b: dict) -> None:
    for part in ("generator", "discriminator"):
        for key, value in a["networks"][part].items():
            assert torch.equal(value, b["networks"][part][key]), f"{part}.{key} differs"
    for key, value in a["ema"].items():
        assert torch.equal(value, b["ema"][key]), f"ema.{key} differs"
    for part in ("g", "d"):
        for index, state in a["optimizers"][part]["state"].items():
            for key, value in state.items():
                want = b["optimizers"][part]["state"][index][key]
                assert torch.equal(value, want), f"optimizer {part}.{key} differs"
    assert a["stream"] == b["stream"] and torch.equal(a["rng"]["torch"], b["rng"]["torch"])


def rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The same run, never interrupted."""
    run = tmp_path_factory.mktemp("resume") / "reference"
    assert main(["train", *CONFIG, "--run-dir", str(run), "--no-progress"]) == 0
    return run


def test_sigkill_at_three_points_then_resume_is_bit_identical(tmp_path, reference):
    ref = reference
    run = tmp_path / "killed"
    proc = start("train", *CONFIG, "--run-dir", str(run))
    kill_after(proc, run, 30)
    for step in (70, 110):
        proc = start("train", "--resume", str(run))
        kill_after(proc, run, step)
    proc = start("train", "--resume", str(run))
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    assert_identical(final_state(ref), final_state(run))
    got, want = rows(run), rows(ref)
    assert [r["step"] for r in got] == [r["step"] for r in want]  # no duplicated/missing steps
    for a, b in zip(got, want, strict=True):
        assert a["d_loss"] == b["d_loss"] and a["g_loss"] == b["g_loss"]
    log = (run / "log.txt").read_text()
    assert log.count("resumed from step_") == 3


KILL_DURING_SAVE = """
import os, signal, sys
import torch
from ganforge.runs import checkpoints as checkpoint
real_save, calls = torch.save, [0]
def dying_save(obj, f, *a, **k):
    calls[0] += 1
    if calls[0] == 4:  # the 4th checkpoint (step 40): write half of it, then die
        real_save(obj, f, *a, **k)
        f.flush(); f.truncate(f.tell() // 2); f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return real_save(obj, f, *a, **k)
checkpoint.torch.save = dying_save
from ganforge.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_while_a_checkpoint_is_written(tmp_path, reference):
    ref = reference
    run = tmp_path / "killed"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            KILL_DURING_SAVE,
            "train",
            *CONFIG,
            "--run-dir",
            str(run),
            "--no-progress",
        ],
        capture_output=True,
    )
    assert proc.returncode == -signal.SIGKILL
    left = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert left[-1] == "step_0000030.pt" and any(n.endswith(".tmp") for n in left)
    proc = start("train", "--resume", str(run))
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    assert not any(p.name.endswith(".tmp") for p in (run / "checkpoints").iterdir())
    assert "resumed from step_0000030.pt" in (run / "log.txt").read_text()
    assert_identical(final_state(ref), final_state(run))
    assert [r["step"] for r in rows(run)] == [r["step"] for r in rows(ref)]


def stopped_step(stderr: str, name: str) -> int:
    match = re.search(rf"stopped by {name} at step (\d+) of 150, checkpoint saved", stderr)
    assert match, stderr
    return int(match.group(1))


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_stop_signal_ends_at_a_step_with_a_checkpoint_and_resumes_bit_identical(
    tmp_path, reference, name
):
    run = tmp_path / "stopped"
    proc = start("train", *CONFIG, "train.checkpoint_every=40", "--run-dir", str(run))
    deadline = time.time() + 60
    while newest_step(run) < 40 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be stopped"
    proc.send_signal(getattr(signal, name))
    assert proc.wait(timeout=60) == 130
    step = stopped_step(proc.stderr.read().decode(), name)
    assert 40 < step < 150 and newest_step(run) == step  # saved where it stopped, not at 40
    assert rows(run)[-1]["step"] == step  # the partial row is logged too
    proc = start("train", "--resume", str(run))
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    assert_identical(final_state(reference), final_state(run))
    assert f"resumed from step_{step:07d}.pt" in (run / "log.txt").read_text()


def test_stop_signals_set_a_flag_a_second_ctrl_c_raises_and_handlers_come_back():
    said: list[str] = []
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        before = signal.getsignal(signal.SIGTERM)
        with StopSignals(said.append) as stop:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)  # the handler runs between bytecodes of the main thread
            assert stop.received == "SIGTERM" and len(said) == 1
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.01)
        assert signal.getsignal(signal.SIGTERM) is before
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under `nohup` or a shell's `&`
        with StopSignals(said.append):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # left ignored
    finally:
        signal.signal(signal.SIGINT, previous_int)


def test_processes_of_a_torchrun_job_stop_together_at_a_log_row():
    class Job:  # an active job; the all-reduce of one process's request is itself here
        active = True

        def all_reduce_mean(self, tensors: list) -> None:
            pass

    cpu = torch.device("cpu")
    assert not agree(Job(), cpu, "SIGTERM", due=False)  # not between log rows
    assert agree(Job(), cpu, "SIGTERM", due=True)
    assert not agree(Job(), cpu, None, due=True)


def test_train_minutes_ends_the_run_like_its_last_step_and_counts_over_resumes(tmp_path):
    run = tmp_path / "budget"
    budget = [*CONFIG, "train.steps=1000000", "train.minutes=0.02", "train.checkpoint_every=0"]
    assert main(["train", *budget, "--run-dir", str(run), "--no-progress"]) == 0
    step = newest_step(run)
    assert 0 < step < 1_000_000 and rows(run)[-1]["step"] == step  # ended after ~1.2 s
    assert (run / "samples" / f"step_{step:07d}.png").is_file()  # the last step's grid
    saved = torch.load(run / "checkpoints" / f"step_{step:07d}.pt", weights_only=True)
    assert 1.2 <= saved["seconds"] < 60
    assert main(["train", "--resume", str(run), "--no-progress"]) == 0  # nothing left
    assert newest_step(run) == step
    assert "train.minutes=0.02 already spent" in (run / "log.txt").read_text()
    assert main(["train", "--resume", str(run), "train.minutes=0.04", "--no-progress"]) == 0
    assert newest_step(run) > step
    assert main(["train", "--resume", str(run), "train.minutes=-1", "--no-progress"]) == 2

"""One checkpoint policy for every command that reads a run: past a damaged newest checkpoint
to the previous one, and one sentence when none loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bad_input.cases import assert_one_sentence
from conftest import run_cli, train_argv
from ganforge.runs import checkpoints as ckpt


@pytest.fixture(scope="module")
def points_run(tmp_path_factory) -> Path:
    """A tiny 2-D run: `eval --metrics modes2.5k` scores it in milliseconds."""
    run = tmp_path_factory.mktemp("points") / "run"
    code, _, err = run_cli(
        *train_argv(run, "model.name=mlp", "data.name=toy_ring", "data.limit=256")
    )
    assert code == 0, err
    return run


READERS = {
    "sample": ["sample", "run", "-n", "4", "-o", "out.npz"],
    "export": ["export", "run", "-o", "out.safetensors"],
    "eval": ["eval", "run", "--metrics", "modes2.5k", "--num-samples", "200"],
    "resume": ["train", "--resume", "run", "train.steps=6", "--no-progress"],
}


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_falls_back_past_a_damaged_newest_checkpoint(
    reader, points_run, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(points_run, tmp_path / "run")
    newest = tmp_path / "run" / "checkpoints" / "step_0000004.pt"
    newest.write_bytes(newest.read_bytes()[:300])
    code, out, err = run_cli(*READERS[reader])
    assert code == 0, err
    assert "Traceback" not in out + err
    assert "warning: checkpoint" in err and "step_0000004.pt' is damaged" in err
    assert "using the previous checkpoint" in err
    if reader == "export":
        assert "(generator at step 2)" in out
    if reader == "eval":
        assert '"step": 2' in out


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_stops_when_no_checkpoint_loads(reader, points_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(points_run, tmp_path / "run")
    for _, path in ckpt.list_checkpoints(tmp_path / "run" / "checkpoints"):
        path.write_bytes(b"not a checkpoint")
    code, out, err = run_cli(*READERS[reader])
    assert_one_sentence(code, out, err, 2, "none of the 2 checkpoints")
    assert "the run cannot be continued or sampled" in err

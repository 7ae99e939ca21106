import json

import numpy as np
import pytest
import yaml

from conftest import train_cli
from ganforge.cli import main


def test_train_leaves_a_complete_run_directory(tmp_path, capsys):
    run = tmp_path / "run"
    assert train_cli(run, "train.tensorboard=true") == 0
    assert capsys.readouterr().out.strip() == str(run)
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["train"]["steps"] == 4 and config["model"]["g"]["hidden"] == [8]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [2, 4]
    assert {
        "d_loss",
        "g_loss",
        "d_real",
        "d_fake",
        "d_acc_real",
        "d_acc_fake",
        "sec_per_step",
    } <= set(rows[0])
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "step_0000002.png",
        "step_0000004.png",
    ]
    assert [p.name for p in sorted((run / "checkpoints").iterdir())] == [
        "step_0000002.pt",
        "step_0000004.pt",
    ]
    assert (run / "losses.png").stat().st_size > 5000
    assert any((run / "tensorboard").glob("events.out.tfevents.*"))
    log = (run / "log.txt").read_text()
    assert "training 'default' for 4 steps" in log and "finished 4 steps" in log


def test_sample_writes_png_grid_and_npz(tmp_path):
    run = tmp_path / "run"
    assert train_cli(run) == 0
    assert main(["sample", str(run), "-n", "9", "-o", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 100
    checkpoint = run / "checkpoints" / "step_0000002.pt"
    assert (
        main(["sample", str(checkpoint), "-n", "5", "-o", str(tmp_path / "s.npz"), "--seed", "3"])
        == 0
    )
    samples = np.load(tmp_path / "s.npz")["samples"]
    assert samples.dtype == np.uint8 and samples.shape == (5, 8, 8, 1)
    assert (
        main(["sample", str(checkpoint), "-n", "5", "-o", str(tmp_path / "t.npz"), "--seed", "3"])
        == 0
    )
    assert np.array_equal(samples, np.load(tmp_path / "t.npz")["samples"])  # seeded


def test_sample_of_points_is_float_pairs(tmp_path):
    run = tmp_path / "toy"
    assert (
        train_cli(
            run,
            "data.name=toy_grid",
            "model.name=mlp",
            "model.g.last_activation=none",
            "data.limit=100",
        )
        == 0
    )
    assert main(["sample", str(run), "-n", "50", "-o", str(tmp_path / "p.npz")]) == 0
    points = np.load(tmp_path / "p.npz")["samples"]
    assert points.dtype == np.float32 and points.shape == (50, 2)


def test_resume_continues_without_duplicated_steps(tmp_path):
    run = tmp_path / "run"
    assert train_cli(run) == 0
    assert main(["train", "--resume", str(run), "train.steps=8", "--no-progress"]) == 0
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6, 8]


def test_a_folder_holding_another_run_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    assert train_cli(run) == 0
    capsys.readouterr()
    assert train_cli(run) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_presets_and_datasets_list_names(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "seed000-dense" in out and "seed003-mnist" in out and "default" in out
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "toy_ring" in out and "derived domains" in out
    assert "mnistm" in out and "invert" in out and "edges" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "nowhere", "-o", "x.png"], "does not exist"),
        (["train", "data.name=npz", "--dry-run"], "needs data.path"),
        (["train", "data.name=folder", "data.path=no/such/dir", "--no-progress"], "does not exist"),
        (["train", "a.yaml", "b.yaml"], "give one config"),
    ],
)
def test_cli_errors(tmp_path, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1  # one sentence, no traceback

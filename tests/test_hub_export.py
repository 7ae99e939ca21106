"""`ganforge export --format hub`: a Hugging Face-style folder with a model card that
`ganforge sample`, `ganforge eval` and `ganforge.load` read as the generator itself; the
push fails in one sentence without a network, and the folder stays complete."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

import ganforge as gf
from conftest import REPO, run_cli, train_cli
from ganforge.runs import RunDir


@pytest.fixture
def run(tmp_path):
    assert train_cli(tmp_path / "run", "model.conditional=concat") == 0
    RunDir(tmp_path / "run").append_metrics(  # as `ganforge eval` logs a result
        {"step": 4, "kind": "eval", "fid_domain5k": 12.345, "ref": "training data"}
    )
    return tmp_path / "run"


def test_hub_folder_round_trip(run, tmp_path):
    hub = tmp_path / "hub"
    code, out, err = run_cli("export", str(run), "-o", str(hub), "--format", "hub", "--license",
                             "mit")  # fmt: skip
    assert code == 0, err
    assert "generator at step 4" in out
    assert sorted(p.name for p in hub.iterdir()) == [
        "README.md",
        "config.yaml",
        "model.safetensors",
        "samples.png",
    ]
    assert yaml.safe_load((hub / "config.yaml").read_text()) == yaml.safe_load(
        (run / "config.yaml").read_text()
    )
    # sampling the folder gives what sampling the run gives, on the command line and in Python
    for source, name in ((run, "run.npz"), (hub, "hub.npz")):
        code, _, err = run_cli("sample", str(source), "--seeds", "0-7", "-o", str(tmp_path / name))
        assert code == 0, err
    from_run, from_hub = (np.load(tmp_path / n)["samples"] for n in ("run.npz", "hub.npz"))
    assert from_run.shape == (8, 8, 8, 1) and np.array_equal(from_run, from_hub)
    loaded = gf.load(hub)
    assert loaded.step == 4 and loaded.num_classes == 10
    torch.testing.assert_close(loaded.sample(3).tensor, gf.load(run).sample(3).tensor)


def test_model_card_says_what_it_is_and_how_to_use_it(run, tmp_path):
    hub = tmp_path / "my-gan"
    assert run_cli("export", str(run), "-o", str(hub), "--license", "cc-by-4.0")[0] == 0
    card = (hub / "README.md").read_text()
    front = yaml.safe_load(card.split("---")[1])
    assert front["license"] == "cc-by-4.0" and front["library_name"] == "ganforge"
    assert {"dcgan", "digits"} <= set(front["tags"])
    assert "a dcgan GAN trained on digits" in card and "for 4 steps" in card
    assert "| fid_domain5k | 12.35 | 4 |" in card  # metrics by protocol name, with their step
    assert "![64 samples, seed 0](samples.png)" in card
    assert "ganforge sample my-gan -n 64 --seed 0 -o samples.png" in card
    assert 'gf.load("my-gan")' in card and "10 classes" in card


def test_eval_of_a_hub_folder_logs_nothing_into_it(run, tmp_path, random_inception):
    hub = tmp_path / "hub"
    assert run_cli("export", str(run), "-o", str(hub))[0] == 0
    before = sorted(p.name for p in hub.iterdir())
    code, out, err = run_cli("eval", str(hub), "--metrics", "fid10k", "--num-samples", "16",
                             "--inception-weights", str(random_inception))  # fmt: skip
    assert code == 0, err
    assert '"fid10k"' in out and sorted(p.name for p in hub.iterdir()) == before


def test_export_refuses_folders_it_would_spoil(run, tmp_path):
    code, _, err = run_cli("export", str(run), "-o", str(run), "--format", "hub")
    assert code == 2 and "is a run directory" in err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    code, _, err = run_cli("export", str(run), "-o", str(mine), "--format", "hub")
    assert code == 2 and "is not empty (notes.txt)" in err and not (mine / "README.md").exists()
    hub = tmp_path / "hub"
    for _ in range(2):  # an earlier Hub export is replaced
        assert run_cli("export", str(run), "-o", str(hub))[0] == 0
    code, _, err = run_cli("export", str(run), "-o", str(hub), "--format", "safetensors",
                           "--push-to-hub", "me/gan")  # fmt: skip
    assert code == 2 and "--push-to-hub uploads a Hub-style folder" in err


def test_push_to_hub_without_a_network_is_one_sentence(run, tmp_path):
    pytest.importorskip("huggingface_hub", reason="pip install 'ganforge[hub]'")
    hub = tmp_path / "hub"
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "hf_not_a_token"}
    argv = [sys.executable, "-m", "ganforge", "export", str(run), "-o", str(hub)]
    done = subprocess.run(
        [*argv, "--push-to-hub", "someone/tiny-gan"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"error: could not push '{hub}' to the Hugging Face Hub repo 'someone/tiny-gan' ("
    )
    assert "the folder is complete" in lines[0] and (hub / "model.safetensors").is_file()

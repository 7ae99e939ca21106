"""benchmarks/gpu_check.py's pieces on a CPU: offline data, the time budget, the JSON it
builds from throughput.py and torchrun runs, and FID sets that the random Inception tells
apart. The whole check runs as `bash benchmarks/gpu_check.sh --device cpu --quick`."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO


@pytest.fixture
def parts(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import gpu_check_parts

    return gpu_check_parts


def test_data_is_the_shared_file_or_synthetic_of_the_presets_shape(parts, tmp_path):
    options, what = parts.data_overrides("cifar10-sngan", None, False, tmp_path)
    assert options[0] == "data.name=npz" and "synthetic" in what
    images = np.load(options[1].removeprefix("data.path="))["images"]
    assert images.shape == (256, 32, 32, 3) and images.dtype == np.uint8
    options, what = parts.data_overrides("stylegan-celeba64", tmp_path, True, tmp_path)
    assert options == [
        "data.name=npz",
        f"data.path={tmp_path / 'celeba64_train.npz'}",
        "data.limit=256",
    ]
    assert parts.data_overrides("default", None, False, tmp_path)[0] == []  # digits: bundled


def test_a_child_runs_within_the_budget_or_says_why_not(parts):
    python = [sys.executable, "-c"]
    assert parts.run_child([*python, "print(1)"], parts.Budget(60)).stdout == "1\n"
    assert parts.run_child([*python, "print(1)"], parts.Budget(1)).startswith("skipped")
    assert parts.run_child([*python, "import time; time.sleep(30)"], parts.Budget(5.5)).startswith(
        "stopped"
    )
    failed = parts.run_child([*python, "raise SystemExit('no GPU here')"], parts.Budget(60))
    assert failed.startswith("failed (exit 1)") and "no GPU here" in failed


def test_throughput_json_names_each_speed_option(parts, monkeypatch, tmp_path):
    import gpu_check

    printed = {
        "batch_size": 32,
        "images_per_second": {"plain": 100.0, "ganforge": 120.0, "train.precision=bf16": 150.0},
        "ratio_to_plain": {"plain": 1.0, "ganforge": 1.2, "train.precision=bf16": 1.5},
    }
    seen = []

    def child(command, budget):
        seen.append(command)
        return subprocess.CompletedProcess(command, 0, json.dumps(printed), "")

    monkeypatch.setattr(gpu_check, "run_child", child)
    args = argparse.Namespace(quick=True, device="cpu", data_dir=None)
    out = gpu_check.throughput("deng2024-conv", args, parts.Budget(60), tmp_path)
    assert out["images_per_second"] == {"plain": 100.0, "fp32": 120.0, "bf16": 150.0}
    assert out["ratio_to_plain"]["bf16"] == 1.5
    variants = seen[0][seen[0].index("--variants") + 1]
    assert "train.compile=true" not in variants  # --quick on a CPU skips compiling
    # deng2024-conv ships channels-last, so the layout variant is the other one
    assert "train.channels_last=false" in variants.split(";")


def test_the_layout_variant_is_the_one_a_preset_does_not_ship(parts):
    import gpu_check

    assert gpu_check.variants_for("stylegan-celeba64", quick=False) == {
        "bf16": "train.precision=bf16",
        "compile": "train.compile=true",
        "channels_last": "train.channels_last=true",
    }
    assert gpu_check.variants_for("cifar10-sngan", quick=True) == {
        "bf16": "train.precision=bf16",
        "nchw": "train.channels_last=false",
    }


def test_torchrun_rows_give_images_per_second_after_the_first_row(parts, tmp_path):
    (tmp_path / "config.yaml").write_text("train:\n  batch_size: 32\n")
    rows = [
        {"step": 5, "sec_per_step": 1.0, "d_loss": 1.0, "g_loss": 2.0},  # builds and warms up
        {"step": 10, "sec_per_step": 0.1, "d_loss": 0.5, "g_loss": 0.7},
        {"kind": "eval", "step": 10, "fid": 3.0},
    ]
    (tmp_path / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    got = parts.last_rows(tmp_path)
    assert got == {"images_per_second": 320.0, "last_step": 10, "d_loss": 0.5, "g_loss": 0.7}


def test_synthetic_fid_sets_are_far_apart_in_the_random_inception(parts, tmp_path):
    from ganforge.metrics.features import InceptionExtractor, batched, save_random_inception
    from ganforge.metrics.scores import frechet_distance, statistics

    a, b, what = parts.two_image_sets(None, 8, tmp_path)
    assert "synthetic" in what
    extractor = InceptionExtractor(save_random_inception(tmp_path / "inception.pth"))

    def features(path):
        x = torch.from_numpy(np.load(path)["images"]).permute(0, 3, 1, 2)  # (8, 3, 32, 32)
        return statistics(extractor(batched(x, 8)).pool)

    first, second = features(a), features(b)
    assert frechet_distance(first, second) > parts.FID_FLOOR

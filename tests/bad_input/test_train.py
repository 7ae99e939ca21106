"""`ganforge train` (and `train --resume`): config values, dataset contents, run folders."""

from __future__ import annotations

import numpy as np
import pytest

from bad_input.cases import IMAGES, NPZ, Case, case, check_case, folder, npz, text
from conftest import train_argv

CASES = [
    # ---- train: config values
    case(train_argv("r", "data.resolution=100000"), 2, "needs at least", id="resolution-100000"),
    case(train_argv("r", "train.batch_size=1000000000"), 2, "needs at least", id="batch-1e9"),
    case(train_argv("r", "model.latent_dim=1000000000"), 2, "model.latent_dim", id="latent-1e9"),
    case(train_argv("r", "train.grid_size=100000000"), 2, "train.grid_size", id="grid-1e8"),
    case(train_argv("r", "--device", "tpu"), 2, "unknown device 'tpu'", id="device-tpu"),
    case(train_argv("r", "optim.g.lr=.nan"), 2, "'optim.g.lr' must be a finite", id="lr-nan"),
    case(train_argv("r", "optim.d.lr=.inf"), 2, "'optim.d.lr' must be a finite", id="lr-inf"),
    case(train_argv("r", "model.g.alpha=.nan"), 2, "'model.g.alpha' must be a finite", id="alpha"),
    case(train_argv("r", "loss.gp_weight=.inf"), 2, "'loss.gp_weight' must be a finite", id="gp"),
    case(train_argv("r", "train.ema_decay=.nan"), 2, "train.ema_decay", id="ema-nan"),
    case(train_argv("r", "seed=-1"), 2, "'seed' must be a whole number", id="seed-negative"),
    case(train_argv("r", "seed=1e30"), 2, "'seed' must be a whole number", id="seed-huge"),
    case(
        train_argv("r", "model.name=mlp", "train.batch_size=1"),
        2,
        "cannot train on batches of train.batch_size=1",
        id="batchnorm-batch-of-one",
    ),
    case(train_argv("r", "data.path=d.npz"), 2, "does not read it", id="path-without-npz"),
    case(
        train_argv("r", *NPZ, "data.split=test"), 2, "split=test would be ignored", id="npz-split"
    ),
    case(["train", "a.yaml", "b.yaml"], 2, "give one config", id="two-configs"),
    case(["train", "cfg"], 2, "cannot read config file", folder("cfg"), id="yaml-is-folder"),
    case(["train", "c.yaml"], 2, "not valid YAML", text("c.yaml", "a: [1"), id="yaml-invalid"),
    case(["train", "c.yaml"], 2, "must hold a mapping", text("c.yaml", "- 1"), id="yaml-list"),
    # ---- train: dataset contents
    case(
        train_argv("r", *NPZ),
        2,
        "every pixel of all 64 images is 0",
        npz("d.npz", images=np.zeros((64, 8, 8), np.uint8)),
        id="npz-all-zero",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "must be numbers",
        npz("d.npz", images=np.full((64, 8, 8), "a")),
        id="npz-strings",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "NaN or infinite",
        npz("d.npz", images=np.where(IMAGES > 128, np.nan, IMAGES / 255).astype(np.float32)),
        id="npz-nan",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "pixel values run from -1 to 1",
        npz("d.npz", images=(IMAGES / 127.5 - 1).astype(np.float32)),
        id="npz-range-minus-one-to-one",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "pixel values run from",
        npz("d.npz", images=IMAGES.astype(np.int16) * 4),
        id="npz-int16-above-255",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "are the same image",
        npz("d.npz", images=np.repeat(IMAGES[:1], 64, axis=0)),
        id="npz-one-image-repeated",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "holds no images",
        npz("d.npz", images=np.zeros((0, 8, 8), np.uint8)),
        id="npz-empty",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "one class number per image",
        npz("d.npz", images=IMAGES, labels=np.arange(3)),
        id="npz-labels-length",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "must be 0 or more",
        npz("d.npz", images=IMAGES, labels=-np.ones(64, np.int64)),
        id="npz-labels-negative",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "must be whole numbers",
        npz("d.npz", images=IMAGES, labels=np.full(64, "x")),
        id="npz-labels-strings",
    ),
    case(
        train_argv("r", *NPZ),
        2,
        "no 'images' array",
        npz("d.npz", pixels=IMAGES),
        id="npz-no-images-key",
    ),
    case(train_argv("r", *NPZ), 2, "not a readable", text("d.npz", "text"), id="npz-not-a-zip"),
    case(
        train_argv("r", "data.name=folder", "data.path=imgs"),
        2,
        "no image files",
        folder("imgs"),
        id="folder-without-images",
    ),
    # ---- train: run folders
    case(
        train_argv("mine"),
        2,
        "is not empty (notes.txt) and is not a ganforge run",
        text("mine/notes.txt", "my notes"),
        kept=("mine/notes.txt",),
        id="run-dir-foreign-folder",
    ),
    case(
        train_argv("run"),
        2,
        "already holds a run",
        kept=("run/config.yaml", "run/checkpoints/step_0000004.pt"),
        samples_after=True,
        id="run-dir-existing-run",
    ),
    case(train_argv("f"), 2, "is a file", text("f", "x"), kept=("f",), id="run-dir-file"),
    case(["train", "--resume", "run", "train.steps=abc"], 2, "whole number", id="resume-text"),
    case(
        ["train", "--resume", "run", "train.steps=2", "--no-progress"],
        2,
        "step_0000004.pt is at step 4, beyond train.steps=2",
        samples_after=True,
        id="resume-fewer-steps-than-done",
    ),
    case(
        ["train", "--resume", "imgs", "--no-progress"],
        2,
        "not a ganforge run directory",
        folder("imgs"),
        id="resume-not-a-run",
    ),
]


@pytest.mark.parametrize("c", CASES)
def test_bad_input_ends_in_one_sentence(c: Case, base_run, tmp_path, monkeypatch):
    check_case(c, base_run, tmp_path, monkeypatch)

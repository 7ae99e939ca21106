"""`ganforge sample`, `interpolate` and `mix`: counts, output paths, files not ganforge's."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bad_input.cases import (
    IMAGES,
    Case,
    case,
    check_case,
    export_without_a_tensor,
    folder,
    npz,
    text,
)
from conftest import run_cli, train_argv

CASES = [
    # ---- sample
    case(["sample", "run", "-n", "0", "-o", "g.png"], 2, "-n must be at least 1", id="sample-n-0"),
    case(["sample", "run", "-n", "-5", "-o", "g.png"], 2, "-n must be at least", id="sample-n-neg"),
    case(
        ["sample", "run", "-n", "100000000000", "-o", "g.npz"],
        2,
        "lower -n",
        id="sample-n-too-many",
    ),
    case(["sample", "run", "-o", "d.png"], 2, "is a folder", folder("d.png"), id="sample-o-dir"),
    case(["sample", "run", "-o", "g.jpg"], 2, "must end in .png or .npz", id="sample-o-suffix"),
    case(
        ["sample", "run", "-o", "run/checkpoints/x.npz"],
        2,
        "inside checkpoints/ of the run",
        samples_after=True,
        id="sample-into-checkpoints",
    ),
    case(
        ["sample", "run", "-o", "run/losses.png"],
        2,
        "the file losses.png of the run",
        kept=("run/losses.png",),
        samples_after=True,
        id="sample-over-run-plot",
    ),
    case(
        ["sample", "run", "-o", "user.npz"],
        2,
        "is not a .npz file that ganforge wrote",
        npz("user.npz", images=IMAGES),
        kept=("user.npz",),
        id="sample-over-user-dataset",
    ),
    case(
        ["sample", "run", "-o", "notes.png"],
        2,
        "is not a .png file that ganforge wrote",
        text("notes.png", "not a picture"),
        kept=("notes.png",),
        id="sample-over-other-kind",
    ),
    case(["sample", "nowhere", "-o", "g.png"], 2, "does not exist", id="sample-missing-source"),
    case(
        ["sample", "g.safetensors", "-o", "g.png"],
        2,
        "does not fit the networks its config describes",
        export_without_a_tensor("g.safetensors"),
        id="sample-export-missing-a-tensor",
    ),
    case(
        ["interpolate", "run", "-o", "run/samples/walk.gif"],
        2,
        "inside samples/ of the run",
        samples_after=True,
        id="interpolate-into-samples",
    ),
    case(
        ["interpolate", "run", "-o", "notes.gif"],
        2,
        "is not a .gif file that ganforge wrote",
        text("notes.gif", "not an animation"),
        kept=("notes.gif",),
        id="interpolate-over-other-kind",
    ),
    case(["interpolate", "run", "-o", "w.mp4"], 2, "must end in .gif or .png", id="walk-suffix"),
    case(
        ["mix", "run", "-o", "run/losses.png"],
        2,
        "the file losses.png of the run",
        kept=("run/losses.png",),
        id="mix-over-run-plot",
    ),
    case(
        ["sample", "imgs", "-o", "g.png"],
        2,
        "not a ganforge run directory",
        folder("imgs"),
        id="sample-not-a-run",
    ),
]


@pytest.mark.parametrize("c", CASES)
def test_bad_input_ends_in_one_sentence(c: Case, base_run, tmp_path, monkeypatch):
    check_case(c, base_run, tmp_path, monkeypatch)


def test_force_writes_where_it_was_refused(base_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(base_run, tmp_path / "run")
    np.savez(tmp_path / "user.npz", images=IMAGES)
    assert run_cli("sample", "run", "-n", "4", "-o", "user.npz", "--force")[0] == 0
    assert np.load(tmp_path / "user.npz")["samples"].shape == (4, 8, 8, 1)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("my notes")
    assert run_cli(*train_argv("mine", "--force"))[0] == 0
    assert (tmp_path / "mine" / "notes.txt").read_text() == "my notes"
    assert run_cli("sample", "mine", "-n", "4", "-o", "again.png")[0] == 0
    # a file ganforge wrote may be written again without --force
    assert run_cli("sample", "run", "-n", "4", "-o", "user.npz")[0] == 0

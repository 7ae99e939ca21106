"""What users of other GAN tools expect of the command line: --version, --device wherever a
network runs, stylegan2-ada's --seeds, documented options, labelled class grids, translate
inputs checked and readable, files a group can read, and a resume that counts its own steps."""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, run_cli, train_cli
from ganforge.cli import build_parser
from ganforge.config.comments import option_comments


@pytest.fixture
def run(tmp_path):
    assert train_cli(tmp_path / "run") == 0
    return tmp_path / "run"


def test_version():
    done = subprocess.run(
        [sys.executable, "-m", "ganforge", "--version"], capture_output=True, text=True, cwd=REPO
    )
    from importlib.metadata import version

    assert done.returncode == 0 and done.stdout.strip() == f"ganforge {version('ganforge')}"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_that_runs_a_network_takes_device():
    runs_a_network = {
        name: p
        for name, p in _subcommands().items()
        if any(a.dest in ("source", "a") for a in p._actions) or name in ("train", "sweep")
    }
    del runs_a_network["summary"]  # builds the networks for their shapes, on the CPU
    del runs_a_network["status"]  # reads a run's or study's files, runs nothing
    assert {"sample", "interpolate", "mix", "translate", "export", "eval", "score"} <= set(
        runs_a_network
    )
    missing = [
        name
        for name, p in runs_a_network.items()
        if not any("--device" in a.option_strings for a in p._actions)
    ]
    assert missing == []


@pytest.mark.parametrize(
    "argv, out",
    [
        (["sample"], "x.png"),
        (["interpolate"], "x.gif"),
        (["mix"], "x.png"),
        (["translate", "in.npz"], "x.npz"),
        (["export"], "x.safetensors"),
    ],
)
def test_device_is_checked_before_anything_is_written(run, tmp_path, argv, out):
    name, *rest = argv
    code, _, err = run_cli(name, str(run), *rest, "-o", str(tmp_path / out), "--device", "tpu")
    assert code == 2 and "unknown device 'tpu'" in err
    assert not (tmp_path / out).exists()


def test_sample_seeds_draw_one_image_per_seed(run, tmp_path):
    def npz(*argv: str):
        out = tmp_path / "s.npz"
        code, _, err = run_cli("sample", str(run), *argv, "-o", str(out), "--device", "cpu")
        assert code == 0, err
        return np.load(out)["samples"]

    many = npz("--seeds", "3-5,9")
    assert many.shape == (4, 8, 8, 1)
    assert np.array_equal(many[3], npz("--seeds", "9")[0])
    assert np.array_equal(many[0], npz("-n", "1", "--seed", "3")[0])  # seed 3's first image
    assert not np.array_equal(many[0], many[1])
    code, _, err = run_cli("sample", str(run), "--seeds", "0-x", "-o", str(tmp_path / "b.png"))
    assert code == 2 and "--seeds takes seeds and ranges such as 0-35" in err


def test_families_shows_each_options_comment():
    code, out, _ = run_cli("families", "dcgan")
    assert code == 0
    assert "model.g.hidden = None  # channels per upsampling block (default: from width)" in out
    assert "model.g.upsample = 'transposed'  # ConvTranspose2d | resize + conv\n" in out
    assert "model.g.kernel_size = 4\n" in out  # no comment, nothing added


def test_option_comments_read_trailing_and_leading_comments_and_inherit():
    @dataclass
    class Base:
        a: int = 1  # the base's a
        b: int = 2

    @dataclass
    class Child(Base):
        # the child's c, said
        # on two lines
        c: int = 3
        a: int = 4  # the child's own a

    assert option_comments(Child) == {
        "a": "the child's own a",
        "c": "the child's c, said on two lines",
    }


def test_class_grid_rows_are_labelled(tmp_path):
    assert train_cli(tmp_path / "run", "model.conditional=concat") == 0
    plain, grid = tmp_path / "plain.png", tmp_path / "grid.png"
    assert run_cli("sample", str(tmp_path / "run"), "-n", "100", "-o", str(plain))[0] == 0
    assert run_cli("sample", str(tmp_path / "run"), "--class-grid", "-o", str(grid))[0] == 0
    a, b = Image.open(plain), np.array(Image.open(grid).convert("L"))
    margin = b.shape[1] - a.width
    assert b.shape[0] == a.height and 8 <= margin <= 40
    rows = np.split(b[2:, :margin], 10)  # ten rows of a 10 x 10 grid, 2-px padding on top
    assert all((row < 128).any() for row in rows)  # a dark label beside every row
    assert (b[:, :margin] >= 128).mean() > 0.8  # on a white margin


@pytest.fixture(scope="module")
def translator(tmp_path_factory):
    folder = tmp_path_factory.mktemp("translator")
    extra = ["model.name=cyclegan", "loss.name=lsgan", "data_b.derive=invert"]
    assert train_cli(folder / "run", *extra) == 0
    return folder / "run"


def _npz(path, images) -> str:
    np.savez(path, images=images.astype(np.uint8))
    return str(path)


def test_translate_refuses_images_of_another_domain(translator, tmp_path):
    out = tmp_path / "out.npz"
    for shape, got in (((5, 8, 8, 3), "3x8x8"), ((5, 16, 16), "1x16x16")):
        source = _npz(tmp_path / "in.npz", np.zeros(shape))
        code, _, err = run_cli("translate", str(translator), source, "-o", str(out))
        assert code == 2 and f"holds {got} images and this direction reads 1x8x8" in err, err
        assert not out.exists()


def test_translate_png_is_a_readable_grid_and_the_rest_goes_to_npz(translator, tmp_path):
    source = _npz(tmp_path / "in.npz", np.random.default_rng(0).integers(0, 255, (100, 8, 8)))
    out = tmp_path / "pairs.png"
    code, printed, err = run_cli("translate", str(translator), source, "-o", str(out))
    assert code == 0, err
    rest = out.with_suffix(".npz")
    assert f"(the first 64 of 100 pairs, a2b); all 100 translations in {rest}" in printed
    assert np.load(out.with_suffix(".npz"))["samples"].shape == (100, 8, 8, 1)
    picture = Image.open(out)  # 8 x 8 pairs, 8 x 16 px each upscaled to 24 x 48, 2-px padding
    assert picture.size == (8 * (48 + 2) + 2, 8 * (24 + 2) + 2)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        assert train_cli(tmp_path / "run") == 0
        assert (
            run_cli("export", str(tmp_path / "run"), "-o", str(tmp_path / "g.safetensors"))[0] == 0
        )
        assert run_cli("export", str(tmp_path / "run"), "-o", str(tmp_path / "hub"))[0] == 0
    finally:
        os.umask(old)
    written = [
        *(tmp_path / "run" / "checkpoints").glob("*.pt"),
        tmp_path / "g.safetensors",
        *(tmp_path / "hub").iterdir(),
    ]
    assert len(written) >= 6
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in written} == {
        p.name: mode for p in written
    }


def test_resume_counts_the_steps_it_trained(run):
    code, _, err = run_cli("train", "--resume", str(run), "train.steps=10", "--no-progress")
    assert code == 0, err
    last = (run / "log.txt").read_text().splitlines()[-1]
    assert "finished 6 steps (steps 4 to 10) in " in last

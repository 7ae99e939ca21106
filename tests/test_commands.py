"""Every command on every registered family, the matrix generated from the registry.

One parametrised test per family trains 2 steps, resumes to 3, samples, exports and samples the
export, evaluates with a metric the family supports, and runs `interpolate`, `translate` and
`mix`: each works where the family's typed capabilities say it should, and is refused in one
sentence where they say it cannot. A family is covered the moment it registers; its tiny network
options go in conftest's TINY_NETS.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import TINY, TINY_NETS, run_cli
from ganforge.config import DataConfig, load_config
from ganforge.data import load_dataset
from ganforge.latent_tools import MIN_TILE
from ganforge.models import FAMILIES, Family
from ganforge.runs import RunDir

N = 4  # samples drawn by `sample`
SEED = 3


def tiny_overrides(name: str) -> list[str]:
    """`ganforge train` overrides of a tiny run of family `name`, from its typed capabilities:
    8x8 digits as domain A and, for a two-domain family, their negatives as domain B (in three
    channels when the family lets the domains differ, so a shape mix-up between them shows)."""
    if name not in TINY_NETS:
        pytest.fail(
            f"family '{name}' has no tiny network options: add TINY_NETS['{name}'] in "
            "tests/conftest.py (options that train a few steps in well under a second)"
        )
    family = FAMILIES.get(name)
    overrides = [*TINY, *TINY_NETS[name], f"model.name={name}", "train.steps=2"]
    if family.domains == 2:
        overrides += ["data_b.name=digits", "data_b.limit=64", "data_b.derive=invert"]
        if not family.same_channels:
            overrides.append("data_b.channels=3")
    return overrides


def eval_metric(family: Family) -> str:
    """A metric the family supports that runs offline: pixel agreement of a coupled pair's
    halves, else FID in the feature space of the output domain's classifier (trained once per
    session into the test cache)."""
    return "agreement1k" if family.paired else "fid_domain1k"


def data_of(run: Path, domain: str = "a") -> DataConfig:
    config = load_config(str(RunDir(run).config_path), [])
    return config.data if domain == "a" else config.data_b


def first_images(data: DataConfig, n: int, out: Path) -> Path:
    """The first n images of `data` as an .npz of uint8 NHWC `images`."""
    images = load_dataset(data).data[:n]
    np.savez(out, images=images.permute(0, 2, 3, 1).numpy())
    return out


def output_shape(family: Family, run: Path) -> tuple[int, ...]:
    """(H, W, C) of one sample: domain B's for a translator, an A | B pair for a coupled G."""
    data = family.output_data(load_config(str(RunDir(run).config_path), []))
    shape = load_dataset(data).data.shape[1:]  # (C, H, W)
    c, h, w = shape
    return (h, 2 * w if family.paired else w, c)


def samples(path: Path) -> np.ndarray:
    with np.load(path) as f:
        return f["samples"]


def grid_size(rows: int, cols: int, image: tuple[int, ...]) -> tuple[int, int]:
    """(width, height) of a latent tool's picture of rows x cols images of shape (H, W, C):
    tiles scaled up to MIN_TILE pixels wide, a 2-pixel border around each."""
    h, w, _ = image
    scale = max(1, math.ceil(MIN_TILE / w))
    return cols * (w * scale + 2) + 2, rows * (h * scale + 2) + 2


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def ok(*argv: str) -> str:
    code, out, err = run_cli(*argv)
    assert code == 0, f"ganforge {' '.join(argv)} exited {code}: {err}"
    return out


def refused(*argv: str) -> str:
    """The one-sentence error of a command refused as bad input (exit 2)."""
    code, _, err = run_cli(*argv)
    assert code == 2, f"ganforge {' '.join(argv)} exited {code}, not 2: {err}"
    message = err.strip()
    assert message and "\n" not in message and "Traceback" not in message, message
    return message


@pytest.mark.parametrize("name", FAMILIES.names())
def test_every_command_on_every_family(name, tmp_path):
    family = FAMILIES.get(name)
    run = tmp_path / "run"
    ckpt = RunDir(run).checkpoints_dir

    # train 2 steps, then resume to 3: the checkpoints and the metrics rows continue
    ok("train", *tiny_overrides(name), "--run-dir", str(run), "--no-progress")
    assert (ckpt / "step_0000002.pt").exists()
    before = [r["step"] for r in RunDir(run).read_metrics()]
    assert before and before[-1] == 2
    ok("train", "--resume", str(run), "train.steps=3", "--no-progress")
    assert (ckpt / "step_0000003.pt").exists()
    after = [r["step"] for r in RunDir(run).read_metrics()]
    assert after[: len(before)] == before and after[-1] == 3, after
    assert after == sorted(set(after)), after
    # ... and land where 3 steps in one go do: every network of every family is in the state
    straight = tmp_path / "straight"
    ok("train", *tiny_overrides(name), "train.steps=3", "--run-dir", str(straight), "--no-progress")
    resumed, whole = (torch.load(d / "checkpoints" / "step_0000003.pt") for d in (run, straight))
    assert resumed["networks"].keys() == whole["networks"].keys()
    for net, state in whole["networks"].items():
        for key, value in state.items():
            assert torch.equal(resumed["networks"][net][key], value), f"{net}.{key}"

    # sample: the right shape; the export samples the same pixels for the same seed
    drawn = tmp_path / "run.npz"
    ok("sample", str(run), "-n", str(N), "-o", str(drawn), "--seed", str(SEED))
    got = samples(drawn)
    assert got.shape == (N, *output_shape(family, run)) and got.dtype == np.uint8
    ok("sample", str(run), "-n", str(N), "-o", str(tmp_path / "grid.png"))
    assert Image.open(tmp_path / "grid.png").size[0] > 0
    exported = tmp_path / "g.safetensors"
    ok("export", str(run), "-o", str(exported))
    again = tmp_path / "export.npz"
    ok("sample", str(exported), "-n", str(N), "-o", str(again), "--seed", str(SEED))
    assert np.array_equal(samples(again), got), "the export samples other pixels than its run"

    # eval: a finite value of a metric the family supports
    metric = eval_metric(family)
    out = ok("eval", str(run), "--metrics", metric, "--num-samples", "32", "--device", "cpu")
    value = json.loads(out)[metric]
    assert math.isfinite(value), out
    if not family.paired:  # the pair metric of a generator that draws no pairs: refused
        argv = ["eval", str(run), "--metrics", "agreement1k", "--num-samples", "8"]
        assert "the agreement metric needs" in refused(*argv, "--device", "cpu")
    else:  # a single-image metric of a generator that draws pairs: refused, not a number
        argv = ["eval", str(run), "--metrics", "fid_domain1k", "--num-samples", "8"]
        assert "score pairs with the agreement metric" in refused(*argv, "--device", "cpu")
    out = ok("eval", str(exported), "--metrics", metric, "--num-samples", "32", "--device", "cpu")
    assert json.loads(out)[metric] == pytest.approx(value), "the export scores otherwise"

    # --class: the families here train unconditionally (the conditioned runs are below)
    message = refused("sample", str(run), "-o", str(tmp_path / "k.npz"), "--class", "1")
    assert "unconditional" in message

    # --truncation: a latent family's samples; a translator has no latent space to truncate
    argv = ["sample", str(run), "-n", str(N), "-o", str(tmp_path / "psi.npz"), "--truncation"]
    if family.latent_space:
        ok(*argv, "0.5")
        assert samples(tmp_path / "psi.npz").shape == got.shape
    else:
        assert "ganforge translate" in refused(*argv, "0.5")

    # translate: each direction of a translator; refused in one sentence by the others
    if family.translations:
        # `sample` translates domain A's first images: never fewer than asked for, silently
        available = len(load_dataset(dataclasses.replace(data_of(run), limit=None)))
        too_many = ["-n", str(available + 1), "-o", str(tmp_path / "many.npz")]
        assert f"domain A has {available}" in refused("sample", str(run), *too_many)
        a_images = first_images(data_of(run), N, tmp_path / "a.npz")
        ok("translate", str(run), str(a_images), "-o", str(tmp_path / "t.npz"))
        # `sample` of a translator is the translation of domain A's first images (to a pixel
        # level: a grey NHWC file gives the convolutions another memory layout than the dataset)
        translated = samples(tmp_path / "t.npz").astype(int)
        assert translated.shape == got.shape and np.abs(translated - got).max() <= 1
        for direction in family.translations:
            source, target = ("a", "b") if direction == "a2b" else ("b", "a")
            inputs = first_images(data_of(run, source), N, tmp_path / f"{source}.npz")
            out_npz = tmp_path / f"{direction}.npz"
            ok("translate", str(run), str(inputs), "-o", str(out_npz), "--direction", direction)
            c, h, w = load_dataset(data_of(run, target)).data.shape[1:]
            assert samples(out_npz).shape == (N, h, w, c), direction
            png = tmp_path / f"{direction}.png"  # B's images go b2a: translate checks its input
            ok("translate", str(run), str(inputs), "-o", str(png), "--direction", direction)
            # the export holds `generator`: it translates that direction, as the run does
            export_npz = tmp_path / f"{direction}-export.npz"
            argv = ["translate", str(exported), str(inputs), "-o", str(export_npz)]
            if family.translations[direction] == "generator":
                ok(*argv, "--direction", direction)
                assert np.array_equal(samples(export_npz), samples(out_npz)), direction
            else:
                assert "from the run directory" in refused(*argv, "--direction", direction)
    else:
        a_images = first_images(data_of(run), N, tmp_path / "a.npz")
        message = refused("translate", str(run), str(a_images), "-o", str(tmp_path / "t.npz"))
        assert "translate needs a family that translates" in message

    # interpolate: a walk of latent families; a translator has no latent space
    walk = tmp_path / "walk.png"
    argv = ["interpolate", str(run), "-o", str(walk), "--walks", "2", "--keyframes", "2"]
    argv += ["--frames", "2"]
    if family.latent_space:
        ok(*argv)
        ok(argv[0], str(exported), *argv[2:3], str(tmp_path / "walk-export.png"), *argv[4:])
        assert np.array_equal(pixels(walk), pixels(tmp_path / "walk-export.png"))
        # a row per walk, (keyframes - 1) * frames + 1 columns
        assert Image.open(walk).size == grid_size(2, 3, got.shape[1:])
        ok(*argv[:2], "-o", str(tmp_path / "walk.gif"), *argv[4:])
        assert Image.open(tmp_path / "walk.gif").format == "GIF"
    else:
        assert "ganforge translate" in refused(*argv)
        assert not walk.exists()

    # mix: a style-mixing grid of style-based families; refused by the others
    mixed = tmp_path / "mix.png"
    argv = ["mix", str(run), "-o", str(mixed), "--rows", "2", "--cols", "3"]
    if family.style_mixing:
        ok(*argv)
        ok(argv[0], str(exported), *argv[2:3], str(tmp_path / "mix-export.png"), *argv[4:])
        assert np.array_equal(pixels(mixed), pixels(tmp_path / "mix-export.png"))
        # the column sources on top, the row sources on the left
        assert Image.open(mixed).size == grid_size(3, 4, got.shape[1:])
    else:
        assert "style mixing needs a style-based generator" in refused(*argv)
        assert not mixed.exists()


CONDITIONED = [
    pytest.param(name, scheme, id=f"{name}-{scheme}")
    for name in FAMILIES.names()
    for scheme in FAMILIES.get(name).conditionings
    if scheme != "none"
]


@pytest.mark.parametrize("name, scheme", CONDITIONED)
def test_the_class_commands_on_every_conditioned_family(name, scheme, tmp_path):
    """Each conditioning a family registers: `sample --class` and `--class-grid` of the run
    and of its export agree, `eval` scores the requested classes, the latent tools run."""
    family = FAMILIES.get(name)
    run, exported = tmp_path / "run", tmp_path / "g.safetensors"
    overrides = [*tiny_overrides(name), f"model.conditional={scheme}"]
    ok("train", *overrides, "--run-dir", str(run), "--no-progress")
    ok("export", str(run), "-o", str(exported))
    classes = 10  # the digits
    for source, out in ((run, "run"), (exported, "export")):
        ok("sample", str(source), "-n", str(N), "-o", str(tmp_path / f"{out}.npz"), "--class", "3")
        ok("sample", str(source), "-o", str(tmp_path / f"{out}-grid.npz"), "--class-grid")
    got = samples(tmp_path / "run.npz")
    assert got.shape == (N, *output_shape(family, run))
    assert np.array_equal(samples(tmp_path / "export.npz"), got)
    grid = samples(tmp_path / "run-grid.npz")
    assert grid.shape == (classes * classes, *got.shape[1:])
    assert np.array_equal(samples(tmp_path / "export-grid.npz"), grid)
    message = refused("sample", str(run), "-o", str(tmp_path / "k.npz"), "--class", "10")
    assert "out of range" in message and "0 to 9" in message

    out = ok("eval", str(run), "--metrics", "accuracy1k", "--num-samples", "20", "--device", "cpu")
    assert 0 <= json.loads(out)["accuracy1k"] <= 1
    walk = tmp_path / "walk.png"
    ok(
        "interpolate",
        str(run),
        "-o",
        str(walk),
        "--walks",
        "2",
        "--keyframes",
        "2",
        "--frames",
        "1",
    )
    assert Image.open(walk).size == grid_size(2, 2, got.shape[1:])
    if family.style_mixing:
        ok("mix", str(run), "-o", str(tmp_path / "mix.png"), "--rows", "1", "--cols", "2")
        assert Image.open(tmp_path / "mix.png").size == grid_size(2, 3, got.shape[1:])

"""Bad input ends in one sentence before any work, and nothing a user or a run wrote is lost.

Every case runs `ganforge` as a user would (through `main`), then checks the exit code, that
no traceback was printed, the keyword of the one sentence, and for the cases that could
overwrite something, that the file is untouched and the run still samples afterwards.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import TINY, TINY_NETS
from ganforge.cli import main
from ganforge.runs import checkpoints as ckpt

NETS = TINY_NETS["dcgan"]
MLP = ["model.name=mlp", *TINY_NETS["mlp"]]


def run_cli(*argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `ganforge ARGV`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_one_sentence(code: int, out: str, err: str, expected_code: int, keyword: str) -> None:
    assert "Traceback" not in out + err
    assert code == expected_code, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert errors[0] == err.strip().splitlines()[-1]
    assert keyword in errors[0], errors[0]


def train_args(run_dir: str, *extra: str) -> list[str]:
    return ["train", *TINY, *NETS, *extra, "--run-dir", run_dir, "--no-progress"]


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    """One tiny trained run (checkpoints at steps 2 and 4), copied into each case's folder."""
    run = tmp_path_factory.mktemp("base") / "run"
    code, _, err = run_cli(*train_args(str(run)))
    assert code == 0, err
    return run


# ---------------------------------------------------------------- files the cases use


def _npz(name: str, **arrays: np.ndarray):
    return lambda folder: np.savez(folder / name, **arrays)


def _text(name: str, text: str):
    def write(folder: Path) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)

    return write


def _folder(name: str):
    return lambda folder: (folder / name).mkdir(parents=True, exist_ok=True)


def _safetensors(name: str):
    def write(folder: Path) -> None:
        import torch
        from safetensors.torch import save_file

        save_file({"w": torch.zeros(2)}, str(folder / name))

    return write


RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (64, 8, 8), dtype=np.uint8)


@dataclass
class Case:
    argv: list[str]
    code: int
    keyword: str
    setup: list = field(default_factory=list)
    kept: tuple[str, ...] = ()  # files that must be byte-identical afterwards
    samples_after: bool = False  # the run must still sample afterwards


def case(argv, code, keyword, *setup, kept=(), samples_after=False, id=None):  # noqa: A002
    return pytest.param(Case(list(argv), code, keyword, list(setup), kept, samples_after), id=id)


NPZ = ["data.name=npz", "data.path=d.npz"]
CASES = [
    # ---- train: config values
    case(train_args("r", "data.resolution=100000"), 2, "needs at least", id="resolution-100000"),
    case(train_args("r", "train.batch_size=1000000000"), 2, "needs at least", id="batch-1e9"),
    case(train_args("r", "model.latent_dim=1000000000"), 2, "model.latent_dim", id="latent-1e9"),
    case(train_args("r", "train.grid_size=100000000"), 2, "train.grid_size", id="grid-1e8"),
    case(train_args("r", "--device", "tpu"), 2, "unknown device 'tpu'", id="device-tpu"),
    case(train_args("r", "optim.g.lr=.nan"), 2, "'optim.g.lr' must be a finite", id="lr-nan"),
    case(train_args("r", "optim.d.lr=.inf"), 2, "'optim.d.lr' must be a finite", id="lr-inf"),
    case(train_args("r", "model.g.alpha=.nan"), 2, "'model.g.alpha' must be a finite", id="alpha"),
    case(train_args("r", "loss.gp_weight=.inf"), 2, "'loss.gp_weight' must be a finite", id="gp"),
    case(train_args("r", "train.ema_decay=.nan"), 2, "train.ema_decay", id="ema-nan"),
    case(train_args("r", "seed=-1"), 2, "'seed' must be a whole number", id="seed-negative"),
    case(train_args("r", "seed=1e30"), 2, "'seed' must be a whole number", id="seed-huge"),
    case(
        ["train", *TINY, *MLP, "train.batch_size=1", "--run-dir", "r", "--no-progress"],
        2,
        "cannot train on batches of train.batch_size=1",
        id="batchnorm-batch-of-one",
    ),
    case(train_args("r", "data.path=d.npz"), 2, "does not read it", id="path-without-npz"),
    case(
        train_args("r", *NPZ, "data.split=test"), 2, "split=test would be ignored", id="npz-split"
    ),
    case(["train", "a.yaml", "b.yaml"], 2, "give one config", id="two-configs"),
    case(["train", "cfg"], 2, "cannot read config file", _folder("cfg"), id="yaml-is-folder"),
    case(["train", "c.yaml"], 2, "not valid YAML", _text("c.yaml", "a: [1"), id="yaml-invalid"),
    case(["train", "c.yaml"], 2, "must hold a mapping", _text("c.yaml", "- 1"), id="yaml-list"),
    # ---- train: dataset contents
    case(
        train_args("r", *NPZ),
        2,
        "every pixel of all 64 images is 0",
        _npz("d.npz", images=np.zeros((64, 8, 8), np.uint8)),
        id="npz-all-zero",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "must be numbers",
        _npz("d.npz", images=np.full((64, 8, 8), "a")),
        id="npz-strings",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "NaN or infinite",
        _npz("d.npz", images=np.where(IMAGES > 128, np.nan, IMAGES / 255).astype(np.float32)),
        id="npz-nan",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "pixel values run from -1 to 1",
        _npz("d.npz", images=(IMAGES / 127.5 - 1).astype(np.float32)),
        id="npz-range-minus-one-to-one",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "pixel values run from",
        _npz("d.npz", images=IMAGES.astype(np.int16) * 4),
        id="npz-int16-above-255",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "are the same image",
        _npz("d.npz", images=np.repeat(IMAGES[:1], 64, axis=0)),
        id="npz-one-image-repeated",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "holds no images",
        _npz("d.npz", images=np.zeros((0, 8, 8), np.uint8)),
        id="npz-empty",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "one class number per image",
        _npz("d.npz", images=IMAGES, labels=np.arange(3)),
        id="npz-labels-length",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "must be 0 or more",
        _npz("d.npz", images=IMAGES, labels=-np.ones(64, np.int64)),
        id="npz-labels-negative",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "must be whole numbers",
        _npz("d.npz", images=IMAGES, labels=np.full(64, "x")),
        id="npz-labels-strings",
    ),
    case(
        train_args("r", *NPZ),
        2,
        "no 'images' array",
        _npz("d.npz", pixels=IMAGES),
        id="npz-no-images-key",
    ),
    case(train_args("r", *NPZ), 2, "not a readable", _text("d.npz", "text"), id="npz-not-a-zip"),
    case(
        train_args("r", "data.name=folder", "data.path=imgs"),
        2,
        "no image files",
        _folder("imgs"),
        id="folder-without-images",
    ),
    # ---- train: run folders
    case(
        train_args("mine"),
        2,
        "is not empty (notes.txt) and is not a ganforge run",
        _text("mine/notes.txt", "my notes"),
        kept=("mine/notes.txt",),
        id="run-dir-foreign-folder",
    ),
    case(
        train_args("run"),
        2,
        "already holds a run",
        kept=("run/config.yaml", "run/checkpoints/step_0000004.pt"),
        samples_after=True,
        id="run-dir-existing-run",
    ),
    case(train_args("f"), 2, "is a file", _text("f", "x"), kept=("f",), id="run-dir-file"),
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
        _folder("imgs"),
        id="resume-not-a-run",
    ),
    # ---- sample
    case(["sample", "run", "-n", "0", "-o", "g.png"], 2, "-n must be at least 1", id="sample-n-0"),
    case(["sample", "run", "-n", "-5", "-o", "g.png"], 2, "-n must be at least", id="sample-n-neg"),
    case(
        ["sample", "run", "-n", "100000000000", "-o", "g.npz"],
        2,
        "lower -n",
        id="sample-n-too-many",
    ),
    case(["sample", "run", "-o", "d.png"], 2, "is a folder", _folder("d.png"), id="sample-o-dir"),
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
        _npz("user.npz", images=IMAGES),
        kept=("user.npz",),
        id="sample-over-user-dataset",
    ),
    case(
        ["sample", "run", "-o", "notes.png"],
        2,
        "is not a .png file that ganforge wrote",
        _text("notes.png", "not a picture"),
        kept=("notes.png",),
        id="sample-over-other-kind",
    ),
    case(["sample", "nowhere", "-o", "g.png"], 2, "does not exist", id="sample-missing-source"),
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
        _text("notes.gif", "not an animation"),
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
        _folder("imgs"),
        id="sample-not-a-run",
    ),
    # ---- export
    case(
        ["export", "run", "-o", "run/checkpoints/step_0000004.pt"],
        2,
        "must end in .safetensors",
        kept=("run/checkpoints/step_0000004.pt",),
        samples_after=True,
        id="export-over-newest-checkpoint",
    ),
    case(
        ["export", "run", "-o", "run/checkpoints/g.safetensors"],
        2,
        "inside checkpoints/ of the run",
        samples_after=True,
        id="export-into-checkpoints",
    ),
    case(
        ["export", "run", "-o", "g.safetensors"],
        2,
        "is a folder",
        _folder("g.safetensors"),
        id="export-o-folder",
    ),
    case(
        ["export", "run", "-o", "other.safetensors"],
        2,
        "is not a .safetensors file that ganforge wrote",
        _safetensors("other.safetensors"),
        kept=("other.safetensors",),
        id="export-over-foreign-safetensors",
    ),
    # ---- eval
    case(["eval", "run", "--num-samples", "0"], 2, "--num-samples must be", id="eval-num-0"),
    case(["eval", "run", "--batch-size", "0"], 2, "--batch-size must be", id="eval-batch-0"),
    case(["eval", "run", "--device", "tpu"], 2, "unknown device", id="eval-device-tpu"),
    case(["eval", "run", "--metrics", "fid99k"], 2, "unknown metric 'fid99k'", id="eval-metric"),
    case(["eval", "run", "--metrics", ""], 2, "no metrics requested", id="eval-no-metric"),
    case(["eval", "run", "--ref", "imgs"], 2, "no image files", _folder("imgs"), id="eval-ref"),
    case(["eval", "nowhere"], 2, "does not exist", id="eval-missing-source"),
    # ---- fid: inputs are checked before Inception is loaded (offline, that would fail)
    case(
        ["fid", "a.npz", "imgs"],
        2,
        "no image files",
        _npz("a.npz", images=IMAGES),
        _folder("imgs"),
        id="fid-empty-folder",
    ),
    case(["fid", "missing.npz", "digits"], 2, "does not exist", id="fid-missing-file"),
    case(["fid", "toy_ring", "digits"], 2, "holds points, not images", id="fid-points"),
    case(["fid", "digits", "digits", "--num-samples", "-1"], 2, "at least 1", id="fid-num"),
    # ---- summary
    case(["summary", "default", "data.resolution=100000"], 2, "needs at least", id="summary-huge"),
    case(["summary", "default", "model.g.alpha=.inf"], 2, "finite", id="summary-inf"),
    case(["summary", "nosuchpreset"], 2, "unknown preset", id="summary-preset"),
]


@pytest.mark.parametrize("c", CASES)
def test_bad_input_ends_in_one_sentence(c: Case, base_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANFORGE_INCEPTION_WEIGHTS", str(tmp_path / "no-weights.pth"))
    shutil.copytree(base_run, tmp_path / "run")
    for make in c.setup:
        make(tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in c.kept}
    code, out, err = run_cli(*c.argv)
    assert_one_sentence(code, out, err, c.code, c.keyword)
    for name, content in before.items():
        assert (tmp_path / name).read_bytes() == content, f"{name} was changed"
    assert not (tmp_path / "r").exists(), "a refused run must leave no folder behind"
    if c.samples_after:
        assert run_cli("sample", "run", "-n", "4", "-o", "after.png")[0] == 0
        found = ckpt.list_checkpoints(tmp_path / "run" / "checkpoints")
        assert [step for step, _ in found] == [2, 4]


def test_force_writes_where_it_was_refused(base_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(base_run, tmp_path / "run")
    np.savez(tmp_path / "user.npz", images=IMAGES)
    assert run_cli("sample", "run", "-n", "4", "-o", "user.npz", "--force")[0] == 0
    assert np.load(tmp_path / "user.npz")["samples"].shape == (4, 8, 8, 1)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("my notes")
    assert run_cli(*train_args("mine", "--force"))[0] == 0
    assert (tmp_path / "mine" / "notes.txt").read_text() == "my notes"
    assert run_cli("sample", "mine", "-n", "4", "-o", "again.png")[0] == 0
    # a file ganforge wrote may be written again without --force
    assert run_cli("sample", "run", "-n", "4", "-o", "user.npz")[0] == 0


# ---------------------------------------------------------------- one checkpoint policy


@pytest.fixture(scope="module")
def points_run(tmp_path_factory) -> Path:
    """A tiny 2-D run: `eval --metrics modes2.5k` scores it in milliseconds."""
    run = tmp_path_factory.mktemp("points") / "run"
    argv = ["train", *TINY, *MLP, "data.name=toy_ring", "data.limit=256", "--run-dir", str(run)]
    code, _, err = run_cli(*argv, "--no-progress")
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


# ---------------------------------------------------------------- no traceback reaches a user


def test_an_internal_error_is_one_sentence_and_a_crash_log(base_run, tmp_path, monkeypatch):
    import ganforge.sampling

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.chdir(tmp_path)
    shutil.copytree(base_run, tmp_path / "run")
    monkeypatch.setattr(ganforge.sampling, "write_samples", broken)
    code, out, err = run_cli("sample", "run", "-o", "g.png")
    assert_one_sentence(code, out, err, 1, "failed unexpectedly (ZeroDivisionError: a bug)")
    log = tmp_path / "run" / "crash.log"
    assert f"traceback written to {Path('run') / 'crash.log'}" in err
    assert "Traceback" in log.read_text() and "ganforge sample run -o g.png" in log.read_text()
    code, out, err = run_cli("sample", "run", "-o", "g.png", "--debug")
    assert code == 1 and "Traceback" in err and "ZeroDivisionError" in err
    assert log.read_text().count("Traceback") == 2, "crash.log is appended to, never replaced"


def test_an_internal_error_outside_a_run_goes_to_a_temporary_file(monkeypatch, tmp_path):
    import ganforge.cli.parser

    def broken(args):
        raise KeyError("oops")

    monkeypatch.setattr(ganforge.cli.parser, "cmd_presets", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, out, err = run_cli("presets")
    assert_one_sentence(code, out, err, 1, "failed unexpectedly (KeyError")
    logs = list(tmp_path.glob("ganforge-crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err and "KeyError" in logs[0].read_text()


def test_running_out_of_memory_is_bad_input(base_run, tmp_path, monkeypatch):
    import ganforge.sampling

    def oom(*args, **kwargs):
        raise MemoryError()

    monkeypatch.chdir(tmp_path)
    shutil.copytree(base_run, tmp_path / "run")
    monkeypatch.setattr(ganforge.sampling, "write_samples", oom)
    code, out, err = run_cli("sample", "run", "-o", "g.png")
    assert_one_sentence(code, out, err, 2, "out of memory")


# ---------------------------------------------------------------- property-based

KEYS = {
    "train.batch_size": st.sampled_from(["2", "8"]),
    "train.n_critic": st.sampled_from(["1", "2"]),
    "train.grid_size": st.sampled_from(["1", "4"]),
    "train.ema_decay": st.sampled_from(["0.9", "none"]),
    "train.lr_decay": st.sampled_from(["linear", "cosine", "none"]),
    "optim.g.lr": st.sampled_from(["1e-3", "0.1"]),
    "optim.d.beta1": st.sampled_from(["0.0", "0.9"]),
    "optim.d.name": st.sampled_from(["adam", "sgd", "rmsprop"]),
    "loss.name": st.sampled_from(["hinge", "lsgan", "wasserstein", "minimax"]),
    "loss.label_smoothing": st.sampled_from(["0.1", "0.0"]),
    "loss.gp_weight": st.sampled_from(["10", "none"]),
    "model.latent_dim": st.sampled_from(["2", "16"]),
    "model.name": st.sampled_from(["mlp", "dcgan"]),
    "model.g.alpha": st.sampled_from(["0.1", "0.3"]),
    "data.resolution": st.sampled_from(["8", "16", "4"]),
    "data.channels": st.sampled_from(["1", "3"]),
    "data.limit": st.sampled_from(["16", "64"]),
    "seed": st.sampled_from(["0", "7"]),
    "train.step": st.just("3"),  # misspelt
    "model.d.no_such_option": st.just("1"),
}
WEIRD = st.sampled_from(
    [".nan", ".inf", "-.inf", "-1", "0", "abc", "[1, 2]", "{a: 1}", "", "1e12", "true", "null"]
)
OVERRIDES = st.lists(
    st.sampled_from(sorted(KEYS)).flatmap(
        lambda key: st.one_of(KEYS[key], WEIRD).map(lambda value: f"{key}={value}")
    ),
    max_size=4,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
)
YAML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
DTYPES = st.sampled_from([np.uint8, np.int16, np.float32, np.float64, np.bool_, np.dtype("<U1")])
ARRAYS = DTYPES.flatmap(
    lambda dtype: hnp.arrays(
        dtype,
        st.tuples(st.integers(0, 12), st.integers(1, 9), st.integers(1, 9)).flatmap(
            lambda s: st.sampled_from([s, (*s, 1), (*s, 3), (*s, 2)])
        ),
    )
)
FAST = ["train.steps=2", "train.log_every=1", "train.tensorboard=false"]
PROPERTY = settings(
    max_examples=int(os.environ.get("GANFORGE_HYPOTHESIS_EXAMPLES", 12)),  # more: a deeper search
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def assert_run_or_one_sentence(items: list[str], folder: Path) -> None:
    """`ganforge train ITEMS` into folder/r ends in a run, or in exit 2 or 3 and one sentence."""
    run_dir = folder / "r"
    code, out, err = run_cli("train", *items, *FAST, "--run-dir", str(run_dir), "--no-progress")
    assert "Traceback" not in out + err
    if code == 0:
        assert (run_dir / "config.yaml").exists() and ckpt.list_checkpoints(run_dir / "checkpoints")
    else:
        assert code in (2, 3), err
        assert_one_sentence(code, out, err, code, "")


def _fresh_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="ganforge-property-"))


@PROPERTY
@given(overrides=OVERRIDES)
def test_random_overrides_end_in_a_run_or_one_sentence(overrides):
    folder = _fresh_folder()
    try:
        assert_run_or_one_sentence([*TINY, *overrides], folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@PROPERTY
@given(values=st.dictionaries(st.sampled_from(sorted(KEYS)), YAML_VALUES, max_size=3))
def test_random_yaml_values_end_in_a_run_or_one_sentence(values):
    folder = _fresh_folder()
    try:
        delta: dict = {}
        for key, value in values.items():
            node = delta
            *parents, last = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        (folder / "c.yaml").write_text(yaml.safe_dump(delta))
        assert_run_or_one_sentence([str(folder / "c.yaml"), *TINY], folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@PROPERTY
@given(images=ARRAYS, family=st.sampled_from(["mlp", "dcgan"]))
def test_random_arrays_as_datasets_end_in_a_run_or_one_sentence(images, family):
    folder = _fresh_folder()
    try:
        np.savez(folder / "d.npz", images=images)
        nets = MLP if family == "mlp" else NETS
        data = ["data.name=npz", f"data.path={folder / 'd.npz'}"]
        assert_run_or_one_sentence(
            [*TINY, *nets, "train.batch_size=2", "train.grid_size=2", *data], folder
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

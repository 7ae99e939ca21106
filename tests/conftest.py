"""Shared fixtures and helpers: tiny configs that train in well under a second on a CPU, the
one place a test builds a `Trainer`, and `ganforge` run in-process."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import warnings
from pathlib import Path

import pytest

from ganforge.cli import main
from ganforge.config import Config, load_config
from ganforge.runs import RunDir
from ganforge.training import Trainer, resolve_config

warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GANFORGE_SHARED_DATA", REPO.parent / "shared" / "data"))

# numbers of a metrics.jsonl row that measure time: never equal between two runs
TIMING_KEYS = ("sec_per_step", "seconds", "eval_seconds", "time")

TINY = [
    "train.steps=4",
    "train.batch_size=8",
    "train.log_every=2",
    "train.sample_every=2",
    "train.checkpoint_every=2",
    "train.grid_size=4",
    "train.tensorboard=false",
    "model.latent_dim=8",
    "model.width=8",
    "data.limit=64",
]


TINY_DCGAN = ["model.g.hidden=[8]", "model.g.project_channels=8", "model.d.hidden=[8,8]"]
TINY_NETS = {
    "dcgan": TINY_DCGAN,
    "mlp": ["model.g.hidden=[16]", "model.d.hidden=[16]"],
    "mlp_dcgan": ["model.g.hidden=[16]", "model.d.hidden=[8,8]"],
    "resnet": ["model.g.channels=8", "model.d.channels=8"],
    "stylegan": ["model.g.mapping_layers=2"],
    # two-domain families: their widths follow model.width; these add what else keeps them tiny
    "cogan": [],
    "cyclegan": ["model.g.blocks=1", "model.d.pool_size=4"],
    "dtn": [],
}


def as_foreground_job() -> None:
    """`preexec_fn` of a child that a test stops with Ctrl-C: SIGINT at its default, even when
    the suite runs from a shell's `&` (which makes children ignore it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def resolved(*overrides: str, source: str | None = None):
    """A config as `ganforge train` sees it: loaded, then checked by every owner."""
    return resolve_config(load_config(source, list(overrides)))


def family_of(overrides) -> str:
    """The model family that `overrides` select (the last `model.name=` wins, as in a config)."""
    names = [o.split("=", 1)[1] for o in overrides if o.startswith("model.name=")]
    return names[-1] if names else "dcgan"


def tiny_config(*overrides: str):
    """The default preset shrunk to a few steps of a tiny network on 64 digits."""
    return resolved(*TINY, *TINY_NETS.get(family_of(overrides), []), *overrides)


def make_trainer(config: Config, run_dir: Path, device: str = "cpu") -> Trainer:
    """A trainer of `config` writing a new run at `run_dir`: the one place tests build one."""
    run = RunDir(run_dir)
    run.create(config)
    return Trainer(config, run, device)


def tiny_trainer(tmp_path: Path, *overrides: str, name: str = "run") -> Trainer:
    """`make_trainer` of `tiny_config(*overrides)`, its run at tmp_path/name."""
    return make_trainer(tiny_config(*overrides), tmp_path / name)


def trained(config: Config, run_dir: Path) -> Trainer:
    """`make_trainer`, trained to the end of `config.train.steps`."""
    trainer = make_trainer(config, run_dir)
    trainer.train(progress=False)
    return trainer


def train_argv(run_dir, *extra: str) -> list[str]:
    """`ganforge train` of the tiny config (with the tiny nets of the family `extra` names)."""
    nets = TINY_NETS.get(family_of(extra), [])
    return ["train", *TINY, *nets, *extra, "--run-dir", str(run_dir), "--no-progress"]


def train_cli(run_dir, *extra: str) -> int:
    """The exit code of `ganforge train` of the tiny config into `run_dir`."""
    return main(train_argv(run_dir, *extra))


def run_cli(*argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `ganforge ARGV`, run in-process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "mnist_test.npz").exists():
        pytest.skip(f"the shared datasets are not at {SHARED_DATA} (set GANFORGE_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory):
    """Reference features and classifiers go to a fresh cache, never the user's."""
    os.environ["GANFORGE_CACHE"] = str(tmp_path_factory.mktemp("ganforge-cache"))
    yield


@pytest.fixture(scope="session")
def random_inception(tmp_path_factory) -> Path:
    """A randomly initialised InceptionV3 saved in torch-fidelity's weight format."""
    from ganforge.metrics.features import save_random_inception

    return save_random_inception(tmp_path_factory.mktemp("inception") / "random-inception.pth")

"""Property-based: random overrides, YAML values and arrays given to `ganforge train` end in a
run or in one sentence, never in a traceback."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bad_input.cases import assert_one_sentence, one_sentence
from conftest import TINY, TINY_NETS, run_cli
from ganforge.runs import checkpoints as ckpt

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
    """`ganforge train ITEMS` into folder/r ends in a run; or in one sentence: refused as bad
    input (exit 2) before any work, so with no run folder, or diverged (exit 3), saying so."""
    run_dir = folder / "r"
    code, out, err = run_cli("train", *items, *FAST, "--run-dir", str(run_dir), "--no-progress")
    assert "Traceback" not in out + err
    if code == 0:
        assert (run_dir / "config.yaml").exists() and ckpt.list_checkpoints(run_dir / "checkpoints")
    elif code == 3:
        assert_one_sentence(code, out, err, 3, "training diverged at step")
        assert (run_dir / "config.yaml").exists(), "a diverged run is kept"
    else:
        sentence = one_sentence(code, out, err, 2)
        assert not run_dir.exists(), f"refused ({sentence}) after creating the run folder"


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
        nets = [f"model.name={family}", *TINY_NETS[family]]
        data = ["data.name=npz", f"data.path={folder / 'd.npz'}"]
        assert_run_or_one_sentence(
            [*TINY, *nets, "train.batch_size=2", "train.grid_size=2", *data], folder
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

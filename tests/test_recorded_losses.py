"""The architecture refactor changed no number: losses recorded before it must come out again.

`tests/golden/recorded_losses.json` was written by `python tests/test_recorded_losses.py
--record` on the code before families owned their phases (commit a71d31b). Each case trains a
few CPU steps; every logged number and a checksum of the final generator's samples must match,
since the same seed runs the same operations in the same order.

Match means to RTOL (1e-4), not to the last bit: the same operations round differently on
another CPU (AVX2, AVX-512 or AMX kernels sum in other orders). Measured on a Xeon with
AVX-512 and AMX against numbers recorded elsewhere: losses and gradient norms within 4e-6;
the samples' checksums (up to 1.2e-4) and `diversity` (a small mean distance between samples,
up to 6e-4) amplify rounding through the generator, so they get LOOSE (1e-3). A change of
the maths moves them by more: a hinge margin of 1.001 instead of 1 fails.

Deliberate numeric changes re-record only the cases they touch, `python
tests/test_recorded_losses.py --record NAME ...`, each checked first to move the logged numbers
by float rounding only:
- the two `*-noise-smoothing-dropout` cases, when ganforge's Dropout began drawing its CPU mask
  with `torch.rand` (another random stream, the same distribution);
- the Adam cases, when Adam became fused on CPU (the same update in another float order: at
  most 5e-4 relative, most near 1e-6; `tests/test_optim.py`);
- the dcgan cases, when the `default` preset took `train.channels_last: true` (at most 3e-4
  relative; the dropout case draws its uniforms in the NHWC order, so its masks differ).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from conftest import TIMING_KEYS, TINY_DCGAN, TINY_NETS

GOLDEN = Path(__file__).parent / "golden" / "recorded_losses.json"
RTOL, LOOSE, ATOL = 1e-4, 1e-3, 1e-9  # ATOL: values that are zero up to rounding
COMMON = [
    "train.steps=6",
    "train.batch_size=8",
    "train.log_every=2",
    "train.sample_every=0",
    "train.checkpoint_every=0",
    "train.grid_size=4",
    "train.tensorboard=false",
    "model.latent_dim=8",
    "model.width=8",
    "data.limit=64",
]
MLP = ["model.name=mlp", *TINY_NETS["mlp"]]
DCGAN = TINY_DCGAN
WGAN = [
    "loss.name=wasserstein",
    "loss.clip_value=0.01",
    "optim.d.name=rmsprop",
    "optim.g.name=rmsprop",
    "optim.d.lr=5e-5",
    "optim.g.lr=5e-5",
]
CASES: dict[str, list[str]] = {}
for _family, _net in (("mlp", MLP), ("dcgan", DCGAN)):
    for _loss in ("minimax", "nonsaturating", "lsgan", "hinge"):
        CASES[f"{_family}-{_loss}"] = [*_net, f"loss.name={_loss}"]
    CASES[f"{_family}-wgan-clip"] = [*_net, *WGAN, "train.n_critic=3"]
    CASES[f"{_family}-wgan-gp"] = [*_net, "loss.name=wasserstein", "loss.gp_weight=10"]
    CASES[f"{_family}-r1-ema-decay"] = [
        *_net,
        "loss.r1_gamma=1",
        "train.ema_decay=0.9",
        "train.lr_decay=cosine",
    ]
    CASES[f"{_family}-noise-smoothing-dropout"] = [
        *_net,
        "loss.label_noise=0.1",
        "loss.label_smoothing=0.1",
        "model.d.dropout=0.2",
        "model.g.dropout=0.1",
    ]
    CASES[f"{_family}-mixed-uniform-glorot"] = [
        *_net,
        "train.mixed_batches=true",
        "model.latent_dist=uniform",
        "model.init=glorot",
        "model.d.batch_norm=true",
    ]
    CASES[f"{_family}-lsgan-sigmoid-sgd"] = [
        *_net,
        "loss.name=lsgan",
        "model.d.last_activation=sigmoid",
        "optim.g.name=sgd",
        "model.g.norm_after_activation=true",
    ]
CASES["dcgan-nearest-kernels"] = [
    *DCGAN,
    "model.g.upsample=nearest",
    "model.g.kernel_size=3",
    "model.d.kernel_size=5",
    "model.g.project_norm=feature",
]
CASES["toy-ring-mlp"] = [*MLP, "data.name=toy_ring", "model.g.last_activation=none"]


def run_case(overrides: list[str], folder: Path) -> dict:
    """Train one case; its logged rows (numbers only) and a checksum of 8 generated samples."""
    from ganforge.config import load_config
    from ganforge.sampling import load_generator
    from ganforge.training import train

    folder.mkdir(parents=True, exist_ok=True)
    config = load_config(None, COMMON + overrides)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reductions split across threads round differently
    try:
        run = train(config, run_dir=folder / "run", device="cpu", progress=False)
        samples = load_generator(run.path).sample(8, seed=0).double()
    finally:
        torch.set_num_threads(threads)
    rows = [
        {k: v for k, v in row.items() if k not in TIMING_KEYS and isinstance(v, int | float)}
        for row in run.read_metrics()
    ]
    return {
        "rows": rows,
        "sample_sum": samples.sum().item(),
        "sample_abs": samples.abs().sum().item(),
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_losses_are_unchanged(tmp_path, name):
    want = json.loads(GOLDEN.read_text())[name]
    got = run_case(CASES[name], tmp_path)
    assert [r["step"] for r in got["rows"]] == [r["step"] for r in want["rows"]]
    for a, b in zip(got["rows"], want["rows"], strict=True):
        assert a.keys() == b.keys(), name
        for key in a:
            rel = LOOSE if key == "diversity" else RTOL
            assert a[key] == pytest.approx(b[key], rel=rel, abs=ATOL), (
                f"{name} step {a['step']}: {key} {a[key]!r} != {b[key]!r}"
            )
    scale = LOOSE * want["sample_abs"]  # a sum of signed values: relative to their magnitude
    assert got["sample_sum"] == pytest.approx(want["sample_sum"], abs=scale)
    assert got["sample_abs"] == pytest.approx(want["sample_abs"], rel=LOOSE)


if __name__ == "__main__" and sys.argv[1:2] == ["--record"]:
    import tempfile

    names = sys.argv[2:] or sorted(CASES)  # a deliberate change re-records only what it touched
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        golden |= {name: run_case(CASES[name], Path(tmp) / name) for name in names}
    GOLDEN.write_text(json.dumps(dict(sorted(golden.items())), indent=1) + "\n")
    print(f"recorded {len(names)} cases in {GOLDEN}")

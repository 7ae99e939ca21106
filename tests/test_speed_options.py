"""The speed options run on CPU and keep the numbers close to plain fp32 training."""

from __future__ import annotations

import math

import pytest
import torch

from conftest import tiny_config, trained
from ganforge.errors import ConfigError


def train_rows(tmp_path, name, *overrides):
    """The trained tiny run at tmp_path/name and the rows it logged."""
    trainer = trained(tiny_config(*overrides), tmp_path / name)
    return trainer, trainer.run.read_metrics()


def losses(rows):
    return torch.tensor([[r["d_loss"], r["g_loss"]] for r in rows])


def test_bf16_autocast_trains_close_to_fp32(tmp_path):
    _, fp32 = train_rows(tmp_path, "fp32")
    trainer, bf16 = train_rows(tmp_path, "bf16", "train.precision=bf16")
    assert all(isinstance(r["d_loss"], float) for r in bf16)
    torch.testing.assert_close(losses(bf16), losses(fp32), rtol=0.05, atol=0.02)
    assert not torch.equal(losses(bf16), losses(fp32))  # autocast really ran in bf16
    for p in trainer.task.networks["generator"].parameters():
        assert p.dtype == torch.float32  # weights and optimiser states stay fp32


def test_bf16_trains_stylegan_keeping_its_running_means_in_fp32(tmp_path):
    # w_avg and the mean path length are fp32 buffers updated from bf16 activations
    # (benchmarks/gpu_check.sh found `lerp` refusing the mix)
    lazy = ["model.g.pl_weight=2", "model.g.pl_every=2", "loss.r1_gamma=0.01"]
    trainer, rows = train_rows(
        tmp_path, "bf16", "model.name=stylegan", *lazy, "loss.reg_every=2", "train.precision=bf16"
    )
    assert all(math.isfinite(r["g_pl_penalty"]) for r in rows if "g_pl_penalty" in r)
    G = trainer.task.networks["generator"]
    assert G.w_avg.dtype == torch.float32 and G.w_avg.abs().sum() > 0


def test_fp16_needs_a_gpu(tmp_path):
    with pytest.raises(ConfigError, match="fp16 needs a CUDA GPU; use train.precision=bf16"):
        train_rows(tmp_path, "fp16", "train.precision=fp16")


def test_channels_last_gives_the_same_numbers(tmp_path):
    _, plain = train_rows(tmp_path, "plain")
    _, nhwc = train_rows(tmp_path, "nhwc", "train.channels_last=true")
    torch.testing.assert_close(losses(nhwc), losses(plain), rtol=1e-4, atol=1e-5)


def test_compile_skips_networks_differentiated_twice(tmp_path):
    """With R1 the discriminator is differentiated twice: only the generator is compiled."""
    nets = ["model.name=mlp", "loss.r1_gamma=1", "train.steps=4"]
    _, eager = train_rows(tmp_path, "eager", *nets)
    trainer, compiled = train_rows(tmp_path, "compiled", *nets, "train.compile=true")
    log = trainer.run.log_path.read_text()
    assert "compiling generator with torch.compile" in log
    G, D = trainer.task.networks["generator"], trainer.task.networks["discriminator"]
    assert G._compiled_call_impl is not None and D._compiled_call_impl is None
    assert list(G.state_dict()) == [k for k in G.state_dict() if not k.startswith("_orig_mod")]
    torch.testing.assert_close(losses(compiled), losses(eager), rtol=1e-4, atol=1e-5)

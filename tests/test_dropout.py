"""ganforge's Dropout: the same Bernoulli mask as nn.Dropout, drawn faster on CPU."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganforge.models.layers import Dropout


def test_cpu_mask_is_uniforms_below_keep_from_the_global_generator():
    x = torch.randn(4, 8, 5, 5)
    torch.manual_seed(3)
    out = Dropout(0.3).train()(x)
    torch.manual_seed(3)
    keep = torch.rand_like(x) < 0.7
    torch.testing.assert_close(out, torch.where(keep, x / 0.7, torch.zeros_like(x)))


def test_keeps_each_unit_with_probability_one_minus_p():
    torch.manual_seed(0)
    out = Dropout(0.3).train()(torch.ones(1_000_000))
    kept = (out != 0).double().mean().item()
    assert abs(kept - 0.7) < 0.003
    assert torch.allclose(out[out != 0], torch.tensor(1 / 0.7))  # E[out] = x, as nn.Dropout


def test_gradient_is_the_scaled_mask():
    x = torch.randn(64, 16, requires_grad=True)
    torch.manual_seed(1)
    out = Dropout(0.25).train()(x)
    out.sum().backward()
    torch.testing.assert_close(x.grad, (out != 0).float() / 0.75)


def test_identity_in_eval_mode_and_at_zero_rate():
    x = torch.randn(8, 3, 4, 4)
    assert torch.equal(Dropout(0.5).eval()(x), x)
    assert torch.equal(Dropout(0.0).train()(x), x)


def test_keeps_dtype_and_memory_format():
    x = torch.randn(2, 8, 4, 4).to(memory_format=torch.channels_last)
    out = Dropout(0.5).train()(x)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert Dropout(0.5).train()(x.bfloat16()).dtype == torch.bfloat16


@pytest.mark.parametrize("inplace", [False, True])
def test_matches_nn_dropout_statistics_and_state_dict(inplace):
    """A drop-in replacement: same type for isinstance checks, no state, same repr arguments."""
    layer = Dropout(0.4, inplace=inplace)
    assert isinstance(layer, nn.Dropout) and layer.state_dict() == {}
    x = torch.ones(200_000)
    torch.manual_seed(5)
    ours = layer.train()(x.clone())
    torch.manual_seed(5)
    theirs = nn.Dropout(0.4).train()(x.clone())
    assert abs((ours != 0).float().mean() - (theirs != 0).float().mean()) < 0.005
    assert ours.sum().item() == pytest.approx(theirs.sum().item(), rel=0.01)

"""ganforge's spectral norm computes what SNGAN, Mimicry and PyTorch's spectral-norm hook
compute (Miyato et al. 2018, Algorithm 1), with the parametrization's buffer names."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrizations
from torch.nn.utils import spectral_norm as hook_spectral_norm

from ganforge.models.spectral import spectral_norm


def pair(make: type[nn.Module], *shape: int) -> tuple[nn.Module, nn.Module]:
    """(PyTorch's hook, ganforge's) on copies of one layer, starting from the same u."""
    torch.manual_seed(0)
    layer = make(*shape)
    theirs = hook_spectral_norm(make(*shape))
    ours = spectral_norm(make(*shape))
    with torch.no_grad():
        theirs.weight_orig.copy_(layer.weight)
        ours.parametrizations.weight.original.copy_(layer.weight)
        theirs.bias.copy_(layer.bias)
        ours.bias.copy_(layer.bias)
        ours.parametrizations.weight[0]._u.copy_(theirs.weight_u)
    return theirs, ours


def test_same_outputs_as_pytorchs_hook_over_training_steps():
    theirs, ours = pair(nn.Conv2d, 3, 8, 3)
    opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (theirs, ours)]
    for step in range(5):
        x = torch.randn(4, 3, 6, 6, generator=torch.Generator().manual_seed(step))
        outs = [m(x) for m in (theirs, ours)]
        torch.testing.assert_close(outs[1], outs[0], rtol=1e-5, atol=1e-6)
        for out, opt in zip(outs, opts, strict=True):
            opt.zero_grad()
            out.square().mean().backward()
            opt.step()
    torch.testing.assert_close(
        ours.parametrizations.weight[0]._u, theirs.weight_u, rtol=1e-5, atol=1e-6
    )


def test_differs_from_pytorchs_parametrization_from_the_same_vectors():
    """The parametrization steps u from v and divides by |W^T u|: another estimate."""
    torch.manual_seed(0)
    ours = spectral_norm(nn.Linear(20, 10))
    param = parametrizations.spectral_norm(nn.Linear(20, 10))
    with torch.no_grad():
        param.load_state_dict(ours.state_dict())
        gap = (ours.weight - param.weight).abs().max().item()
    assert gap > 1e-4 * ours.weight.abs().max().item()


def test_eval_mode_keeps_the_vectors_and_transposed_convs_normalise_dim_1():
    layer = spectral_norm(nn.ConvTranspose2d(8, 4, 4))
    assert layer.parametrizations.weight[0].dim == 1
    for _ in range(30):
        layer.weight  # noqa: B018  (each training-mode read takes a power-iteration step)
    weight = layer.weight.detach().transpose(0, 1).flatten(1)
    assert abs(torch.linalg.matrix_norm(weight, ord=2).item() - 1) < 1e-3
    layer.eval()
    u = layer.parametrizations.weight[0]._u.clone()
    layer(torch.randn(1, 8, 3, 3))
    assert torch.equal(layer.parametrizations.weight[0]._u, u)


def test_buffer_names_and_random_draws_are_the_parametrizations():
    """Checkpoints written with PyTorch's parametrization load, and a seed builds the same
    weights after a spectrally normalised layer as before."""
    torch.manual_seed(1)
    ours = spectral_norm(nn.Conv2d(3, 8, 3))
    after_ours = torch.rand(3)
    torch.manual_seed(1)
    param = parametrizations.spectral_norm(nn.Conv2d(3, 8, 3))
    after_param = torch.rand(3)
    assert ours.state_dict().keys() == param.state_dict().keys()
    assert torch.equal(after_ours, after_param)
    ours.load_state_dict(param.state_dict())

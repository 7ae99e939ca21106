"""Speed-ups of the resnet family that keep its values: the generator's shortcut convolves
before upsampling (Mimicry's order, to float rounding), and its ReLUs run in place
(bit-identical)."""

from __future__ import annotations

import pytest
import torch

from ganforge.models.resnet import GBlock


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_gblock_computes_mimicrys_shortcut(mode):
    torch.manual_seed(0)
    block = GBlock(16, 0, mode)
    with torch.no_grad():
        block.c_sc.bias.normal_()  # a bias too: upsampling keeps constants
    x = torch.randn(4, 16, 5, 5)
    h = block.c1(block._up(torch.relu(block.b1(x))))
    h = block.c2(torch.relu(block.b2(h)))
    mimicry = h + block.c_sc(block._up(x))  # resblocks.py GBlock: c_sc(upsample(x))
    out = block(x)
    assert out.shape == (4, 16, 10, 10)
    torch.testing.assert_close(out, mimicry, rtol=1e-5, atol=1e-5)


def _forward_backward(config_args: list[str]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    from ganforge.config import load_config
    from ganforge.models import build_networks

    config = load_config("cifar10-sngan", ["model.width=4", *config_args])
    torch.manual_seed(0)
    nets = build_networks(config, (3, 16, 16))
    G, D = nets["generator"], nets["discriminator"]
    x = torch.rand(4, 3, 16, 16, requires_grad=True)  # as a gradient penalty's input
    score = D(G(torch.randn(4, 128))).sum() + D(x).sum()
    params = [*G.parameters(), *D.parameters()]
    grads = torch.autograd.grad(score, [*params, x])
    return score.detach(), list(grads)


def test_in_place_relus_change_no_value_and_no_gradient(monkeypatch):
    """The resnet family's in-place ReLUs give bit-identical scores and gradients."""
    in_place = _forward_backward([])
    relu = torch.nn.functional.relu
    monkeypatch.setattr(torch.nn.functional, "relu", lambda t, inplace=False: relu(t))
    out_of_place = _forward_backward([])
    assert torch.equal(in_place[0], out_of_place[0])
    for a, b in zip(in_place[1], out_of_place[1], strict=True):
        assert torch.equal(a, b)


def test_bilinear_doubling_by_matrices_is_pytorchs_interpolation():
    from ganforge.models.resnet import upsample2x_bilinear

    x = torch.randn(2, 3, 5, 7, requires_grad=True)
    ours = upsample2x_bilinear(x)
    theirs = torch.nn.functional.interpolate(
        x, scale_factor=2, mode="bilinear", align_corners=False
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    weights = torch.randn_like(ours)
    grads = [torch.autograd.grad((y * weights).sum(), x)[0] for y in (ours, theirs)]
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-5)


def test_channels_last_resnets_compute_the_same_scores_and_gradients():
    """train.channels_last on the resnet family (cifar10-sngan): the same values to float
    rounding as contiguous networks."""
    from ganforge.config import load_config
    from ganforge.models import build_networks

    config = load_config("cifar10-sngan", ["model.width=4"])
    results = []
    for channels_last in (False, True):
        torch.manual_seed(0)
        nets = build_networks(config, (3, 16, 16))
        G, D = nets["generator"], nets["discriminator"]
        if channels_last:
            G, D = (n.to(memory_format=torch.channels_last) for n in (G, D))
        torch.manual_seed(1)
        score = D(G(torch.randn(4, 128))).sum()
        grads = torch.autograd.grad(score, [*G.parameters(), *D.parameters()])
        results.append((score.detach(), grads))
    (score_a, grads_a), (score_b, grads_b) = results
    torch.testing.assert_close(score_b, score_a, rtol=1e-5, atol=1e-5)
    for a, b in zip(grads_a, grads_b, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)


def test_upsampling_keeps_channels_last_maps_channels_last():
    """A channels-last map is doubled by PyTorch's kernel (native there, and the convolution
    after it expects that layout); a contiguous one by the matrix products (contiguous)."""
    block = GBlock(8, 0, "bilinear")
    x = torch.randn(2, 8, 5, 5)
    expected = torch.nn.functional.interpolate(
        x, scale_factor=2, mode="bilinear", align_corners=False
    )
    for fmt in (torch.channels_last, torch.contiguous_format):
        out = block._up(x.contiguous(memory_format=fmt))
        assert out.is_contiguous(memory_format=fmt)
        torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)

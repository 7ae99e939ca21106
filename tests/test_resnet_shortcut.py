"""The resnet generator's shortcut convolves before upsampling: the same values as Mimicry's
order (upsample, then the 1x1 conv) on a quarter of the pixels."""

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

"""Two-sided golden values for every loss, computed by hand from the papers' formulas."""

import math

import pytest
import torch
from torch.testing import assert_close

from ganforge.losses import LOSSES

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -3.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_bce_discriminator_golden():
    # -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
    expected = (softplus(-2.0) + softplus(1.0)) / 2 + (softplus(0.5) + softplus(-3.0)) / 2
    for name in ("minimax", "nonsaturating"):
        assert_close(LOSSES.get(name).discriminator(REAL, FAKE), torch.tensor(expected))


def test_generator_losses_golden():
    assert_close(
        LOSSES.get("minimax").generator(FAKE), torch.tensor(-(softplus(0.5) + softplus(-3.0)) / 2)
    )
    assert_close(
        LOSSES.get("nonsaturating").generator(FAKE),
        torch.tensor((softplus(-0.5) + softplus(3.0)) / 2),
    )
    assert_close(
        LOSSES.get("lsgan").generator(FAKE),
        torch.tensor(0.5 * ((0.5 - 1) ** 2 + (-3 - 1) ** 2) / 2),
    )
    for name in ("wasserstein", "hinge"):
        assert_close(LOSSES.get(name).generator(FAKE), torch.tensor(1.25))


def test_lsgan_wasserstein_hinge_discriminators_golden():
    assert_close(
        LOSSES.get("lsgan").discriminator(REAL, FAKE),
        torch.tensor(0.5 * ((1.0**2 + 2.0**2) / 2) + 0.5 * ((0.25 + 9.0) / 2)),
    )
    assert_close(LOSSES.get("wasserstein").discriminator(REAL, FAKE), torch.tensor(-1.25 - 0.5))
    # relu(1 - r) = [0, 2]; relu(1 + f) = [1.5, 0]
    assert_close(LOSSES.get("hinge").discriminator(REAL, FAKE), torch.tensor(1.0 + 0.75))


def test_targets_smooth_the_real_side_only():
    loss = LOSSES.get("nonsaturating").discriminator
    smoothed = loss(REAL, FAKE, 0.9, 0.0)
    expected = (
        sum(0.9 * softplus(-r) + 0.1 * softplus(r) for r in (2.0, -1.0)) / 2
        + (softplus(0.5) + softplus(-3.0)) / 2
    )
    assert_close(smoothed, torch.tensor(expected))
    per_example = loss(REAL, FAKE, torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))
    assert_close(
        per_example,
        torch.tensor((softplus(-2.0) + softplus(-1.0)) / 2 + (softplus(0.5) + softplus(3.0)) / 2),
    )


def test_bce_is_stable_for_huge_logits():
    huge = torch.tensor([80.0, -80.0])
    for name in ("minimax", "nonsaturating"):
        spec = LOSSES.get(name)
        assert torch.isfinite(spec.discriminator(huge, -huge))
        assert torch.isfinite(spec.generator(-huge))


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_pushes_d_and_g_the_right_way(name):
    spec = LOSSES.get(name)
    real = torch.full((4,), 0.5, requires_grad=True)
    fake = torch.full((4,), 0.5, requires_grad=True)
    spec.discriminator(real, fake).backward()
    assert (real.grad < 0).all() and (fake.grad > 0).all()  # raise D(x), lower D(G(z))
    fake_g = torch.full((4,), 0.5, requires_grad=True)
    spec.generator(fake_g).backward()
    assert (fake_g.grad < 0).all()  # G wants D(G(z)) higher

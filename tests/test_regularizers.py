import torch
from torch import nn
from torch.testing import assert_close

from ganforge.regularizers import clip_weights, gradient_penalty, r1_penalty


class LinearCritic(nn.Module):
    """D(x) = w . x, whose input gradient is w everywhere."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x, y=None):
        return x.flatten(1) @ self.w


def test_gradient_penalty_matches_closed_form():
    critic = LinearCritic([3.0, 4.0])  # ||w|| = 5
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    gen = torch.Generator().manual_seed(0)
    assert_close(
        gradient_penalty(critic, real, fake, 10.0, generator=gen),
        torch.tensor(10.0 * (5.0 - 1.0) ** 2),
    )


def test_r1_matches_closed_form_and_reaches_the_weights():
    critic = LinearCritic([3.0, 4.0])
    penalty = r1_penalty(critic, torch.randn(5, 2), gamma=2.0)
    assert_close(penalty, torch.tensor(0.5 * 2.0 * 25.0))
    penalty.backward()
    assert_close(critic.w.grad, torch.tensor([6.0, 8.0]))  # d/dw (|w|^2) = 2w


def test_gradient_penalty_is_zero_for_a_unit_gradient():
    critic = LinearCritic([0.6, 0.8])
    value = gradient_penalty(critic, torch.randn(4, 2), torch.randn(4, 2), 10.0)
    assert value.item() < 1e-10


def test_clip_weights_clamps_every_parameter():
    net = nn.Linear(3, 3)
    with torch.no_grad():
        net.weight.mul_(100)
    clip_weights(net, 0.01)
    assert max(p.abs().max().item() for p in net.parameters()) <= 0.01

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from ganforge.errors import ConfigError
from ganforge.models import FAMILIES, build_task
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


class SquareCritic(nn.Module):
    """D(x) = sum x^2, whose input gradient 2x differs between real and fake batches."""

    def forward(self, x, y=None):
        return x.flatten(1).pow(2).sum(1)


def objective(*overrides):
    from conftest import tiny_config
    from ganforge.models.adversarial import Objective

    return Objective.from_config(tiny_config("loss.name=wasserstein", *overrides))


def test_r2_is_the_r1_penalty_on_generated_samples():
    real, fake = torch.ones(4, 2), torch.full((4, 2), 3.0)
    penalty = objective("loss.r2_gamma=2.0").penalty(SquareCritic(), real, fake, None, None)
    assert_close(penalty, r1_penalty(SquareCritic(), fake, 2.0))  # 0.5 * 2 * |6, 6|^2 = 72
    assert_close(penalty, torch.tensor(72.0))


def test_the_objective_sums_every_active_penalty_from_the_registry():
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    both = objective("loss.gp_weight=10", "loss.r1_gamma=3", "loss.r2_gamma=0.5")
    assert [name for name, _, _ in both.penalties] == ["gp", "r1", "r2"]
    value = both.penalty(SquareCritic(), real, fake, None, torch.Generator().manual_seed(1))
    gp = gradient_penalty(SquareCritic(), real, fake, 10.0, None, torch.Generator().manual_seed(1))
    r1 = r1_penalty(SquareCritic(), real, 3.0)
    r2 = r1_penalty(SquareCritic(), fake, 0.5)
    assert_close(value, gp + r1 + r2)
    lazy = both.penalty(SquareCritic(), real, fake, None, torch.Generator().manual_seed(1), 4.0)
    assert_close(lazy, 4.0 * (gp + r1 + r2))  # lazy regularisation scales every weight


def test_no_penalty_and_clipping_as_a_weight_rule():
    plain = objective("loss.clip_value=0.01")
    assert plain.penalties == () and plain.penalty(SquareCritic(), None, None, None, None) is None
    net = nn.Linear(3, 3)
    nn.init.constant_(net.weight, 5.0)
    plain.after_step(net)()
    assert net.weight.max().item() == pytest.approx(0.01)


def test_r2_trains_and_logs_its_penalty_lazily(tmp_path):
    from conftest import tiny_trainer

    trainer = tiny_trainer(tmp_path, "loss.r2_gamma=1.0", "loss.reg_every=2")
    assert [p.name for p in trainer.task.phases] == ["D", "D_reg", "G"]
    assert trainer.task.twice_differentiated == ("discriminator",)
    trainer.train(progress=False)
    rows = [r for r in trainer.run.read_metrics() if "d_penalty" in r]
    assert rows and all(r["d_penalty"] > 0 for r in rows)


@pytest.mark.parametrize("family", FAMILIES.names())
def test_every_family_applies_a_penalty_or_refuses_it(family):
    """loss.r1_gamma is never silently ignored: D is penalised, or the build step says no."""
    from conftest import resolved

    two = ["data_b.derive=invert"] if FAMILIES.get(family).domains == 2 else []
    try:
        config = resolved(f"model.name={family}", "loss.r1_gamma=1.0", *two)
    except ConfigError as err:
        assert f"the {family} family takes no discriminator regulariser" in str(err)
        assert "loss.r1_gamma" in str(err)
        return
    assert "discriminator" in build_task(config, (1, 32, 32)).twice_differentiated


@pytest.mark.parametrize(
    ("options", "reads_fake"),
    [
        (["loss.r1_gamma=1"], False),  # R1 reads real images only
        (["loss.r2_gamma=1"], True),
        (["loss.name=wasserstein", "loss.gp_weight=10"], True),
        (["loss.r1_gamma=1", "loss.r2_gamma=1"], True),
    ],
)
def test_a_lazy_penalty_phase_generates_fakes_only_for_a_penalty_that_reads_them(
    options, reads_fake
):
    from conftest import resolved
    from ganforge.models.adversarial import Objective

    config = resolved(*options, "loss.reg_every=4")
    assert Objective.from_config(config).penalties_read_fake is reads_fake

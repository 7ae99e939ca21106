import copy
import math

import pytest
import torch

from conftest import tiny_config, tiny_trainer
from ganforge.losses import LOSSES
from ganforge.models import FAMILIES


def loss_overrides(loss):
    extra = [f"loss.name={loss}"]
    if loss == "wasserstein":
        extra += [
            "loss.clip_value=0.01",
            "optim.d.name=rmsprop",
            "optim.g.name=rmsprop",
            "optim.d.lr=5e-5",
            "optim.g.lr=5e-5",
        ]
    return extra


@pytest.mark.parametrize(  # two-domain families: tests/test_two_domain.py
    "family", [f for f in FAMILIES.names() if FAMILIES.get(f).domains == 1]
)
@pytest.mark.parametrize("loss", LOSSES.names())
def test_few_steps_of_every_family_and_loss(tmp_path, family, loss):
    overrides = [f"model.name={family}", *loss_overrides(loss)]
    trainer = tiny_trainer(tmp_path, *overrides)
    before = copy.deepcopy(trainer.task.networks["generator"].state_dict())
    d_before = copy.deepcopy(trainer.task.networks["discriminator"].state_dict())
    trainer.train(progress=False)
    rows = trainer.run.read_metrics()
    assert [r["step"] for r in rows] == [2, 4]
    for row in rows:
        for key in ("d_loss", "g_loss", "d_real", "d_fake", "sec_per_step"):
            assert isinstance(row[key], float) and math.isfinite(row[key]), key
    moved = [
        not torch.equal(before[k], v)
        for k, v in trainer.task.networks["generator"].state_dict().items()
        if v.is_floating_point()
    ]
    assert all(moved), "every generator tensor should change"
    assert any(
        not torch.equal(d_before[k], v)
        for k, v in trainer.task.networks["discriminator"].state_dict().items()
    )
    # same seed, same numbers
    again = tiny_trainer(tmp_path, *overrides, name="again")
    again.train(progress=False)
    assert again.run.read_metrics()[-1]["d_loss"] == rows[-1]["d_loss"]
    for k, v in trainer.task.networks["generator"].state_dict().items():
        assert torch.equal(v, again.task.networks["generator"].state_dict()[k]), k


def test_a_different_seed_gives_different_numbers(tmp_path):
    a = tiny_trainer(tmp_path, "seed=1", name="a")
    b = tiny_trainer(tmp_path, "seed=2", name="b")
    a.train(progress=False)
    b.train(progress=False)
    assert a.run.read_metrics()[-1]["g_loss"] != b.run.read_metrics()[-1]["g_loss"]


def test_accuracy_is_reported_for_classifying_losses_only(tmp_path):
    bce = tiny_trainer(tmp_path, name="bce")
    bce.train(progress=False)
    row = bce.run.read_metrics()[-1]
    assert 0 <= row["d_acc_real"] <= 1 and 0 <= row["d_acc_fake"] <= 1
    assert 0 < row["d_real"] < 1  # a probability for cross-entropy losses
    critic = tiny_trainer(tmp_path, *loss_overrides("wasserstein"), name="critic")
    critic.train(progress=False)
    assert "d_acc_real" not in critic.run.read_metrics()[-1]


def test_n_critic_and_weight_clipping(tmp_path):
    trainer = tiny_trainer(tmp_path, *loss_overrides("wasserstein"), "train.n_critic=5")
    trainer.train(progress=False)
    d_state = trainer.optimizers["d"].state_dict()["state"]
    g_state = trainer.optimizers["g"].state_dict()["state"]
    assert d_state[0]["step"].item() == 5 * g_state[0]["step"].item() == 20
    biggest = max(p.abs().max().item() for p in trainer.task.networks["discriminator"].parameters())
    assert biggest <= 0.01 + 1e-9


@pytest.mark.parametrize("penalty", ["loss.gp_weight=10", "loss.r1_gamma=1"])
def test_gradient_penalties_are_applied_and_logged(tmp_path, penalty):
    loss = "wasserstein" if "gp" in penalty else "nonsaturating"
    trainer = tiny_trainer(tmp_path, f"loss.name={loss}", penalty)
    trainer.train(progress=False)
    assert trainer.run.read_metrics()[-1]["d_penalty"] > 0


def test_generator_ema_averages_weights(tmp_path):
    trainer = tiny_trainer(tmp_path, "train.ema_decay=0.9")
    live = trainer.task.networks["generator"]
    trainer.train(progress=False)
    ema = trainer.ema.module
    differs = [
        not torch.equal(a, b) for a, b in zip(ema.parameters(), live.parameters(), strict=True)
    ]
    assert any(differs)
    for a, b in zip(ema.buffers(), live.buffers(), strict=True):
        assert torch.equal(a, b)  # batch-norm statistics are copied, not averaged


def test_generator_ema_is_the_exponential_average_after_its_start():
    from ganforge.training.ema import GeneratorEMA

    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ema = GeneratorEMA(net, decay=0.75, start=2)
    expected = [p.detach().clone() for p in net.parameters()]
    for step in range(5):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(float(step + 1))
            net[1].running_mean.fill_(float(step))
        ema.update(net, step)
        decay = 0.75 if step >= 2 else 0.0  # before `start` the copy follows the live net
        pairs = zip(expected, net.parameters(), strict=True)
        expected = [decay * e + (1 - decay) * p for e, p in pairs]
        for got, want in zip(ema.module.parameters(), expected, strict=True):
            torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
        assert torch.equal(ema.module[1].running_mean, net[1].running_mean)


@pytest.mark.parametrize(
    "option",
    [
        "loss.label_smoothing=0.1",
        "loss.label_noise=0.1",
        "train.mixed_batches=true",
        "model.latent_dist=uniform",
        "optim.g.name=sgd",
        "optim.d.name=rmsprop",
        "model.d.last_activation=sigmoid",
    ],
)
def test_training_options_run_and_stay_finite(tmp_path, option):
    extra = ["loss.name=lsgan"] if "last_activation" in option else []
    trainer = tiny_trainer(tmp_path, option, *extra)
    trainer.train(progress=False)
    row = trainer.run.read_metrics()[-1]
    assert torch.isfinite(torch.tensor([row["d_loss"], row["g_loss"]])).all()


def test_label_smoothing_changes_the_discriminator_loss(tmp_path):
    plain = tiny_trainer(tmp_path, name="plain")
    smooth = tiny_trainer(tmp_path, "loss.label_smoothing=0.2", name="smooth")
    plain.train(progress=False)
    smooth.train(progress=False)
    assert plain.run.read_metrics()[0]["d_loss"] != smooth.run.read_metrics()[0]["d_loss"]


def test_toy_data_trains_a_dense_gan_and_plots_points(tmp_path):
    trainer = tiny_trainer(
        tmp_path,
        "data.name=toy_ring",
        "model.name=mlp",
        "model.g.last_activation=none",
        "data.limit=256",
    )
    trainer.train(progress=False)
    assert trainer.data_shape == (2,)
    assert (trainer.run.samples_dir / "step_0000004.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "decay, last", [("linear", 0.25), ("cosine", 0.5 * (1 + math.cos(math.pi * 0.75)))]
)
def test_learning_rate_decay_is_a_function_of_the_step(tmp_path, decay, last):
    trainer = tiny_trainer(tmp_path, f"train.lr_decay={decay}", "optim.g.lr=0.001")
    trainer.train(progress=False)
    # the 4th and last update (step index 3 of 4) used base * factor(3/4)
    assert trainer.optimizers["g"].param_groups[0]["lr"] == pytest.approx(0.001 * last)


class Recorder:
    """An observer (training/sinks.py) that keeps what it is shown, and can stop the run."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.rows, self.images, self.closed, self.stop_at = [], [], False, stop_at

    def row(self, row, step):
        self.rows.append((step, dict(row)))
        if self.stop_at is not None and step >= self.stop_at:
            raise KeyboardInterrupt  # stands for a tuner's pruning exception

    def image(self, tag, grid, step):
        self.images.append((tag, step))

    def close(self):
        self.closed = True


def test_observers_see_every_row_and_grid_the_run_writes(tmp_path):
    from ganforge.runs import RunDir
    from ganforge.training import train

    seen = Recorder()
    config = tiny_config("train.log_every=1", "train.sample_every=2")
    run = train(config, tmp_path / "run", device="cpu", progress=False, observers=[seen])
    written = RunDir(run.path).read_metrics()
    assert [r for _, r in seen.rows] == written and len(written) == config.train.steps
    assert [s for s, _ in seen.rows] == [r["step"] for r in written]
    assert ("samples", 2) in seen.images and seen.closed


def test_an_observer_that_raises_stops_the_run(tmp_path):
    from ganforge.training import train

    seen = Recorder(stop_at=2)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config("train.log_every=1"), tmp_path / "run", "cpu", False, observers=[seen])
    assert [s for s, _ in seen.rows] == [1, 2] and seen.closed

"""Each failure alarm on a run made to fail on purpose, and silence on a healthy one."""

from dataclasses import dataclass

import pytest
import torch
from torch import nn

from conftest import tiny_config, trained
from ganforge.metrics.diagnostics import class_collapse
from ganforge.metrics.run_eval import evaluate_source
from ganforge.models import FAMILIES, Family, adversarial, dcgan, generator_and_discriminator
from ganforge.runs import RunDir

FAST = ["train.log_every=2", "train.checkpoint_every=0", "data.limit=500", "train.batch_size=32"]
TOY = [
    "data.name=toy_ring",
    "model.name=mlp",
    "model.g.last_activation=none",
    "model.g.hidden=[32,32]",
    "model.d.hidden=[32,32]",
    "train.steps=120",
    "train.log_every=2",
    "train.sample_every=100",
    "train.checkpoint_every=0",
    "data.limit=2000",
    "train.batch_size=64",
]


def alarms_of(tmp_path, *overrides):
    """The (step, alarm) pairs and the log of a tiny run trained with `overrides`."""
    run = trained(tiny_config(*overrides), tmp_path / "run").run
    alarms = [(row["step"], name) for row in run.read_metrics() for name in row.get("alarms", [])]
    return alarms, run.log_path.read_text()


def test_discriminator_wins_when_the_generator_cannot_learn(tmp_path):
    alarms, log = alarms_of(
        tmp_path,
        *FAST,
        "train.steps=100",
        "train.sample_every=100",
        "optim.g.lr=1e-8",
        "optim.d.lr=2e-3",
    )
    assert "discriminator_wins" in [name for _, name in alarms]
    assert "ALARM discriminator_wins" in log and "vanish" in log


def test_oscillation_with_far_too_much_momentum(tmp_path):
    alarms, log = alarms_of(
        tmp_path,
        *TOY,
        "optim.g.lr=0.01",
        "optim.d.lr=0.01",
        "optim.g.beta1=0.9",
        "optim.d.beta1=0.9",
    )
    assert "oscillation" in [name for _, name in alarms]
    assert "ALARM oscillation" in log


def test_healthy_toy_run_raises_no_alarm(tmp_path):
    alarms, log = alarms_of(tmp_path, *TOY, "optim.g.lr=0.001", "optim.d.lr=0.001")
    assert alarms == [] and "ALARM" not in log


class IgnoresZ(nn.Module):
    """A generator that has collapsed completely: one learned image whatever z is."""

    def __init__(self, *, latent_dim, data_shape, num_classes, width, options):
        super().__init__()
        self.image = nn.Parameter(torch.zeros(1, *data_shape))

    def forward(self, z, y=None):
        return torch.tanh(self.image).expand(z.shape[0], -1, -1, -1)


@dataclass(frozen=True)
class NoOptions:
    pass


@pytest.fixture
def ignores_z_family():
    """A family is one registration: the collapsed generator with dcgan's discriminator."""
    FAMILIES.add(
        "ignores_z",
        Family(
            NoOptions,
            dcgan.DiscriminatorOptions,
            generator_and_discriminator(IgnoresZ, dcgan.Discriminator),
            adversarial.adversarial_task,
            check=adversarial.check,
        ),
    )
    yield
    FAMILIES.discard("ignores_z")


def test_mode_collapse_of_a_generator_that_ignores_z(tmp_path, ignores_z_family):
    alarms, log = alarms_of(
        tmp_path,
        *FAST,
        "train.steps=60",
        "train.sample_every=10",
        "train.grid_size=16",
        "model.name=ignores_z",
        "model.d.hidden=[8,8]",
        "optim.g.lr=1e-3",
    )
    # a new generator is allowed a window (20 rows = 40 steps) to become diverse
    assert (40, "mode_collapse") in alarms
    assert "ALARM mode_collapse at step 40" in log and "0% as diverse" in log
    assert [name for _, name in alarms].count("mode_collapse") == 1  # reported once


def test_diversity_is_logged_relative_to_real_data(tmp_path):
    config = tiny_config(*FAST, "train.steps=10", "train.sample_every=10")
    row = trained(config, tmp_path / "r").run.read_metrics()[-1]
    assert row["step"] == 10 and 0 < row["diversity"] < 3


def test_class_collapse_reads_the_class_histogram_metric():
    assert class_collapse({"classes5k": 0.02, "classes5k_covered": 10.0}) is None
    assert class_collapse({"fid5k": 40.0, "fid_domain5k": 300.0}) is None  # no classes metric
    message = class_collapse({"classes5k": 2.30, "classes5k_covered": 1.0})
    assert message is not None and "2.30 nats" in message and "1 classes appear" in message
    assert class_collapse({"classes10k": 0.70}) is not None  # just past half the classes dropped


def test_class_collapse_of_one_image_in_training_and_in_eval(tmp_path, ignores_z_family):
    """Pixel diversity is blind to a generator drawing one class; the classes metric is not."""
    alarms, log = alarms_of(
        tmp_path,
        *FAST,
        "train.steps=4",
        "train.sample_every=0",
        "model.name=ignores_z",
        "model.d.hidden=[8,8]",
        "eval.every=2",
        "eval.metrics=[classes1k]",
        "eval.num_samples=200",
    )
    assert (2, "class_collapse") in alarms and "ALARM class_collapse at step 2" in log
    assert [name for _, name in alarms].count("class_collapse") == 1  # reported once

    said: list[str] = []
    row = evaluate_source(tmp_path / "run", ["classes1k"], num_samples=200, say=said.append)
    assert row["alarms"] == ["class_collapse"] and row["classes1k"] > 2.0
    assert len(said) == 1 and said[0].startswith("ALARM class_collapse at step 4")
    assert RunDir(tmp_path / "run").read_metrics()[-1]["alarms"] == ["class_collapse"]

"""The architecture's promises: imports go one way, families own their options and phases,
conditioning is in the network contract, and every training option has its effect."""

from __future__ import annotations

import copy
import dataclasses
import math
import subprocess
import sys

import pytest
import torch

from conftest import REPO, make_trainer, resolved, tiny_config, tiny_trainer
from ganforge.cli import main
from ganforge.errors import ConfigError
from ganforge.models import FAMILIES, build_networks, build_task
from ganforge.sampling import load_generator
from ganforge.training.steps import run_phase


def test_imports_go_one_way():
    """The import-linter contract in pyproject.toml: config <- data, models <- ... <- cli."""
    lint = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
            " sys.exit(lint_imports_command())"]  # fmt: skip
    done = subprocess.run(lint, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            ["model.name=mlp", "model.g.strides=[2]"],
            r"mlp family has no option 'model.g.strides'"
            r" \(it is an option of dcgan\)",
        ),
        (["model.g.hiden=[8]"], r"no option 'model.g.hiden' \(did you mean 'hidden'\?\)"),
        (["model.d.upsample=nearest"], r"'model.d.upsample' \(it is a model.g option\)"),
        (["model.g.upsample=bilinear"], r"'model.g.upsample' must be one of transposed, nearest"),
        (["model.g.dropout=1.5"], r"'model.g.dropout' must be in \[0, 1\)"),
        (["model.conditional=film"], "supports model.conditional = none | concat | projection"),
        (["model.conditional=concat", "data.name=celeba"], "celeba dataset has none"),
        (["eval.metrics=[modes2.5k]", "eval.every=10"], "modes2.5k metric needs"),
        (["data.path=mnist_test.npz"], "does not read it; set data.name=npz"),
        (["data.name=toy_ring", "model.name=mlp", "data.resolution=28"], "apply to images"),
        (["loss.reg_every=4"], "none is set"),
        (["optim.g.lr=.nan"], "'optim.g.lr' must be a finite number"),
    ],
)
def test_each_owner_refuses_what_it_does_not_know(overrides, message):
    with pytest.raises(ConfigError, match=message):
        resolved(*overrides)


def test_dry_run_and_summary_run_the_build_step(capsys):
    assert main(["train", "model.name=mlp", "model.g.kernel_size=3", "--dry-run"]) == 2
    assert "mlp family has no option 'model.g.kernel_size'" in capsys.readouterr().err
    assert main(["summary", "default", "eval.metrics=[modes2.5k]"]) == 2
    assert "modes2.5k metric needs" in capsys.readouterr().err


def test_switching_family_drops_the_preset_family_options():
    config = resolved("model.name=mlp")  # the default preset's dcgan options do not apply
    assert "kernel_size" not in config.model.g and config.model.g.hidden is None
    mlp = FAMILIES.get("mlp")
    for net, options in (("g", mlp.generator_options), ("d", mlp.discriminator_options)):
        fields = {f.name for f in dataclasses.fields(options)}
        assert set(getattr(config.model, net)) == fields, net  # complete, the family's own
    assert resolved().model.g.kernel_size == 4


def test_families_cli_lists_a_familys_options(capsys):
    assert main(["families", "dcgan"]) == 0
    out = capsys.readouterr().out
    assert "model.g.upsample = 'transposed'" in out and "model.d.norm_first_block" in out
    assert "commands: train, sample, eval, export, interpolate\n" in out


def test_families_cli_says_what_a_translator_and_a_style_generator_can_do(capsys):
    assert main(["families", "dtn"]) == 0
    assert "commands: train, sample, eval, export, translate (a2b)\n" in capsys.readouterr().out
    assert main(["families", "stylegan"]) == 0
    assert "interpolate, mix\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    "family", [f for f in FAMILIES.names() if "concat" in FAMILIES.get(f).conditionings]
)
def test_labels_change_the_output_of_conditional_networks(family):
    shape = (1, 8, 8)
    config = tiny_config(f"model.name={family}", "model.conditional=concat")
    torch.manual_seed(0)
    nets = build_networks(config, shape, num_classes=10)
    G, D = nets["generator"].eval(), nets["discriminator"].eval()
    z = torch.randn(4, config.model.latent_dim)
    y0, y1 = torch.zeros(4, dtype=torch.long), torch.full((4,), 7)
    assert not torch.allclose(G(z, y0), G(z, y1))
    x = torch.rand(4, *shape) * 2 - 1
    assert not torch.allclose(D(x, y0), D(x, y1))
    with pytest.raises(ValueError, match="needs class labels"):
        G(z)


def test_conditional_training_samples_fixed_labels(tmp_path):
    trainer = tiny_trainer(tmp_path, "model.conditional=concat")
    assert trainer.num_classes == 10
    assert trainer.fixed_y.tolist() == [0, 1, 2, 3]  # grid_size 4: one per class in turn
    trainer.train(progress=False)
    loaded = load_generator(trainer.run.path)
    assert loaded.num_classes == 10
    a = loaded.generator(torch.zeros(2, 8), torch.tensor([1, 1]))
    b = loaded.generator(torch.zeros(2, 8), torch.tensor([5, 5]))
    assert not torch.allclose(a, b)


def test_unconditional_networks_get_no_labels(tmp_path):
    trainer = tiny_trainer(tmp_path)
    assert trainer.num_classes == 0 and trainer.fixed_y is None
    assert trainer.sources.real()[1] is None and trainer.sources.fake_labels(3) is None


def test_lazy_regularisation_is_a_phase_every_k_steps(tmp_path):
    trainer = tiny_trainer(tmp_path, "loss.r1_gamma=1", "loss.reg_every=4", "train.steps=8")
    assert [(p.name, p.interval) for p in trainer.task.phases] == [
        ("D", 1),
        ("D_reg", 4),
        ("G", 1),
    ]
    trainer.train(progress=False)
    d_steps = trainer.optimizers["d"].state_dict()["state"][0]["step"].item()
    assert d_steps == 8 + 2  # D every step, D_reg at steps 0 and 4
    rows = trainer.run.read_metrics()
    assert "d_reg_grad_norm" in rows[0] and rows[0]["d_penalty"] > 0


def test_lazy_penalty_is_scaled_by_its_interval():
    config = tiny_config("loss.r1_gamma=1", "loss.reg_every=4")
    torch.manual_seed(0)
    task = build_task(config, (1, 8, 8))
    real = torch.rand(8, 1, 8, 8) * 2 - 1

    class Fixed:
        noise = torch.Generator().manual_seed(0)

        def real(self):
            return real, None

        def latent(self, n):
            return torch.zeros(n, config.model.latent_dim)

        def fake_labels(self, n):
            return None

    from ganforge.regularizers import r1_penalty

    d_reg = next(p for p in task.phases if p.name == "D_reg")
    loss, logs = d_reg.loss(Fixed())
    plain = r1_penalty(task.networks["discriminator"], real, 1.0)
    torch.testing.assert_close(loss, 4 * plain)
    torch.testing.assert_close(logs["d_penalty"], plain.detach())


@pytest.mark.parametrize(
    "name, cls, extra",
    [
        ("adam", torch.optim.Adam, {"betas": (0.5, 0.999)}),
        ("rmsprop", torch.optim.RMSprop, {"momentum": 0.0}),
        ("sgd", torch.optim.SGD, {"momentum": 0.0}),
    ],
)
def test_optimizer_names_build_their_optimizer(tmp_path, name, cls, extra):
    trainer = tiny_trainer(tmp_path, f"optim.d.name={name}", "optim.d.lr=0.003")
    opt = trainer.optimizers["d"]
    assert type(opt) is cls and opt.param_groups[0]["lr"] == 0.003
    for key, value in extra.items():
        assert opt.param_groups[0][key] == value
    assert type(trainer.optimizers["g"]) is torch.optim.Adam


@pytest.mark.parametrize("mixed, passes", [("true", 1), ("false", 2)])
def test_mixed_batches_make_one_discriminator_pass(tmp_path, mixed, passes):
    trainer = tiny_trainer(tmp_path, f"train.mixed_batches={mixed}")
    D = trainer.task.networks["discriminator"]
    seen = []
    D.register_forward_hook(lambda m, inp, out: seen.append(inp[0].shape[0]))
    d_phase = trainer.task.phases[0]
    d_phase.loss(trainer.sources)
    assert len(seen) == passes and sum(seen) == 2 * 8


@pytest.mark.parametrize("dist", ["uniform", "gaussian"])
def test_latent_distribution(tmp_path, dist):
    trainer = tiny_trainer(tmp_path, f"model.latent_dist={dist}")
    z = trainer.sources.latent(4000)
    if dist == "uniform":
        assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.99 and z.max() > 0.99
        assert abs(z.std().item() - (1 / 3) ** 0.5) < 0.01
    else:
        assert z.abs().max() > 3 and abs(z.std().item() - 1) < 0.01


def test_n_critic_runs_the_d_phase_n_times(tmp_path):
    trainer = tiny_trainer(tmp_path, "train.n_critic=3", "train.steps=2")
    trainer.train(progress=False)
    steps = {k: o.state_dict()["state"][0]["step"].item() for k, o in trainer.optimizers.items()}
    assert steps == {"d": 6, "g": 2}


def test_the_generator_phase_leaves_the_discriminator_untouched(tmp_path):
    trainer = tiny_trainer(tmp_path)
    D = trainer.task.networks["discriminator"]
    before = [p.detach().clone() for p in D.parameters()]
    run_phase(trainer.parts, trainer.task.phases[-1])  # G
    assert all(torch.equal(a, b) for a, b in zip(before, D.parameters(), strict=True))
    assert all(p.grad is None for p in D.parameters())


def test_tiny_fixture_is_not_degenerate(tmp_path):
    """The shared tiny config really trains a small DCGAN with both networks learning."""
    config = tiny_config()
    trainer = make_trainer(config, tmp_path / "run")
    nets = trainer.task.networks
    sizes = {name: sum(p.numel() for p in net.parameters()) for name, net in nets.items()}
    assert 0 < sizes["generator"] < 10_000 and 0 < sizes["discriminator"] < 10_000
    assert any(isinstance(m, torch.nn.ConvTranspose2d) for m in nets["generator"].modules())
    before = {name: copy.deepcopy(list(net.parameters())) for name, net in nets.items()}
    trainer.train(progress=False)
    rows = trainer.run.read_metrics()
    assert [r["step"] for r in rows] == [2, 4]
    assert all(math.isfinite(r[k]) for r in rows for k in ("d_loss", "g_loss"))
    for name, net in nets.items():
        moved = [not torch.equal(a, b) for a, b in zip(before[name], net.parameters(), strict=True)]
        assert any(moved), f"the {name} did not learn"  # weights, not batch-norm statistics
    G = nets["generator"].eval()
    z = torch.randn(2, config.model.latent_dim)
    assert not torch.allclose(*G(z))  # two latents, two images

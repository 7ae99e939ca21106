"""The stylegan family's maths, phases and the latent tools, on tiny networks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import SHARED_DATA, make_trainer, resolved, tiny_config, trained
from ganforge.cli import main
from ganforge.data import dataset_shape
from ganforge.errors import CheckpointError
from ganforge.latent_tools import latent_walk, style_layers, truncated_samples
from ganforge.models import build_networks, build_task
from ganforge.models.stylegan.layers import modulated_conv2d
from ganforge.models.summary import summarize
from ganforge.regularizers import r1_penalty
from ganforge.runs import RunDir
from ganforge.sampling import load_generator

STYLEGAN = ["model.name=stylegan", "model.g.mapping_layers=2"]


def tiny_generator(*overrides: str, shape=(1, 8, 8)):
    torch.manual_seed(0)
    return build_networks(tiny_config(*STYLEGAN, *overrides), shape)["generator"]


def test_demodulation_keeps_unit_variance():
    torch.manual_seed(0)
    x = torch.randn(16, 64, 16, 16)
    weight = torch.randn(32, 64, 3, 3)
    styles = torch.rand(16, 64) * 3 + 0.1  # any positive per-sample scales
    out = modulated_conv2d(x, weight, styles)
    assert out.shape == (16, 32, 16, 16)
    # per sample and output channel: unit variance for unit-variance inputs (borders aside)
    inner = out[:, :, 1:-1, 1:-1]
    assert abs(inner.var().item() - 1.0) < 0.05
    without = modulated_conv2d(x, weight, styles, demodulate=False)
    assert without[:, :, 1:-1, 1:-1].var().item() > 10  # what demodulation removes


def test_zero_noise_strength_makes_the_generator_deterministic_given_w():
    G = tiny_generator().train()  # training mode draws fresh noise every call
    w = G.mapping(torch.randn(3, 8), update_w_avg=False)
    torch.testing.assert_close(G.synthesize(w), G.synthesize(w))  # strengths start at zero
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.5)
    assert not torch.allclose(G.synthesize(w), G.synthesize(w))
    G.eval()  # evaluation uses fixed noise maps: reproducible again
    torch.testing.assert_close(G.synthesize(w), G.synthesize(w))


def test_style_mixing_switches_styles_at_the_chosen_layer():
    G = tiny_generator(shape=(1, 28, 28)).eval()  # 7 -> 14 -> 28: 6 per-layer styles
    assert G.num_ws == 6
    w1, w2 = G.mapping(torch.randn(2, 8)).chunk(2)
    for cutoff in range(1, G.num_ws):
        ws = torch.cat([w1.expand(cutoff, -1), w2.expand(G.num_ws - cutoff, -1)])[None]
        seen = []  # the style each layer receives, by forward hooks on the affine maps
        hooks = [
            m.register_forward_hook(lambda mod, inp, out, seen=seen: seen.append(inp[0]))
            for m in G.synthesis.modules()
            if type(m).__name__ == "EqualLinear"
        ]
        G.synthesize(ws)
        for h in hooks:
            h.remove()
        firsts = [i for i, s in enumerate(seen) if torch.equal(s, w2)]
        # layer order: conv 0, rgb 1 | conv 1, conv 2, rgb 3 | conv 3, conv 4, rgb 5
        layer_of_call = [0, 1, 1, 2, 3, 3, 4, 5]
        assert layer_of_call[firsts[0]] == cutoff
        assert all(torch.equal(s, w2) for s in seen[firsts[0] :])


def test_truncation_zero_gives_the_mean_image(tmp_path):
    run = tiny_run(tmp_path)
    loaded = load_generator(run)
    images = truncated_samples(loaded, 6, psi=0.0, seed=3)
    for image in images[1:]:
        torch.testing.assert_close(image, images[0])
    G = loaded.generator
    torch.testing.assert_close(images[0], G.synthesize(G.w_avg[None]).detach()[0])
    assert not torch.allclose(truncated_samples(loaded, 2, psi=1.0)[0], images[0])


def test_truncated_normal_z_for_other_families():
    from ganforge.latent_tools import truncated_latent

    z = truncated_latent(2000, 8, "gaussian", 0.5, torch.Generator().manual_seed(0), "cpu")
    assert z.abs().max() <= 1.0 and z.std() > 0.3
    assert truncated_latent(4, 8, "gaussian", 0.0, torch.Generator(), "cpu").abs().sum() == 0


def test_lazy_r1_is_applied_every_interval_and_scaled_by_it(tmp_path):
    config = tiny_config(*STYLEGAN, "loss.r1_gamma=1", "loss.reg_every=4", "train.steps=8")
    trainer = make_trainer(config, tmp_path / "run")
    assert [(p.name, p.interval) for p in trainer.task.phases] == [
        ("D", 1),
        ("D_reg", 4),
        ("G", 1),
    ]
    trainer.train(progress=False)
    d_steps = trainer.optimizers["d"].state_dict()["state"][0]["step"].item()
    assert d_steps == 8 + 2  # D every step, D_reg at steps 0 and 4

    class Fixed:  # the same real batch for the phase and the reference penalty
        noise = torch.Generator().manual_seed(0)
        batch = torch.rand(8, 1, 8, 8) * 2 - 1

        def real(self):
            return self.batch, None

        def latent(self, n):
            return torch.randn(n, 8, generator=self.noise)

        def fake_labels(self, n):
            return None

    d_reg = next(p for p in trainer.task.phases if p.name == "D_reg")
    loss, logs = d_reg.loss(Fixed())
    plain = r1_penalty(trainer.task.networks["discriminator"], Fixed.batch, 1.0)
    torch.testing.assert_close(loss, 4 * plain)
    torch.testing.assert_close(logs["d_penalty"], plain.detach())


def test_training_with_path_length_conditioning_and_augment_is_finite(tmp_path):
    config = tiny_config(
        *STYLEGAN,
        "model.conditional=concat",
        "model.g.pl_weight=2",
        "model.g.pl_every=2",
        "loss.r1_gamma=0.1",
        "loss.reg_every=2",
        "train.ema_decay=0.9",
        "train.augment=translation",
    )
    trainer = make_trainer(config, tmp_path / "run")
    assert [p.name for p in trainer.task.phases] == ["D", "D_reg", "G", "G_reg"]
    trainer.train(progress=False)
    rows = [r for r in trainer.run.read_metrics() if "d_loss" in r]
    for key in ("d_loss", "g_loss", "d_penalty", "g_pl_penalty"):
        assert all(math.isfinite(r[key]) for r in rows), key
    assert trainer.task.networks["path_length"].mean > 0  # saved in checkpoints with the nets
    loaded = load_generator(trainer.run.path)
    assert loaded.num_classes == 10 and loaded.sample(4).shape == (4, 1, 8, 8)


def tiny_run(tmp_path, *overrides: str):
    config = tiny_config(*STYLEGAN, "train.ema_decay=0.9", *overrides)
    return trained(config, tmp_path / "run").run.path


def readable(path) -> tuple[int, int]:
    with Image.open(path) as image:
        image.load()
        return image.size


def test_every_latent_tool_writes_a_readable_file(tmp_path, capsys):
    run = tiny_run(tmp_path)
    out = tmp_path / "out"
    assert main(["sample", str(run), "-n", "8", "--truncation", "0.7", "-o", f"{out}/t.png"]) == 0
    assert main(["sample", str(run), "-n", "5", "--truncation", "0.5", "-o", f"{out}/t.npz"]) == 0
    assert np.load(out / "t.npz")["samples"].shape == (5, 8, 8, 1)
    assert main(["interpolate", str(run), "--frames", "3", "-o", f"{out}/walk.gif"]) == 0
    assert main(["interpolate", str(run), "--walks", "2", "-o", f"{out}/walk.png"]) == 0
    assert main(["mix", str(run), "--rows", "2", "--cols", "3", "-o", f"{out}/mix.png"]) == 0
    for name in ("t.png", "walk.gif", "walk.png", "mix.png"):
        assert min(readable(out / name)) > 0
    with Image.open(out / "walk.gif") as gif:
        assert gif.n_frames == 2 * (2 * 3 + 1) - 2  # 3 keyframes, 3 steps apart, there and back
    assert readable(out / "mix.png")[0] > readable(out / "mix.png")[1]  # 4 columns, 3 rows


def test_latent_tools_work_with_other_families(tmp_path, capsys):
    run = trained(tiny_config("train.steps=2"), tmp_path / "dcgan").run  # the default dcgan
    loaded = load_generator(run.path)
    assert truncated_samples(loaded, 3, psi=0.7).shape == (3, 1, 8, 8)
    assert latent_walk(loaded, walks=2, keyframes=2, frames=2).shape == (3, 2, 1, 8, 8)
    out = tmp_path / "walk.gif"
    assert main(["interpolate", str(run.path), "-o", str(out)]) == 0 and min(readable(out)) > 0
    with pytest.raises(CheckpointError, match="style-based generator"):
        from ganforge.latent_tools import style_mixing_grid

        style_mixing_grid(loaded)
    assert main(["mix", str(run.path), "-o", str(tmp_path / "mix.png")]) == 2


def test_style_groups_split_the_layers_in_thirds():
    assert [list(style_layers(g, 8)) for g in ("coarse", "middle", "fine")] == [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7],
    ]
    assert list(style_layers("2:4", 8)) == [2, 3] and len(style_layers("all", 8)) == 8


@pytest.mark.parametrize(
    "preset, shape, g_total, d_total",
    [
        ("stylegan-mnist32", (1, 32, 32), 518_171, 567_409),
        ("stylegan-celeba64", (3, 64, 64), 8_333_560, 9_085_473),
        ("afhq-cat64", (3, 64, 64), 8_333_560, 9_085_473),  # resolves before the folder exists
    ],
)
def test_preset_parameter_counts(preset, shape, g_total, d_total):
    config = resolved(source=preset)
    assert dataset_shape(config.data) == shape
    nets = build_networks(config, shape)
    g = summarize(nets["generator"], torch.zeros(2, config.model.latent_dim))
    d = summarize(nets["discriminator"], torch.zeros(2, *shape))
    assert (g.total, d.total) == (g_total, d_total)


def test_preset_trains_on_the_shared_npz(shared_data, tmp_path):
    config = resolved(
        f"data.path={SHARED_DATA / 'mnist_test.npz'}",
        "data.name=npz",
        "data.limit=64",
        "train.steps=2",
        "train.batch_size=4",
        "train.tensorboard=false",
        "model.width=4",
        "model.latent_dim=16",
        source="stylegan-mnist32",
    )
    task = build_task(config, dataset_shape(config.data))
    assert [p.name for p in task.phases] == ["D", "D_reg", "G"]
    row = trained(config, tmp_path / "run").run.read_metrics()[-1]
    assert math.isfinite(row["d_loss"]) and math.isfinite(row["g_loss"])


def test_afhq_preset_trains_on_a_folder_and_refuses_a_missing_one(tmp_path, capsys):
    small = ["train.steps=2", "train.batch_size=4", "model.width=4", "model.latent_dim=16"]
    small += ["model.g.mapping_layers=2", "train.tensorboard=false"]
    missing = tmp_path / "afhq" / "train" / "cat"
    code = main(["train", "--preset", "afhq-cat64", f"data.path={missing}", *small])
    assert code != 0 and "does not exist" in capsys.readouterr().err
    missing.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(6):  # JPEGs of another size: the folder dataset resizes to 64x64
        pixels = rng.integers(0, 256, (80, 72, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(missing / f"flickr_cat_{i:06d}.jpg")
    run_dir = tmp_path / "run"
    args = ["train", "--preset", "afhq-cat64", f"data.path={missing}", *small]
    assert main([*args, "--run-dir", str(run_dir), "--device", "cpu"]) == 0
    row = RunDir(run_dir).read_metrics()[-1]
    assert row["step"] == 2 and math.isfinite(row["g_loss"])
    assert load_generator(run_dir).sample(2).shape == (2, 3, 64, 64)

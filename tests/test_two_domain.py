"""Two-domain data and families: derived domains, CoGAN, CycleGAN, DTN, translate, metrics."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import TINY, resolved, tiny_config, trained
from ganforge.cli import main
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.data.derive import PATCH_SEED, blend, edges, invert, random_crops
from ganforge.errors import ConfigError
from ganforge.metrics.kinds import pixel_agreement, preservation
from ganforge.models import build_networks
from ganforge.models.cyclegan import ImagePool, cycle_loss
from ganforge.training import resume


def mnist(data, *extra):
    """Domain A: 64 MNIST test digits; domain B: the same file, with `extra` options."""
    path = data / "mnist_test.npz"
    b = ["data_b.name=npz", f"data_b.path={path}", "data_b.limit=64"]
    return [*TINY, "data.name=npz", f"data.path={path}", *b, *extra]


def encoder_file(tmp_path):
    """A (random) domain classifier in ganforge's cache format, as DTN's f."""
    from ganforge.metrics.classifier import DigitClassifier

    torch.manual_seed(0)
    path = tmp_path / "encoder.pt"
    state = {"weights": DigitClassifier(28).state_dict(), "resolution": 28, "num_classes": 10}
    torch.save(state, path)
    return path


FAMILY = {
    "cogan": ["model.name=cogan", "data_b.derive=invert"],
    "cyclegan": [
        "model.name=cyclegan",
        "loss.name=lsgan",
        "model.g.blocks=1",
        "model.d.pool_size=4",
        "data_b.derive=invert",
    ],  # fmt: skip
}


# ---------------------------------------------------------------- derived domains


def test_invert_twice_is_identity_and_edges_are_a_fixed_filter():
    x = torch.randint(0, 256, (5, 3, 9, 9), dtype=torch.uint8)
    assert torch.equal(invert(invert(x)), x)
    assert not torch.equal(invert(x), x)
    flat = torch.full((1, 1, 6, 6), 200, dtype=torch.uint8)
    assert int(edges(flat).max()) == 0  # no edge in a flat image
    step = torch.zeros(1, 1, 6, 6, dtype=torch.uint8)
    step[..., 3:] = 255
    e = edges(step)
    assert e[0, 0, :, 2:4].eq(255).all() and e[0, 0, :, 0].eq(0).all()  # the step, only there


def test_mnistm_keeps_the_digit_mask(shared_data):
    digits = (torch.rand(50, 1, 8, 8, generator=torch.Generator().manual_seed(0)) > 0.5) * 255
    patches = torch.randint(0, 256, (50, 3, 8, 8), dtype=torch.uint8)
    out = blend(digits.to(torch.uint8), patches)
    changed = (out != patches).any(1, keepdim=True)  # 255 - p != p for every integer p
    assert torch.equal(changed, digits > 0)
    # the registered derivation on MNIST: the crop shows unchanged exactly off the digit
    cfg = DataConfig(
        name="npz",
        path=str(shared_data / "mnist_test.npz"),
        limit=40,
        derive="mnistm",
        patches=str(shared_data / "cifar10_test.npz"),
    )
    made, grey = load_dataset(cfg), load_dataset(DataConfig(name="npz", path=cfg.path, limit=40))
    assert made.data.shape == (40, 3, 28, 28) and torch.equal(made.labels, grey.labels)
    source = load_dataset(DataConfig(name="npz", path=cfg.patches)).data
    crops = random_crops(source, 40, 28, torch.Generator().manual_seed(PATCH_SEED))
    off = (grey.data == 0).expand(-1, 3, -1, -1)
    assert torch.equal(made.data[off], crops[off])
    assert torch.equal(made.data, blend(grey.data, crops))
    # the crop of image i does not depend on data.limit
    fewer = load_dataset(dataclasses.replace(cfg, limit=10))
    assert torch.equal(fewer.data, made.data[:10])


def test_two_domain_configs_are_checked(shared_data, tmp_path):
    base = mnist(shared_data)
    with pytest.raises(ConfigError, match="drop data_b"):
        resolved(*base, "model.name=dcgan")
    with pytest.raises(ConfigError, match="learns between two domains"):
        resolved(*TINY, "model.name=cogan")
    with pytest.raises(ConfigError, match="set data.resolution and data_b.resolution"):
        resolved(*base, "model.name=cogan", "data_b.resolution=32")
    with pytest.raises(ConfigError, match="same channels"):
        resolved(*base, "model.name=cogan", "data_b.channels=3")
    with pytest.raises(ConfigError, match="unknown derived domain 'invret'"):
        resolved(*base, "model.name=cogan", "data_b.derive=invret")
    with pytest.raises(ConfigError, match="read only by data.derive=mnistm"):
        resolved(*base, "model.name=cogan", "data_b.patches=x.npz")
    assert resolved(*base, "model.name=cyclegan", "data_b.channels=3").data_b.channels == 3


# ---------------------------------------------------------------- families


def test_cogan_shared_layers_are_one_parameter_object(shared_data):
    config = resolved(*mnist(shared_data, *FAMILY["cogan"]))
    nets = build_networks(config, (1, 28, 28))
    G, D = nets["generator"], nets["discriminator"]
    ga, gb = G.branch("a"), G.branch("b")
    assert ga[0] is gb[0] and ga[0][0].weight is gb[0][0].weight  # the first layers
    assert ga[1][0].weight is not gb[1][0].weight  # the last ones are each domain's
    assert D.branch("a")[1] is D.branch("b")[1] and D.branch("a")[0] is not D.branch("b")[0]
    ids = [id(p) for p in G.parameters()]
    assert len(ids) == len(set(ids)) == len(list(ga.parameters())) + len(list(gb[1].parameters()))
    # one z gives a pair side by side, and both domains' losses reach the shared weights
    z = torch.randn(3, config.model.latent_dim)
    assert G(z).shape == (3, 1, 28, 56)
    a, _ = G.pair(z)
    a.sum().backward()
    assert G.shared[0].weight.grad is not None and G.heads["b"][0].weight.grad is None


def test_cycle_loss_is_zero_for_an_identity_pair():
    a, b = torch.rand(4, 3, 8, 8) * 2 - 1, torch.rand(4, 3, 8, 8) * 2 - 1
    identity = torch.nn.Identity()
    loss, fake_b, fake_a = cycle_loss(identity, identity, a, b)
    assert loss.item() == 0.0 and torch.equal(fake_b, a) and torch.equal(fake_a, b)
    shift = lambda x: x + 0.5  # noqa: E731 - G without its inverse: the loss sees it
    assert cycle_loss(shift, shift, a, b)[0].item() == pytest.approx(2.0)


def test_image_pool_fills_then_swaps_with_seeded_coins():
    pool = ImagePool(3, (1, 2, 2))
    gen = torch.Generator().manual_seed(0)
    first = torch.arange(3.0).view(3, 1, 1, 1).expand(3, 1, 2, 2)
    assert torch.equal(pool.query(first, gen), first) and int(pool.count) == 3
    later = torch.full((50, 1, 2, 2), 9.0)
    out = pool.query(later, gen)
    assert 0 < int((out != 9).any((1, 2, 3)).sum()) < 50  # some old fakes come back
    assert "images" in pool.state_dict() and "count" in pool.state_dict()


@pytest.mark.parametrize("family", ["cogan", "cyclegan", "dtn"])
def test_few_steps_of_each_two_domain_family(shared_data, tmp_path, family):
    encoder = encoder_file(tmp_path)
    if family == "dtn":  # mnistm (3 channels) -> mnist (1 channel), f a classifier file
        extra = ["model.name=dtn", "data.derive=mnistm", "data.limit=32", "model.g.tv_weight=0.1"]
        extra += [f"data.patches={shared_data / 'cifar10_test.npz'}"]
        extra += [f"model.g.encoder={encoder}"]
    else:  # cogan also scores its pairs during training
        extra = [*FAMILY[family]]
        if family == "cogan":
            extra += ["eval.every=4", "eval.metrics=[agreement1k]", "eval.num_samples=16"]
    trainer = trained(resolved(*mnist(shared_data, *extra)), tmp_path / "run")
    rows = trainer.run.read_metrics()
    assert [r["step"] for r in rows] == [2, 4]
    for row in rows:
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert np.isfinite(row[key]), key
    if family == "cogan":  # `ganforge sample` writes pairs side by side from one z
        assert 0 <= rows[-1]["agreement1k"] <= 1
        out = tmp_path / "pairs.npz"
        assert main(["sample", str(trainer.run.path), "-n", "3", "-o", str(out)]) == 0
        assert np.load(out)["samples"].shape == (3, 28, 56, 1)
    if family == "dtn":  # f stays fixed; g learned
        weights = torch.load(encoder, weights_only=True)["weights"]
        f = trainer.task.networks["generator"].encoder.state_dict()
        assert all(torch.equal(f[k], weights[k]) for k in f)
        assert "g_const" in rows[-1] and "g_tv" in rows[-1]


# ---------------------------------------------------------------- translate, resume


def test_translate_cli_round_trip(shared_data, tmp_path, capsys):
    trainer = trained(resolved(*mnist(shared_data, *FAMILY["cyclegan"])), tmp_path / "run")
    run = str(trainer.run.path)
    out = tmp_path / "out.npz"
    inputs = shared_data / "mnist_test.npz"
    assert main(["translate", run, str(inputs), "-o", str(out)]) == 0
    samples = np.load(out)["samples"]
    assert samples.shape == (10000, 28, 28, 1) and samples.dtype == np.uint8
    # the same images through the loaded network give the same pixels
    G = trainer.task.networks["generator"].eval()
    first = load_dataset(DataConfig(name="npz", path=str(inputs), limit=8)).data
    with torch.no_grad():
        want = G(first.float() / 127.5 - 1).clamp(-1, 1).add(1).mul(127.5).round()
    assert np.array_equal(samples[:8], want.permute(0, 2, 3, 1).to(torch.uint8).numpy())
    pairs = tmp_path / "pairs.png"
    one = tmp_path / "one.png"
    from PIL import Image

    Image.fromarray(samples[0, :, :, 0]).save(one)
    assert main(["translate", run, str(one), "-o", str(pairs), "--direction", "b2a"]) == 0
    assert pairs.exists()
    dcgan = trained(tiny_config(), tmp_path / "dc")
    assert main(["translate", str(dcgan.run.path), str(one), "-o", str(out)]) == 2
    assert "translate needs a family that translates" in capsys.readouterr().err


def test_two_domain_resume_is_exact(shared_data, tmp_path):
    config = [*mnist(shared_data, *FAMILY["cyclegan"]), "train.checkpoint_every=3"]
    straight = trained(resolved(*config, "train.steps=6"), tmp_path / "straight")
    stopped = trained(resolved(*config, "train.steps=3"), tmp_path / "stopped")
    assert int(stopped.task.networks["pool_a"].count) == 4  # the pool is full by then
    resume(stopped.run.path, device="cpu", progress=False, steps=6)
    a = torch.load(straight.run.checkpoints_dir / "step_0000006.pt", weights_only=True)
    b = torch.load(stopped.run.checkpoints_dir / "step_0000006.pt", weights_only=True)
    for net, state in a["networks"].items():
        for key, value in state.items():
            assert torch.equal(value, b["networks"][net][key]), f"{net}.{key}"
    assert a["stream_b"] == b["stream_b"] is not None  # domain B's own stream
    assert torch.equal(a["rng"]["noise"], b["rng"]["noise"])


# ---------------------------------------------------------------- metrics


def test_pixel_agreement_of_hand_made_pairs(shared_data, tmp_path):
    a = torch.randint(0, 256, (6, 1, 8, 8), dtype=torch.uint8)
    assert pixel_agreement(invert(a), invert(a)) == 1.0
    assert pixel_agreement(invert(a), a) < 0.05  # a digit and itself: the negative disagrees
    from ganforge.metrics import Evaluator

    data = DataConfig(name="npz", path=str(shared_data / "mnist_test.npz"))
    for derive, transform in (("invert", invert), ("edges", edges)):
        data_b = DataConfig(name="npz", path=data.path, derive=derive)
        evaluator = Evaluator(data, ["agreement1k"], num_samples=6, data_b=data_b)
        perfect = torch.cat([a, transform(a)], dim=-1)  # (N, 1, 8, 16): A | B
        assert evaluator(perfect)["agreement1k"] == 1.0
    evaluator = Evaluator(data, ["agreement1k"], num_samples=6, data_b=data)
    with pytest.raises(Exception, match="derived from domain A by a fixed transform"):
        evaluator(perfect)


def test_label_preservation_counts_source_labels_found():
    class Stub:
        def __init__(self, predicted, source):
            self.logits, self.source = torch.nn.functional.one_hot(predicted, 10).float(), source

        def features(self):
            return self

        def requested_labels(self):
            return self.source

    source = torch.tensor([0, 1, 2, 3])
    assert preservation(Stub(source, source)) == {"": 1.0}
    assert preservation(Stub(torch.tensor([0, 1, 5, 5]), source)) == {"": 0.5}


def test_summary_of_two_domain_families(shared_data, capsys):
    import json

    path = shared_data / "mnist_test.npz"
    data = [f"data.path={path}", "data_b.name=npz", f"data_b.path={path}"]
    for preset in ("cogan-mnist-edges", "cyclegan-mnistm2mnist"):
        extra = [f"data.patches={shared_data / 'cifar10_test.npz'}"] if "cycle" in preset else []
        assert main(["summary", preset, "data.name=npz", *data, *extra, "--json"]) == 0
        counts = json.loads(capsys.readouterr().out)
        assert counts["generator"]["trainable"] > 0 and counts["discriminator"]["total"] > 0


def test_dtn_encoder_defaults_to_domain_a_classifier(shared_data, tmp_path, monkeypatch):
    from ganforge.metrics import classifier

    monkeypatch.setattr(classifier, "EPOCHS", 1)  # a quick f: the wiring is under test
    monkeypatch.setattr(classifier, "MIN_UPDATES", 1)
    patches = f"data.patches={shared_data / 'cifar10_test.npz'}"
    overrides = mnist(shared_data, "model.name=dtn", "data.derive=mnistm", patches)
    config = resolved(*overrides)
    path = config.model.g.encoder
    assert path == str(classifier.classifier_path(config.data))
    assert not Path(path).exists()  # resolving loads and trains nothing
    from ganforge.training import train as train_run

    run = train_run(config, run_dir=tmp_path / "dtn", device="cpu", progress=False)
    assert Path(path).exists() and run.read_metrics()[-1]["step"] == 4


def test_a_translating_run_evaluates_during_training_as_ganforge_eval_does(tmp_path):
    """eval.every translates domain A's first N images and scores them in domain B."""
    overrides = [*TINY, *FAMILY["cyclegan"], "data_b.name=digits", "data_b.limit=64"]
    overrides += ["eval.every=2", "eval.metrics=[preservation1k,fid_domain1k]"]
    overrides += ["eval.num_samples=48", "eval.best_metric=preservation1k"]
    trainer = trained(resolved(*overrides), tmp_path / "run")
    rows = [r for r in trainer.run.read_metrics() if "preservation1k" in r]
    assert [r["step"] for r in rows] == [2, 4]
    assert all(0 <= r["preservation1k"] <= 1 and r["fid_domain1k"] > 0 for r in rows)
    assert (trainer.run.checkpoints_dir / "best.pt").exists()
    # the last training evaluation is what `ganforge eval` measures on the final generator
    from ganforge.metrics.run_eval import evaluate_source

    again = evaluate_source(trainer.run.path, ["preservation1k"], num_samples=48, device="cpu")
    assert again["preservation1k"] == pytest.approx(rows[-1]["preservation1k"])

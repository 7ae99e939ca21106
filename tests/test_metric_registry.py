"""Metrics as registered functions: names by protocol, input requirements checked at config
time without loading data, and one Evaluator for every kind, including ones added in a test."""

import dataclasses

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import DATASETS, dataset_shape, to_pixels
from ganforge.errors import ConfigError
from ganforge.metrics import METRICS, Evaluator, check_metrics, metric
from ganforge.metrics.protocols import IMAGES, describe

# names and directions offered before metrics became registered functions: they must not change
BEFORE = {
    f"{kind}{k}k": higher
    for kind, higher in {
        "fid": False,
        "is": True,
        "kid": False,
        "fid_domain": False,
        "classes": False,
        "modes": True,
    }.items()
    for k in (1, 2, 5, 10, 50)
} | {"modes2.5k": True, "modes26k": True}
ADDED = {  # metrics added since
    f"{kind}{k}k": higher
    for kind, higher in {
        "accuracy": True,  # issue 9
        "agreement": True,  # issue 11 (two domains)
        "preservation": True,
        "pr": True,  # issue 22: precision/recall, density/coverage, FID/IS at infinity
        "pr_domain": True,
        "dc": True,
        "dc_domain": True,
        "fid_inf": False,
        "fid_domain_inf": False,
        "is_inf": True,
        "ifid": False,
        "ifid_domain": False,
        "ppl_z": False,
        "ppl_w": False,
        "ppl_domain_z": False,
        "ppl_domain_w": False,
    }.items()
    for k in (1, 2, 5, 10, 50)
}

# datasets whose shape is known without a file or a download
CANDIDATES = ["digits", "mnist", "cifar10", "celeba", "stacked_mnist", "toy_ring", "toy_grid"]


@pytest.fixture
def no_loading(monkeypatch):
    """Every dataset refuses to load: what runs under it decides from the config alone."""

    def refuse(cfg):
        raise AssertionError(f"'{cfg.name}' was loaded")

    for name in list(DATASETS):
        spec = dataclasses.replace(DATASETS.get(name), load=refuse)
        monkeypatch.setitem(DATASETS._items, name, spec)


@pytest.fixture
def scratch_registry(monkeypatch):
    """Metrics registered during a test are forgotten after it."""
    monkeypatch.setattr(METRICS, "_items", dict(METRICS._items))
    monkeypatch.setattr(METRICS, "_help", dict(METRICS._help))


def test_protocol_names_and_directions_are_unchanged():
    assert {name: METRICS.get(name).higher_is_better for name in METRICS} == BEFORE | ADDED
    assert METRICS.get("fid10k").count == 10_000 and METRICS.get("modes2.5k").count == 2_500
    assert METRICS.get("modes26k").count == 26_000


@pytest.mark.parametrize("name", METRICS.names())
def test_each_metric_refuses_data_it_cannot_use_with_one_sentence(name, no_loading):
    needs = METRICS.get(name).kind.needs
    refused, accepted = [], []
    for dataset in CANDIDATES:
        data = DataConfig(name=dataset)
        try:
            check_metrics([name], data)
            accepted.append(dataset)
        except ConfigError as err:
            refused.append(dataset)
            shape = dataset_shape(data)
            assert str(err) == (
                f"the {name} metric needs {needs.text}; this run's data is {describe(data, shape)}"
            )
    assert refused and accepted, (name, refused, accepted)


def test_modes_on_digits_is_refused_at_config_time(no_loading):
    with pytest.raises(ConfigError) as err:
        check_metrics(["fid5k", "modes2.5k"], DataConfig(name="digits"))
    assert str(err.value) == (
        "the modes2.5k metric needs 2-D mixture points (toy_ring, toy_grid) or stacked_mnist; "
        "this run's data is digits (1x8x8 images)"
    )
    with pytest.raises(ConfigError, match="the fid10k metric needs images; .* toy_grid \\(2-D"):
        check_metrics(["modes2.5k", "fid10k"], DataConfig(name="toy_grid"))
    with pytest.raises(ConfigError, match="stacked_mnist \\(3x28x28 images\\)"):
        check_metrics(["classes10k"], DataConfig(name="stacked_mnist"))
    with pytest.raises(ConfigError, match="unknown metric 'mode2.5k' \\(did you mean 'modes2.5k'"):
        check_metrics(["mode2.5k"], DataConfig(name="toy_ring"))
    check_metrics(["modes2.5k", "modes26k"], DataConfig(name="stacked_mnist"))
    check_metrics(["fid10k", "is10k", "kid10k", "fid_domain10k", "classes10k"], DataConfig())
    check_metrics([], DataConfig(name="npz"))  # nothing asked, nothing read


def test_evaluator_refuses_a_metric_the_data_cannot_give():
    with pytest.raises(ConfigError, match="the fid1k metric needs images"):
        Evaluator(DataConfig(name="toy_ring"), ["modes2.5k", "fid1k"])


def test_evaluator_scores_modes_of_toy_points():
    from ganforge.data.toy import ring_centres

    evaluator = Evaluator(DataConfig(name="toy_ring"), ["modes2.5k"], num_samples=40)
    assert evaluator.num_samples == 40 and evaluator.higher_is_better("modes2.5k")
    half = torch.cat([ring_centres()[:4].repeat(5, 1), torch.zeros(20, 2)])
    got = evaluator(torch.cat([half, torch.zeros(10, 2)]))  # extra samples beyond the count
    assert got == {
        "modes2.5k": 4,
        "modes2.5k_modes": 4,
        "modes2.5k_max_modes": 8,
        "modes2.5k_high_quality": 50.0,
        "modes2.5k_reverse_kl": pytest.approx(0.6931471805599453, rel=1e-9),
    }


def test_a_metric_is_one_function_and_its_registration(scratch_registry):
    @metric("brightness", extractor=None, needs=IMAGES, higher_is_better=True, sizes=(1000, 500))
    def brightness(x):
        """Mean pixel value"""
        return {"": x.pixels().float().mean().item(), "max": float(x.pixels().max())}

    assert "brightness0.5k" in METRICS and METRICS.help("brightness1k").startswith("Mean pixel")
    check_metrics(["brightness1k", "fid1k"], DataConfig(name="digits"))
    with pytest.raises(ConfigError, match="the brightness1k metric needs images; this run's data"):
        check_metrics(["brightness1k"], DataConfig(name="toy_grid"))

    gen = torch.Generator().manual_seed(0)
    samples = torch.rand(6, 1, 8, 8, generator=gen) * 2 - 1  # a generator's raw output
    evaluator = Evaluator(DataConfig(name="digits"), ["brightness1k", "brightness0.5k"])
    assert evaluator.num_samples == 1000 and evaluator.higher_is_better("brightness1k")
    pixels = to_pixels(samples)
    expected = {
        "brightness1k": pixels.float().mean().item(),
        "brightness1k_max": float(pixels.max()),
        "brightness0.5k": pixels.float().mean().item(),
        "brightness0.5k_max": float(pixels.max()),
    }
    assert evaluator(samples) == expected
    assert evaluator(pixels) == expected  # already-quantised images give the same numbers

    short = Evaluator(DataConfig(name="digits"), ["brightness1k"], num_samples=3)
    assert short(samples)["brightness1k"] == pytest.approx(pixels[:3].float().mean().item())


def test_a_metric_without_extractor_must_say_what_it_needs(scratch_registry):
    with pytest.raises(ValueError, match="say what it needs"):
        metric("nothing", extractor=None, higher_is_better=True)
    with pytest.raises(ValueError, match="already registered"):
        metric("fid", extractor="inception", higher_is_better=False)(lambda x: {})


def test_a_coupled_generators_pairs_are_scored_only_by_pair_metrics():
    """A cogan run asking for fid_domain while training is refused in the build step."""
    from conftest import resolved
    from ganforge.errors import ConfigError

    pairs = ["model.name=cogan", "data_b.derive=invert", "eval.every=2"]
    resolved(*pairs, "eval.metrics=[agreement1k]")
    with pytest.raises(ConfigError, match="score pairs with the agreement metric"):
        resolved(*pairs, "eval.metrics=[fid_domain1k]")
    resolved("model.name=dcgan", "eval.every=2", "eval.metrics=[fid_domain1k]")  # single images

"""Perceptual path length (metrics/path_length.py): the path geometry against closed forms,
LPIPS loaded from a saved file, the metric end to end on trained runs, and its refusals."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from torch import nn

from conftest import run_cli, train_cli
from ganforge.errors import ConfigError, GanforgeError
from ganforge.latent_paths import LatentPaths
from ganforge.metrics.path_length import (
    PerceptualDistance,
    load_lpips,
    path_lengths,
    trimmed_mean,
)

DIM = 64  # latents drawn as 8x8 one-channel "images" by the toy generators below


def pixel_distance(a, b):
    return (a - b).square().flatten(1).sum(1)


class Identity(nn.Module):
    """G(z) = z as an 8x8 image; with `style`, a mapping w = z and synthesis w -> image."""

    def __init__(self, style: bool) -> None:
        super().__init__()
        self.style, self.num_ws = style, 1

    def forward(self, z, y=None):
        return z.view(-1, 1, 8, 8)

    def mapping(self, z, y=None):
        return z

    def truncate(self, w, psi):
        return w

    def synthesize(self, w):
        return w.view(-1, 1, 8, 8)


def toy_paths(style: bool) -> LatentPaths:
    G = Identity(style)
    if not style:  # a plain generator: no W to walk
        for name in ("mapping", "truncate", "synthesize"):
            setattr(G, name, None)
        del G.num_ws
    return LatentPaths(G, DIM, "gaussian")


def test_w_paths_are_straight_lines():
    """G = identity in W: the squared path derivative is |w1 - w0|^2 exactly, whose mean over
    Gaussian latents is 2 x dim; the 1/99 percentile trim moves it by well under 3%."""
    lengths = path_lengths(toy_paths(True), "w", pixel_distance, n=4000, batch_size=1000)
    assert trimmed_mean(lengths) == pytest.approx(2 * DIM, rel=0.03)
    assert lengths.dtype == torch.float64 and lengths.shape == (4000,)


def test_z_paths_follow_great_circles():
    """G = identity in z: each value is the squared speed of slerp(z0, z1, t) at t = 0, from
    its derivative in closed form: omega / sin(omega) * (z1 - cos(omega) z0)."""
    paths = toy_paths(False)
    lengths = path_lengths(paths, "z", pixel_distance, n=200, batch_size=50, seed=3)
    z0, z1, _ = paths.endpoints(50, torch.Generator().manual_seed(3))
    z0, z1 = z0.double(), z1.double()
    cos = torch.nn.functional.cosine_similarity(z0, z1, dim=1)[:, None]
    omega = torch.acos(cos)
    speed = omega / torch.sin(omega) * (z1 - cos * z0)
    expected = speed.square().sum(1)
    torch.testing.assert_close(lengths[:50], expected, rtol=0.02, atol=0.0)
    assert paths.spaces == ("z",)
    with pytest.raises(GanforgeError, match="no w space"):
        path_lengths(paths, "w", pixel_distance, n=4, batch_size=4)


def test_the_trim_drops_the_outer_percentiles():
    outliers = torch.tensor([1e9, -1e9], dtype=torch.float64).repeat(5)
    values = torch.cat([torch.ones(990, dtype=torch.float64), outliers])
    assert trimmed_mean(values) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def lpips_file(tmp_path_factory):
    """LPIPS VGG16 with the lpips package's own calibrated linear layers on a random trunk,
    saved as a state dict: the offline stand-in for the real weights (same code path)."""
    import lpips

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = lpips.LPIPS(net="vgg", pretrained=True, pnet_rand=True, verbose=False)
    path = tmp_path_factory.mktemp("lpips") / "lpips-vgg-random.pt"
    torch.save(net.state_dict(), path)
    return path


def test_lpips_loads_from_a_file_and_measures_change(lpips_file):
    distance = PerceptualDistance(str(lpips_file), torch.device("cpu"))
    a = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    small, large = distance(a, a + 0.01), distance(a, a.flip(0))
    assert torch.equal(distance(a, a), torch.zeros(4))
    assert (small > 0).all() and (large > 100 * small).all()


def test_a_wrong_lpips_file_is_refused_in_one_sentence(tmp_path):
    with pytest.raises(GanforgeError, match="does not exist"):
        load_lpips(str(tmp_path / "missing.pt"))
    torch.save({"net.slice1.0.weight": torch.zeros(1)}, tmp_path / "wrong.pt")
    with pytest.raises(GanforgeError, match="not a state dict of lpips.LPIPS"):
        load_lpips(str(tmp_path / "wrong.pt"))


def test_a_generator_that_ignores_its_latent_has_zero_path_length(lpips_file):
    class Constant(nn.Module):
        def forward(self, z, y=None):
            return torch.zeros(len(z), 3, 16, 16)

    paths = LatentPaths(Constant(), 8, "gaussian")
    distance = PerceptualDistance(str(lpips_file), torch.device("cpu"))
    assert trimmed_mean(path_lengths(paths, "z", distance, n=8, batch_size=4)) == 0.0


def evaluate(run, metrics, *extra):
    code, out, err = run_cli("eval", str(run), "--metrics", metrics, "--device", "cpu", *extra)
    assert code == 0, err
    return json.loads(out)


def test_ppl_of_a_trained_style_based_run_in_z_and_w(tmp_path, lpips_file):
    run = tmp_path / "style"
    assert train_cli(run, "model.name=stylegan", "model.g.mapping_layers=2") == 0
    found = evaluate(
        run, "ppl_z1k,ppl_w1k", "--num-samples", "24", "--lpips-weights", str(lpips_file)
    )
    assert found["ppl_z1k"] > 0 and found["ppl_w1k"] > 0 and found["ppl_z1k"] != found["ppl_w1k"]
    again = evaluate(run, "ppl_w1k", "--num-samples", "24", "--lpips-weights", str(lpips_file))
    assert again["ppl_w1k"] == found["ppl_w1k"]  # the same seeded paths every time


def test_ppl_during_training_and_in_domain_features(tmp_path):
    """A dcgan evaluates ppl_domain_z while it trains: the row holds a positive length."""
    run = tmp_path / "dcgan"
    extra = ["eval.every=4", "eval.metrics=[ppl_domain_z1k]", "eval.num_samples=32"]
    assert train_cli(run, *extra) == 0
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evaluated = [r for r in rows if "ppl_domain_z1k" in r]
    assert evaluated and evaluated[-1]["ppl_domain_z1k"] > 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["eval.metrics=[ppl_w1k]"], "walks a generator's w space.*only z"),
        (
            ["model.name=cyclegan", "data_b.name=digits", "data_b.derive=invert"]
            + ["eval.metrics=[ppl_z1k]"],
            "none \\(it translates images\\)",
        ),
    ],
)
def test_a_space_the_generator_lacks_is_refused_before_training(tmp_path, overrides, message):
    from conftest import tiny_config

    with pytest.raises(ConfigError, match=message):
        tiny_config(*overrides)


def test_two_image_sets_have_no_paths_to_walk(tmp_path):
    code, _, err = run_cli(
        "score", "digits", "digits", "--metrics", "ppl_domain_z1k", "--features", "domain"
    )
    assert code == 2 and "ganforge eval" in err

"""FID/IS/KID exactness, agreement with torch-fidelity, caching, evaluation end to end."""

import json
import math

import numpy as np
import pytest
import torch

from conftest import train_cli
from ganforge.cli import main
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics import Evaluator, check_metrics
from ganforge.metrics import reference as reference_module
from ganforge.metrics.features import (
    FastInception,
    InceptionExtractor,
    batched,
    random_inception_state,
    tf_resize_matrix,
)
from ganforge.metrics.modes import mixture_coverage, stacked_modes, toy_coverage
from ganforge.metrics.scores import (
    class_histogram_kl,
    frechet_distance,
    inception_score,
    kernel_distance,
    statistics,
)


def images(seed: int, n: int = 24, size: int = 16) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    base = torch.randint(0, 256, (n, 3, size, size), generator=gen, dtype=torch.uint8)
    return base


def test_fid_of_identical_sets_is_zero():
    feats = torch.randn(500, 16, generator=torch.Generator().manual_seed(0))
    assert abs(frechet_distance(statistics(feats), statistics(feats.clone()))) < 1e-8


def test_fid_of_two_gaussians_equals_the_closed_form():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 1.0])
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * np.sqrt(s1 @ s2))
    got = frechet_distance({"mu": mu1, "sigma": s1}, {"mu": mu2, "sigma": s2})
    assert got == pytest.approx(expected, rel=1e-12)  # 5 + (14 + 6 - 2 * (2 + 2 + 3)) = 11
    assert expected == pytest.approx(11.0)


def test_inception_score_bounds():
    assert inception_score(torch.zeros(100, 10))[0] == pytest.approx(1.0, abs=1e-12)
    confident = torch.full((1000, 10), -50.0)
    confident[torch.arange(1000), torch.arange(1000) % 10] = 50.0
    assert inception_score(confident, splits=1)[0] == pytest.approx(10.0, rel=1e-9)


def test_kid_of_a_set_with_itself_is_about_zero_and_grows_with_a_shift():
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(2000, 32, generator=gen)
    same, _ = kernel_distance(feats, feats)
    shifted, _ = kernel_distance(feats, feats + 0.5)
    assert abs(same) < 0.01 and shifted > 20 * abs(same) and shifted > 0.05


def test_class_histogram_kl():
    labels = torch.arange(100) % 10
    assert class_histogram_kl(labels, labels, 10) == (pytest.approx(0.0, abs=1e-9), 10)
    kl, covered = class_histogram_kl(torch.zeros(50, dtype=torch.long), labels, 10)
    assert covered == 1 and kl == pytest.approx(math.log(10), rel=1e-6)


class ImageSet(torch.utils.data.Dataset):
    """uint8 images as torch-fidelity reads them: 3 channels (grey repeated, as ours does)."""

    def __init__(self, x: torch.Tensor) -> None:
        self.x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.x[i]


def torch_fidelity_metrics(a: torch.Tensor, b: torch.Tensor, weights, **which) -> dict:
    import torch_fidelity

    return torch_fidelity.calculate_metrics(
        input1=ImageSet(a),
        input2=ImageSet(b),
        cuda=False,
        cache=False,
        verbose=False,
        feature_extractor_weights_path=str(weights),
        kid_subset_size=len(a),
        save_cpu_ram=True,  # no worker processes: this machine has 2 cores
        **which,
    )


def save_npz(path, x: torch.Tensor):
    np.savez(path, images=x.permute(0, 2, 3, 1).numpy())
    return path


def test_agreement_with_torch_fidelity(random_inception, tmp_path):
    # grey 28x28 digits against 32x32 colour noise: FID 11.06 with the random Inception
    # (0.1 between two halves of the digits), where PyTorch's default init gives ~1e-12
    a = load_dataset(DataConfig(name="digits", resolution=28, limit=20)).data  # (20, 1, 28, 28)
    b = images(2, 20, size=32)  # (20, 3, 32, 32)
    ref = save_npz(tmp_path / "b.npz", b)
    theirs = torch_fidelity_metrics(a, b, random_inception, fid=True, isc=True, kid=True)
    evaluator = Evaluator(
        DataConfig(name="digits"),
        ["fid1k", "is1k", "kid1k"],
        ref=str(ref),
        num_samples=len(a),
        inception_weights=str(random_inception),
    )
    ours = evaluator(a)
    assert ours["fid1k"] == pytest.approx(theirs["frechet_inception_distance"], rel=1e-4)
    assert ours["is1k"] == pytest.approx(theirs["inception_score_mean"], rel=1e-4)
    assert ours["kid1k"] == pytest.approx(theirs["kernel_inception_distance_mean"], rel=1e-4)
    assert ours["fid1k"] > 5 and ours["kid1k"] > 0.01 and ours["is1k"] > 1.001

    # batch size does not change the numbers
    small = Evaluator(
        DataConfig(name="digits"),
        ["fid1k", "is1k"],
        ref=str(ref),
        num_samples=len(a),
        inception_weights=str(random_inception),
        batch_size=7,
    )
    got = small(a)
    assert got["fid1k"] == pytest.approx(ours["fid1k"], rel=1e-4)
    assert got["is1k"] == pytest.approx(ours["is1k"], rel=1e-4)


def test_random_inception_tells_mnist_from_cifar(random_inception, shared_data):
    def first(name: str, start: int, n: int = 16) -> torch.Tensor:
        x = torch.from_numpy(np.load(shared_data / name)["images"][start : start + n])
        return x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)

    mnist, mnist_too, cifar = (
        first("mnist_test.npz", 0),
        first("mnist_test.npz", 16),
        first("cifar10_test.npz", 0),
    )
    extractor = InceptionExtractor(random_inception)
    stats = [statistics(extractor(batched(x, 16)).pool) for x in (mnist, mnist_too, cifar)]
    different = frechet_distance(stats[0], stats[2])  # 13.03
    same = frechet_distance(stats[0], stats[1])  # 0.138
    assert different > 5 and different > 20 * same
    theirs = torch_fidelity_metrics(mnist, cifar, random_inception, fid=True)
    assert different == pytest.approx(theirs["frechet_inception_distance"], rel=1e-4)


@pytest.mark.parametrize("size", [28, 32, 64, 300])
def test_resize_as_matrices_equals_torch_fidelitys_resize(size):
    from torch_fidelity.interpolate_compat_tensorflow import (
        interpolate_bilinear_2d_like_tensorflow1x,
    )

    x = images(size, n=2, size=size).float()
    theirs = interpolate_bilinear_2d_like_tensorflow1x(x, size=(299, 299), align_corners=False)
    matrix = tf_resize_matrix(size, 299)  # (299, size)
    torch.testing.assert_close(matrix @ x @ matrix.t(), theirs, rtol=0, atol=1e-4)


def test_fast_inception_with_batch_norm_statistics_agrees_with_torch_fidelity(tmp_path):
    # the random Inception's BatchNorms are identities; here they are not, so that folding
    # them into the convolutions is tested: FID, IS and KID as calculate_metrics gives them
    gen = torch.Generator().manual_seed(1)
    state = random_inception_state(seed=3)
    for name, value in state.items():
        if name.endswith(("bn.weight", "bn.running_var")):
            state[name] = 0.8 + 0.4 * torch.rand(value.shape, generator=gen)
        elif name.endswith(("bn.bias", "bn.running_mean")):
            state[name] = 0.05 * torch.randn(value.shape, generator=gen)
    weights = tmp_path / "inception.pth"
    torch.save(state, weights)
    a = load_dataset(DataConfig(name="digits", resolution=28, limit=12)).data  # (12, 1, 28, 28)
    b = images(4, 12, size=32)
    extractor = InceptionExtractor(weights)
    assert extractor.fast is not None
    fa, fb = extractor(batched(a, 5)), extractor(batched(b, 12))
    with torch.inference_mode():
        pool, logits = extractor.net(b)  # torch-fidelity's own forward pass
    torch.testing.assert_close(fb.pool, pool, rtol=1e-4, atol=1e-4 * float(pool.abs().max()))
    torch.testing.assert_close(fb.logits, logits, rtol=1e-4, atol=1e-4 * float(logits.abs().max()))
    theirs = torch_fidelity_metrics(a, b, weights, fid=True, isc=True, kid=True)
    fid = frechet_distance(statistics(fa.pool), statistics(fb.pool))
    assert fid == pytest.approx(theirs["frechet_inception_distance"], rel=1e-4)
    assert fid > 5
    assert inception_score(fa.logits)[0] == pytest.approx(theirs["inception_score_mean"], rel=1e-4)
    kid, _ = kernel_distance(fa.pool, fb.pool)
    assert kid == pytest.approx(theirs["kernel_inception_distance_mean"], rel=1e-4)


def test_compiled_path_pads_a_smaller_last_batch(random_inception, monkeypatch):
    # inductor itself takes about a minute here (benchmarks/eval_speed.py --compile measures
    # it and its agreement); this checks what ganforge adds: one batch size, padding dropped
    seen = []

    def compile_as_identity(module, **options):
        assert options["options"] == {"freezing": True} and options["dynamic"] is False
        return lambda x: seen.append(x.shape[0]) or module(x)

    monkeypatch.setattr(torch, "compile", compile_as_identity)
    x = images(5, n=11, size=32)
    compiled = InceptionExtractor(random_inception, compile=True)
    plain = InceptionExtractor(random_inception, compile=False)
    got, expected = compiled(batched(x, 4)), plain(batched(x, 4))
    assert seen == [4, 4, 4] and got.pool.shape == (11, 2048)
    torch.testing.assert_close(got.pool, expected.pool, rtol=1e-5, atol=1e-5)


def test_a_large_cpu_batch_runs_in_chunks_with_the_same_features(random_inception, monkeypatch):
    x = images(6, n=11, size=32)
    whole = InceptionExtractor(random_inception)(batched(x, 11))
    monkeypatch.setattr(FastInception, "CPU_CHUNK", 4)
    extractor = InceptionExtractor(random_inception)
    sizes = []
    original = extractor.fast._forward
    monkeypatch.setattr(extractor.fast, "_forward", lambda b: sizes.append(len(b)) or original(b))
    chunked = extractor(batched(x, 11))
    assert sizes == [4, 4, 3]
    torch.testing.assert_close(chunked.pool, whole.pool, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(chunked.logits, whole.logits, rtol=1e-5, atol=1e-6)


def test_reference_features_are_cached_by_dataset_split_extractor_and_count(
    random_inception, monkeypatch
):
    extractor = InceptionExtractor(random_inception)
    cfg = DataConfig(name="digits", split="test")
    first = reference_module.reference_features(extractor, cfg, 12)

    def fail(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(reference_module, "reference_images", fail)
    second = reference_module.reference_features(extractor, cfg, 12)
    assert torch.equal(first.pool, second.pool)
    with pytest.raises(AssertionError, match="cache"):
        reference_module.reference_features(extractor, cfg, 13)  # another count, another key


def test_offline_without_weights_says_where_to_put_them(monkeypatch):
    from torch_fidelity import feature_extractor_inceptionv3 as fe

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(fe, "load_state_dict_from_url", offline)
    monkeypatch.delenv("GANFORGE_INCEPTION_WEIGHTS", raising=False)
    with pytest.raises(GanforgeError, match="weights-inception-2015-12-05-6726825d.pth") as err:
        InceptionExtractor(None)
    assert "--inception-weights" in str(err.value)
    with pytest.raises(GanforgeError, match="does not exist"):
        InceptionExtractor("no/such/file.pth")


def test_mixture_coverage_on_hand_made_points():
    from ganforge.data.toy import grid_centres, ring_centres

    ring = ring_centres()
    exact = toy_coverage("toy_ring", ring.repeat(10, 1))
    assert exact == {
        "modes": 8,
        "max_modes": 8,
        "high_quality": 100.0,
        "reverse_kl": pytest.approx(0.0, abs=1e-9),
    }
    half = torch.cat([ring[:4].repeat(5, 1), torch.zeros(20, 2)])  # 4 modes + 20 at the centre
    got = toy_coverage("toy_ring", half)
    assert got["modes"] == 4 and got["high_quality"] == 50.0
    assert got["reverse_kl"] == pytest.approx(math.log(2), rel=1e-6)
    near = grid_centres() + torch.tensor([0.14, 0.0])  # 2.8 std: still high quality
    far = grid_centres() + torch.tensor([0.16, 0.0])  # 3.2 std: not
    assert toy_coverage("toy_grid", near)["modes"] == 25
    assert toy_coverage("toy_grid", far)["high_quality"] == 0.0
    assert mixture_coverage(torch.zeros(3, 2), torch.ones(1, 2), 0.1)[
        "reverse_kl"
    ] == pytest.approx(0.0)


def test_stacked_mnist_modes():
    labels = torch.cartesian_prod(torch.arange(10), torch.arange(10), torch.arange(10))
    assert stacked_modes(labels)["modes"] == 1000
    assert stacked_modes(labels)["reverse_kl"] == pytest.approx(0.0, abs=1e-9)
    assert stacked_modes(labels[:10])["modes"] == 10


def test_eval_cli_with_domain_and_inception_metrics(tmp_path, random_inception, capsys):
    run = tmp_path / "run"
    assert train_cli(run) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "eval",
                str(run),
                "--metrics",
                "fid_domain1k,classes1k,fid1k,is1k,kid1k",
                "--num-samples",
                "30",
                "--ref",
                "digits:test",
                "--device",
                "cpu",
                "--inception-weights",
                str(random_inception),
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["step"] == 4 and printed["kind"] == "eval"
    for key in ("fid_domain1k", "classes1k", "fid1k", "is1k", "kid1k"):
        assert math.isfinite(printed[key]), key
    assert printed["fid_domain1k"] > 0 and 1 <= printed["classes1k_covered"] <= 10
    assert printed["domain_classifier_accuracy"] > 0.9  # the 8x8 digits classifier
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["kind"] == "eval" and rows[-1]["fid_domain1k"] == printed["fid_domain1k"]


def test_fid_cli_between_two_sets(tmp_path, random_inception, capsys):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    np.savez(a, images=images(3, 20).permute(0, 2, 3, 1).numpy())
    np.savez(b, images=images(4, 20).permute(0, 2, 3, 1).numpy())
    weights = ["--inception-weights", str(random_inception), "--device", "cpu"]
    assert main(["fid", str(a), str(a), *weights]) == 0
    same = json.loads(capsys.readouterr().out)
    assert main(["fid", str(a), str(b), *weights]) == 0
    different = json.loads(capsys.readouterr().out)
    assert same["count_a"] == same["count_b"] == 20
    # 20 samples of 2048-d features: a singular covariance, so "zero" is zero up to the
    # rounding of its matrix square root, as in torch-fidelity itself
    assert abs(same["fid"]) < 1e-3 * different["fid"] and different["fid"] > 0


def test_evaluation_during_training_keeps_the_best_checkpoint(tmp_path):
    run = tmp_path / "run"
    assert (
        train_cli(
            run,
            "train.steps=6",
            "eval.every=2",
            "eval.metrics=[fid_domain1k]",
            "eval.num_samples=64",
            "eval.best_metric=fid_domain1k",
        )
        == 0
    )
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    values = {r["step"]: r["fid_domain1k"] for r in rows if "fid_domain1k" in r}
    assert sorted(values) == [2, 4, 6]
    best = torch.load(run / "checkpoints" / "best.pt", weights_only=True)
    assert best["best"] == min(values.values()) and best["step"] == min(values, key=values.get)


def test_eval_config_is_validated():
    from ganforge.config import load_config
    from ganforge.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown metric 'fid10' \\(did you mean 'fid10k'"):
        check_metrics(["fid10"], DataConfig(name="digits"))
    with pytest.raises(ConfigError, match="'eval.best_metric'"):
        load_config(None, ["eval.metrics=[fid5k]", "eval.best_metric=is5k"])


def test_modes_metric_for_a_toy_run(tmp_path, capsys):
    run = tmp_path / "toy"
    toy = ["data.name=toy_grid", "model.name=mlp", "model.g.last_activation=none"]
    assert train_cli(run, *toy, "data.limit=200") == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--metrics", "modes2.5k", "--device", "cpu"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["modes2.5k_max_modes"] == 25
    assert 0 <= printed["modes2.5k_modes"] <= 25 and 0 <= printed["modes2.5k_high_quality"] <= 100


def test_stacked_mnist_dataset_and_modes(tmp_path, capsys):
    from sklearn.datasets import load_digits

    digits = load_digits()
    source = tmp_path / "digits_train.npz"
    np.savez(
        source, images=np.round(digits.images * 255 / 16).astype(np.uint8), labels=digits.target
    )
    from ganforge.data import load_dataset

    data = load_dataset(DataConfig(name="stacked_mnist", path=str(source), limit=500))
    assert data.shape == (3, 8, 8) and data.num_classes == 1000
    codes = data.labels
    assert codes.max() < 1000 and len(codes.unique()) > 300
    first = data.data[0]
    hundreds = codes[0] // 100  # channel 0 holds a digit with label `hundreds`
    matches = (
        (torch.from_numpy(np.round(digits.images * 255 / 16).astype(np.uint8)) == first[0])
        .flatten(1)
        .all(1)
    )
    assert digits.target[matches.numpy()][0] == hundreds
    run = tmp_path / "stacked"
    stacked = ["data.name=stacked_mnist", f"data.path={source}", "data.limit=200"]
    assert train_cli(run, *stacked) == 0
    capsys.readouterr()
    assert (
        main(["eval", str(run), "--metrics", "modes26k", "--num-samples", "300", "--device", "cpu"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["modes26k_max_modes"] == 1000 and 1 <= printed["modes26k_modes"] <= 300
    assert printed["modes26k_classifier_accuracy"] > 0.8

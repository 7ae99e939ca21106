"""The notebook API (`import ganforge as gf`): a cheap import, configs overridden without
nested `replace`, training, loading, sampling, evaluating and reporting from Python, objects
that show themselves, and docs/notebook.ipynb executed so it never rots."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import ganforge as gf
from conftest import REPO, TINY, TINY_DCGAN, run_cli, train_cli
from ganforge.errors import ConfigError


def test_import_ganforge_is_cheap_and_exposes_the_api_lazily():
    code = (
        "import sys, ganforge as gf; heavy = [m for m in ('torch', 'ganforge.api') "
        "if m in sys.modules]; print(heavy); gf.load; print('ganforge.api' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.split("\n")[:2] == ["[]", "True"], done.stderr
    for name in ("train", "load", "evaluate", "report", "presets", "Config", "resume"):
        assert callable(getattr(gf, name)) and name in dir(gf)
    with pytest.raises(AttributeError, match="no attribute 'trian'"):
        gf.trian  # noqa: B018


def test_override_returns_a_new_checked_config_and_leaves_the_old_one():
    cfg = gf.Config.load("default", "train.steps=7")
    new = cfg.override("optim.d.lr=1e-4", **{"optim.g.beta1": 0.0, "model.g.hidden": [16, 8]})
    assert (cfg.optim.d.lr, cfg.optim.g.beta1, cfg.train.steps) == (2e-4, 0.5, 7)
    assert (new.optim.d.lr, new.optim.g.beta1, new.train.steps) == (1e-4, 0.0, 7)
    assert new.model.g.hidden == (16, 8)
    with pytest.raises(ConfigError, match="did you mean 'optim.d.lr'"):
        cfg.override("optim.d.lrr=1")
    with pytest.raises(ConfigError, match="finite"):
        cfg.override(**{"optim.g.lr": float("nan")})
    assert cfg.override("model.name=mlp").model.g.get("kernel_size") is None  # family switched


def test_train_load_sample_and_show(tmp_path):
    run = gf.train("default", *TINY, *TINY_DCGAN, steps=6, run_dir=tmp_path / "run",
                   progress=False, **{"optim.d.lr": 1e-3})  # fmt: skip
    assert gf.RunDir(run.path).load_config().optim.d.lr == 1e-3
    assert [r["step"] for r in run.read_metrics()] == [2, 4, 6]
    text = repr(run)
    assert text.startswith(f"RunDir('{run.path}': step 6/6, dcgan on digits, d_loss ")
    html = run._repr_html_()
    assert "g_loss" in html and "step_0000006.png" in html and "data:image/png;base64," in html
    generator = gf.load(run)
    assert repr(generator) == (
        "Generator(dcgan trained on digits for 6 steps: 1x8x8, unconditional)"
    )
    samples = generator.sample(5, seed=3)
    assert repr(samples) == "Samples(5 images of shape 1x8x8)" and len(samples) == 5
    assert samples._repr_png_().startswith(b"\x89PNG") and "base64" in samples._repr_html_()
    # the same draw as the command line's `ganforge sample -n 5 --seed 3`
    code, _, err = run_cli("sample", str(run.path), "-n", "5", "--seed", "3", "-o",
                           str(tmp_path / "s.npz"))  # fmt: skip
    assert code == 0, err
    import numpy as np

    cli = np.load(tmp_path / "s.npz")["samples"]
    assert np.array_equal(samples.pixels().permute(0, 2, 3, 1).numpy(), cli)
    per_seed = generator.sample(seeds=[7, 3])
    torch.testing.assert_close(per_seed[1], generator.sample(1, seed=3)[0])
    assert not torch.equal(per_seed[0], per_seed[1])
    truncated = generator.sample(4, seed=0, truncation=0.0)
    torch.testing.assert_close(truncated[0], truncated[3])  # psi 0: every z is 0


def test_conditional_samples_of_one_class_and_a_class_grid(tmp_path):
    assert train_cli(tmp_path / "run", "model.conditional=concat") == 0
    generator = gf.load(tmp_path / "run")
    assert "10 classes" in repr(generator)
    a, b = generator.sample(3, seed=0, classes=2), generator.sample(3, seed=0, classes=5)
    assert not torch.allclose(a.tensor, b.tensor)
    assert len(generator.class_grid()) == 100
    with pytest.raises(Exception, match="out of range"):
        generator.sample(2, classes=10)


def test_evaluate_logs_into_the_run_and_report_shows_it(tmp_path):
    assert train_cli(tmp_path / "run") == 0
    scores = gf.evaluate(tmp_path / "run", ["fid_domain5k"], num_samples=64, device="cpu")
    assert scores["kind"] == "eval" and scores["fid_domain5k"] > 0
    run = gf.RunDir(tmp_path / "run")
    assert run.read_metrics()[-1]["fid_domain5k"] == scores["fid_domain5k"]
    assert f"fid_domain5k {scores['fid_domain5k']:.4g}" in repr(run)
    report = gf.report(run, tmp_path / "report.html")
    assert report.paths == [tmp_path / "report.html"]
    assert (
        report._repr_html_().startswith("<iframe srcdoc='")
        and "fid_domain5k" in (tmp_path / "report.html").read_text()
    )


def test_the_example_notebook_runs(tmp_path):
    """docs/notebook.ipynb, executed top to bottom in a fresh kernel: every cell succeeds and
    shows what the docs say it shows."""
    nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[dev]' (nbclient)")
    from nbclient import NotebookClient

    notebook = nbformat.read(REPO / "docs" / "notebook.ipynb", as_version=4)
    client = NotebookClient(
        notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    shown = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    results = [o["data"] for o in shown if o.output_type == "execute_result"]
    assert any("image/png" in r and r["text/plain"].startswith("Samples(16") for r in results)
    assert any("text/html" in r and r["text/plain"].startswith("RunDir(") for r in results)
    assert (tmp_path / "runs" / "notebook-demo" / "checkpoints").is_dir()
    assert (tmp_path / "runs" / "notebook-report.html").is_file()

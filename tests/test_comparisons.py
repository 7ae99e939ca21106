"""Comparisons over seeds: a study swept with --seeds, evaluated during training, and reported
with intervals; the JSON table recomputed from the runs' own metrics.jsonl; time budgets that
do not count evaluations; a 10-experiment page that fits a screen."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from scipy import stats

from browser import evaluate, find_chromium
from conftest import TINY, resolved
from ganforge.cli import main
from ganforge.errors import ConfigError
from ganforge.studies.groups import experiment_name, group
from ganforge.studies.report import write_report
from ganforge.studies.rundata import collect
from ganforge.studies.spec import UNCAPPED_STEPS, expand, parse_seeds, parse_study
from ganforge.studies.state import action_for

METRIC = "fid_domain1k"
STEPS = 20


# ---------------------------------------------------------------- the study file


def test_seeds_option_and_budget_expand_into_every_point() -> None:
    assert parse_seeds("3") == (0, 1, 2)
    assert parse_seeds("0,5,9") == (0, 5, 9)
    for bad in ("0", "x", "1,1"):
        with pytest.raises(ConfigError, match="seeds"):
            parse_seeds(bad)
    study = parse_study("s", "runs: [a, b]\nseeds: [0, 1]\nbudget: {minutes: 2.5}\n", folder=None)
    points = expand(study)
    assert [p.name for p in points] == ["a,seed=0", "a,seed=1", "b,seed=0", "b,seed=1"]
    for point in points:  # the clock ends every run: the presets' step counts are lifted
        assert "train.minutes=2.5" in point.overrides
        assert f"train.steps={UNCAPPED_STEPS}" in point.overrides
    capped = parse_study("s", "budget: {minutes: 1, steps: 300}\n", folder=None)
    assert "train.steps=300" in expand(capped)[0].overrides
    for text, words in (
        ("budget: {hours: 1}", "unknown key 'hours'"),
        ("budget: {minutes: -1}", "positive"),
        ("budget: {}", "minutes, steps or both"),
        ("eval: {every_minutes: 0}", "positive"),
    ):
        with pytest.raises(ConfigError, match=words):
            parse_study("s", text, folder=None)


def test_experiment_names_drop_the_seed() -> None:
    class Run:
        def __init__(self, name: str) -> None:
            self.name, self.config = name, {"name": "default"}

    assert experiment_name(Run("exp03,seed=1")) == "exp03"
    assert experiment_name(Run("lr=0.1,seed=12,x=2")) == "lr=0.1,x=2"
    assert experiment_name(Run("seed=4")) == "default"


def test_seeds_written_by_different_versions_are_one_experiment(tmp_path: Path) -> None:
    """A study resumed after an upgrade: later runs' config.yaml holds new options (None, or
    under log.) that earlier runs lack; the seeds still form one experiment per setting."""
    old = {"seed": 0, "loss": {"name": "lsgan"}}
    new = {"loss": {"name": "lsgan"}, "eval": {"lpips_weights": None}, "log": {"heartbeat_s": 30}}
    other = {"seed": 2, "loss": {"name": "hinge"}, "eval": {"lpips_weights": None}}
    for name, config in (("lsgan,seed=0", old), ("lsgan,seed=1", {**new, "seed": 1})):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "hinge,seed=2").mkdir()
    (tmp_path / "hinge,seed=2" / "config.yaml").write_text(yaml.safe_dump(other))
    experiments = group(collect([tmp_path]))
    assert sorted((e.name, len(e.runs)) for e in experiments) == [("hinge", 1), ("lsgan", 2)]


# ---------------------------------------------------------------- a swept study, 2 x 3 seeds


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """Two learning rates x 3 seeds on the offline digits, 2 worker processes, evaluated
    during training by default; swept through the command line."""
    folder = tmp_path_factory.mktemp("seeded")
    tiny = [o for o in TINY if not o.startswith(("train.steps", "data.limit", "train.log_every"))]
    overrides = {k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in tiny)}
    study = folder / "lr.yaml"
    study.write_text(
        yaml.safe_dump(
            {
                "overrides": {**overrides, "train.steps": STEPS, "train.log_every": 2},
                "runs": [
                    {"name": "slow", "overrides": {"optim.d.lr": 1e-4}},
                    {"name": "fast", "overrides": {"optim.d.lr": 2e-3}},
                ],
                "eval": {"metrics": [METRIC], "num_samples": 200},
                "target": {"metric": METRIC, "value": 400},
            }
        )
    )
    out = folder / "runs"
    args = ["sweep", str(study), "--seeds", "3", "--jobs", "2", "--out", str(out)]
    assert main(args) == 0
    return out / "lr"


def _rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_every_seed_is_a_run_evaluated_during_training(seeded: Path) -> None:
    names = sorted(p.name for p in seeded.iterdir() if (p / "config.yaml").exists())
    assert names == [f"{e},seed={s}" for e in ("fast", "slow") for s in (0, 1, 2)]
    for name in names:
        config = yaml.safe_load((seeded / name / "config.yaml").read_text())
        assert config["seed"] == int(name[-1]) and config["eval"]["every"] == STEPS // 5
        evaluated = [r for r in _rows(seeded / name) if r.get("evaluated")]
        assert [r["step"] for r in evaluated] == [4, 8, 12, 16, 20]
        assert all(METRIC in r and r["seconds"] > 0 for r in evaluated)
        assert [r["seconds"] for r in evaluated] == sorted(r["seconds"] for r in evaluated)
    records = [json.loads(line) for line in (seeded / "study.jsonl").read_text().splitlines()]
    assert all(METRIC in r["eval"] for r in records)  # the last evaluation, no second pass
    assert yaml.safe_load((seeded / "study.yaml").read_text())["seeds"] == [0, 1, 2]


def test_json_table_is_what_the_runs_files_say(seeded: Path, tmp_path: Path) -> None:
    """Recompute every (experiment, best/last) summary from metrics.jsonl with numpy and
    scipy's t interval, independently of ganforge's statistics."""
    out = tmp_path / "table.json"
    assert main(["report", str(seeded), "--format", "json", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["primary_metric"] == METRIC and doc["confidence"] == 0.95
    assert [e["experiment"] for e in doc["experiments"]] == ["slow", "fast"]
    table = {(r["experiment"], r["which"]): r for r in doc["rows"] if r["metric"] == METRIC}
    assert set(table) == {(e, w) for e in ("slow", "fast") for w in ("best", "last")}
    for experiment in ("slow", "fast"):
        curves = [
            [r[METRIC] for r in _rows(seeded / f"{experiment},seed={s}") if METRIC in r]
            for s in range(3)
        ]
        for which, pick in (("best", min), ("last", lambda v: v[-1])):
            values = np.array([pick(c) for c in curves])
            low, high = stats.t.interval(
                0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
            )
            row = table[(experiment, which)]
            assert row["n"] == 3 and row["values"] == pytest.approx(values.tolist())
            assert row["mean"] == pytest.approx(values.mean())
            assert row["std"] == pytest.approx(values.std(ddof=1))
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
            assert row["rank"] in (1, 2)
    pairs = [p for p in doc["pairwise"] if p["metric"] == METRIC and p["which"] == "last"]
    assert len(pairs) == 1 and pairs[0]["p_holm"] == pytest.approx(pairs[0]["p"])  # one pair
    target = {t["experiment"]: t for t in doc["target"]["experiments"]}
    assert all(0 <= t["reached"] <= t["runs"] == 3 for t in target.values())


def test_markdown_and_latex_tables(seeded: Path, tmp_path: Path) -> None:
    (md,) = write_report([seeded], tmp_path / "t.md", "md")
    text = md.read_text()
    assert "| slow | 3 |" in text and "| fast | 3 |" in text and "## All runs" in text
    assert "pairs differ (Welch, Holm-corrected)" in text
    (tex,) = write_report([seeded], tmp_path / "t.tex", "tex")
    latex = tex.read_text()
    assert "\\toprule" in latex and "\\bottomrule" in latex and "$\\pm$" in latex
    assert "fid\\_domain1k" in latex  # underscores escaped


def test_report_command_offers_every_format() -> None:
    from ganforge.cli.parser import build_parser
    from ganforge.studies.report import FORMATS

    parser = build_parser()
    action = next(
        a
        for sub in parser._subparsers._group_actions
        for name, p in sub.choices.items()
        if name == "report"
        for a in p._actions
        if a.dest == "format"
    )
    assert tuple(action.choices) == FORMATS


# ---------------------------------------------------------------- time budgets


def test_train_minutes_do_not_count_evaluations(tmp_path: Path) -> None:
    from ganforge.training import train

    minutes = 0.03  # 1.8 s of training, evaluated every 0.12 s of it
    config = resolved(
        *[o for o in TINY if not o.startswith("data.limit")],
        "train.steps=100000",
        f"train.minutes={minutes}",
        "train.log_every=1",
        "train.sample_every=0",
        "train.checkpoint_every=0",
        f"eval.metrics=[{METRIC}]",
        "eval.num_samples=200",
        "eval.every_minutes=0.002",
    )
    started = time.perf_counter()
    run = train(config, run_dir=tmp_path / "run", device="cpu", progress=False)
    wall = time.perf_counter() - started
    rows = run.read_metrics()
    evaluated = [r for r in rows if r.get("evaluated")]
    assert len(evaluated) >= 3
    spent = sum(r["eval_seconds"] for r in evaluated)
    assert rows[-1]["seconds"] >= minutes * 60
    # evaluations came on top of the budget: the run took the budget plus their time
    assert wall >= minutes * 60 + 0.9 * spent and spent > 0.2
    # a run whose budget is spent is trained: the sweep does not resume it
    assert action_for(tmp_path / "run", 100000, [METRIC], minutes) == "skip"
    assert action_for(tmp_path / "run", 100000, [METRIC], minutes * 10) == "resume"


# ---------------------------------------------------------------- ten experiments, one screen


def fake_run(folder: Path, name: str, config: dict, values: list[float], alarm: bool) -> None:
    """A run directory as training writes it: config, evaluated rows, one sample grid."""
    run = folder / name
    (run / "samples").mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    rows = []
    for k, value in enumerate(values, start=1):
        row = {"step": 100 * k, "d_loss": 1.0 + k / 10, "g_loss": 0.7, "seconds": 10.0 * k}
        row.update({"fid_domain5k": value, "classes5k": value / 100, "evaluated": ["fid_domain5k"]})
        if alarm:
            row["alarms"] = ["class_collapse"]
        rows.append(row)
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    pixels = np.random.default_rng(len(name)).integers(0, 255, (64, 64), dtype=np.uint8)
    Image.fromarray(pixels).save(run / "samples" / f"step_{100 * len(values):07d}.png")


@pytest.fixture(scope="module")
def ten(tmp_path_factory) -> Path:
    """Akel's ten MNIST experiments' shape: ten settings x 2 seeds, long differing configs."""
    folder = tmp_path_factory.mktemp("ten") / "akel"
    for e in range(10):
        for seed in range(2):
            config = {
                "name": f"akel2022-exp{e + 1:02d}",
                "seed": seed,
                "model": {"name": "dcgan" if e % 2 else "mlp", "g": {"hidden": [256, 512, 1024]}},
                "loss": {"name": ["nonsaturating", "lsgan", "wasserstein"][e % 3]},
                "optim": {"d": {"lr": 1e-4 * (e + 1), "betas": [0.5, 0.999]}},
                "train": {"batch_size": 32 * (1 + e % 4), "steps": 1000 * (e + 1)},
            }
            start = 800 - 60 * e + 3 * seed  # seeds 3 apart, experiments 60: no overlap
            values = [start, start - 40, start - 60]
            fake_run(folder, f"exp{e + 1:02d},seed={seed}", config, values, alarm=e == 3)
    (folder / "study.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "akel",
                "eval": {"metrics": ["fid_domain5k"]},
                "published": {
                    "source": "Akel 2022, table 4.6",
                    "metric": "fid5k",
                    "values": {f"exp{e + 1:02d}": 50.0 + e for e in range(10)},
                },
            }
        )
    )
    return folder


def test_ten_experiments_rank_and_agree_with_the_published_order(ten: Path) -> None:
    from ganforge.studies.summary import build

    runs = collect([ten])
    assert len(group(runs)) == 10
    doc = build(runs)
    last = {
        r["experiment"]: r
        for r in doc["rows"]
        if r["metric"] == "fid_domain5k" and r["which"] == "last"
    }
    assert last["exp10"]["rank"] == 1 and last["exp01"]["rank"] == 10
    # ours falls from exp01 to exp10 while the published values rise: a contradiction
    assert doc["published"]["last"]["rho"] == pytest.approx(-1.0)
    assert doc["published"]["last"]["verdict"] == "contradicted"
    alarms = {e["experiment"]: e["alarms"] for e in doc["experiments"]}
    assert alarms["exp04"] == {"class_collapse": 6} and alarms["exp01"] == {}
    significant = [p for p in doc["pairwise"] if p["significant"]]
    assert significant and all(math.isfinite(p["hedges_g"]) for p in significant)


def test_ten_experiment_page_fits_the_screen_in_a_browser(ten: Path, tmp_path: Path) -> None:
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (.ci/run installs the Debian package 'chromium')")
    (page,) = write_report([ten], tmp_path / "report.html")
    probe = """(() => {
        const grid = document.querySelector('img.zoomable');
        const before = grid.getBoundingClientRect().width;
        grid.click();
        const after = grid.getBoundingClientRect().width;
        return {
          scroll: document.documentElement.scrollWidth,
          width: window.innerWidth,
          experiments: document.querySelectorAll('table.experiments tbody tr').length,
          bands: document.querySelectorAll('svg.chart polygon.band').length,
          pairs: document.querySelectorAll('table.pairs td.win').length,
          grids: document.querySelectorAll('.grids img').length,
          alarms: document.querySelectorAll('table.experiments td.alarm').length,
          zoom: after / before,
        };
    })()"""
    result = evaluate(page, probe, tmp_path / "report.png", tmp_path / "profile", width=1400)
    assert result["errors"] == []
    assert result["scroll"] <= result["width"]  # no horizontal scrolling at 1400 px
    assert result["experiments"] == 10 and result["grids"] == 10
    assert result["bands"] >= 10 * 2  # a band per experiment, against steps and against time
    assert result["pairs"] > 0 and result["alarms"] == 1
    assert result["zoom"] > 1.5  # a click enlarges a grid

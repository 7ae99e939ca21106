"""The report: table content, Markdown, and a real headless Chromium rendering the page.

The browser is driven through the Chrome DevTools Protocol over `--remote-debugging-pipe`
(NUL-separated JSON on file descriptors 3 and 4), so no websocket or Playwright package is needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser import evaluate, find_chromium
from conftest import tiny_config
from ganforge.cli import main
from ganforge.studies.report import write_report
from ganforge.studies.rundata import collect
from ganforge.studies.table import differing_keys, direction
from ganforge.training import train

# ---------------------------------------------------------------- a tiny study on disk


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """Three tiny runs in a study folder, two with an evaluation row, plus seed numbers."""
    folder = tmp_path_factory.mktemp("report") / "tiny"
    for name, overrides in {
        "a": ["loss.name=nonsaturating"],
        "b": ["loss.name=lsgan"],
        "c": ["loss.name=lsgan", "optim.d.lr=0.001"],
    }.items():
        config = tiny_config("train.steps=6", "train.sample_every=2", *overrides)
        run = train(config, run_dir=folder / name, device="cpu", progress=False)
        if name != "c":
            fid = {"a": 80.0, "b": 60.0}[name]
            for step, value in ((4, fid + 10), (6, fid)):
                row = {"step": step, "kind": "eval", "fid_domain1k": value, "seconds": 1.0}
                run.append_metrics(row)
    (folder / "study.yaml").write_text(
        "name: tiny\ndescription: three tiny runs\n"
        "published: {source: 'Seed 001, table 4.6', metric: fid5k, label: 'FID (seed)',\n"
        "  note: 'other protocol', values: {a: 53.7, b: 52.4}}\n"
        "target: {metric: fid_domain1k, value: 75}\n"
    )
    failed = {"run": "d", "status": "diverged", "error": "the loss is NaN at step 3"}
    (folder / "study.jsonl").write_text(json.dumps(failed) + "\n")
    return folder


def test_direction_of_metrics() -> None:
    assert direction("fid5k") == direction("fid_domain5k") == direction("kid10k") == "lower"
    assert direction("ppl_w10k") == direction("ppl_domain_z5k") == "lower"
    assert direction("is10k") == direction("modes2.5k_modes") == "higher"
    assert direction("is10k_std") is None and direction("domain_classifier_accuracy") is None


def test_table_has_one_row_per_run_and_only_differing_keys(study: Path) -> None:
    runs = collect([study])
    assert [r.name for r in runs] == ["a", "b", "c"]
    keys = differing_keys(runs)
    assert set(keys) == {"loss.name", "optim.d.lr"}  # not name, seed, steps or the data
    written = write_report([study], study.parent / "r.html", "md")
    assert [p.name for p in written] == ["r.md", "r.html"]  # the table, and the page too
    md = written[0].read_text()
    over_seeds, every_run = md.split("## All runs")
    assert len([line for line in over_seeds.splitlines() if line.startswith("| ")]) == 1 + 3
    lines = [line for line in every_run.splitlines() if line.startswith("| ")]
    assert len(lines) == 1 + 3  # header + one row per run
    header = lines[0]
    for title in ("loss.name", "optim.d.lr", "fid_domain1k final", "fid_domain1k best"):
        assert title in header
    assert "FID (seed)" in header and "train.steps" not in header and "seed |" not in header
    row_b = next(line for line in lines if line.startswith("| b |"))
    assert "**60**" in row_b and "52.4" in row_b  # best FID in bold; the seed's value beside
    assert "other protocol" in md
    assert "- d (diverged): the loss is NaN at step 3" in md  # a failed run has no row: why


def test_time_to_a_target_quality(study: Path) -> None:
    """b reaches FID 75 at its step-4 evaluation, a never does, c was never evaluated."""
    from ganforge.studies.table import columns

    runs = {r.name: r for r in collect([study])}
    (col,) = [c for c in columns(list(runs.values())) if c.title.startswith("time to")]
    assert col.title == "time to fid_domain1k <= 75 (s)"
    assert col.value(runs["a"]) is None and col.value(runs["c"]) is None
    b = runs["b"]
    assert 0 < col.value(b) == b.seconds_until(4) < b.train_seconds


def test_html_is_self_contained(study: Path) -> None:
    (out,) = write_report([study], study.parent / "r.html")
    page = out.read_text()
    assert page.count("<tr data-run=") == 3
    # first, middle and last grid per run; one grid per experiment (here a run each)
    assert page.count("data:image/png;base64,") == 3 * 3 + 3
    assert "<svg" in page and "discriminator loss" in page
    assert "One seed per experiment" in page  # single runs: the page says what they cannot show
    assert "Failed runs" in page and "the loss is NaN at step 3" in page
    for remote in ("http://", "https://", 'src="/', "//cdn"):
        assert remote not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_report_command_and_a_single_run(study: Path, capsys) -> None:
    out = study.parent / "single.html"
    assert main(["report", str(study / "a"), str(study / "b"), "-o", str(out)]) == 0
    assert out.exists() and str(out) in capsys.readouterr().out
    assert main(["report", str(study.parent / "nothing-here"), "-o", str(out)]) == 2


# ---------------------------------------------------------------- a real browser


def render(page: Path, screenshot: Path, profile: Path, width: int = 1280) -> dict:
    """What rendered, after the run table's first header was clicked twice (rows by name,
    descending), and the console errors."""
    probe = """(() => {
        const imgs = [...document.images];
        const table = document.querySelector('table#runs');
        const th = table.querySelector('th:nth-child(1)');
        th.click(); th.click();  // sort by run name, descending
        return {
          rows: table.querySelectorAll('tbody tr').length,
          images: imgs.length,
          decoded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
          svgs: document.querySelectorAll('svg.chart').length,
          best: table.querySelectorAll('td.best').length,
          order: [...table.querySelectorAll('tbody tr')].map(r => r.dataset.run),
        };
    })()"""
    return evaluate(page, probe, screenshot, profile, width)


def test_report_renders_in_a_real_browser(study: Path, tmp_path: Path) -> None:
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (.ci/run installs the Debian package 'chromium')")
    (page,) = write_report([study], tmp_path / "report.html")
    screenshot = tmp_path / "report.png"  # kept by pytest under its basetemp for a look
    result = render(page, screenshot, tmp_path / "profile")
    assert result["errors"] == []
    assert result["rows"] == 3
    # 3 grids per run under "All runs", and one per experiment (here: a run each)
    assert result["images"] == 12 and result["decoded"] == 12  # every grid decoded
    assert result["svgs"] >= 4  # the loss, D-output and metric charts
    assert result["best"] >= 2  # best fid final and best
    assert result["order"] == ["c", "b", "a"]  # the header click sorted the rows
    assert screenshot.stat().st_size > 10_000

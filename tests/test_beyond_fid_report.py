"""The report's sections for metrics beyond FID, read from hand-written run directories whose
numbers are known: the precision-recall scatter puts each experiment where its seeds' mean
is, FID-infinity sits beside the score at the largest N, and the legend explains the metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from scipy import stats

from ganforge.studies.report import write_report

# experiment -> seed -> (precision, recall, density, coverage, fid_inf, fid at N=1000)
KNOWN = {
    "sharp": {0: (0.9, 0.2, 1.1, 0.3, 50.0, 60.0), 1: (0.8, 0.3, 0.9, 0.35, 54.0, 66.0)},
    "blurry": {0: (0.3, 0.8, 0.4, 0.7, 90.0, 99.0), 1: (0.4, 0.9, 0.5, 0.8, 96.0, 103.0)},
}


def write_run(folder: Path, name: str, seed: int, values: tuple[float, ...]) -> None:
    precision, recall, density, coverage, fid_inf, fid_at_n = values
    run = folder / f"{name},seed={seed}"
    run.mkdir(parents=True)
    width = 8 if name == "sharp" else 16  # what makes them two experiments
    config = {"name": "default", "seed": seed, "model": {"width": width}}
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    slope = (fid_at_n - fid_inf) * 1000  # fid = fid_inf + slope / N through N = 1000
    points = [[n, fid_inf + slope / n] for n in (100, 550, 1000)]
    early = {"step": 10, "kind": "eval", "pr_domain1k_precision": 0.01}  # not the last
    last = {
        "step": 20,
        "kind": "eval",
        "pr_domain1k_precision": precision,
        "pr_domain1k_recall": recall,
        "dc_domain1k_density": density,
        "dc_domain1k_coverage": coverage,
        "fid_domain_inf1k": fid_inf,
        "fid_domain_inf1k_slope": slope,
        "fid_domain_inf1k_points": points,
    }
    rows = [{"step": s, "d_loss": 1.0, "g_loss": 1.0} for s in (10, 20)] + [early, last]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture
def page(tmp_path: Path) -> str:
    for name, seeds in KNOWN.items():
        for seed, values in seeds.items():
            write_run(tmp_path / "runs", name, seed, values)
    out = tmp_path / "report.html"
    write_report([tmp_path / "runs"], out)
    return out.read_text()


def dots(svg: str) -> dict[str, tuple[float, float]]:
    """experiment -> (cx, cy) of its dot in one scatter."""
    found = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>([^:<]+):', svg)
    return {name: (float(x), float(y)) for x, y, name in found}


def chart(page: str, title: str) -> str:
    start = page.index(f'aria-label="{title}"')
    return page[start : page.index("</svg>", start)]


def mean(experiment: str, index: int) -> float:
    return sum(v[index] for v in KNOWN[experiment].values()) / 2


def test_precision_against_recall_places_each_experiment_at_its_mean(page: str) -> None:
    svg = chart(page, "pr_domain1k: precision against recall")
    sharp, blurry = dots(svg)["sharp"], dots(svg)["blurry"]
    assert sharp[0] < blurry[0]  # less recall: further left
    assert sharp[1] < blurry[1]  # more precision: higher on the page (smaller y)
    assert f"sharp: {mean('sharp', 1):.3g}, {mean('sharp', 0):.3g}" in svg
    assert svg.count('class="bar"') == 4  # two interval bars per experiment (2 seeds each)
    dc = chart(page, "dc_domain1k: density against coverage")
    assert f"blurry: {mean('blurry', 3):.3g}, {mean('blurry', 2):.3g}" in dc


def test_fid_infinity_sits_beside_the_score_at_the_largest_n(page: str) -> None:
    section = page[page.index("Scores at infinitely many samples") :]
    for name, seeds in KNOWN.items():
        values = [v[4] for v in seeds.values()]
        low, high = stats.t.interval(0.95, 1, loc=sum(values) / 2, scale=stats.sem(values))
        at_n = sum(v[5] for v in seeds.values()) / 2
        row = re.search(rf"<td class='text'>{name}</td>(.*?)</tr>", section).group(1)
        cells = re.findall(r"<td>([^<]*)</td>", row)
        assert cells[0] == f"{sum(values) / 2:.4g} ± {(high - low) / 2:.4g}"
        assert float(cells[1]) == pytest.approx(at_n) and cells[2] == "1,000"
    fit = chart(page, "fid_domain_inf1k: score against 1/N (left end: extrapolated)")
    assert fit.count("<polyline") == 2


def test_the_legend_says_what_each_metric_measures(page: str) -> None:
    legend = page[page.index("What each metric means") :]
    legend = legend[: legend.index("</details>")]
    assert "<b>pr_domain</b> (higher is better): Precision and recall, k=3" in legend
    assert "<b>dc_domain</b>" in legend and "Naeem et al. 2020" in legend
    assert "<b>fid_domain_inf</b> (lower is better)" in legend and "Chong &amp; Forsyth" in legend

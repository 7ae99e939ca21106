"""Report sections for the metrics beyond FID: where each experiment sits between precision
and recall (and density and coverage), FID-infinity beside the FID of the largest subset with
the fit it came from, and a legend of what each metric in the report measures.

FID alone cannot tell a generator that draws sharp images of half the modes from one that draws
blurry images of all of them; the scatter can. Values are each seed's last evaluation, the dot
their mean and the bars the same 95% interval as the experiments table.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from ganforge.studies.charts import Point, legend, line_chart, scatter_chart
from ganforge.studies.groups import Experiment, per_seed
from ganforge.studies.rundata import RunData, metric_keys
from ganforge.studies.stats import CONFIDENCE, summarize
from ganforge.studies.table import direction, format_cell

PAIRS = (("precision", "recall"), ("density", "coverage"))  # (y, x) of each scatter
INFINITY = re.compile(r"_inf\d+(\.\d+)?k$")  # fid_inf10k, fid_domain_inf5k, is_inf10k


def _runs(experiments: list[Experiment]) -> list[RunData]:
    return [r for e in experiments for r in e.runs]


def _point(experiment: Experiment, x_key: str, y_key: str) -> Point:
    x = summarize(per_seed(experiment, x_key, "last"))
    y = summarize(per_seed(experiment, y_key, "last"))
    return (x.mean, y.mean, x.low, x.high, y.low, y.high)


def manifold_html(experiments: list[Experiment]) -> str:
    """A precision-recall (and density-coverage) scatter per metric protocol in the runs."""
    names, keys = [e.name for e in experiments], metric_keys(_runs(experiments))
    charts = []
    for y_part, x_part in PAIRS:
        for y_key in [k for k in keys if k.endswith(f"_{y_part}")]:
            base = y_key.removesuffix(f"_{y_part}")
            x_key = f"{base}_{x_part}"
            if x_key in keys:
                points = {e.name: _point(e, x_key, y_key) for e in experiments}
                title = f"{base}: {y_part} against {x_part}"
                charts.append(scatter_chart(title, points, names, x_part, y_part))
    charts = [c for c in charts if c]
    if not charts:
        return ""
    return (
        "<h2>Quality against coverage</h2><p class='note'>Up is realistic samples (precision, "
        "density), right is samples that cover the data (recall, coverage): a collapsed "
        "generator sits top left, a blurry one bottom right. Dot: mean over seeds of the last "
        f"evaluation; bars: {CONFIDENCE:.0%} interval.</p>"
        f"{legend(names)}<div class='charts'>{''.join(charts)}</div>"
    )


def _last_points(run: RunData, key: str) -> list[tuple[float, float]]:
    """The (N, score) fit points of the newest evaluation that logged `key`."""
    rows = [r for r in [*run.rows, *run.evals] if isinstance(r.get(f"{key}_points"), list)]
    if not rows:
        return []
    newest = max(rows, key=lambda r: r.get("step", 0))
    return [(float(n), float(s)) for n, s in newest[f"{key}_points"]]


def _mean_fit(experiment: Experiment, key: str) -> list[tuple[float, float]]:
    """(1/N, mean score over seeds) of the fit's points, and (0, mean extrapolated value)."""
    by_n: dict[float, list[float]] = {}
    for run in experiment.runs:
        for n, score in _last_points(run, key):
            by_n.setdefault(n, []).append(score)
    if not by_n:
        return []
    value = summarize(per_seed(experiment, key, "last")).mean
    return [(0.0, value)] + sorted((1 / n, sum(s) / len(s)) for n, s in by_n.items())


def infinity_html(experiments: list[Experiment]) -> str:
    """FID-infinity (IS-infinity) beside the score at the largest N, and the fits in 1/N."""
    names, keys = [e.name for e in experiments], metric_keys(_runs(experiments))
    sections = []
    for key in [k for k in keys if INFINITY.search(k)]:
        fits = {e.name: _mean_fit(e, key) for e in experiments}
        rows = "".join(_infinity_row(e, key, fits[e.name]) for e in experiments)
        chart = line_chart(f"{key}: score against 1/N (left end: extrapolated)", fits, names, "1/N")
        sections.append(
            f"<table class='runs'><tr><th>experiment</th><th>{escape(key)} (mean ± "
            f"{CONFIDENCE:.0%})</th><th>score at the largest N</th><th>N</th></tr>{rows}"
            f"</table><div class='charts'>{chart}</div>"
        )
    if not sections:
        return ""
    return (
        "<h2>Scores at infinitely many samples</h2><p class='note'>FID grows as 1/N falls "
        "short of infinity by a slope that depends on the generator, so FIDs at different N "
        "do not compare and two generators can swap order (Chong &amp; Forsyth 2020). The "
        "extrapolated value removes that bias; the chart shows the subsets it was fitted on."
        "</p>" + "".join(sections)
    )


def _infinity_row(e: Experiment, key: str, fit: list[tuple[float, float]]) -> str:
    value = summarize(per_seed(e, key, "last"))
    largest = min(fit[1:], default=None)  # the smallest 1/N
    at_n = "" if largest is None else format_cell(largest[1])
    n = "" if largest is None else f"{round(1 / largest[0]):,}"
    spread = "" if value.n < 2 else f" ± {format_cell(value.half_width)}"
    return (
        f"<tr><td class='text'>{escape(e.name)}</td><td>{format_cell(value.mean)}{spread}</td>"
        f"<td>{at_n}</td><td>{n}</td></tr>"
    )


def legend_html(runs: list[RunData]) -> str:
    """What each metric in these runs measures, from its registered docstring."""
    from ganforge.metrics import METRICS

    described: dict[str, str] = {}
    for key in metric_keys(runs):
        protocol = _protocol_of(key, METRICS)
        if protocol is None or protocol.kind.name in described:
            continue
        better = direction(key)
        doc = (protocol.kind.score.__doc__ or "").strip().split("\n\n")
        text = " ".join(" ".join(part.split()) for part in doc[:2])
        side = f" ({better} is better)" if better else ""
        described[protocol.kind.name] = f"<li><b>{escape(protocol.kind.name)}</b>{side}: " + (
            f"{escape(text)}</li>"
        )
    if not described:
        return ""
    return (
        "<details><summary>What each metric means</summary><p class='note'>A name's number "
        "is its sample count: fid5k is FID on 5,000 samples; _domain metrics use the offline "
        "domain classifier's features instead of Inception's.</p><ul class='findings'>"
        + "".join(described.values())
        + "</ul></details>"
    )


def _protocol_of(key: str, registry: Any) -> Any:
    """The registered protocol a row key belongs to: pr10k_recall -> pr10k."""
    parts = key.split("_")
    for cut in range(len(parts), 0, -1):
        name = "_".join(parts[:cut])
        if name in registry:
            return registry.get(name)
    return None

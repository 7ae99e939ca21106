"""The report's sections over seeds: findings, the experiment table with intervals and shared
ranks, which differences are real, the published ranking, curves with bands over seeds against
steps and training time, and one sample grid per experiment.

They print the document of studies/summary.py, so the page says what `--format json` says.
"""

from __future__ import annotations

import math
from collections import defaultdict
from html import escape
from typing import Any

from ganforge.studies.charts import legend, line_chart
from ganforge.studies.groups import Experiment, curve
from ganforge.studies.paper import cell, columns, findings, fmt
from ganforge.studies.rundata import RunData
from ganforge.studies.stats import CONFIDENCE, summarize
from ganforge.studies.table import differing_keys, direction, format_cell

LOSSES = (("d_loss", "discriminator loss"), ("g_loss", "generator loss"))


def findings_html(doc: dict[str, Any]) -> str:
    items = [line[2:] for line in findings(doc)]
    target = doc.get("target")
    if target:
        reached = [t for t in target["experiments"] if t["reached"] == t["runs"]]
        if reached:
            fastest = min(reached, key=lambda t: t["seconds"]["mean"])
            items.append(
                f"Fastest to {target['metric']} {target['value']:g}: {fastest['experiment']} "
                f"({cell(fastest['seconds'])} s of training, every seed reached it)."
            )
        else:
            items.append(
                f"No experiment reached {target['metric']} {target['value']:g} with every seed."
            )
    if not items:
        return ""
    return (
        "<h2>Findings</h2><ul class='findings'>"
        + "".join(f"<li>{escape(i)}</li>" for i in items)
        + "</ul>"
    )


def settings(experiments: list[Experiment]) -> dict[str, str]:
    """What differs between experiments, grouped by section: 'model.g: hidden=[8]; ...'."""
    firsts = [e.runs[0] for e in experiments]
    keys = [k for k in differing_keys(firsts) if k != "seed"]
    out = {}
    for e, run in zip(experiments, firsts, strict=True):
        groups: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            if run.config.get(key) in (None, ""):  # absent in this family's options
                continue
            section, _, leaf = key.rpartition(".")
            groups[section].append(f"{leaf}={format_cell(run.config.get(key))}")
        out[e.name] = "; ".join(
            f"{s}: {', '.join(v)}" if s else ", ".join(v) for s, v in groups.items()
        )
    return out


def experiments_html(doc: dict[str, Any], experiments: list[Experiment]) -> str:
    """One row per experiment: each metric's mean +- interval half-width (rank), cost, time to
    target, alarms and what differs. Rank 1 is green; click a column to sort by the mean."""
    metrics = list(dict.fromkeys(m for m, _ in columns(doc)))
    found = {(r["experiment"], r["metric"], r["which"]): r for r in doc["rows"]}
    shared = {m: _all_first(doc, m) for m in metrics}
    target = doc.get("target")
    times = {t["experiment"]: t for t in (target or {}).get("experiments", [])}
    config = settings(experiments)
    head = ["experiment", "seeds", *metrics, "train s", "steps/s"]
    head += [f"s to {target['metric']} {target['value']:g}"] if target else []
    head += ["alarms", "what differs"]
    body = []
    for e in doc["experiments"]:
        name = e["experiment"]
        cells = [_td(name, name, "text"), _td(len(e["runs"]), str(len(e["runs"])))]
        for metric in metrics:
            rows = [r for w in ("best", "last") if (r := found.get((name, metric, w)))]
            cells.append(_metric_cell(rows, shared[metric]))
        cells.append(_td(e["train_seconds"]["mean"], cell(e["train_seconds"])))
        cells.append(_td(e["steps_per_second"]["mean"], cell(e["steps_per_second"])))
        if target:
            t = times[name]
            note = "" if t["reached"] == t["runs"] else f" [{t['reached']}/{t['runs']} seeds]"
            cells.append(_td(t["seconds"]["mean"], (cell(t["seconds"]) or "never") + note))
        alarms = ", ".join(f"{k} x{v}" for k, v in e["alarms"].items())
        cells.append(_td(alarms, alarms, "text alarm" if alarms else "text"))
        cells.append(_td(config.get(name, ""), config.get(name, ""), "text config"))
        body.append(f"<tr>{''.join(cells)}</tr>")
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (
        f"<h2>Experiments over seeds</h2><p class='note'>Mean ± half-width of the "
        f"{CONFIDENCE:.0%} Student's t interval over seeds; (rank): experiments whose intervals "
        "overlap share a rank. Hover a cell for each seed's value.</p>"
        f"<table class='runs experiments'><thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _all_first(doc: dict[str, Any], metric: str) -> bool:
    """Every experiment ranked first: highlighting them all would say nothing."""
    ranks = [r["rank"] for r in doc["rows"] if r["metric"] == metric and r["rank"] is not None]
    return all(rank == 1 for rank in ranks)


def _metric_cell(rows: list[dict[str, Any]], shared: bool) -> str:
    """'best 287 ± 43 (1)' over 'last 305 ± 71 (1)' in one cell, sorted by the first; green
    where the experiment ranks first and not everyone does."""
    if not rows:
        return _td(None, "")
    lines, tips = [], []
    for row in rows:
        rank = row["rank"]
        lines.append(
            f"{row['which'] if len(rows) > 1 else ''} {cell(row)}"
            + (f" ({rank})" if rank is not None else "")
        )
        tip = f"{row['which']}: seeds {', '.join(fmt(v) for v in row['values'])}"
        if row["ci_low"] is not None:
            tip += f", {CONFIDENCE:.0%} interval {fmt(row['ci_low'])} to {fmt(row['ci_high'])}"
        tips.append(tip)
    first = any(r["rank"] == 1 for r in rows) and not shared
    html = "<br>".join(escape(line.strip()) for line in lines)
    return (
        f'<td class="{"best" if first else ""}" data-v="{rows[0]["mean"]}" '
        f'title="{escape("; ".join(tips))}">{html}</td>'
    )


def _td(sort: Any, text: str, kind: str = "", title: str = "") -> str:
    value = "" if sort is None or (isinstance(sort, float) and math.isnan(sort)) else sort
    tip = f' title="{escape(title)}"' if title else ""
    return f'<td class="{kind}" data-v="{escape(str(value))}"{tip}>{escape(text)}</td>'


def significance_html(doc: dict[str, Any]) -> str:
    """For the compared metric: a matrix per best/last, a cell per pair, coloured where the
    Holm-corrected Welch test says the row is better (green) or worse (red)."""
    primary = doc.get("primary_metric")
    names = [e["experiment"] for e in doc["experiments"]]
    tables = []
    for which in ("best", "last"):
        pairs = [p for p in doc["pairwise"] if p["metric"] == primary and p["which"] == which]
        if not pairs:
            continue
        lookup = {(p["a"], p["b"]): p for p in pairs}
        higher = direction(primary or "") == "higher"
        rows = []
        for a in names:
            cells = []
            for b in names:
                p = lookup.get((a, b)) or lookup.get((b, a))
                if a == b or p is None:
                    cells.append("<td></td>")
                    continue
                t = p["t"] if p["a"] == a else -p["t"]
                kind = ("win" if (t > 0) == higher else "loss") if p["significant"] else ""
                cells.append(
                    f'<td class="{kind}" title="{escape(p["sentence"])}">{fmt(p["p_holm"], 2)}</td>'
                )
            rows.append(f"<tr><th class='text'>{escape(a)}</th>{''.join(cells)}</tr>")
        head = "".join(f"<th>{escape(n)}</th>" for n in names)
        tables.append(
            f"<div><b>{escape(str(primary))}, {which}</b><table class='pairs'>"
            f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
    if not tables:
        return ""
    return (
        "<h2>Which differences are real</h2><p class='note'>Holm-corrected p of Welch's t-test "
        "over seeds, row against column: green, the row is better; red, worse; white, no "
        "difference at these seeds. A comparison of single runs cannot tell these apart from "
        f"seed noise.</p><div class='charts'>{''.join(tables)}</div>"
    )


def published_html(doc: dict[str, Any]) -> str:
    published = doc.get("published")
    if not published:
        return ""
    lines = [published[w]["sentence"] for w in ("best", "last") if w in published]
    source = escape(str(published.get("source") or "published"))
    return (
        f"<h2>Against the published ranking</h2><p class='note'>Published values are copied "
        f"from {source}, not computed by ganforge.</p><ul>"
        + "".join(f"<li>{escape(line)}</li>" for line in lines)
        + "</ul>"
    )


def curves_html(doc: dict[str, Any], experiments: list[Experiment]) -> str:
    """Every ranked metric evaluated more than once, against steps and against training time,
    a line per experiment with its band over seeds; and the mean losses."""
    names = [e.name for e in experiments]
    charts = []
    ranked = dict.fromkeys(r["metric"] for r in doc["rows"] if r["which"] == "best")
    for key in ranked:
        curves = {e.name: curve(e, key) for e in experiments}
        for axis, label in (("step", "step"), ("seconds", "training seconds")):
            series = {n: [(getattr(p, axis), p.summary.mean) for p in c] for n, c in curves.items()}
            bands = {
                n: [(getattr(p, axis), p.summary.low, p.summary.high) for p in c]
                for n, c in curves.items()
            }
            charts.append(
                line_chart(
                    f"{key} (mean, band: {CONFIDENCE:.0%} interval)", series, names, label, bands
                )
            )
    for key, title in LOSSES:
        charts.append(
            line_chart(
                f"{title} (mean over seeds)",
                {e.name: mean_by_step(e.runs, key) for e in experiments},
                names,
            )
        )
    charts = [c for c in charts if c]
    if not charts:
        return ""
    return f"<h2>Curves</h2>{legend(names)}<div class='charts'>{''.join(charts)}</div>"


def mean_by_step(runs: list[RunData], key: str) -> list[tuple[float, float]]:
    values: dict[int, list[float]] = defaultdict(list)
    for run in runs:
        for row in run.rows:
            if isinstance(row.get(key), int | float):
                values[row["step"]].append(float(row[key]))
    return [(step, summarize(v).mean) for step, v in sorted(values.items())]


def samples_html(experiments: list[Experiment], image_uri: Any) -> str:
    """One grid per experiment (its first seed), at a step every experiment has a grid for
    when there is one, else each run's last grid. Click a grid to enlarge it."""
    firsts = [e.runs[0] for e in experiments if e.runs[0].samples]
    if not firsts:
        return ""
    common = set.intersection(*({s for s, _ in r.samples} for r in firsts))
    step = max(common) if common else None
    figures = []
    for e in experiments:
        run = e.runs[0]
        chosen = dict(run.samples).get(step) if step is not None else None
        at, path = (step, chosen) if chosen else (run.samples[-1] if run.samples else (0, None))
        if path is None:
            continue
        figures.append(
            f"<figure><img class='zoomable' alt='{escape(e.name)} step {at}' "
            f"src='{image_uri(path)}'><figcaption>{escape(e.name)} ({escape(run.name)}), "
            f"step {at:,}</figcaption></figure>"
        )
    when = (
        f"at step {step:,}"
        if step is not None
        else "at each run's last grid (a time budget ends runs at different steps)"
    )
    return (
        f"<h2>Samples</h2><p class='note'>First seed of each experiment, {when}; fixed "
        f"latents. Click a grid to enlarge it.</p><div class='grids'>{''.join(figures)}</div>"
    )

"""`ganforge report`: one self-contained HTML page (or a Markdown table) comparing runs.

Everything is inline: sample grids as base64 data URIs, charts as SVG, a few lines of CSS and of
JavaScript for sorting. The page makes no network request, so it can be mailed, archived or
opened offline years later. It reads only run directory files (see rundata.py).
"""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path

from ganforge.runs.images import image_uri
from ganforge.studies import beyond_fid, paper
from ganforge.studies import seeds_html as sections
from ganforge.studies.groups import group
from ganforge.studies.rundata import RunData, collect, failures
from ganforge.studies.summary import build
from ganforge.studies.table import best_values, columns, format_cell, markdown
from ganforge.studies.tuning import tune_html, tune_markdown

FORMATS = ("html", "md", "json", "tex")
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#f3f3f3;cursor:pointer;user-select:none}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
td.text,td.config{text-align:left}td.best{background:#c8f0c8;font-weight:bold}
td.published,th.published{background:#fff6d8}
.note{color:#555;max-width:900px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg.chart{background:#fff;border:1px solid #ddd;font-size:10px}
svg .title{font-size:13px;font-weight:bold}svg .frame{fill:none;stroke:#999}
svg .grid{stroke:#eee}
.legend{margin:8px 0}.key{margin-right:14px;white-space:nowrap}
.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.samples td{text-align:center;vertical-align:top}
.samples img{width:180px;image-rendering:pixelated;display:block}
td.config{white-space:normal;min-width:220px;max-width:460px;font-size:12px}
td.alarm{color:#a00;white-space:normal;max-width:160px}th{white-space:normal}td.win{background:#c8f0c8}td.loss{background:#f6c6c6}
table.pairs td{min-width:34px}
.findings li{margin:3px 0}
.grids{display:flex;flex-wrap:wrap;gap:12px}.grids figure{margin:0;font-size:12px}
img.zoomable{width:240px;image-rendering:pixelated;display:block;cursor:zoom-in}
img.zoomed{position:fixed;top:2vh;left:50%;transform:translateX(-50%);width:auto;height:96vh;
z-index:10;box-shadow:0 0 0 100vmax rgba(0,0,0,.6);cursor:zoom-out}
details{margin-top:24px}summary{cursor:pointer;font-size:17px;font-weight:bold}
"""
SCRIPT = """
document.querySelectorAll("table.runs").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var asc = !th.classList.contains("sorted-asc");
      table.querySelectorAll("th").forEach(function (h) {
        h.classList.remove("sorted-asc", "sorted-desc");
      });
      th.classList.add(asc ? "sorted-asc" : "sorted-desc");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
        if (x === "" || y === "") { return (x === "") - (y === ""); }  // blanks last
        var nx = Number(x), ny = Number(y);
        var cmp = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
        return asc ? cmp : -cmp;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
document.querySelectorAll("img.zoomable").forEach(function (img) {
  img.addEventListener("click", function () { img.classList.toggle("zoomed"); });
});
"""


def chosen_samples(run: RunData) -> list[tuple[int, Path]]:
    """First, middle and last sample grids (fewer when the run wrote fewer)."""
    if not run.samples:
        return []
    picks = sorted({0, len(run.samples) // 2, len(run.samples) - 1})
    return [run.samples[i] for i in picks]


def table_html(runs: list[RunData]) -> str:
    cols = columns(runs)
    best = best_values(cols, runs)
    head = "".join(
        f'<th class="{c.kind}" title="{"lower" if c.better == "lower" else "higher"} is better"'
        f">{escape(c.title)}</th>"
        if c.better
        else f'<th class="{c.kind}">{escape(c.title)}</th>'
        for c in cols
    )
    body = []
    for run in runs:
        cells = []
        for col in cols:
            value = col.value(run)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            classes = [col.kind] + (
                ["best"] if col.title in best and value == best[col.title] else []
            )
            sort_value = repr(value) if numeric else format_cell(value)
            cells.append(
                f'<td class="{" ".join(classes)}" data-v="{escape(sort_value)}">'
                f"{escape(format_cell(value, col.digits))}</td>"
            )
        body.append(f'<tr data-run="{escape(run.name)}">{"".join(cells)}</tr>')
    return (
        f'<table class="runs" id="runs"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def samples_html(runs: list[RunData]) -> str:
    rows = []
    for run in runs:
        cells = "".join(
            f'<td><img alt="{escape(run.name)} step {step}" src="{image_uri(path)}">'
            f"step {step:,}</td>"
            for step, path in chosen_samples(run)
        )
        rows.append(f'<tr><th class="text">{escape(run.name)}</th>{cells}</tr>')
    if not any(run.samples for run in runs):
        return ""
    return (
        "<h2>Samples (first, middle and last grid; fixed latents)</h2>"
        f"<table class='samples'>{''.join(rows)}</table>"
    )


def published_html(runs: list[RunData]) -> str:
    published = next((r.study["published"] for r in runs if (r.study or {}).get("published")), None)
    if not published:
        return ""
    source = escape(str(published.get("source", "published")))
    note = escape(str(published.get("note", "")))
    return (
        f"<p class='note'><b>Published numbers</b> (yellow column) are copied from {source}, "
        f"not computed by ganforge. {note}</p>"
    )


def failures_html(sources: list[Path]) -> str:
    """Runs the sweep could not finish: they have no row in the table, so say why here."""
    failed = failures(sources)
    if not failed:
        return ""
    items = "".join(
        f"<li><b>{escape(str(f.get('run')))}</b> ({escape(str(f.get('status')))}): "
        f"{escape(str(f.get('error') or ''))}</li>"
        for f in failed
    )
    return f"<h2>Failed runs</h2><ul class='failed'>{items}</ul>"


def html_page(runs: list[RunData], sources: list[Path]) -> str:
    studies = sorted({str(r.study.get("name")) for r in runs if r.study and r.study.get("name")})
    title = "ganforge report" + (f": {', '.join(studies)}" if studies else "")
    described = [r.study.get("description") for r in runs if r.study and r.study.get("description")]
    stamp = time.strftime("%Y-%m-%d %H:%M")
    experiments = group(runs)
    doc = build(runs)
    single = all(len(e.runs) == 1 for e in experiments)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><link rel='icon' href='data:,'>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        + (f"<p class='note'>{escape(described[0])}</p>" if described else "")
        + f"<p class='note'>{len(runs)} runs in {len(experiments)} experiments from "
        f"{escape(', '.join(map(str, sources)))}; generated {stamp}. Click a column to sort."
        + (SINGLE_SEED if single else "")
        + "</p>"
        + tune_html(sources, image_uri)
        + sections.findings_html(doc)
        + sections.experiments_html(doc, experiments)
        + beyond_fid.legend_html(runs)
        + sections.significance_html(doc)
        + sections.published_html(doc)
        + sections.curves_html(doc, experiments)
        + beyond_fid.manifold_html(experiments)
        + beyond_fid.infinity_html(experiments)
        + sections.samples_html(experiments, image_uri)
        + f"<details{' open' if single else ''}><summary>All {len(runs)} runs</summary>"
        "<p class='note'>The best value of each metric is green. Only config keys that "
        "differ between runs are shown.</p>"
        + published_html(runs)
        + table_html(runs)
        + samples_html(runs)
        + "</details>"
        + failures_html(sources)
        + f"<p class='note'>Method: {escape(doc['method'])}</p>"
        + f"<script>{SCRIPT}</script></body></html>"
    )


SINGLE_SEED = (
    " <b>One seed per experiment:</b> a GAN's score moves with its seed as much as with many "
    "settings, so these differences cannot be told from seed noise; sweep with --seeds 3."
)


def write_report(sources: list[Path], output: Path, fmt: str = "html") -> list[Path]:
    """Write the report of the runs under `sources`; return the files written."""
    from ganforge.errors import GanforgeError

    if fmt not in FORMATS:
        raise GanforgeError(f"unknown report format '{fmt}'; available: {', '.join(FORMATS)}")
    try:
        runs = collect(sources)
    except FileNotFoundError as err:
        raise GanforgeError(str(err)) from None
    if not runs:
        raise GanforgeError(f"no run directories (folders with config.yaml) in {sources}")
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        output.write_text(html_page(runs, sources))
        return [output]
    # md, json, tex: the aggregated table; the page too when -o names an .html file
    path = output.with_suffix(f".{fmt}") if output.suffix == ".html" else output
    path.write_text(TEXT_FORMATS[fmt](runs, sources))
    if output.suffix != ".html":
        return [path]
    output.write_text(html_page(runs, sources))
    return [path, output]


def markdown_text(runs: list[RunData], sources: list[Path]) -> str:
    """The experiments over seeds, what differs, then every run (and the failed ones)."""
    failed = [f"- {f.get('run')} ({f.get('status')}): {f.get('error')}" for f in failures(sources)]
    return (
        paper.markdown(build(runs))
        + tune_markdown(sources)
        + "\n## All runs\n\n"
        + markdown(runs)
        + ("\nFailed runs:\n" + "\n".join(failed) + "\n" if failed else "")
    )


TEXT_FORMATS = {
    "md": markdown_text,
    "json": lambda runs, _: json.dumps(build(runs), indent=1) + "\n",
    "tex": lambda runs, _: paper.latex(build(runs)),
}

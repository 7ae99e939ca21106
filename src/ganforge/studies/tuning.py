"""The report's section for a hyper-parameter search folder (`ganforge tune`): optimisation
history, parameter importances and the best trial's samples.

It reads `tune.json`, which the tuner writes after every trial (tune/summary.py), so the report
stays a reader of files and needs no Optuna.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from ganforge.studies.charts import legend, line_chart


def searches(sources: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """(folder, tune.json) of every source that is a search folder."""
    found = []
    for source in sources:
        path = Path(source) / "tune.json"
        if path.is_file():
            try:
                found.append((Path(source), json.loads(path.read_text())))
            except json.JSONDecodeError:
                continue  # being rewritten by a worker: the next report has it
    return found


def best_grid(folder: Path, data: dict[str, Any]) -> Path | None:
    """The last sample grid of the best trial's run directory."""
    best = data.get("best")
    if not best or not best.get("run_dir"):
        return None
    grids = sorted((folder / best["run_dir"] / "samples").glob("step_*.png"))
    return grids[-1] if grids else None


def history_series(data: dict[str, Any]) -> dict[str, list[tuple[float, float]]]:
    return {
        "trial value": [(h["number"], h["value"]) for h in data["history"]],
        "best so far": [(h["number"], h["best"]) for h in data["history"]],
    }


def tune_html(sources: list[Path], image_uri: Callable[[Path], str]) -> str:
    return "".join(_one_html(folder, data, image_uri) for folder, data in searches(sources))


def _one_html(folder: Path, data: dict[str, Any], image_uri: Callable[[Path], str]) -> str:
    metric = escape(data["metric"])
    better = "higher" if data["direction"] == "maximize" else "lower"
    states = ", ".join(f"{n} {s.lower()}" for s, n in data["states"].items() if n)
    best = data.get("best")
    parts = [
        f"<h2>Search {escape(data['study'])}</h2><p class='note'>{data['counted']} trials "
        f"({escape(states)}); objective: the last {metric} of each trial ({better} is better). "
        "Pruned trials stopped at the step their trial.json names.</p>"
    ]
    if best:
        params = ", ".join(f"{escape(k)} = {escape(_short(v))}" for k, v in best["params"].items())
        parts.append(
            f"<p><b>Best: trial {best['number']}</b> ({escape(str(best['run_dir']))}), "
            f"{metric} {best['value']:.4g}: {params}</p>"
        )
    if data["history"]:
        series = history_series(data)
        title = f"Optimisation history: {data['metric']}"
        parts.append(
            legend(list(series))
            + "<div class='charts'>"
            + line_chart(title, series, list(series), xlabel="trial")
            + "</div>"
        )
    parts.append(_importances_html(data))
    grid = best_grid(folder, data)
    if grid is not None:
        parts.append(
            "<figure><img class='zoomable' alt='best trial samples' "
            f"src='{image_uri(grid)}'><figcaption>best trial, {escape(grid.stem)}"
            "</figcaption></figure>"
        )
    return "".join(parts)


def _importances_html(data: dict[str, Any]) -> str:
    shares = data.get("importances")
    if not shares:
        return f"<p class='note'>Parameter importances: {escape(data['importances_note'])}</p>"
    rows = "".join(
        f"<tr><td class='text'>{escape(k)}</td><td>{v:.3f}</td>"
        f"<td class='text'><span class='swatch' style='width:{int(200 * v)}px;"
        "background:#1f77b4'></span></td></tr>"
        for k, v in shares.items()
    )
    return (
        "<h3>Parameter importances (optuna.importance.get_param_importances)</h3>"
        f"<table><tr><th>parameter</th><th>share</th><th></th></tr>{rows}</table>"
    )


def tune_markdown(sources: list[Path]) -> str:
    out = []
    for _, data in searches(sources):
        out.append(f"\n## Search {data['study']}\n\n{data['counted']} trials; {data['metric']}")
        if data.get("best"):
            best = data["best"]
            params = ", ".join(f"{k}={_short(v)}" for k, v in best["params"].items())
            out.append(f"; best trial {best['number']}: {best['value']:.4g} ({params})")
        if data.get("importances"):
            out.append("\n\n| parameter | importance |\n|---|---|\n")
            out.append("".join(f"| {k} | {v:.3f} |\n" for k, v in data["importances"].items()))
        out.append("\n")
    return "".join(out)


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)

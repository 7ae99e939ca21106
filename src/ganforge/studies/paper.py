"""The aggregated comparison as Markdown and as a LaTeX (booktabs) table, for a paper or a
README: one row per experiment, each metric as mean +- the half-width of its interval over
seeds with its shared rank, then cost and time to target."""

from __future__ import annotations

import math
from typing import Any

from ganforge.studies.stats import CONFIDENCE

SENTENCES = 5  # the clearest differences named in the findings; the rest are in the tables


def fmt(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:.3e}"


def cell(row: dict[str, Any], pm: str = " ± ") -> str:
    """'44.6 ± 3.2' (the interval's half-width), or '44.6 (n=1)' without an interval."""
    if row["ci_low"] is None:
        return f"{fmt(row['mean'])} (n={row['n']})" if row["n"] else ""
    half = (row["ci_high"] - row["ci_low"]) / 2
    return f"{fmt(row['mean'])}{pm}{f'{half:.0f}' if half >= 10 else fmt(half, 2)}"


def columns(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric, which) in the order the rows give them; ranked metrics first."""
    seen = dict.fromkeys((r["metric"], r["which"]) for r in doc["rows"] if r["rank"] is not None)
    seen.update(dict.fromkeys((r["metric"], r["which"]) for r in doc["rows"]))
    return list(seen)


def table(doc: dict[str, Any], pm: str = " ± ") -> tuple[list[str], list[list[str]]]:
    """Header and body of the experiment table, as text cells."""
    cols = columns(doc)
    found = {(r["experiment"], r["metric"], r["which"]): r for r in doc["rows"]}
    target = doc.get("target")
    header = ["experiment", "seeds"]
    header += [f"{metric} ({which})" for metric, which in cols]
    header += ["train s"] + ([f"s to {target['metric']} {target['value']:g}"] if target else [])
    header.append("alarms")
    times = {t["experiment"]: t for t in (target or {}).get("experiments", [])}
    body = []
    for e in doc["experiments"]:
        name = e["experiment"]
        line = [name, str(len(e["runs"]))]
        for metric, which in cols:
            row = found.get((name, metric, which))
            text = cell(row, pm) if row else ""
            line.append(f"{text} ({row['rank']})" if row and row["rank"] is not None else text)
        line.append(cell(e["train_seconds"], pm))
        if target:
            t = times[name]
            reached = "" if t["reached"] == t["runs"] else f" [{t['reached']}/{t['runs']}]"
            line.append((cell(t["seconds"], pm) or "never") + reached)
        line.append(", ".join(f"{k} x{v}" for k, v in e["alarms"].items()))
        body.append(line)
    return header, body


def markdown(doc: dict[str, Any]) -> str:
    header, body = table(doc)
    lines = [
        f"Mean ± half-width of the {CONFIDENCE:.0%} interval over seeds, (shared rank); "
        "best and last evaluation of each seed.",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 2) + "---|",
    ]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in body]
    lines += ["", *findings(doc), "", f"Method: {doc['method']}"]
    return "\n".join(lines) + "\n"


def findings(doc: dict[str, Any]) -> list[str]:
    """The sentences a reader wants first: which differences are real, and whether the
    published ranking holds."""
    out = []
    primary = doc.get("primary_metric")
    for which in ("best", "last"):
        pairs = [p for p in doc["pairwise"] if p["metric"] == primary and p["which"] == which]
        if not pairs:
            continue
        real = sorted((p for p in pairs if p["significant"]), key=lambda p: p["p_holm"])
        said = "; ".join(p["sentence"] for p in real[:SENTENCES])
        more = f"; and {len(real) - SENTENCES} more" if len(real) > SENTENCES else ""
        out.append(
            f"- {primary} ({which}): {len(real)} of {len(pairs)} pairs differ "
            f"(Welch, Holm-corrected){': ' + said + more if real else '.'}"
        )
    published = doc.get("published") or {}
    for which in ("best", "last"):
        if which in published:
            out.append(f"- {published[which]['sentence']}")
    return out


def latex(doc: dict[str, Any]) -> str:
    """A booktabs table; needs \\usepackage{booktabs}."""
    header, body = table(doc, pm=" $\\pm$ ")

    def tex(text: str) -> str:
        for char in ("_", "%", "&", "#"):
            text = text.replace(char, "\\" + char)
        return text.replace(" $\\pm$ ", "@PM@").replace("$", "\\$").replace("@PM@", " $\\pm$ ")

    spec = "l" + "r" * (len(header) - 2) + "l"
    lines = [
        f"% ganforge report: mean +- half-width of the {CONFIDENCE:.0%} t interval over seeds, "
        "(shared rank)",
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(tex(h) for h in header) + " \\\\",
        "\\midrule",
        *(" & ".join(tex(c) for c in line) + " \\\\" for line in body),
        "\\bottomrule",
        "\\end{tabular}",
    ]
    return "\n".join(lines) + "\n"

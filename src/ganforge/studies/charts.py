"""Overlaid line charts as inline SVG: one chart per quantity, one coloured line per run.

Hand-written SVG keeps the report a single file with no plotting library and no network, and
scales crisply in any browser. Long series are thinned to at most MAX_POINTS per line.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 300, 60, 12, 28, 36
MAX_POINTS = 400

Series = dict[str, list[tuple[float, float]]]
Bands = dict[str, list[tuple[float, float, float]]]  # name -> [(x, low, high)]
Scale = Callable[[float], float]


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [low, high]."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def _label(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.2e}"


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    stride = len(points) / MAX_POINTS
    return [points[int(i * stride)] for i in range(MAX_POINTS)] + [points[-1]]


def line_chart(
    title: str,
    series: Series,
    runs: list[str],
    xlabel: str = "step",
    bands: Bands | None = None,
) -> str:
    """An SVG chart of `series` (name -> [(x, y)]); colours follow the order of `runs`. With
    `bands` (name -> [(x, low, high)]), each line gets a shaded band: the interval over seeds."""
    finite = {
        name: [(x, y) for x, y in pts if math.isfinite(y)] for name, pts in series.items() if pts
    }
    finite = {k: v for k, v in finite.items() if v}
    if not finite:
        return ""
    shaded = {
        name: [(x, lo, hi) for x, lo, hi in pts if math.isfinite(lo) and math.isfinite(hi)]
        for name, pts in (bands or {}).items()
    }
    shaded = {k: v for k, v in shaded.items() if len(v) > 1}
    xs = [x for pts in finite.values() for x, _ in pts]
    ys = [y for pts in finite.values() for _, y in pts]
    ys += [v for pts in shaded.values() for _, lo, hi in pts for v in (lo, hi)]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys)
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1
    pad = (y1 - y0) * 0.05
    y0, y1 = y0 - pad, y1 + pad
    sx, sy = _scales((x0, x1, y0, y1))
    parts = _frame(title, xlabel, (x0, x1, y0, y1), sx, sy)
    for name, pts in shaded.items():
        fill = color(runs.index(name)) if name in runs else "#000"
        outline = [*((x, hi) for x, _, hi in pts), *((x, lo) for x, lo, _ in reversed(pts))]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in outline)
        parts.append(f'<polygon class="band" points="{path}" fill="{fill}" fill-opacity="0.15"/>')
    for name, pts in finite.items():
        stroke = color(runs.index(name)) if name in runs else "#000"
        if len(pts) == 1:
            x, y = pts[0]
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{stroke}"/>')
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in _thin(pts))
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{stroke}" stroke-width="1.4">'
            f"<title>{escape(name)}</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)


Point = tuple[float, float, float, float, float, float]  # x, y, x low, x high, y low, y high


def scatter_chart(
    title: str, points: dict[str, Point], runs: list[str], xlabel: str, ylabel: str
) -> str:
    """One dot per name at (x, y) with error bars from its (low, high) in each direction
    (NaN: no bar), coloured as in `runs`: where each experiment sits between two qualities."""
    found = {k: p for k, p in points.items() if math.isfinite(p[0]) and math.isfinite(p[1])}
    if not found:
        return ""
    xs = [p[i] for p in found.values() for i in (0, 2, 3) if math.isfinite(p[i])]
    ys = [p[i] for p in found.values() for i in (1, 4, 5) if math.isfinite(p[i])]
    x0, x1 = _padded(min(xs), max(xs))
    y0, y1 = _padded(min(ys), max(ys))
    sx, sy = _scales((x0, x1, y0, y1))
    parts = _frame(title, xlabel, (x0, x1, y0, y1), sx, sy)
    plot_h = HEIGHT - TOP - BOTTOM
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2})">{escape(ylabel)}</text>'
    )
    for name, (x, y, xlo, xhi, ylo, yhi) in found.items():
        stroke = color(runs.index(name)) if name in runs else "#000"
        bars = [((xlo, y), (xhi, y)), ((x, ylo), (x, yhi))]
        for (ax, ay), (bx, by) in bars:
            if all(math.isfinite(v) for v in (ax, ay, bx, by)):
                parts.append(
                    f'<line class="bar" x1="{sx(ax):.1f}" y1="{sy(ay):.1f}" x2="{sx(bx):.1f}" '
                    f'y2="{sy(by):.1f}" stroke="{stroke}" stroke-width="1.2"/>'
                )
        parts.append(
            f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="{stroke}">'
            f"<title>{escape(name)}: {_label(x)}, {_label(y)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _scales(box: tuple[float, float, float, float]) -> tuple[Scale, Scale]:
    """Data x and y to SVG coordinates inside the plot area (y grows downwards in SVG)."""
    x0, x1, y0, y1 = box
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    return (
        lambda x: LEFT + (x - x0) / (x1 - x0) * plot_w,
        lambda y: TOP + (1 - (y - y0) / (y1 - y0)) * plot_h,
    )


def _padded(low: float, high: float) -> tuple[float, float]:
    if high <= low:
        return low - 0.05 * (abs(low) or 1), high + 0.05 * (abs(high) or 1)
    pad = (high - low) * 0.08
    return low - pad, high + pad


def _frame(
    title: str,
    xlabel: str,
    box: tuple[float, float, float, float],
    sx: Callable[[float], float],
    sy: Callable[[float], float],
) -> list[str]:
    """The SVG head, title, frame, grid, tick labels and x label of a chart over `box`."""
    x0, x1, y0, y1 = box
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}">',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" class="title">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" class="frame"/>',
    ]
    for tick in nice_ticks(y0, y1):
        y = sy(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{_label(tick)}</text>'
        )
    for tick in nice_ticks(x0, x1):
        x = sx(tick)
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{_label(tick)}</text>'
        )
    centre = LEFT + plot_w / 2
    parts.append(
        f'<text x="{centre}" y="{HEIGHT - 4}" text-anchor="middle">{escape(xlabel)}</text>'
    )
    return parts


def legend(runs: list[str]) -> str:
    """One legend for all charts (the colours are the same in every chart)."""
    items = "".join(
        f'<span class="key"><span class="swatch" style="background:{color(i)}"></span>'
        f"{escape(name)}</span>"
        for i, name in enumerate(runs)
    )
    return f'<div class="legend">{items}</div>'

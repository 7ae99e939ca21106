"""The notebook API: `import ganforge as gf`, then `gf.train`, `gf.load`, `gf.evaluate`,
`gf.report`, `gf.presets` and `gf.Config.load` (`ganforge.config` is the config package,
so the function that loads one is `Config.load`). Each is a thin call of the library, as each
command of the CLI is, so a notebook and a terminal give the same runs and numbers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from ganforge import API
from ganforge.api.generator import Generator, Samples  # noqa: F401 - exported (__all__ = API)
from ganforge.config import Config, preset_delta, preset_names
from ganforge.runs import RunDir

PathLike = str | os.PathLike


def presets() -> dict[str, str]:
    """{preset name: what it reproduces}, as `ganforge presets` lists them."""
    return {name: preset_delta(name).get("description", "") for name in preset_names()}


def train(
    source: str | PathLike | Config = "default",
    *items: str,
    steps: int | None = None,
    run_dir: PathLike | None = None,
    device: str = "auto",
    progress: bool = True,
    runs_root: PathLike = "runs",
    **dotted: Any,
) -> RunDir:
    """Train a preset, YAML file or `Config` (with overrides, as `Config.load` takes them) into
    a new run directory (default runs/NNNNN-NAME) and return it:
    `gf.train("default", steps=500, **{"optim.d.lr": 1e-4})`."""
    from ganforge.training import train as train_config

    if steps is not None:
        dotted["train.steps"] = steps
    if isinstance(source, Config):
        cfg = source.override(*items, **dotted)
    else:
        cfg = Config.load(os.fspath(source), *items, **dotted)
    return train_config(cfg, run_dir=run_dir, device=device, progress=progress, runs_root=runs_root)


def resume(run: PathLike, steps: int | None = None, device: str = "auto") -> RunDir:
    """Continue a run from its newest checkpoint; `steps` raises train.steps to train longer."""
    from ganforge.training import resume as resume_run

    return resume_run(os.fspath(run), device=device, steps=steps)


def load(source: PathLike, ema: bool = True) -> Generator:
    """The generator of a run (its newest checkpoint), a checkpoint, a .safetensors export or
    a Hub-style folder (`ganforge export --format hub`)."""
    from ganforge.sampling import load_generator

    return Generator(load_generator(os.fspath(source), use_ema=ema))


def evaluate(
    source: PathLike,
    metrics: Sequence[str] | str = ("fid10k",),
    ref: str | None = None,
    num_samples: int | None = None,
    device: str = "auto",
    seed: int = 0,
) -> dict[str, Any]:
    """`ganforge eval` from Python: the metrics of a run's newest checkpoint (logged into the
    run's metrics.jsonl as an eval row), a checkpoint or an export; returns that row."""
    from ganforge.metrics.run_eval import evaluate_source

    names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    return evaluate_source(
        os.fspath(source), names, ref=ref, num_samples=num_samples, device=device, seed=seed
    )


class Report:
    """The files `gf.report` wrote; Jupyter shows the HTML report inline."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths

    def __repr__(self) -> str:
        return f"Report({', '.join(str(p) for p in self.paths)})"

    def _repr_html_(self) -> str | None:
        page = next((p for p in self.paths if p.suffix == ".html"), None)
        if page is None:
            return None
        return f"<iframe srcdoc='{escape(page.read_text())}' width='100%' height='600'></iframe>"


def report(
    runs: PathLike | Sequence[PathLike], output: PathLike = "report.html", format: str = "html"
) -> Report:
    """`ganforge report`: compare runs or study folders in one page (html, md, json, tex)."""
    from ganforge.studies.report import write_report

    sources = [runs] if isinstance(runs, str | os.PathLike) else list(runs)
    return Report(write_report([Path(os.fspath(s)) for s in sources], Path(output), format))


__all__ = list(API)  # one list of the names: ganforge/__init__.py serves them lazily

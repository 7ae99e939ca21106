"""`ganforge tune --confirm K`: the best trial's values against the space's base, K fresh
seeds each, as an ordinary study (runs/tune/NAME/confirm) that `ganforge report` compares
with intervals over seeds. A search picks its best trial on one seed; this says whether the
gain survives other seeds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.studies.spec import EvalSpec, RunSpec, Study, format_value
from ganforge.tune.space import Space

SEED_OFFSET = 1000  # confirmation seeds differ from the seed every trial was searched with


def confirmation_study(space: Space, best: dict, seeds: int) -> Study:
    best_overrides = tuple(f"{k}={format_value(v)}" for k, v in best["params"].items())
    numbers = tuple(SEED_OFFSET + i for i in range(seeds))
    ev = {k: space.eval.get(k) for k in ("ref", "num_samples", "inception_weights")}
    description = (
        f"search {space.name}: trial {best['number']} (best {space.metric} "
        f"{best['value']:.4g}) against the base, {seeds} fresh seeds each"
    )
    raw = {
        "description": description,
        "base": space.base,
        "runs": [{"name": "base"}, {"name": "best", "overrides": dict(best["params"])}],
        "seeds": list(numbers),
        "eval": {"metrics": [space.metric], **{k: v for k, v in ev.items() if v is not None}},
    }
    return Study(
        name="confirm",
        description=description,
        base=space.base,
        overrides=space.overrides,
        seeds=numbers,
        budget=space.budget,
        runs=(RunSpec("base", None), RunSpec("best", None, best_overrides)),
        eval=EvalSpec(metrics=(space.metric,), **ev),
        raw=raw,
    )


def confirm(
    space: Space,
    folder: Path,
    seeds: int,
    jobs: int = 1,
    device: str = "auto",
    launcher: str = "local",
    say: Callable[[str], None] = print,
) -> int:
    """Sweep the confirmation study into folder/confirm; the sweep's exit status."""
    from ganforge.studies.sweep import sweep

    summary = Path(folder) / "tune.json"
    best = json.loads(summary.read_text()).get("best") if summary.exists() else None
    if not best:
        raise GanforgeError(f"no complete trial in {folder} yet; tune before --confirm")
    if seeds < 2:
        raise GanforgeError("--confirm needs at least 2 seeds for an interval")
    study = confirmation_study(space, best, seeds)
    code = sweep(study, root=folder, jobs=jobs, device=device, launcher=launcher, say=say)
    say(f"compare: ganforge report {Path(folder) / 'confirm'} -o confirm.html")
    return code

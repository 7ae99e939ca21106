"""tune.json: what a search found, written by the tuner so the report reads files only.

{"study", "metric", "direction", "counted", "trials": [{number, state, value, params, run_dir,
pruned_at_step, retired, error}], "history": [{number, value, best}], "best": {...},
"importances": {param: share} | null, "importances_note": why null}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganforge.tune.space import Space
from ganforge.tune.study import counts


def summarize(study: Any, space: Space) -> dict[str, Any]:
    trials = [_trial(t) for t in study.get_trials(deepcopy=False)]
    finished = [t for t in trials if t["value"] is not None and t["state"] == "COMPLETE"]
    history, best = [], None
    for t in finished:
        better = best is None or (
            t["value"] > best["value"] if space.higher_is_better else t["value"] < best["value"]
        )
        best = t if better else best
        history.append({"number": t["number"], "value": t["value"], "best": best["value"]})
    importances, note = _importances(study, len(finished))
    return {
        "study": space.name,
        "metric": space.metric,
        "direction": space.direction,
        "counted": sum(t["counted"] for t in trials),
        "states": {s: sum(t["state"] == s for t in trials if t["counted"]) for s in STATES},
        "trials": trials,
        "history": history,
        "best": best,
        "importances": importances,
        "importances_note": note,
    }


STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")


def _trial(t: Any) -> dict[str, Any]:
    attrs = t.user_attrs
    return {
        "number": t.number,
        "state": t.state.name,
        "value": t.value,
        "params": dict(t.params),
        "run_dir": attrs.get("run_dir"),
        "last_step": t.last_step,
        "retired": attrs.get("retired"),
        "resumes": attrs.get("resumes"),
        "error": attrs.get("error"),
        "counted": counts(t),
    }


def _importances(study: Any, complete: int) -> tuple[dict[str, float] | None, str]:
    """Optuna's own get_param_importances (its default evaluator), or why there are none."""
    import optuna

    if complete < 2:
        return None, f"{complete} complete trial(s); importances need at least 2"
    try:
        shares = optuna.importance.get_param_importances(study)
        return dict(shares), "optuna.importance.get_param_importances"
    except (RuntimeError, ValueError) as err:  # e.g. a parameter that never varied
        return None, f"not computed: {err}"


def write_summary(study: Any, space: Space, folder: Path) -> dict[str, Any]:
    from ganforge.storage import atomic_write

    data = summarize(study, space)
    text = json.dumps(data, indent=1, default=str)
    atomic_write(Path(folder) / "tune.json", lambda f: f.write(text.encode()))
    return data


def show_text(data: dict[str, Any], top: int = 10) -> str:
    """The best trials as a table, then the states and the importances."""
    reverse = data["direction"] == "maximize"
    done = [t for t in data["trials"] if t["state"] == "COMPLETE" and t["value"] is not None]
    done.sort(key=lambda t: t["value"], reverse=reverse)
    states = ", ".join(f"{n} {s.lower()}" for s, n in data["states"].items() if n)
    lines = [
        f"search {data['study']}: {data['counted']} trials ({states or 'none yet'}); "
        f"{data['metric']} ({'higher' if reverse else 'lower'} is better)",
    ]
    for t in done[:top]:
        params = " ".join(f"{k}={_short(v)}" for k, v in t["params"].items())
        lines.append(f"  trial {t['number']:>4}  {t['value']:10.4g}  {t['run_dir']}  {params}")
    if data["importances"]:
        shares = ", ".join(f"{k} {v:.2f}" for k, v in data["importances"].items())
        lines.append(f"importances: {shares}")
    else:
        lines.append(f"importances: {data['importances_note']}")
    return "\n".join(lines)


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)

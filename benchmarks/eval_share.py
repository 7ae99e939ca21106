"""What share of a study's wall time goes to evaluation, at the shipped study's own settings.

    python benchmarks/eval_share.py [--study akel2022-mnist] [--runs exp01,exp05] [--minutes 3]
        [--seeds 1] [--fresh-cache] [key=value ...]

Runs `ganforge sweep` on the named experiments of a shipped study, with its metrics and cadence
(the shipped studies evaluate five times per run: every fifth of the minutes), one run at a
time, then reads every run's metrics.jsonl: `eval_seconds` of the evaluation rows against the
training `seconds` of the last row, and both against the sweep's wall time (the rest is process
start, data loading, grids and checkpoints). `--fresh-cache` points GANFORGE_CACHE at an empty
folder, so the first run also pays for the domain classifier and the reference features, as a
new user's first study does; without it they come from the cache, as every later study's do.
Prints JSON. Example (MNIST from the shared .npz files):

    python benchmarks/eval_share.py --runs exp01,exp05 --minutes 3 \\
        data.name=npz data.path=mnist_train.npz
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import yaml

from ganforge.config.aliases import STUDY_ALIASES
from ganforge.studies.spec import load_study


def subset_study(name: str, runs: list[str], folder: Path) -> Path:
    """The shipped study with only `runs`, as a YAML file a sweep accepts."""
    load_study(name)  # a clear error for an unknown name
    current = STUDY_ALIASES.get(name, name)
    spec = yaml.safe_load(
        (resources.files("ganforge.studies") / "configs" / f"{current}.yaml").read_text()
    )
    if runs:
        spec["runs"] = [r for r in spec["runs"] if r["name"] in runs]
    path = folder / f"{name}-subset.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def run_rows(folder: Path) -> list[list[dict]]:
    """metrics.jsonl of every run under a study folder."""
    found = []
    for metrics in sorted(folder.rglob("metrics.jsonl")):
        found.append([json.loads(line) for line in metrics.read_text().splitlines() if line])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--study", default="akel2022-mnist")
    parser.add_argument("--runs", default="exp01,exp05", help="experiment names, comma-separated")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--fresh-cache", action="store_true")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = dict(os.environ)
        if args.fresh_cache:
            env["GANFORGE_CACHE"] = str(folder / "cache")
        study = subset_study(args.study, [r for r in args.runs.split(",") if r], folder)
        command = [sys.executable, "-m", "ganforge", "sweep", str(study), "--out", str(folder)]
        command += ["--minutes", str(args.minutes), "--seeds", args.seeds, *args.overrides]
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - started
        runs = []
        for rows in run_rows(folder):
            evals = [r["eval_seconds"] for r in rows if "eval_seconds" in r]
            train = max(r.get("seconds", 0.0) for r in rows)
            runs.append(
                {
                    "evaluations": len(evals),
                    "eval_seconds": [round(e, 2) for e in evals],
                    "train_seconds": round(train, 1),
                }
            )
    eval_total = sum(sum(r["eval_seconds"]) for r in runs)
    train_total = sum(r["train_seconds"] for r in runs)
    print(
        json.dumps(
            {
                "study": args.study,
                "runs": args.runs,
                "minutes": args.minutes,
                "seeds": args.seeds,
                "fresh_cache": args.fresh_cache,
                "load_average": os.getloadavg()[0],
                "wall_seconds": round(wall, 1),
                "train_seconds": round(train_total, 1),
                "eval_seconds": round(eval_total, 1),
                "eval_share_of_wall": round(eval_total / wall, 4),
                "eval_share_of_train_plus_eval": round(eval_total / (eval_total + train_total), 4),
                "each_run": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

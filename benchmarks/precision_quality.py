"""Speed and quality of `train.precision` side by side: a faster step is no gain if the
samples get worse (another toolkit's StyleGAN2 FID went 3.99 -> 4.33-4.61 in fp16).

    python benchmarks/precision_quality.py [--preset default] [--precisions fp32,bf16]
                                           [--seeds 0,1,2] [--metric fid_domain5k] [key=value ...]

Each (seed, precision) trains the preset in full, one after the other in this process, then
scores the newest checkpoint with `--metric` as `ganforge eval` does. Prints one JSON object:
per run the training seconds and the metric, and per precision the means. Compare speeds only
from one invocation (this machine's speed drifts; the first run also pays one-off start-up
costs, so give several seeds); the metric is what the precision costs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import torch

from ganforge.config import load_config
from ganforge.metrics.run_eval import evaluate_source
from ganforge.runs import RunDir
from ganforge.training import Trainer, resolve_config


def run_one(args: argparse.Namespace, seed: int, precision: str, folder: Path) -> dict:
    overrides = [*args.overrides, f"seed={seed}", f"train.precision={precision}"]
    config = resolve_config(load_config(args.preset, overrides))
    run = RunDir(folder / f"{precision}-{seed}")
    run.create(config)
    started = time.perf_counter()
    Trainer(config, run, args.device).train(progress=False)
    seconds = time.perf_counter() - started
    result = evaluate_source(run.path, [args.metric], device=args.device)
    return {
        "seed": seed,
        "precision": precision,
        "train_seconds": round(seconds, 1),
        args.metric: round(float(result[args.metric]), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--metric", default="fid_domain5k")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("overrides", nargs="*", help="key=value changes to the preset")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in map(int, args.seeds.split(",")):
            for precision in args.precisions.split(","):
                rows.append(run_one(args, seed, precision, Path(tmp)))
    means = {
        p: {
            key: round(statistics.mean(r[key] for r in rows if r["precision"] == p), 3)
            for key in ("train_seconds", args.metric)
        }
        for p in args.precisions.split(",")
    }
    print(
        json.dumps(
            {
                "preset": args.preset,
                "device": args.device,
                "threads": torch.get_num_threads(),
                "runs": rows,
                "mean": means,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

"""How long FID takes here: Inception feature throughput, torch-fidelity's forward pass against
ganforge's fast path, in alternating rounds in one process (medians; the machine may be shared).

    python benchmarks/eval_speed.py [--images 128] [--batch-size 64] [--rounds 5] [--grey]
                                    [--compile] [--threads N] [--inception-weights PATH]
                                    [--device cpu]

Without weights (offline) a randomly initialised InceptionV3 is used: the numbers it scores are
meaningless, but its cost per image is exactly that of the real network. `max_relative_error`
is the largest difference between the two paths' features, relative to the largest feature.
`--compile` adds a third path, the fast one compiled with inductor, and its compile time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from ganforge.metrics.features import (
    Features,
    InceptionExtractor,
    batched,
    save_random_inception,
)


def relative_error(ours: Features, theirs: Features) -> float:
    """Largest difference of pool features or logits, relative to the largest value."""
    worst = max(
        float((getattr(ours, k) - getattr(theirs, k)).abs().max() / getattr(theirs, k).abs().max())
        for k in ("pool", "logits")
    )
    return float(f"{worst:.2g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="batches both paths are given (64: torch-fidelity's default; ganforge's fast path "
        "runs them in chunks of FastInception.CPU_CHUNK images on a CPU)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--grey", action="store_true", help="1x28x28 images instead of 3x32x32")
    parser.add_argument("--compile", action="store_true", help="also time the compiled path")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--inception-weights")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    shape = (1, 28, 28) if args.grey else (3, 32, 32)
    images = torch.randint(0, 256, (args.images, *shape), dtype=torch.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        weights = args.inception_weights or save_random_inception(Path(tmp) / "random.pth")
        paths = {
            "torch_fidelity": InceptionExtractor(weights, args.device, fast=False),
            "ganforge": InceptionExtractor(weights, args.device, compile=False),
        }
        if args.compile:
            paths["compiled"] = InceptionExtractor(weights, args.device, compile=True)
    features, rates, warm_up = {}, {name: [] for name in paths}, {}
    for name, extractor in paths.items():  # warm-up (compiling), and the features compared
        started = time.perf_counter()
        features[name] = extractor(batched(images[: args.batch_size], args.batch_size))
        warm_up[name] = time.perf_counter() - started
    for _ in range(args.rounds):
        for name, extractor in paths.items():
            started = time.perf_counter()
            extractor(batched(images, args.batch_size))
            rates[name].append(args.images / (time.perf_counter() - started))
    median = {name: statistics.median(rates[name]) for name in paths}
    old, new = median["torch_fidelity"], median["ganforge"]
    ref = features["torch_fidelity"]
    error = {name: relative_error(features[name], ref) for name in list(paths)[1:]}
    compiled = {}
    if args.compile:
        compiled = {
            "images_per_second_compiled": round(median["compiled"], 2),
            "speedup_compiled": round(median["compiled"] / old, 2),
            "compile_seconds": round(warm_up["compiled"] - warm_up["ganforge"], 1),
        }
    print(
        json.dumps(
            {
                "device": args.device,
                "threads": torch.get_num_threads(),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "images": args.images,
                "image_shape": list(shape),
                "batch_size": args.batch_size,
                "rounds": args.rounds,
                "images_per_second_torch_fidelity": round(old, 2),
                "images_per_second_ganforge": round(new, 2),
                "speedup": round(new / old, 2),
                **compiled,
                "rounds_images_per_second": {k: [round(r, 2) for r in v] for k, v in rates.items()},
                "max_relative_error": error,
                "fid10k_seconds_first_time": round(20_000 / new),  # generated + reference
                "fid10k_seconds_reference_cached": round(10_000 / new),
                "random_weights": args.inception_weights is None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

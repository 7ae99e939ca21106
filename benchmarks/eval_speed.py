"""How long FID takes here: Inception feature throughput, torch-fidelity's forward pass against
ganforge's fast path, in alternating rounds in one process (medians; the machine may be shared).

    python benchmarks/eval_speed.py [--images 40] [--batch-size 20] [--rounds 5] [--grey]
                                    [--threads N] [--inception-weights PATH] [--device cpu]

Without weights (offline) a randomly initialised InceptionV3 is used: the numbers it scores are
meaningless, but its cost per image is exactly that of the real network. `max_relative_error`
is the largest difference between the two paths' features, relative to the largest feature.
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

from ganforge.metrics.features import InceptionExtractor, batched, save_random_inception


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--grey", action="store_true", help="1x28x28 images instead of 3x32x32")
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
            "ganforge": InceptionExtractor(weights, args.device),
        }
    features, rates = {}, {name: [] for name in paths}
    for name, extractor in paths.items():  # warm-up, and the features compared below
        features[name] = extractor(batched(images[: args.batch_size], args.batch_size))
    for _ in range(args.rounds):
        for name, extractor in paths.items():
            started = time.perf_counter()
            extractor(batched(images, args.batch_size))
            rates[name].append(args.images / (time.perf_counter() - started))
    old, new = (statistics.median(rates[name]) for name in paths)
    ref = features["torch_fidelity"]
    error = max(
        float((getattr(features["ganforge"], k) - getattr(ref, k)).abs().max())
        / float(getattr(ref, k).abs().max())
        for k in ("pool", "logits")
    )
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
                "rounds_images_per_second": {k: [round(r, 2) for r in v] for k, v in rates.items()},
                "max_relative_error": float(f"{error:.2g}"),
                "fid10k_seconds_first_time": round(20_000 / new),  # generated + reference
                "fid10k_seconds_reference_cached": round(10_000 / new),
                "random_weights": args.inception_weights is None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

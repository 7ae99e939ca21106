"""How long FID takes here: Inception feature throughput and the fid10k time it implies.

    python benchmarks/eval_speed.py [--images 200] [--inception-weights PATH] [--device cpu]

Without weights (offline) a randomly initialised InceptionV3 is used: the numbers it scores are
meaningless, but its cost per image is exactly that of the real network.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from ganforge.metrics.features import InceptionExtractor, batched, save_random_inception


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--inception-weights")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        weights = args.inception_weights or save_random_inception(Path(tmp) / "random.pth")
        extractor = InceptionExtractor(weights, args.device)
        images = torch.randint(0, 256, (args.images, 3, 32, 32), dtype=torch.uint8)
        extractor(batched(images[: args.batch_size], args.batch_size))  # warm-up
        started = time.perf_counter()
        extractor(batched(images, args.batch_size))
        seconds = time.perf_counter() - started
    per_second = args.images / seconds
    print(
        json.dumps(
            {
                "device": args.device,
                "threads": torch.get_num_threads(),
                "images": args.images,
                "inception_images_per_second": round(per_second, 2),
                "fid10k_seconds_first_time": round(20_000 / per_second),  # generated + reference
                "fid10k_seconds_reference_cached": round(10_000 / per_second),
                "random_weights": args.inception_weights is None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

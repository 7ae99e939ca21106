"""Folder datasets at scale: decode-once cache, memory-mapped batch stream, and the training step.

    python benchmarks/data_speed.py [--images 2000] [--resolution 64] [--batch-size 64]
                                    [--rounds 3] [--steps 30] [--preset default]

Writes `--images` JPEGs (CelebA-like 178x218 faces are stood in for by smooth random colour
fields) into a temporary folder with its own cache, then prints as JSON: the first load (decode
and write the cache), the second load (open the memory-mapped array), the batch stream's images/s
reading from the memory-mapped array and from the same pixels in memory (alternating rounds,
medians), and images/s of a training step on that folder (ganforge's own `sec_per_step`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.config import DataConfig, load_config
from ganforge.data import ArrayDataset, BatchStream, load_dataset
from ganforge.runs import RunDir
from ganforge.training import Trainer, resolve_config


def write_folder(root: Path, count: int, seed: int = 0) -> None:
    """`count` smooth colour JPEGs of 178x218 (CelebA's size) in 10 class folders."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        coarse = rng.integers(0, 256, (14, 12, 3), dtype=np.uint8)
        img = Image.fromarray(coarse).resize((178, 218), Image.BILINEAR)
        (root / f"{i % 10}").mkdir(parents=True, exist_ok=True)
        img.save(root / f"{i % 10}" / f"{i:06d}.jpg", quality=90)


def stream_rate(dataset: ArrayDataset, batch_size: int, batches: int) -> float:
    stream = BatchStream(dataset, batch_size, seed=0)
    started = time.perf_counter()
    for _ in range(batches):
        stream.next()
    return batches * batch_size / (time.perf_counter() - started)


def step_rate(path: Path, args: argparse.Namespace, folder: Path) -> float:
    overrides = [
        "data.name=folder",
        f"data.path={path}",
        f"data.resolution={args.resolution}",
        f"train.batch_size={args.batch_size}",
        f"train.steps={args.steps + 5}",
        "train.log_every=1",
        "train.sample_every=0",
        "train.checkpoint_every=0",
        "train.tensorboard=false",
    ]
    config = resolve_config(load_config(args.preset, overrides))
    run = RunDir(folder / "run")
    run.create(config)
    Trainer(config, run, "cpu").train(progress=False)
    rows = [r for r in run.read_metrics() if r.get("kind", "train") == "train" and r["step"] > 5]
    return args.batch_size / statistics.median(r["sec_per_step"] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=200, help="stream batches per round")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps")
    parser.add_argument("--preset", default="default")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "images"
        write_folder(root, args.images)
        os.environ["GANFORGE_CACHE"] = str(Path(tmp) / "cache")
        cfg = DataConfig(name="folder", path=str(root), resolution=args.resolution)
        started = time.perf_counter()
        load_dataset(cfg)
        first = time.perf_counter() - started
        started = time.perf_counter()
        mapped = load_dataset(cfg)
        second = time.perf_counter() - started
        in_memory = ArrayDataset(mapped.data.clone(), mapped.labels, mapped.num_classes)
        rates: dict[str, list[float]] = {"memory_mapped": [], "in_memory": []}
        for _ in range(args.rounds):
            rates["memory_mapped"].append(stream_rate(mapped, args.batch_size, args.batches))
            rates["in_memory"].append(stream_rate(in_memory, args.batch_size, args.batches))
        step = step_rate(root, args, Path(tmp))
    stream = {k: round(statistics.median(v)) for k, v in rates.items()}
    print(
        json.dumps(
            {
                "images": args.images,
                "resolution": args.resolution,
                "batch_size": args.batch_size,
                "threads": torch.get_num_threads(),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "first_load_seconds": round(first, 2),
                "first_load_images_per_second": round(args.images / first, 1),
                "second_load_seconds": round(second, 3),
                "stream_images_per_second": stream,
                "stream_rounds": {k: [round(r) for r in v] for k, v in rates.items()},
                "training_step_images_per_second": round(step, 1),
                "preset": args.preset,
                "stream_share_of_step": round(step / stream["memory_mapped"], 4),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

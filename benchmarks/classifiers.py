"""Train (or load from cache) the domain classifiers and print their test accuracies as JSON.

    python benchmarks/classifiers.py [DATASET | FILE_train.npz ...]

An .npz named *_train.npz is tested on its *_test.npz sibling; digits on its own test split.
"""

from __future__ import annotations

import json
import sys
import time

from ganforge.config import DataConfig
from ganforge.metrics.classifier import domain_classifier


def main(sources: list[str]) -> None:
    results = []
    for source in sources or ["digits"]:
        cfg = (
            DataConfig(name="npz", path=source)
            if source.endswith(".npz")
            else DataConfig(name=source)
        )
        started = time.perf_counter()
        _, accuracy = domain_classifier(cfg, "cpu")
        results.append(
            {
                "dataset": source,
                "test_accuracy": round(accuracy, 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])

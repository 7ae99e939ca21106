"""Dense layers of three seeds: three `F.linear`s against one `baddbmm` or one `vmap` per layer.

    python benchmarks/pack_seeds_layers.py

Hand packing (issue #24's option c) for akel2022-exp01's six dense layers, batch 32, one thread:
forward and backward of each layer, per variant, median of alternating rounds, in ms. It tells
whether a batched matrix product beats separate ones at these sizes on this CPU, which bounds
what any seed packing of a matmul-bound network can gain (docs/progress/pack-seeds-measurement.md).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.func import vmap

K, B = 3, 32
LAYERS = [(100, 256), (256, 512), (512, 1024), (1024, 784), (784, 512), (512, 256)]


def solo() -> Callable[[], None]:
    ws = [(torch.randn(o, i, requires_grad=True), torch.randn(o, requires_grad=True))
          for i, o in LAYERS]  # fmt: skip
    xs = [torch.randn(B, i) for i, _ in LAYERS]

    def run() -> None:
        for _ in range(K):
            for (w, b), x in zip(ws, xs, strict=True):
                F.linear(x, w, b).sum().backward()

    return run


def baddbmm() -> Callable[[], None]:
    ws = [(torch.randn(K, i, o, requires_grad=True), torch.randn(K, 1, o, requires_grad=True))
          for i, o in LAYERS]  # fmt: skip
    xs = [torch.randn(K, B, i) for i, _ in LAYERS]

    def run() -> None:
        for (w, b), x in zip(ws, xs, strict=True):
            torch.baddbmm(b, x, w).sum().backward()

    return run


def vmapped() -> Callable[[], None]:
    ws = [(torch.randn(K, o, i, requires_grad=True), torch.randn(K, o, requires_grad=True))
          for i, o in LAYERS]  # fmt: skip
    xs = [torch.randn(K, B, i) for i, _ in LAYERS]

    def run() -> None:
        for (w, b), x in zip(ws, xs, strict=True):
            vmap(F.linear)(x, w, b).sum().backward()

    return run


def main() -> None:
    torch.set_num_threads(1)
    variants = {"solo": solo(), "baddbmm": baddbmm(), "vmap": vmapped()}
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(5):
        for name, run in variants.items():
            for _ in range(3):
                run()
            started = time.perf_counter()
            for _ in range(30):
                run()
            seconds[name].append((time.perf_counter() - started) / 30)
    print({name: round(statistics.median(v) * 1e3, 2) for name, v in seconds.items()}, "ms")


if __name__ == "__main__":
    main()

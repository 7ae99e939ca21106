"""One GPU, a few minutes: throughput of four presets and their speed options against the plain
loop, FID on the GPU against the CPU, and torchrun with 1 (and 2) processes; JSON out.

    bash benchmarks/gpu_check.sh [--device cuda] [--data-dir DIR] [--out FILE]
    bash benchmarks/gpu_check.sh --device cpu --quick      # the code path on a CPU, ~2 minutes

Offline: datasets come from `--data-dir` (the .npz files of ganforge's shared data); without
it every set is synthetic uint8 noise of the preset's shape (the JSON says which). Each part
runs in its own process under what is left of `--budget-s`, so a slow part is cut short and
reported rather than stopping the rest; the JSON is rewritten to `--out` after every part.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from gpu_check_parts import Budget, data_overrides, distributed, fid_agreement, machine, run_child

HERE = Path(__file__).resolve().parent
PRESETS = ("default", "deng2024-conv", "cifar10-sngan", "stylegan-celeba64")
# throughput.py --variants, by the name the JSON gives them ("fp32": the preset as shipped)
VARIANTS = {
    "bf16": "train.precision=bf16",
    "compile": "train.compile=true",
}


def variants_for(preset: str, quick: bool) -> dict[str, str]:
    """bf16, compile (not with --quick), and the memory layout the preset does not ship:
    `channels_last` where it trains NCHW, `nchw` where it trains channels-last."""
    from ganforge.config import load_config

    out = {k: v for k, v in VARIANTS.items() if not (quick and k == "compile")}
    if load_config(preset, []).train.channels_last:
        return out | {"nchw": "train.channels_last=false"}
    return out | {"channels_last": "train.channels_last=true"}


@dataclass(frozen=True)
class Size:
    """Timed steps, warm-up steps and rows of one throughput run (steps and warm-up are
    multiples of log_every, so ganforge's rows and the plain loop's chunks cover the same
    steps); `tiny` shrinks the networks for --quick."""

    steps: int
    warmup: int
    log_every: int
    tiny: tuple[str, ...] = field(default=())


# On an H100 (estimates, not measured): a few ms per step for the DCGANs, ~30-60 ms for SNGAN
# (5 D steps) and StyleGAN2 at 64 px; the time goes to building each run and to compiling
# (about a minute per preset with train.compile), not to the timed steps. StyleGAN2's window
# is a multiple of its R1 interval (16), so each timed row holds the same share of R1 steps.
FULL = {
    "default": Size(200, 20, 20),
    "deng2024-conv": Size(200, 20, 20),
    "cifar10-sngan": Size(60, 10, 10),
    "stylegan-celeba64": Size(64, 16, 16),
}
QUICK = {
    "default": Size(4, 2, 2),
    "deng2024-conv": Size(4, 2, 2, ("train.batch_size=8",)),
    "cifar10-sngan": Size(
        2, 1, 1, ("train.batch_size=8", "model.g.channels=8", "model.d.channels=8")
    ),
    "stylegan-celeba64": Size(
        2,
        1,
        1,
        (
            "train.batch_size=8",
            "model.latent_dim=32",
            "model.width=4",
            "model.g.max_channels=32",
            "model.d.max_channels=32",
            "model.g.mapping_layers=2",
            "loss.reg_every=2",
            "model.g.pl_every=2",
        ),
    ),  # fmt: skip
}


def throughput(preset: str, args: argparse.Namespace, budget: Budget, tmp: Path) -> dict:
    """throughput.py for one preset: img/s of the plain loop, fp32 and each speed option."""
    size = (QUICK if args.quick else FULL)[preset]
    variants = variants_for(preset, args.quick)
    overrides, data = data_overrides(preset, args.data_dir, args.quick, tmp)
    command = [
        sys.executable, str(HERE / "throughput.py"), "--preset", preset,
        "--steps", str(size.steps), "--warmup", str(size.warmup), "--rounds", "1",
        "--device", args.device, "--variants", ";".join(variants.values()),
        *overrides, *size.tiny, f"train.log_every={size.log_every}",
    ]  # fmt: skip
    started = time.monotonic()
    done = run_child(command, budget)
    out: dict = {"data": data, "timed_steps": size.steps, "warmup": size.warmup}
    if args.quick:
        out["note"] = "networks shrunk (--quick); compile skipped: inductor takes minutes on a CPU"
    if isinstance(done, str):
        return {**out, "error": done}
    result = json.loads(done.stdout)
    names = {"plain": "plain", "ganforge": "fp32"} | {v: k for k, v in variants.items()}
    return {
        **out,
        "batch_size": result["batch_size"],
        "images_per_second": {names[k]: v for k, v in result["images_per_second"].items()},
        "ratio_to_plain": {names[k]: v for k, v in result["ratio_to_plain"].items()},
        "seconds": round(time.monotonic() - started, 1),
    }


def all_presets(args: argparse.Namespace, budget: Budget, tmp: Path) -> dict:
    return {preset: throughput(preset, args, budget, tmp) for preset in PRESETS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda", help="cuda | cpu")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: the code path only")
    parser.add_argument("--data-dir", type=Path, help="folder of the shared .npz datasets")
    parser.add_argument("--budget-s", type=float, default=450, help="stop starting parts after")
    parser.add_argument("--out", type=Path, help="also write the JSON here, after every part")
    args = parser.parse_args()
    budget = Budget(args.budget_s)
    report: dict = {"machine": machine(args.device), "quick": args.quick}

    def save() -> None:
        report["elapsed_s"] = round(args.budget_s - budget.left(), 1)
        if args.out:
            args.out.write_text(json.dumps(report, indent=2))

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        report["seconds"] = {}
        parts = {"fid": fid_agreement, "torchrun": distributed, "throughput": all_presets}
        for name, part in parts.items():
            started = time.monotonic()
            report[name] = part(args, budget, tmp)
            report["seconds"][name] = round(time.monotonic() - started, 1)
            save()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""gpu_check.py's other parts: the machine, offline data, child processes under a time budget,
FID on the GPU against the CPU, torchrun runs."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

# FID on the GPU may differ from the CPU's by the GPU's float order and its TF32 convolutions
# (PyTorch's default for cuDNN); beyond 1% of the value something else differs
FID_RTOL = 1e-2
# FID of two different sets through the random Inception: mnist vs cifar10 ~13, two halves of
# mnist ~0.14 (tests/test_metrics.py); below this the features do not tell the sets apart
FID_FLOOR = 1.0
# the .npz of the shared data each preset trains on, and its image shape for synthetic data
DATA = {
    "deng2024-conv": ("mnist_train.npz", (28, 28)),
    "cifar10-sngan": ("cifar10_train.npz", (32, 32, 3)),
    "stylegan-celeba64": ("celeba64_train.npz", (64, 64, 3)),
}


class Budget:
    """Seconds left of the whole check; each child process gets at most that."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())


def run_child(command: list[str], budget: Budget) -> subprocess.CompletedProcess | str:
    """The finished process, or a sentence saying why it has no result."""
    if budget.left() < 5:
        return "skipped: the time budget was spent"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=budget.left())
    except subprocess.TimeoutExpired:
        return "stopped: the time budget ran out while it ran"
    if done.returncode != 0:
        return f"failed (exit {done.returncode}): {done.stderr.strip()[-600:]}"
    return done


def data_overrides(preset: str, data_dir: Path | None, quick: bool, tmp: Path) -> tuple[list, str]:
    """key=value options that point the preset at its data offline, and what that data is."""
    if preset not in DATA:
        return [], "digits (scikit-learn's, installed with it)"
    name, shape = DATA[preset]
    limit = ["data.limit=256"] if quick else []
    if data_dir is not None:
        path = data_dir / name
        return ["data.name=npz", f"data.path={path}", *limit], f"{name} (--data-dir)"
    path = tmp / f"synthetic-{preset}.npz"
    if not path.exists():
        images = np.random.default_rng(0).integers(0, 256, (256, *shape), dtype=np.uint8)
        np.savez(path, images=images)
    return ["data.name=npz", f"data.path={path}"], f"synthetic uint8 noise {shape}, 256 images"


def machine(device: str) -> dict[str, Any]:
    """What ran the check: versions, and the GPUs if the device is one."""
    info: dict[str, Any] = {
        "device": device,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
    }
    if device.startswith("cuda"):
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        info["cudnn_allow_tf32"] = torch.backends.cudnn.allow_tf32
        info["matmul_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
    return info


def two_image_sets(data_dir: Path | None, count: int, tmp: Path) -> tuple[Path, Path, str]:
    """Two .npz image sets of different content: MNIST and CIFAR-10 test images from
    --data-dir, or else smooth synthetic blobs against uniform noise."""
    if data_dir is not None:
        a = np.load(data_dir / "mnist_test.npz")["images"][:count]
        b = np.load(data_dir / "cifar10_test.npz")["images"][:count]
        what = f"mnist_test.npz vs cifar10_test.npz, first {count} each (--data-dir)"
    else:
        rng = np.random.default_rng(0)
        grid = np.linspace(0, 2 * np.pi, 32)
        phase = rng.uniform(0, 2 * np.pi, (count, 1, 1, 3))
        waves = np.sin(grid[None, :, None, None] + phase) * np.cos(grid[None, None, :, None])
        a = ((waves + 1) * 127.5).astype(np.uint8)  # (count, 32, 32, 3) smooth
        b = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
        what = f"synthetic: smooth waves vs uniform noise, 32x32 RGB, {count} each"
    paths = tmp / "fid-a.npz", tmp / "fid-b.npz"
    for path, images in zip(paths, (a, b), strict=True):
        np.savez(path, images=images)
    return *paths, what


def fid_agreement(args: argparse.Namespace, budget: Budget, tmp: Path) -> dict[str, Any]:
    """ganforge's FID (`ganforge fid`'s path) of two different sets on the CPU and the device,
    through a random Inception in torch-fidelity's weight format (no download)."""
    from ganforge.metrics.features import save_random_inception
    from ganforge.metrics.score import score_sets

    count = 32 if args.quick else 512
    weights = save_random_inception(tmp / "random-inception.pth")
    a, b, what = two_image_sets(args.data_dir, count, tmp)
    devices = ["cpu"] + ([args.device] if args.device != "cpu" else [])
    fid = {}
    for device in devices:
        if budget.left() < 5:
            return {"images": what, "error": "skipped: the time budget was spent"}
        result = score_sets(str(a), str(b), ["fid"], inception_weights=str(weights), device=device)
        fid[device] = result["fid"]
    out = {"images": what, "inception": "random (seed 0), torch-fidelity's format", "fid": fid}
    out["non_degenerate"] = fid["cpu"] > FID_FLOOR
    if len(devices) == 1:
        return {**out, "note": "CPU only: the code path, no comparison"}
    difference = abs(fid[args.device] - fid["cpu"]) / fid["cpu"]
    return {**out, "relative_difference": difference, "agree": difference < FID_RTOL}


def torchrun_command(processes: int, preset: str, options: list[str], device: str) -> list[str]:
    """`torchrun --standalone --nproc_per_node=N -m ganforge train ...` (docs/distributed.md)."""
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc_per_node={processes}", "-m", "ganforge", "train", "--preset", preset,
        *options, "--device", device, "--no-progress",
    ]  # fmt: skip


def distributed(args: argparse.Namespace, budget: Budget, tmp: Path) -> dict[str, Any]:
    """deng2024-conv under torchrun with 1 process, and 2 where there are 2 GPUs (on a CPU,
    2 gloo processes: the code path); img/s of the last rows, last losses."""
    preset = "deng2024-conv"
    data, what = data_overrides(preset, args.data_dir, args.quick, tmp)
    steps, every = (10, 5) if args.quick else (300, 50)
    gpus = torch.cuda.device_count() if args.device.startswith("cuda") else 0
    counts = [1, 2] if gpus >= 2 or args.device == "cpu" else [1]
    out: dict[str, Any] = {"preset": preset, "data": what, "steps": steps}
    if len(counts) == 1:
        out["note"] = f"{gpus} GPU: no 2-process run"
    for n in counts:
        folder = tmp / f"torchrun-{n}"
        options = [*data, f"train.steps={steps}", f"train.log_every={every}"]
        options += ["train.sample_every=0", "train.tensorboard=false", "--run-dir", str(folder)]
        done = run_child(torchrun_command(n, preset, options, args.device), budget)
        out[f"{n}_process"] = done if isinstance(done, str) else last_rows(folder)
    return out


def last_rows(folder: Path) -> dict[str, Any]:
    """Images per second of the rows after the first (its steps build and warm up), and the
    last row's losses."""
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r.get("kind", "train") == "train"]
    batch = yaml.safe_load((folder / "config.yaml").read_text())["train"]["batch_size"]
    timed = rows[1:] or rows
    seconds = sum(r["sec_per_step"] for r in timed) / len(timed)
    last = rows[-1]
    return {
        "images_per_second": round(batch / seconds, 1),
        "last_step": last["step"],
        "d_loss": last["d_loss"],
        "g_loss": last["g_loss"],
    }

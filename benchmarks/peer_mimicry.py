"""ganforge against Mimicry (torch-mimicry 0.1.16) on Mimicry's own SNGAN-32 and recipe.

    pip install --no-deps torch-mimicry==0.1.16        # this script installs nothing
    python benchmarks/peer_mimicry.py --check [--data cifar10_train.npz]
    python benchmarks/peer_mimicry.py --steps 3 --warmup 1 --rounds 3 [--data cifar10_train.npz]
    python benchmarks/peer_mimicry.py --profile

Both sides train the preset `cifar10-sngan` (Mimicry's CIFAR-10 recipe: batch 64, n_dis 5,
hinge loss, Adam 2e-4 betas (0, 0.9), linear decay) with Mimicry's networks: Mimicry's own
`SNGANGenerator32`/`SNGANDiscriminator32` on its side, ganforge's `resnet` family on the other,
starting from the same weights (Mimicry's, copied across with the spectral-norm vectors u, v).
They read the same uint8 images held in memory (`--data FILE.npz`, read as `data.name=npz`;
without it a synthetic tensor of 2,048 random images, said so in the JSON), in one process
with the same `torch.set_num_threads`.

Mimicry's side is the body of its `Trainer.train` loop calling its networks' own `train_step`
methods with stock `torch.optim.Adam` (benchmarks/mimicry_side.py says what of the trainer is
left out: logging, image grids, checkpoints). ganforge's side is `Trainer.train`, timed by its
own `sec_per_step` rows (a row every step; grids and checkpoints only at the end, untimed).

`--check` trains both for a few G steps from the same weights on the same real batches and the
same z (ganforge's draws replayed into Mimicry's `generate_images`), with Mimicry's `train_step`s
called in ganforge's order (n_dis D steps, then G; Mimicry's trainer calls G first, which the
race keeps), prints every D and G loss side by side and exits 1 if any differs by more than
`--tol` (relative, default 1e-3). They agree to 1e-7 at first and drift apart as float
rounding does: ganforge's Adam is fused, Mimicry's a loop over tensors, and Adam with beta1 = 0
divides each gradient entry by its own size, so rounding in tiny entries grows (1.1e-4 after
2 G steps = 12 updates at the preset's size). PyTorch's spectral-norm parametrization, which
ganforge used before, differs by 8e-2 at the first D update (width 8, batch 16).

The race alternates the two in `--rounds` rounds; the JSON gives seconds per G step
(n_dis D updates + 1 G update) each round, images/s and ratio = Mimicry's median seconds /
ganforge's (> 1: ganforge is faster). `--profile` prints the top ops by self CPU time of one
step of each.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mimicry_side  # noqa: E402  (benchmarks/ is not a package)

from ganforge.config import Config, load_config  # noqa: E402
from ganforge.data import ArrayDataset, load_dataset  # noqa: E402
from ganforge.runs import RunDir  # noqa: E402
from ganforge.training import Trainer, resolve_config  # noqa: E402
from ganforge.training.steps import one_step  # noqa: E402

PRESET = "cifar10-sngan"


def ganforge_config(args: argparse.Namespace, steps: int) -> Config:
    """The preset at `steps` G steps, a row every step, grids and checkpoints only at the end."""
    overrides = [
        f"train.steps={steps}",
        "train.log_every=1",
        "train.sample_every=0",
        "train.checkpoint_every=0",
        f"train.batch_size={args.batch}",
        f"model.width={args.width}",
        f"seed={args.seed}",
        *args.overrides,
    ]
    if args.data:
        overrides += ["data.name=npz", f"data.path={args.data}"]
    return resolve_config(load_config(PRESET, overrides))


def images(args: argparse.Namespace) -> ArrayDataset:
    """The training images both sides read, uint8 (N, 3, 32, 32) in memory."""
    if args.data:
        return load_dataset(ganforge_config(args, 1).data)
    gen = torch.Generator().manual_seed(args.seed)
    pixels = torch.randint(0, 256, (2048, 3, 32, 32), dtype=torch.uint8, generator=gen)
    return ArrayDataset(pixels, name="synthetic")


def mimicry_networks(mods: tuple, config: Config) -> tuple[nn.Module, nn.Module]:
    """Mimicry's SNGAN-32 G and D at the config's width (ngf = 4 x width, ndf = 2 x width)."""
    sngan = mods[0]
    m = config.model
    G = sngan.SNGANGenerator32(nz=m.latent_dim, ngf=4 * m.width)
    D = sngan.SNGANDiscriminator32(ndf=2 * m.width)
    return G, D


def ganforge_trainer(config: Config, data: ArrayDataset, nets: tuple, folder: Path) -> Trainer:
    """ganforge's Trainer with Mimicry's initial weights copied into its G and D."""
    run = RunDir(folder / "run")
    run.create(config)
    trainer = Trainer(config, run, "cpu", dataset=data)
    for theirs, ours in zip(nets, ("generator", "discriminator"), strict=True):
        missing = mimicry_side.copy_into(theirs, trainer.task.networks[ours])
        if missing:
            raise SystemExit(f"no Mimicry tensor for ganforge's {ours} {missing}")
    return trainer


def mimicry_trainer(mods: tuple, config: Config, nets: tuple, batches: object) -> object:
    t, g = config.train, config.optim.g
    return mimicry_side.MimicryTrainer(
        mods,
        nets,
        batches,
        num_steps=t.steps,
        n_dis=t.n_critic,
        lr=g.lr,
        betas=(g.beta1, g.beta2),
    )


def time_ganforge(args: argparse.Namespace, mods: tuple, data: ArrayDataset) -> list[float]:
    """Seconds per step of ganforge's own rows, the warm-up rows left out."""
    config = ganforge_config(args, args.warmup + args.steps)
    torch.manual_seed(args.seed)
    nets = mimicry_networks(mods, config)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = ganforge_trainer(config, data, nets, Path(tmp))
        with contextlib.redirect_stdout(sys.stderr):  # its log lines; stdout is the JSON
            trainer.train(progress=False)
        rows = [r for r in trainer.run.read_metrics() if r.get("kind", "train") == "train"]
    return [r["sec_per_step"] for r in rows if r["step"] > args.warmup]


def time_mimicry(args: argparse.Namespace, mods: tuple, data: ArrayDataset) -> list[float]:
    """Seconds per step of Mimicry's trainer step, the warm-up steps left out."""
    config = ganforge_config(args, args.warmup + args.steps)
    torch.manual_seed(args.seed)
    nets = mimicry_networks(mods, config)
    batches = mimicry_side.InMemoryBatches(data.data, config.train.batch_size, args.seed)
    trainer = mimicry_trainer(mods, config, nets, batches)
    seconds = []
    for _ in range(args.warmup + args.steps):
        started = time.perf_counter()
        trainer.step()
        seconds.append(time.perf_counter() - started)
    return seconds[args.warmup :]


def race(args: argparse.Namespace, mods: tuple, data: ArrayDataset) -> dict:
    """Alternating rounds (the order flips each round: this machine's speed drifts)."""
    loops = {"ganforge": time_ganforge, "mimicry": time_mimicry}
    each: dict[str, list[float]] = {name: [] for name in loops}
    load_before = os.getloadavg()
    for round_ in range(args.rounds):
        for name in list(loops) if round_ % 2 == 0 else list(reversed(loops)):
            each[name].append(statistics.median(loops[name](args, mods, data)))
    median = {name: statistics.median(v) for name, v in each.items()}
    return {
        "preset": PRESET,
        "data": args.data and Path(args.data).name or "synthetic: 2,048 random uint8 images",
        "threads": torch.get_num_threads(),
        "batch_size": args.batch,
        "width": args.width,
        "n_dis": 5,
        "timed_g_steps_per_round": args.steps,
        "warmup_g_steps": args.warmup,
        "rounds": args.rounds,
        "sec_per_g_step_each_round": {k: [round(x, 3) for x in v] for k, v in each.items()},
        "images_per_second": {k: round(args.batch / v, 2) for k, v in median.items()},
        "ratio_ganforge_over_mimicry": round(median["mimicry"] / median["ganforge"], 3),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "ganforge_overrides": args.overrides,
        "torch": torch.__version__,
    }


def recorder(log: list[float], fn: Callable) -> Callable:
    """`fn` whose loss (the first value, or the value itself) is appended to `log`."""

    def wrapped(*a: object, **k: object) -> object:
        out = fn(*a, **k)
        log.append(float((out[0] if isinstance(out, tuple) else out).detach()))
        return out

    return wrapped


def ganforge_losses(args: argparse.Namespace, mods: tuple, data: ArrayDataset, folder: Path):  # noqa: ANN201
    """ganforge's D and G losses of `--check-steps` steps, with the reals and z it drew."""
    config = ganforge_config(args, args.check_steps)
    torch.manual_seed(args.seed)
    nets = mimicry_networks(mods, config)
    start = [{k: v.clone() for k, v in n.state_dict().items()} for n in nets]
    trainer = ganforge_trainer(config, data, nets, folder)
    losses: dict[str, list[float]] = {"D": [], "G": []}
    task = trainer.task
    task.phases[:] = [
        dataclasses.replace(p, loss=recorder(losses[p.name], p.loss)) for p in task.phases
    ]
    reals, latents = [], []
    src = trainer.sources
    real, latent = src.real, src.latent
    src.real = lambda *a: reals.append(real(*a)) or reals[-1]
    src.latent = lambda n: latents.append(latent(n)) or latents[-1]
    trainer.train(progress=False)
    return config, start, losses, reals, latents


def same_layers(mods: tuple, config: Config) -> bool:
    """Mimicry's and ganforge's parameter counts, tensor by tensor (printed)."""
    from ganforge.models import build_networks

    ours = build_networks(config, (3, 32, 32))
    equal = True
    for theirs, name in zip(mimicry_networks(mods, config), ours, strict=True):
        table = mimicry_side.layer_table(theirs, ours[name])
        equal &= all(a == b for *_, a, b in table) and len(table) == len(
            list(ours[name].parameters())
        )
        total = [sum(row[i] for row in table) for i in (2, 3)]
        print(f"{name}: {len(table)} tensors, Mimicry {total[0]:,} ganforge {total[1]:,}")
    return equal


def check(args: argparse.Namespace, mods: tuple, data: ArrayDataset) -> int:
    """Same weights, batches and z on both sides; 0 when every loss agrees to --tol."""
    layers_equal = same_layers(mods, ganforge_config(args, 1))
    print(f"every tensor the same size: {layers_equal}")
    with tempfile.TemporaryDirectory() as tmp:
        config, start, ours, reals, latents = ganforge_losses(args, mods, data, Path(tmp))
    nets = mimicry_networks(mods, config)
    for net, state in zip(nets, start, strict=True):
        net.load_state_dict(state)
    theirs: dict[str, list[float]] = {"D": [], "G": []}
    G, D = nets
    D.compute_gan_loss = recorder(theirs["D"], D.compute_gan_loss)
    G.compute_gan_loss = recorder(theirs["G"], G.compute_gan_loss)
    mimicry_side.replay_latents(G, [z.clone() for z in latents])
    batches = iter([(x[0].clone(), torch.zeros(len(x[0]))) for x in reals])
    trainer = mimicry_trainer(mods, config, nets, batches)
    for _ in range(args.check_steps):
        trainer.step(order="ganforge")
    worst = 0.0
    for kind in ("D", "G"):
        for i, (a, b) in enumerate(zip(ours[kind], theirs[kind], strict=True)):
            gap = abs(a - b) / max(1.0, abs(b))
            worst = max(worst, gap)
            print(f"{kind} update {i:2d}: ganforge {a:+.7f}  mimicry {b:+.7f}  rel {gap:.1e}")
    print(f"largest relative difference {worst:.2e} (tolerance {args.tol:g})")
    return 0 if worst <= args.tol and layers_equal else 1


def profile(args: argparse.Namespace, mods: tuple, data: ArrayDataset) -> None:
    """Top ops by self CPU time of one step of each (after --warmup untimed steps)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as profiler

    config = ganforge_config(args, 10)
    torch.manual_seed(args.seed)
    nets = mimicry_networks(mods, config)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = ganforge_trainer(config, data, nets, Path(tmp))
        steps = {"ganforge": lambda: one_step(trainer.parts)}
        batches = mimicry_side.InMemoryBatches(data.data, config.train.batch_size, args.seed)
        mimicry = mimicry_trainer(mods, config, mimicry_networks(mods, config), batches)
        steps["mimicry"] = mimicry.step
        for name, step in steps.items():
            for _ in range(args.warmup):
                step()
            with profiler(activities=[ProfilerActivity.CPU]) as prof:
                step()
            table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.top)
            print(f"== {name}: one G step (n_dis D + 1 G)\n{table}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", help="an .npz of uint8 images (data.name=npz); default synthetic")
    parser.add_argument("--steps", type=int, default=3, help="timed G steps per round and side")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--batch", type=int, default=64, help="the preset's 64 for the ratio")
    parser.add_argument("--width", type=int, default=64, help="the preset's 64 for the ratio")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="compare losses, no timing")
    parser.add_argument("--check-steps", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-3, help="relative, for --check")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=20, help="ops listed by --profile")
    parser.add_argument(
        "overrides", nargs="*", help="key=value for ganforge's side, e.g. train.channels_last=true"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    mods = mimicry_side.load_sngan32()
    data = images(args)
    if args.check:
        sys.exit(check(args, mods, data))
    if args.profile:
        return profile(args, mods, data)
    print(json.dumps(race(args, mods, data), indent=2))


if __name__ == "__main__":
    main()

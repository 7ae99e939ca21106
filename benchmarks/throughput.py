"""Training throughput: ganforge's loop against a plain PyTorch loop of the same networks.

    python benchmarks/throughput.py [--preset default] [--steps 300] [--device cpu] [key=value ...]

Both loops train the networks the preset describes, with the same optimisers, loss, penalties,
clipping, critic steps and EMA, on the same data held in memory. The plain loop is what a user
would write by hand: no logging, no gradient norms, no finiteness checks, no alarms, PyTorch's
stock `nn.Dropout` and `torch.optim.Adam` with its default implementation. ganforge's
loop runs as `ganforge train` does (rows every `train.log_every` steps, TensorBoard and the loss
plot) except that sample grids and checkpoints are written only at the end, outside the timed
window. Throughput counts generated images per second of full steps (n_critic D updates and one
G update). Both loops run in this one process, one after the other, so they share the machine's
state; a `ratio_to_plain` > 1 means ganforge is faster. `--variants` times ganforge's speed
options (train.compile, train.precision, train.channels_last) against the same plain fp32 loop.
The StyleGAN family's plain step is written out in `plain_stylegan.py` (style mixing, lazy R1,
path length; tests/test_throughput_plain.py checks its losses against ganforge's). Where a
phase runs every k > 1 steps the figure is the mean over the timed steps, not the median of
rows, and a preset whose rows are longer than the timed steps is timed in shorter rows.
`--processes` runs every measurement in a fresh process instead, still alternating: then the
ganforge loop's process keeps freed memory as `ganforge train`'s does (`ganforge.allocator`)
and the plain loop's does not, which is the comparison a user running either one sees.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from plain_stylegan import Step, stylegan_step
from torch import nn

from ganforge.allocator import keep_freed_memory
from ganforge.config import Config, OptimizerConfig, load_config
from ganforge.data import load_dataset, to_model_range
from ganforge.models import Phase, build_networks, build_task, sample_latent
from ganforge.models.adversarial import Objective
from ganforge.models.layers import Dropout
from ganforge.regularizers import clip_weights
from ganforge.runs import RunDir
from ganforge.training import Trainer, resolve_config
from ganforge.training.optim import build_optimizer


def by_hand(net: nn.Module) -> nn.Module:
    """The network as a user writes it: ganforge's Dropout (faster CPU masks) as nn.Dropout."""
    for name, child in net.named_children():
        if isinstance(child, Dropout):
            setattr(net, name, nn.Dropout(child.p))
        else:
            by_hand(child)
    return net


def stock_optimizer(params: Iterable[nn.Parameter], c: OptimizerConfig) -> torch.optim.Optimizer:
    """torch.optim.Adam as a user writes it (ganforge's is fused); the others as ganforge's."""
    if c.name != "adam":
        return build_optimizer(params, c)
    return torch.optim.Adam(params, lr=c.lr, betas=(c.beta1, c.beta2), weight_decay=c.weight_decay)


def adversarial_step(
    config: Config,
    G: nn.Module,
    D: nn.Module,
    opts: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    next_batch: Callable[[], torch.Tensor],
    noise: torch.Generator,
) -> Step:
    """One step of the standard adversarial task (n_critic D updates, one G update)."""
    g_opt, d_opt = opts
    objective = Objective.from_config(config)
    t, m, device = config.train, config.model, noise.device

    def one_step(i: int) -> dict[str, torch.Tensor]:
        for _ in range(t.n_critic):
            real = next_batch()
            z = sample_latent(len(real), m.latent_dim, m.latent_dist, noise, device)
            with torch.no_grad():
                fake = G(z)
            real_target, fake_target = objective.targets(len(real), real.device, noise)
            loss = objective.spec.discriminator(
                objective.scores(D(real)), objective.scores(D(fake)), real_target, fake_target
            )
            penalty = objective.penalty(D, real, fake, None, noise)
            d_opt.zero_grad(set_to_none=True)
            (loss if penalty is None else loss + penalty).backward()
            d_opt.step()
            if objective.clip_value:
                clip_weights(D, objective.clip_value)
        z = sample_latent(t.batch_size, m.latent_dim, m.latent_dist, noise, device)
        D.requires_grad_(False)
        g_loss = objective.spec.generator(objective.scores(D(G(z))))
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        D.requires_grad_(True)
        return {"d_loss": loss.detach(), "g_loss": g_loss.detach()}

    return one_step


# a family whose phases differ from the standard task's -> its step written by hand
PLAIN_STEPS: dict[str, Callable[..., Step]] = {"stylegan": stylegan_step}


def plain_loop(config: Config, data: torch.Tensor, steps: int, warmup: int, device: str) -> float:
    """Seconds per step (`summary` of its chunks) of a hand-written loop over the same
    networks and objective."""
    torch.manual_seed(config.seed)
    nets = build_networks(config, tuple(data.shape[1:]))
    G, D = by_hand(nets["generator"]).to(device), by_hand(nets["discriminator"]).to(device)
    g_opt = stock_optimizer(G.parameters(), config.optim.g)
    d_opt = stock_optimizer(D.parameters(), config.optim.d)
    ema = [p.detach().clone() for p in G.parameters()] if config.train.ema_decay else None
    noise = torch.Generator(device).manual_seed(config.seed + 1)
    t = config.train
    order, cursor = torch.randperm(len(data), device=device), 0

    def next_batch() -> torch.Tensor:
        nonlocal order, cursor
        if cursor + t.batch_size > len(data):
            order, cursor = torch.randperm(len(data), device=device), 0
        cursor += t.batch_size
        return data[order[cursor - t.batch_size : cursor]]

    builder = PLAIN_STEPS.get(config.model.name, adversarial_step)
    train_step = builder(config, G, D, (g_opt, d_opt), next_batch, noise)

    def one_step(i: int) -> None:
        train_step(i)
        if ema is not None:
            with torch.no_grad():
                torch._foreach_lerp_(ema, list(G.parameters()), 1.0 - t.ema_decay)

    for i in range(warmup):
        one_step(i)
    chunks, i = [], warmup  # timed like ganforge's rows: one figure per train.log_every steps
    for _ in range(max(1, steps // t.log_every)):
        _sync(device)
        started = time.perf_counter()
        for _ in range(t.log_every):
            one_step(i)
            i += 1
        _sync(device)
        chunks.append((time.perf_counter() - started) / t.log_every)
    return summary(chunks, lazy(build_task(config, tuple(data.shape[1:])).phases))


def lazy(phases: Iterable[Phase]) -> bool:
    """Whether a phase runs every k > 1 steps (lazy R1, path length)."""
    return any(phase.interval > 1 for phase in phases)


def summary(chunks: list[float], is_lazy: bool) -> float:
    """The median of the timed chunks, robust to this machine's drift; with lazy phases the
    mean, since a median would leave out the steps that run them."""
    return statistics.fmean(chunks) if is_lazy else statistics.median(chunks)


def ganforge_loop(config: Config, steps: int, warmup: int, device: str, folder: Path) -> float:
    """Seconds per step that ganforge's own rows report, after the warm-up rows."""
    run = RunDir(folder / "run")
    run.create(config)
    trainer = Trainer(config, run, device)
    trainer.train(progress=False)
    rows = [r for r in run.read_metrics() if r.get("kind", "train") == "train"]
    is_lazy = lazy(trainer.task.phases)
    # with lazy phases, exactly the steps the plain loop times (warmup..warmup+steps)
    end = warmup + steps + (1 if is_lazy else 0)
    return summary([r["sec_per_step"] for r in rows if warmup < r["step"] < end], is_lazy)


def measure(loop: str, config: Config, data: torch.Tensor, args: argparse.Namespace) -> float:
    if loop == "plain":
        return plain_loop(config, data, args.steps, args.warmup, args.device)
    with tempfile.TemporaryDirectory() as tmp:
        return ganforge_loop(config, args.steps, args.warmup, args.device, Path(tmp))


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def in_fresh_process(name: str, argv: list[str]) -> float:
    """One measurement in a new Python process: the ganforge loop's process starts as
    `ganforge train` does (freed memory kept), the plain loop's as `python my_loop.py` does."""
    command = [sys.executable, __file__, *argv, "--rounds", "1", "--only", name]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["sec_per_step_each_round"][name][0]


def row_size(args: argparse.Namespace) -> list[str]:
    """A train.log_every that gives timed rows when the preset's rows are longer than the
    timed steps (stylegan-mnist32 logs every 50): the largest that divides warm-up and steps."""
    config = load_config(args.preset, args.overrides)
    if config.train.log_every <= args.steps:
        return []
    return [f"train.log_every={math.gcd(args.warmup, args.steps) or args.steps}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--steps", type=int, default=300, help="timed steps per loop")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each loop")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--variants",
        default="",
        help="';'-separated ganforge speed options to time beside the baseline, "
        "e.g. 'train.compile=true;train.precision=bf16'",
    )
    parser.add_argument(
        "--processes",
        action="store_true",
        help="each measurement in a fresh process, so process-wide settings (the allocator "
        "`ganforge train` sets) count for ganforge; default: all in this one process",
    )
    parser.add_argument("--only", help=argparse.SUPPRESS)  # one loop, for --processes
    parser.add_argument("overrides", nargs="*", help="key=value changes to the preset")
    argv = sys.argv[1:]
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    total = args.warmup + args.steps
    common = [*args.overrides, f"train.steps={total}", "train.sample_every=0"]
    common += ["train.checkpoint_every=0", *row_size(args)]
    variants = {"ganforge": []} | {v: v.split(",") for v in args.variants.split(";") if v}
    configs = {
        name: resolve_config(load_config(args.preset, [*common, *extra]))
        for name, extra in variants.items()
    }
    config = configs["ganforge"]
    names = [args.only] if args.only else ["plain", *configs]
    if args.only and args.only != "plain":
        keep_freed_memory()
    if not args.processes:
        data = to_model_range(load_dataset(config.data).data).to(args.device)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(args.rounds):  # alternate the order: this machine's speed drifts
        order = names if round_ % 2 == 0 else list(reversed(names))
        for name in order:
            if args.processes:
                child = [a for a in argv if a != "--processes"]
                seconds[name].append(in_fresh_process(name, child))
                continue
            cfg = config if name == "plain" else configs[name]
            with contextlib.redirect_stdout(sys.stderr):  # stdout holds the JSON alone
                seconds[name].append(
                    measure("plain" if name == "plain" else "ganforge", cfg, data, args)
                )
    median = {name: statistics.median(values) for name, values in seconds.items()}
    batch = config.train.batch_size
    result = {
        "preset": args.preset,
        "device": args.device,
        "threads": torch.get_num_threads(),
        "batch_size": batch,
        "n_critic": config.train.n_critic,
        "timed_steps": args.steps,
        "log_every": config.train.log_every,
        "rounds": args.rounds,
        "processes": "one per measurement" if args.processes else "one for all",
        "sec_per_step_each_round": {k: [round(x, 5) for x in v] for k, v in seconds.items()},
        "images_per_second": {k: round(batch / v, 1) for k, v in median.items()},
        "ratio_to_plain": {k: round(median["plain"] / v, 3) for k, v in median.items()}
        if "plain" in median
        else {},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Seed packing: K seeds of one experiment trained together against K solo runs (issue #24).

    python benchmarks/pack_seeds.py [--preset default] [--seeds 3] [--threads 2,1]
                                    [--steps 60] [--rounds 3] [key=value ...]

Before training a study's seeds together in one process is worth code, it must pay: the issue
asks for a per-run throughput of at least 1.5x that of K solo runs at K=3 on the 2-core CPU.
Both variants train the networks the preset describes with its loss and optimisers (ganforge's
`build_optimizer`: fused Adam on a CPU), n_critic D updates and one G update per step, on the
same data held in memory:

- `solo`: K (G, D) pairs, each stepped once in turn, as K runs one after another would;
- `packed`: the same K pairs as stacked parameters (`torch.func.stack_module_state`), one
  `vmap` over `functional_call` per forward pass with per-seed batches on a leading dim, and one
  optimiser over the stacked tensors (Adam is elementwise, so it equals K per-seed Adams).

Before timing, both start from the same weights, batches and noise for a few steps and the JSON
reports the largest difference of their losses and weights (`check`): packing is only useful
if each seed's run equals its solo run to float tolerance. Variants and thread counts alternate
in rounds; `ratio` is solo seconds over packed seconds for the same K seed-steps (> 1: packing
is faster). Presets with dropout, penalties, clipping or EMA are refused (not modelled here).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap

from ganforge.allocator import keep_freed_memory
from ganforge.config import Config, load_config
from ganforge.data import load_dataset, to_model_range
from ganforge.models import build_networks, sample_latent
from ganforge.models.adversarial import Objective
from ganforge.training import resolve_config
from ganforge.training.optim import build_optimizer

Step = Callable[[], list[float]]


class Batches:
    """Seed k's stream of real batches and latents: its own permutation and noise generator."""

    def __init__(self, config: Config, data: Tensor, seed: int) -> None:
        self.data, self.config = data, config
        self.order_gen = torch.Generator().manual_seed(seed)
        self.noise = torch.Generator().manual_seed(seed + 1)
        self.order, self.cursor = torch.randperm(len(data), generator=self.order_gen), 0

    def real(self) -> Tensor:
        b = self.config.train.batch_size
        if self.cursor + b > len(self.data):
            self.order, self.cursor = torch.randperm(len(self.data), generator=self.order_gen), 0
        self.cursor += b
        return self.data[self.order[self.cursor - b : self.cursor]]

    def latent(self) -> Tensor:
        m = self.config.model
        return sample_latent(self.config.train.batch_size, m.latent_dim, m.latent_dist,
                             self.noise, torch.device("cpu"))  # fmt: skip


def seed_networks(config: Config, shape: tuple[int, ...], k: int) -> list[dict[str, nn.Module]]:
    """K independent (G, D) pairs, seed `config.seed + i` each, as K solo runs build them."""
    pairs = []
    for i in range(k):
        torch.manual_seed(config.seed + i)
        pairs.append(build_networks(config, shape))
    return pairs


def solo_step(config: Config, pair: dict[str, nn.Module], batches: Batches) -> Step:
    """One seed's full step (n_critic D updates, one G update), as a hand-written loop."""
    G, D = pair["generator"], pair["discriminator"]
    g_opt = build_optimizer(G.parameters(), config.optim.g)
    d_opt = build_optimizer(D.parameters(), config.optim.d)
    obj = Objective.from_config(config)

    def step() -> list[float]:
        for _ in range(config.train.n_critic):
            real, z = batches.real(), batches.latent()
            with torch.no_grad():
                fake = G(z)
            d_loss = obj.spec.discriminator(obj.scores(D(real)), obj.scores(D(fake)), 1.0, 0.0)
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
        D.requires_grad_(False)
        g_loss = obj.spec.generator(obj.scores(D(G(batches.latent()))))
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        D.requires_grad_(True)
        return [d_loss.item(), g_loss.item()]

    return step


def stacked(models: list[nn.Module]) -> tuple[nn.Module, dict[str, Tensor], dict[str, Tensor]]:
    """A stateless copy of the architecture and the K models' parameters and buffers stacked."""
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    return base, params, buffers


def packed_step(config: Config, pairs: list[dict[str, nn.Module]], streams: list[Batches]) -> Step:
    """All K seeds' full step at once: vmap over functional_call, one optimiser per network."""
    G, gp, gb = stacked([p["generator"] for p in pairs])
    D, dp, db = stacked([p["discriminator"] for p in pairs])
    g_opt = build_optimizer(gp.values(), config.optim.g)
    d_opt = build_optimizer(dp.values(), config.optim.d)
    obj = Objective.from_config(config)

    def generate(p: dict, b: dict, z: Tensor) -> Tensor:
        return functional_call(G, (p, b), (z,))

    def d_loss(p: dict, b: dict, real: Tensor, fake: Tensor) -> Tensor:
        real_scores = obj.scores(functional_call(D, (p, b), (real,)))
        fake_scores = obj.scores(functional_call(D, (p, b), (fake,)))
        return obj.spec.discriminator(real_scores, fake_scores, 1.0, 0.0)

    def g_loss(p: dict, b: dict, q: dict, c: dict, z: Tensor) -> Tensor:
        return obj.spec.generator(obj.scores(functional_call(D, (q, c), (generate(p, b, z),))))

    def step() -> list[float]:
        for _ in range(config.train.n_critic):
            real = torch.stack([s.real() for s in streams])  # (K, B, C, H, W)
            z = torch.stack([s.latent() for s in streams])  # (K, B, latent)
            with torch.no_grad():
                fake = vmap(generate)(gp, gb, z)
            losses_d = vmap(d_loss)(dp, db, real, fake)  # (K,)
            d_opt.zero_grad(set_to_none=True)
            losses_d.sum().backward()  # seeds share no parameter: each gets its own gradient
            d_opt.step()
        z = torch.stack([s.latent() for s in streams])
        frozen = {k: v.detach() for k, v in dp.items()}
        losses_g = vmap(g_loss)(gp, gb, frozen, db, z)
        g_opt.zero_grad(set_to_none=True)
        losses_g.sum().backward()
        g_opt.step()
        return [x for pair in zip(losses_d.tolist(), losses_g.tolist(), strict=True) for x in pair]

    step.state = (gp, gb, dp, db)  # type: ignore[attr-defined]  # for the check
    return step


def refuse_unsupported(config: Config) -> None:
    """This benchmark models the plain adversarial step only; say so rather than time another."""
    obj = Objective.from_config(config)
    extras = {
        "penalties": obj.penalties,
        "clipping": obj.weight_rule,
        "label smoothing or noise": obj.label_smoothing or obj.label_noise,
        "EMA": config.train.ema_decay,
        "dropout": config.model.d.get("dropout") or config.model.g.get("dropout"),
    }
    used = [name for name, value in extras.items() if value]
    if used:
        raise SystemExit(f"pack_seeds.py models the plain adversarial step; {config.model.name} "
                         f"here uses {', '.join(used)}")  # fmt: skip


def build(config: Config, data: Tensor, k: int, variant: str) -> tuple[Step, list]:
    """A fresh `variant` step for K seeds from the same initial weights and streams each time."""
    pairs = seed_networks(config, tuple(data.shape[1:]), k)
    streams = [Batches(config, data, config.seed + 100 * i) for i in range(k)]
    if variant == "packed":
        return packed_step(config, pairs, streams), pairs
    steps = [solo_step(config, pair, s) for pair, s in zip(pairs, streams, strict=True)]
    return (lambda: [x for one in steps for x in one()]), pairs


def check(config: Config, data: Tensor, k: int, n: int) -> dict[str, float]:
    """Largest |difference| of losses and final weights, packed vs solo, after n steps."""
    solo, solo_pairs = build(config, data, k, "solo")
    packed, _ = build(config, data, k, "packed")
    loss_diff = 0.0
    for _ in range(n):
        a, b = solo(), packed()
        loss_diff = max(loss_diff, max(abs(x - y) for x, y in zip(a, b, strict=True)))
    gp, gb, dp, db = packed.state  # type: ignore[attr-defined]
    weight_diff = 0.0
    for net, stacked_state in (("generator", gp | gb), ("discriminator", dp | db)):
        for i, pair in enumerate(solo_pairs):
            for name, value in pair[net].state_dict().items():
                diff = (value.float() - stacked_state[name][i].float()).abs().max().item()
                weight_diff = max(weight_diff, diff)
    return {"steps": n, "max_loss_diff": loss_diff, "max_weight_or_buffer_diff": weight_diff}


def seconds_per_step(config: Config, data: Tensor, args: argparse.Namespace, variant: str) -> float:
    """Median over chunks of 10 steps of seconds per step of all K seeds, after a warm-up."""
    step, _ = build(config, data, args.seeds, variant)
    for _ in range(args.warmup):
        step()
    chunks = []
    for _ in range(max(1, args.steps // 10)):
        started = time.perf_counter()
        for _ in range(10):
            step()
        chunks.append((time.perf_counter() - started) / 10)
    return statistics.median(chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--seeds", type=int, default=3, help="K, seeds trained together")
    parser.add_argument("--threads", default="2,1", help="comma-separated thread counts")
    parser.add_argument("--steps", type=int, default=60, help="timed steps per measurement")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each variant")
    parser.add_argument("--check-steps", type=int, default=5)
    parser.add_argument("overrides", nargs="*", help="key=value changes to the preset")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    keep_freed_memory()  # as `ganforge train` does, for both variants
    config = resolve_config(load_config(args.preset, args.overrides))
    refuse_unsupported(config)
    data = to_model_range(load_dataset(config.data).data).float()
    threads = [int(t) for t in args.threads.split(",")]
    torch.set_num_threads(threads[0])
    result = {"preset": args.preset, "seeds": args.seeds, "batch_size": config.train.batch_size,
              "n_critic": config.train.n_critic, "timed_steps": args.steps, "rounds": args.rounds,
              "check": check(config, data, args.seeds, args.check_steps)}  # fmt: skip
    names = ["solo", "packed"]
    seconds = {(t, v): [] for t in threads for v in names}
    for round_ in range(args.rounds):  # alternate the order: this machine's speed drifts
        for t in threads:
            torch.set_num_threads(t)
            for v in names if round_ % 2 == 0 else reversed(names):
                seconds[t, v].append(seconds_per_step(config, data, args, v))
    for t in threads:
        med = {v: statistics.median(seconds[t, v]) for v in names}
        result[f"threads_{t}"] = {
            "sec_per_step_each_round": {v: [round(x, 5) for x in seconds[t, v]] for v in names},
            "ratio_solo_over_packed": round(med["solo"] / med["packed"], 3),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

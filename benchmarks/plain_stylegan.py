"""StyleGAN2's training step written by hand, for `throughput.py`'s plain loop.

What a user copies from stylegan2-ada-pytorch's `loss.py` onto ganforge's StyleGAN networks:
style mixing, the D update, lazy R1 every `loss.reg_every` steps (scaled by the interval),
the G update and lazy path-length regularisation every `model.g.pl_every` steps, with stock
`torch.optim.Adam` (the caller's). It draws its random numbers in ganforge's order, so from
the same weights, batches and generator states both compute the same losses (the R1 step
draws no fake batch in either: R1 reads real images only).

`first_losses` compares the first steps of both loops (tests/test_throughput_plain.py).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.data import BatchStream
from ganforge.models import build_networks, family_options, sample_latent
from ganforge.models.adversarial import Objective
from ganforge.models.augment import diff_augment
from ganforge.runs import RunDir
from ganforge.training.optim import build_optimizer

Step = Callable[[int], dict[str, Tensor]]  # step index -> detached losses (no host sync)


def refuse_unwritten(config: Config) -> None:
    """This hand-written loop covers what the StyleGAN presets use; say so for the rest."""
    objective = Objective.from_config(config)
    unwritten = [name for name, _, _ in objective.penalties if name != "r1"]
    if config.model.conditional != "none" or objective.clip_value or unwritten:
        raise SystemExit(
            "the plain StyleGAN loop is written for unconditional training with R1 only "
            f"(got conditional={config.model.conditional}, clip={objective.clip_value}, "
            f"penalties={unwritten})"
        )


class PlainStyleGAN:
    """One training step of StyleGAN2 as a user writes it: `step(i)` for step index i."""

    def __init__(
        self,
        config: Config,
        G: nn.Module,
        D: nn.Module,
        opts: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
        next_batch: Callable[[], Tensor],
        noise: torch.Generator,
    ) -> None:
        """`opts`: G's and D's optimisers; `next_batch()`: real images in [-1, 1]."""
        refuse_unwritten(config)
        self.G, self.D, (self.g_opt, self.d_opt) = G, D, opts
        self.next_batch, self.noise, self.config = next_batch, noise, config
        self.g_opts, _ = family_options(config)
        self.objective = Objective.from_config(config)
        self.gamma = self.objective.penalties[0][2] if self.objective.penalties else 0.0
        self.augment = diff_augment(config.train.augment)  # DiffAugment, if the run uses it
        self.pl_mean = torch.zeros([], device=noise.device)

    def seen(self, x: Tensor) -> Tensor:
        return self.augment(x, self.noise) if self.augment else x

    def latent(self, n: int) -> Tensor:
        m = self.config.model
        return sample_latent(n, m.latent_dim, m.latent_dist, self.noise, self.noise.device)

    def styles(self, n: int) -> Tensor:
        """(n, num_ws, w_dim); with probability style_mixing, two latents from a random layer."""
        G, noise, prob = self.G, self.noise, self.g_opts.style_mixing
        ws = G.mapping(self.latent(n)).unsqueeze(1).repeat(1, G.num_ws, 1)
        if prob > 0 and G.num_ws > 1:
            mix = torch.rand([], generator=noise, device=noise.device) < prob
            cutoff = int(torch.randint(1, G.num_ws, [], generator=noise, device=noise.device))
            if mix:
                ws[:, cutoff:] = G.mapping(self.latent(n), update_w_avg=False).unsqueeze(1)
        return ws

    def r1(self, shown: Tensor) -> Tensor:
        """gamma/2 E||dD/dx||^2 on the real images as D saw them."""
        x = shown.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.D(x).sum(), x, create_graph=True)
        return grad.square().sum([1, 2, 3]).mean() * (self.gamma / 2)

    def path_length(self) -> Tensor:
        """E[(|J_w^T y| - a)^2], a the running mean length (stylegan2-ada's Gpl)."""
        ws = self.styles(max(1, self.config.train.batch_size // self.g_opts.pl_batch_shrink))
        img = self.G.synthesize(ws)
        pl_noise = torch.randn(img.shape, generator=self.noise, device=img.device)
        pl_noise = pl_noise / math.sqrt(img.shape[2] * img.shape[3])
        (grad,) = torch.autograd.grad((img * pl_noise).sum(), ws, create_graph=True)
        lengths = grad.square().sum(2).mean(1).sqrt()
        mean = self.pl_mean.lerp(lengths.mean(), self.g_opts.pl_decay)  # as stylegan2-ada:
        self.pl_mean = mean.detach()  # the penalty differentiates this step's mean too
        return (lengths - mean).square().mean()

    @staticmethod
    def update(opt: torch.optim.Optimizer, value: Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()

    def step(self, i: int) -> dict[str, Tensor]:
        """D (n_critic times), R1 every reg_every steps, G, path length every pl_every."""
        G, D, every, out = self.G, self.D, self.config.loss.reg_every, {}
        G.requires_grad_(False)  # D phases: only D learns
        for _ in range(self.config.train.n_critic):
            real = self.next_batch()
            with torch.no_grad():
                fake = G.synthesize(self.styles(len(real)))
            real, fake = self.seen(real), self.seen(fake)
            d_loss = self.objective.discriminator_loss(D(real), D(fake), self.noise)
            out["d_loss"] = d_loss.detach()
            if every == 1 and self.gamma:  # R1 in every D step, unscaled
                d_loss = d_loss + self.r1(real)
            self.update(self.d_opt, d_loss)
        if every > 1 and self.gamma and i % every == 0:
            penalty = self.r1(self.seen(self.next_batch()))  # no fake batch: R1 needs none
            self.update(self.d_opt, penalty * every)
            out["d_penalty"] = penalty.detach()
        G.requires_grad_(True)
        D.requires_grad_(False)  # G phases: only G learns
        fake = G.synthesize(self.styles(self.config.train.batch_size))
        g_loss = self.objective.spec.generator(self.objective.scores(D(self.seen(fake))))
        self.update(self.g_opt, g_loss)
        out["g_loss"] = g_loss.detach()
        g = self.g_opts
        if g.pl_weight and i % g.pl_every == 0:
            penalty = self.path_length()
            self.update(self.g_opt, penalty * (g.pl_weight * g.pl_every))
            out["g_pl_penalty"] = penalty.detach()
        D.requires_grad_(True)
        return out


def stylegan_step(
    config: Config,
    G: nn.Module,
    D: nn.Module,
    opts: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    next_batch: Callable[[], Tensor],
    noise: torch.Generator,
) -> Step:
    """throughput.py's plain-step builder for the stylegan family."""
    return PlainStyleGAN(config, G, D, opts, next_batch, noise).step


def first_losses(
    config: Config, start: int, steps: int, device: str = "cpu"
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """The losses of steps start..start+steps-1 of ganforge's loop and of the plain one, both
    from ganforge's initial weights, batch order, noise generator and global RNG state."""
    from ganforge.training.parts import build_parts
    from ganforge.training.steps import one_step

    with tempfile.TemporaryDirectory() as tmp:
        run = RunDir(Path(tmp) / "run")
        run.create(config)
        parts = build_parts(config, run, torch.device(device))
        nets = parts.task.networks
        weights = {k: nets[k].state_dict() for k in ("generator", "discriminator")}
        weights = {k: {n: v.clone() for n, v in w.items()} for k, w in weights.items()}
        global_rng, noise_state = torch.get_rng_state(), parts.noise.get_state()
        theirs = []
        for i in range(start, start + steps):
            parts.step = i
            theirs.append({k: float(v) for k, v in one_step(parts).items()})
        dataset = parts.dataset
    built = build_networks(config, dataset.shape)
    G, D = built["generator"].to(device), built["discriminator"].to(device)
    G.load_state_dict(weights["generator"])
    D.load_state_dict(weights["discriminator"])
    torch.set_rng_state(global_rng)
    noise = torch.Generator(device)
    noise.set_state(noise_state)
    optim = config.optim
    stream = BatchStream(dataset, config.train.batch_size, config.seed, device)
    # ganforge's optimiser implementation here (fused Adam on a CPU): with betas (0, 0.99) the
    # first Adam steps move every weight by about lr x sign(grad), so the last-bit differences
    # of another implementation grow to 1e-2 in a few steps and would hide a real difference
    g_opt, d_opt = (build_optimizer(n.parameters(), c) for n, c in ((G, optim.g), (D, optim.d)))
    step = stylegan_step(config, G, D, (g_opt, d_opt), lambda: stream.next()[0], noise)
    ours = [{k: float(v) for k, v in step(i).items()} for i in range(start, start + steps)]
    return theirs, ours

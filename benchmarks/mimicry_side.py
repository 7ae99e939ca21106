"""Mimicry's side of benchmarks/peer_mimicry.py: its SNGAN-32 networks, its training step, and
the map from its state dicts to ganforge's `resnet` networks.

Needs `pip install --no-deps torch-mimicry==0.1.16`. The package's `__init__` imports its
metrics, datasets and trainer (TensorFlow-era code, scikit-image) that fail on torch >= 2.0, so
`load_sngan32` puts bare package objects for `torch_mimicry`, `torch_mimicry.nets`,
`torch_mimicry.nets.gan`, `torch_mimicry.nets.sngan` and `torch_mimicry.training` into
`sys.modules` (with their real `__path__`) and imports only the files SNGAN-32 needs:
`nets/sngan/sngan_32.py`, `sngan_base.py`, `nets/gan/gan.py`, `nets/basemodel/basemodel.py`,
the `modules` package (layers, losses, resblocks, spectral_norm: plain torch) and
`training/scheduler.py`, `training/metric_log.py`.

In 0.1.16 `SNConv2d`/`SNLinear` default to `torch.nn.utils.spectral_norm` (PyTorch's hook with
one power iteration per training forward, buffers `weight_u`, `weight_v`); Mimicry's own
`modules/spectral_norm.py` is used only with `default=False`, which SNGAN-32 never passes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

BARE_PACKAGES = [
    "torch_mimicry",
    "torch_mimicry.nets",
    "torch_mimicry.nets.gan",
    "torch_mimicry.nets.sngan",
    "torch_mimicry.training",
]


def load_sngan32() -> tuple[types.ModuleType, types.ModuleType, types.ModuleType]:
    """(sngan_32, scheduler, metric_log) modules of the installed torch-mimicry, without
    running the package `__init__` files that fail on torch >= 2.0."""
    spec = importlib.util.find_spec("torch_mimicry")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs torch-mimicry: pip install --no-deps torch-mimicry==0.1.16")
    root = Path(next(iter(spec.submodule_search_locations)))
    for name in BARE_PACKAGES:
        if name in sys.modules:
            continue
        package = types.ModuleType(name)
        package.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
        sys.modules[name] = package
    return (
        importlib.import_module("torch_mimicry.nets.sngan.sngan_32"),
        importlib.import_module("torch_mimicry.training.scheduler"),
        importlib.import_module("torch_mimicry.training.metric_log"),
    )


def state_dict_map(mimicry: dict[str, Tensor]) -> dict[str, str]:
    """Mimicry's state-dict names -> ganforge's (`resnet` family, spectral norm on D).

    G: `block2..4` are ganforge's `blocks.0..2`. D: `block1..4` are `blocks.0..3`; PyTorch's
    legacy spectral-norm hook keeps `weight_orig`, `weight_u`, `weight_v`, the parametrization
    ganforge uses keeps `parametrizations.weight.original`, `..._u`, `..._v`.
    """
    suffix = {
        "weight_orig": "parametrizations.weight.original",
        "weight_u": "parametrizations.weight.0._u",
        "weight_v": "parametrizations.weight.0._v",
    }
    first = min(int(n.split(".")[0][5:]) for n in mimicry if n.startswith("block"))
    out = {}
    for name in mimicry:
        head, _, leaf = name.rpartition(".")
        parts = head.split(".")
        if parts[0].startswith("block"):
            parts = ["blocks", str(int(parts[0][5:]) - first), *parts[1:]]
        out[name] = ".".join([*parts, suffix.get(leaf, leaf)])
    return out


@torch.no_grad()
def copy_into(source: nn.Module, target: nn.Module) -> list[str]:
    """Copy every Mimicry tensor into the ganforge network in place (optimisers keep their
    parameters); returns ganforge names Mimicry has no tensor for (must be none)."""
    theirs, ours = source.state_dict(), target.state_dict()
    names = state_dict_map(theirs)
    for their_name, our_name in names.items():
        if ours[our_name].shape != theirs[their_name].shape:
            raise ValueError(
                f"{their_name} {tuple(theirs[their_name].shape)} -> {our_name} "
                f"{tuple(ours[our_name].shape)}"
            )
        ours[our_name].copy_(theirs[their_name])
    return sorted(set(ours) - set(names.values()))


def layer_table(mimicry: nn.Module, ganforge: nn.Module) -> list[tuple[str, str, int, int]]:
    """(Mimicry name, ganforge name, Mimicry count, ganforge count) per trainable tensor."""
    ours = dict(ganforge.named_parameters())
    names = state_dict_map(mimicry.state_dict())
    return [
        (name, names[name], p.numel(), ours[names[name]].numel())
        for name, p in mimicry.named_parameters()
    ]


class InMemoryBatches:
    """What Mimicry's trainer fetches from its DataLoader, (images, labels) batches in [-1, 1],
    taken from the same uint8 tensor ganforge holds (a shuffled order, a new one each epoch)."""

    def __init__(self, data: Tensor, batch_size: int, seed: int) -> None:
        self.data, self.batch_size = data, batch_size
        self.gen = torch.Generator().manual_seed(seed)
        self.order, self.position = torch.randperm(len(data), generator=self.gen), 0

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        return self

    def __next__(self) -> tuple[Tensor, Tensor]:
        if self.position + self.batch_size > len(self.data):
            self.order, self.position = torch.randperm(len(self.data), generator=self.gen), 0
        index = self.order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        images = self.data[index].float().div_(127.5).sub_(1.0)  # ToTensor + Normalize(0.5)
        return images, torch.zeros(len(index), dtype=torch.long)


class MimicryTrainer:
    """The body of Mimicry's `Trainer.train` loop (training/trainer.py), one G step per call.

    Kept: n_dis iterations each fetching a fresh real batch; at i == 0 `netG.train_step`
    (before the first D step, as Mimicry orders it), then `netD.train_step` with its own
    fake batch (generated with gradients and detached, as Mimicry does), its `.item()` logs
    into a `MetricLog`, then `LRScheduler.step` (linear decay). Left out: `Logger`
    (stdout line every step, TensorBoard summaries every 50 steps, image grids every 500),
    checkpoints every 5,000 steps and `params.json`: they need files, TensorBoard and
    scikit-image, and cost far under 1% of a 20-100 s CPU step.
    """

    def __init__(
        self,
        mods: tuple,
        nets: tuple[nn.Module, nn.Module],
        batches: Any,
        num_steps: int,
        n_dis: int = 5,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.0, 0.9),
    ) -> None:
        _, scheduler, metric_log = mods
        self.netG, self.netD = nets
        # as Mimicry's README and examples build them: stock torch.optim.Adam
        self.optD = torch.optim.Adam(self.netD.parameters(), lr, betas=betas)
        self.optG = torch.optim.Adam(self.netG.parameters(), lr, betas=betas)
        self.scheduler = scheduler.LRScheduler(
            lr_decay="linear", optD=self.optD, optG=self.optG, num_steps=num_steps
        )
        self.metric_log, self.batches, self.n_dis = metric_log, batches, n_dis
        self.device, self.global_step = torch.device("cpu"), 0

    def step(self, order: str = "mimicry") -> Any:
        """One G step as Mimicry's trainer takes it; order="ganforge" calls the same
        `train_step`s with G after the n_dis D steps (for --check: same weights, same order)."""
        log_data = self.metric_log.MetricLog()
        for i in range(self.n_dis):
            real_batch = next(self.batches)
            if i == 0 and order == "mimicry":
                log_data = self._g_step(real_batch, log_data)
            log_data = self.netD.train_step(
                real_batch=real_batch,
                netG=self.netG,
                optD=self.optD,
                log_data=log_data,
                global_step=self.global_step,
                device=self.device,
            )
        if order == "ganforge":
            log_data = self._g_step(real_batch, log_data)
        self.global_step += 1
        return self.scheduler.step(log_data=log_data, global_step=self.global_step)

    def _g_step(self, real_batch: tuple[Tensor, Tensor], log_data: Any) -> Any:
        return self.netG.train_step(
            real_batch=real_batch,
            netD=self.netD,
            optG=self.optG,
            global_step=self.global_step,
            log_data=log_data,
            device=self.device,
        )


def replay_latents(netG: nn.Module, latents: list[Tensor]) -> Callable[[], None]:
    """Make Mimicry's `generate_images` map the given z in order instead of drawing
    `torch.randn` (for --check); returns a function that undoes it."""
    queue = iter(latents)

    def generate_images(num_images: int, device: Any = None) -> Tensor:
        z = next(queue)
        assert z.shape[0] == num_images
        return netG.forward(z)

    netG.generate_images = generate_images
    return lambda: delattr(netG, "generate_images")

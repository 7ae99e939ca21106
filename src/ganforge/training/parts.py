"""The training parts: everything a config describes, built once, in a seeded order.

`build_parts` returns them; `training/loop.py` runs them, `training/steps.py` takes one
optimisation step with them, `training/rows.py` writes what a log row holds, and
`training/state.py` saves and restores them. The order of the builder's steps is part of a
seed: the global RNG initialises the networks, so it is seeded before the data and nothing
else draws from it until the first step.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.data import ArrayDataset, BatchStream, load_dataset, to_model_range
from ganforge.distributed import Distributed
from ganforge.errors import ConfigError
from ganforge.inputs import SeededInputs, draw_inputs
from ganforge.latent_paths import LatentPaths
from ganforge.metrics.classifier import DomainClassifiers
from ganforge.metrics.diagnostics import FailureMonitor, pairwise_diversity
from ganforge.models import FAMILIES, Task, build_task
from ganforge.runs import RunDir
from ganforge.training.ema import GeneratorEMA
from ganforge.training.evaluation import TrainingEvaluation
from ganforge.training.optim import build_optimizer
from ganforge.training.precision import Precision, compile_networks
from ganforge.training.sinks import Observer, Sinks
from ganforge.training.sources import BatchSources

POINT_SAMPLES = 2000  # 2-D data: points per scatter plot


@dataclass
class Parts:
    """What the loop runs; `step` and `seconds` are where it is."""

    config: Config
    run: RunDir
    device: torch.device
    job: Distributed  # one process, or this process of a torchrun job
    sinks: Sinks  # metrics.jsonl, log.txt, terminal, TensorBoard (rank 0 only)
    dataset: ArrayDataset
    dataset_b: ArrayDataset | None  # domain B of two-domain families (data_b)
    num_classes: int  # 0: unconditional
    task: Task  # the family's networks and phases
    params: dict[str, list[nn.Parameter]]  # optimiser key -> what it updates
    optimizers: dict[str, torch.optim.Optimizer]
    buffers: list[Tensor]  # batch-norm statistics, averaged over processes after each step
    ema: GeneratorEMA | None
    precision: Precision
    stream: BatchStream
    stream_b: BatchStream | None
    noise: torch.Generator  # every random number a phase draws besides the batches
    sources: BatchSources
    fixed_z: Tensor  # what the sample grids' generator maps: latents, or domain A images
    fixed_y: Tensor | None  # their labels, for a conditional generator
    real_diversity: float  # of a real subset the size of a grid: the mode-collapse yardstick
    monitor: FailureMonitor
    evaluation: TrainingEvaluation
    step: int = 0
    seconds: float = 0.0  # in the training loop, over resumes: what train.minutes limits
    eval_seconds: float = 0.0  # spent evaluating in this process: not counted in `seconds`
    next_eval_at: float = 0.0  # `seconds` at which eval.every_minutes is next due

    @property
    def data_shape(self) -> tuple[int, ...]:
        return self.dataset.shape

    @property
    def evaluated_generator(self) -> nn.Module:
        """What evaluations and sample grids draw from: the EMA generator if there is one."""
        return self.ema.module if self.ema else self.task.networks["generator"]

    def latent_paths(self) -> LatentPaths:
        """The evaluated generator as a function of its latent, for path metrics."""
        model = self.config.model
        G = self.evaluated_generator
        return LatentPaths(G, model.latent_dim, model.latent_dist, self.num_classes, self.device)

    @torch.no_grad()
    def sample(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """G's (or its EMA's) outputs in eval mode, leaving G's mode as it was."""
        G = self.evaluated_generator
        was_training = G.training
        G.eval()
        try:
            return G(z, y)
        finally:
            G.train(was_training)


def build_parts(
    config: Config,
    run: RunDir,
    device: torch.device,
    dataset: ArrayDataset | None = None,
    job: Distributed | None = None,
    observers: Sequence[Observer] = (),
) -> Parts:
    """Data, networks, optimisers, streams, grids and evaluation for `config`, in seed order;
    `observers` see every row and grid the run writes (training/sinks.py)."""
    job = job or Distributed()
    if config.train.batch_size % job.world_size:
        raise ConfigError(
            f"train.batch_size={config.train.batch_size} is the global batch and must "
            f"split evenly over the {job.world_size} processes"
        )
    sinks = Sinks(run, enabled=job.is_main, observers=observers)  # only rank 0 writes the run
    torch.manual_seed(config.seed)  # weight init and dropout masks
    dataset = dataset if dataset is not None else load_dataset(config.data)
    dataset_b = load_dataset(config.data_b) if config.data_b else None  # domain B
    num_classes = dataset.num_classes if config.model.conditional != "none" else 0
    family = FAMILIES.get(config.model.name)
    if family.prepare is not None:  # e.g. DTN trains its encoder once (before any write)
        family.prepare(config, DomainClassifiers(device))
    shape_b = dataset_b.shape if dataset_b else None
    task = build_task(config, dataset.shape, num_classes, shape_b)
    _place(task, config, device, job)
    params = {
        key: list(itertools.chain.from_iterable(m.parameters() for m in modules))
        for key, modules in task.modules.items()
    }
    optimizers = {key: build_optimizer(p, getattr(config.optim, key)) for key, p in params.items()}
    t, shard = config.train, (job.rank, job.world_size)
    G = task.networks["generator"]
    stream = BatchStream(dataset, t.batch_size, config.seed, device, shard)
    stream_b = (  # domain B: unpaired, in its own order from its own seed
        BatchStream(dataset_b, t.batch_size, config.seed + 7, device, shard) if dataset_b else None
    )
    noise = torch.Generator(device).manual_seed(config.seed + 1)
    model = config.model
    sources = BatchSources(
        stream, noise, model.latent_dim, model.latent_dist, num_classes, shard, stream_b=stream_b
    )
    fixed_z, fixed_y, diversity = _grid(config, dataset, num_classes, device)
    parts = Parts(
        config, run, device, job, sinks, dataset, dataset_b, num_classes, task, params,
        optimizers, buffers=[
            b for net in task.networks.values() for b in net.buffers() if b.is_floating_point()
        ],
        ema=GeneratorEMA(G, t.ema_decay, t.ema_start) if t.ema_decay else None,
        precision=Precision(t.precision, device, list(optimizers)),
        stream=stream, stream_b=stream_b, noise=noise, sources=sources, fixed_z=fixed_z,
        fixed_y=fixed_y, real_diversity=diversity,
        monitor=FailureMonitor(has_accuracy=True),  # rows without accuracy skip that check
        evaluation=TrainingEvaluation(config, device, sinks.say, dataset),
    )  # fmt: skip
    _speed_up(parts)
    return parts


def _place(task: Task, config: Config, device: torch.device, job: Distributed) -> None:
    """Sync batch norm if asked, every network on the device, the same weights everywhere."""
    if config.model.sync_bn and job.active:
        if device.type != "cuda":
            raise ConfigError("model.sync_bn needs CUDA; PyTorch syncs batch norm on GPUs only")
        for name, net in task.networks.items():
            task.networks[name] = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    for net in task.networks.values():
        net.to(device)
    job.broadcast_state(list(task.networks.values()))


def _grid(
    config: Config, dataset: ArrayDataset, num_classes: int, device: torch.device
) -> tuple[Tensor, Tensor | None, float]:
    """The fixed inputs of the sample grids, as the family samples its generator, and the
    diversity of a real subset of the same size (the mode-collapse alarm's yardstick)."""
    count = POINT_SAMPLES if len(dataset.shape) == 1 else config.train.grid_size
    fixed = torch.Generator(device).manual_seed(config.seed + 2)
    source = SeededInputs(config, num_classes, fixed, device, dataset)
    inputs = draw_inputs(config, source, 0, count)
    pick = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))
    diversity = pairwise_diversity(to_model_range(dataset.data[pick[:count]]))
    return inputs.x, inputs.given, diversity


def _speed_up(parts: Parts) -> None:
    """channels_last, torch.compile (after the EMA copy: it stays a plain module), cuDNN."""
    t, networks = parts.config.train, parts.task.networks
    if t.channels_last:
        for net in networks.values():
            net.to(memory_format=torch.channels_last)
    if t.compile:
        compiled = compile_networks(networks, parts.task.twice_differentiated)
        parts.sinks.say(f"compiling {', '.join(compiled) or 'no network'} with torch.compile")
    if parts.device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: pick the fastest kernels once

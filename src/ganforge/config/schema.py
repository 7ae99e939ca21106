"""The configuration schema: frozen nested dataclasses whose defaults describe the `default` preset.

Every option a user can set lives here, with a comment saying what it means. YAML files and
`key=value` overrides only hold what differs from these defaults. `None` means "absent" or
"derive it" (from the dataset, the resolution or the loss), never a magic string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ganforge.config.options import Options


@dataclass(frozen=True)
class DataConfig:
    name: str = "digits"  # a registered dataset: `ganforge datasets` lists them
    root: str = "data"  # where downloadable datasets live (torchvision layout)
    path: str | None = None  # file or folder for the `npz` and `folder` datasets
    split: Literal["train", "test"] = "train"
    resolution: int | None = None  # square size in pixels; None keeps the dataset's own
    channels: int | None = None  # 1 or 3 to convert colour; None keeps the dataset's own
    limit: int | None = None  # use only the first N examples (toy data: how many points)
    download: bool = True  # let torchvision download missing files when online
    # a domain derived from the loaded images (two-domain families): invert (negative),
    # edges (a fixed Sobel filter), mnistm (digits blended with colour patches, MNIST-M)
    derive: str | None = None
    patches: str | None = None  # mnistm: .npz/folder of colour images; None: CIFAR-10 (root)


@dataclass(frozen=True)
class ModelConfig:
    name: str = "dcgan"  # a registered model family: `ganforge families` lists them
    latent_dim: int = 100
    latent_dist: Literal["gaussian", "uniform"] = "gaussian"  # uniform is on [-1, 1]
    width: int = 64  # base width used when hidden sizes are derived from the resolution
    init: Literal["default", "dcgan", "glorot"] = "dcgan"  # PyTorch | N(0, 0.02) | Keras Glorot
    # none | concat (cGAN) | projection (D projection, G conditional batch norm) | acgan
    # (auxiliary classifier, loss.aux_weight); `ganforge families` lists what each family has
    conditional: str = "none"
    sync_bn: bool = False  # torchrun on GPUs: batch norm statistics over all processes' shards
    # the family's own generator and discriminator options: `ganforge families NAME` lists
    # them; an option the family does not have is refused
    g: Options = field(default_factory=Options)
    d: Options = field(default_factory=Options)


@dataclass(frozen=True)
class LossConfig:
    name: str = "nonsaturating"  # minimax | nonsaturating | lsgan | wasserstein | hinge
    gp_weight: float | None = None  # WGAN-GP lambda (10 in the paper)
    r1_gamma: float | None = None  # R1 penalty on real data
    r2_gamma: float | None = None  # R2 penalty: R1 on generated data
    clip_value: float | None = None  # WGAN weight clipping (0.01 in the paper)
    label_smoothing: float = 0.0  # one-sided: real targets become 1 - label_smoothing
    label_noise: float = 0.0  # probability of flipping each discriminator target
    reg_every: int = 1  # apply gp/r1 every k steps, scaled by k (lazy regularisation, StyleGAN2)
    aux_weight: float = 1.0  # ACGAN (model.conditional=acgan): weight of the class cross-entropy


@dataclass(frozen=True)
class OptimizerConfig:
    name: str = "adam"  # adam | rmsprop | sgd
    lr: float = 2e-4
    beta1: float = 0.5  # adam only
    beta2: float = 0.999  # adam only
    momentum: float = 0.0  # sgd and rmsprop only
    weight_decay: float = 0.0


@dataclass(frozen=True)
class OptimConfig:
    g: OptimizerConfig = field(default_factory=OptimizerConfig)
    d: OptimizerConfig = field(default_factory=OptimizerConfig)


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 3000  # generator updates
    minutes: float = 0.0  # end earlier once the loop has run this long, over resumes (0: never)
    batch_size: int = 64
    n_critic: int = 1  # discriminator updates per generator update
    mixed_batches: bool = False  # one D pass on real+fake together instead of two separate ones
    augment: str | None = None  # DiffAugment on real and fake images: "color,translation,cutout"
    ema_decay: float | None = None  # generator EMA, e.g. 0.999; None disables it
    ema_start: int = 0  # step after which the EMA starts averaging
    lr_decay: str = "none"  # none | linear | cosine: both learning rates decay to 0 by the end
    log_every: int = 10  # steps between rows of metrics.jsonl
    sample_every: int = 500  # steps between sample grids (0: only at the end)
    checkpoint_every: int = 1000  # steps between checkpoints (0: only at the end)
    keep_checkpoints: int = 3  # how many recent checkpoints stay on disk (0: all)
    grid_size: int = 64  # images in each sample grid, from one fixed latent batch
    # the older TensorBoard switch, kept for old configs and run directories: false turns
    # TensorBoard off even when log.trackers lists it (see LogConfig)
    tensorboard: bool = True
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast dtype (fp16: GPU only)
    compile: bool = False  # torch.compile the networks no phase differentiates twice
    channels_last: bool = False  # NHWC memory layout for convolutional networks


@dataclass(frozen=True)
class EvalConfig:
    every: int = 0  # steps between evaluations during training (0: never)
    # training minutes between evaluations (0: never): runs compared at equal wall-clock cost
    # are evaluated at the same times, so their curves line up on a time axis
    every_minutes: float = 0.0
    metrics: tuple[str, ...] = ()  # metric names by protocol, e.g. fid5k, is10k, fid_domain5k
    ref: str | None = None  # reference for FID: DATASET[:SPLIT] or a path; None: training data
    num_samples: int | None = None  # override the protocol's sample count (quick previews)
    best_metric: str | None = None  # keep checkpoints/best.pt, best by this metric
    inception_weights: str | None = None  # local Inception weights file (offline machines)
    lpips_weights: str | None = None  # LPIPS VGG16 state dict for ppl_z/ppl_w (offline machines)


@dataclass(frozen=True)
class LogConfig:
    """Where a run's numbers go besides metrics.jsonl and log.txt. None of it changes what is
    trained, so reports and sweeps ignore it."""

    # seconds between heartbeat lines (step, s/step, ETA, losses, last metric) in log.txt and,
    # when stdout is not a terminal (Slurm, nohup, a redirect), on stdout; 0: none
    heartbeat_s: float = 30.0
    # experiment trackers by name: tensorboard, mlflow (ganforge[mlflow]), wandb
    # (ganforge[wandb]); TensorBoard writes only while train.tensorboard is also true
    trackers: tuple[str, ...] = ("tensorboard",)
    # MLflow tracking URI (a server's URL for a team); None: $MLFLOW_TRACKING_URI, else a
    # local store, mlruns/ beside the run directory
    mlflow_uri: str | None = None
    experiment: str = "ganforge"  # the MLflow experiment and the W&B project


@dataclass(frozen=True)
class Config:
    name: str = "default"
    description: str = ""
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    # domain B of two-domain families (cogan, cyclegan, dtn), sampled apart from `data`
    # (domain A): unpaired; None for one-domain families
    data_b: DataConfig | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    log: LogConfig = field(default_factory=LogConfig)

    @classmethod
    def load(cls, source: str = "default", *items: str, **dotted: Any) -> Config:
        """A checked config from a preset name or YAML file, with `key=value` strings and
        `**{"dotted.key": value}` on top: `Config.load("default", "train.steps=500")`."""
        from ganforge.config.loading import load_config

        return load_config(source, list(items)).override(**dotted)

    def override(self, *items: str, **dotted: Any) -> Config:
        """A new, checked config with overrides applied; this one stays as it was (frozen):
        `cfg.override("optim.d.lr=1e-4", "train.steps=500")` or
        `cfg.override(**{"optim.d.lr": 1e-4})`."""
        from ganforge.config.loading import override

        return override(self, *items, **dotted)

"""The configuration schema: frozen nested dataclasses whose defaults describe the `default` preset.

Every option a user can set lives here, with a comment saying what it means. YAML files and
`key=value` overrides only hold what differs from these defaults. `None` means "absent" or
"derive it" (from the dataset, the resolution or the loss), never a magic string.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DataConfig:
    name: str = "digits"  # a registered dataset: `ganforge datasets` lists them
    root: str = "data"  # where downloadable datasets live (torchvision layout)
    path: str | None = None  # file or folder for the `npz` and `folder` datasets
    split: str = "train"  # train | test
    resolution: int | None = None  # square size in pixels; None keeps the dataset's own
    channels: int | None = None  # 1 or 3 to convert colour; None keeps the dataset's own
    limit: int | None = None  # use only the first N examples (toy data: how many points)
    download: bool = True  # let torchvision download missing files when online


@dataclass(frozen=True)
class GeneratorConfig:
    hidden: tuple[int, ...] | None = None  # mlp: layer widths; dcgan: channels per conv block
    strides: tuple[int, ...] | None = None  # dcgan: upsampling factor per block (default 2 each)
    project_channels: int | None = (
        None  # dcgan: channels of the projected latent (default hidden[0])
    )
    project_norm: str | None = None  # dcgan: none | channel | feature; None follows batch_norm
    activation: str = "relu"
    alpha: float = 0.2  # negative slope when activation is leaky_relu
    batch_norm: bool = True
    bn_momentum: float = 0.8  # Keras semantics: 0.8 here is PyTorch momentum 0.2
    norm_after_activation: bool = False  # Keras GAN order is layer -> activation -> batch norm
    upsample: str = "transposed"  # dcgan: transposed (ConvTranspose2d) | nearest (+ Conv2d)
    kernel_size: int = 4
    out_kernel_size: int | None = None  # dcgan: kernel of the output conv (default kernel_size)
    out_stride: int = 1  # dcgan: upsampling done by the output conv itself
    bias: bool = True
    dropout: float = 0.0
    last_activation: str = "tanh"


@dataclass(frozen=True)
class DiscriminatorConfig:
    hidden: tuple[int, ...] | None = None  # mlp: layer widths; dcgan: channels per conv block
    strides: tuple[int, ...] | None = None  # dcgan: stride per block (default 2 each)
    activation: str = "leaky_relu"
    alpha: float = 0.2
    batch_norm: bool = False
    bn_momentum: float = 0.8  # Keras semantics, as for the generator
    norm_first_block: bool = False  # DCGAN leaves the first block without batch norm
    norm_after_activation: bool = False
    kernel_size: int = 4
    bias: bool = True
    dropout: float = 0.0
    last_activation: str | None = None  # none | sigmoid; None means what the loss expects


@dataclass(frozen=True)
class ModelConfig:
    name: str = "dcgan"  # a registered model family: mlp | dcgan
    latent_dim: int = 100
    latent_dist: str = "gaussian"  # gaussian | uniform (on [-1, 1])
    width: int = 64  # base width used when hidden sizes are derived from the resolution
    init: str = "dcgan"  # weight init: default (PyTorch) | dcgan (N(0, 0.02)) | glorot (Keras)
    g: GeneratorConfig = field(default_factory=GeneratorConfig)
    d: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)


@dataclass(frozen=True)
class LossConfig:
    name: str = "nonsaturating"  # minimax | nonsaturating | lsgan | wasserstein | hinge
    gp_weight: float | None = None  # WGAN-GP lambda (10 in the paper)
    r1_gamma: float | None = None  # R1 penalty on real data
    clip_value: float | None = None  # WGAN weight clipping (0.01 in the paper)
    label_smoothing: float = 0.0  # one-sided: real targets become 1 - label_smoothing
    label_noise: float = 0.0  # probability of flipping each discriminator target


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
    batch_size: int = 64
    n_critic: int = 1  # discriminator updates per generator update
    mixed_batches: bool = False  # one D pass on real+fake together instead of two separate ones
    ema_decay: float | None = None  # generator EMA, e.g. 0.999; None disables it
    ema_start: int = 0  # step after which the EMA starts averaging
    lr_decay: str = "none"  # none | linear | cosine: both learning rates decay to 0 by the end
    log_every: int = 10  # steps between rows of metrics.jsonl
    sample_every: int = 500  # steps between sample grids (0: only at the end)
    checkpoint_every: int = 1000  # steps between checkpoints (0: only at the end)
    keep_checkpoints: int = 3  # how many recent checkpoints stay on disk (0: all)
    grid_size: int = 64  # images in each sample grid, from one fixed latent batch
    tensorboard: bool = True


@dataclass(frozen=True)
class EvalConfig:
    every: int = 0  # steps between evaluations during training (0: never)
    metrics: tuple[str, ...] = ()  # metric names by protocol, e.g. fid5k, is10k, fid_domain5k
    ref: str | None = None  # reference for FID: DATASET[:SPLIT] or a path; None: training data
    num_samples: int | None = None  # override the protocol's sample count (quick previews)
    best_metric: str | None = None  # keep checkpoints/best.pt, best by this metric
    inception_weights: str | None = None  # local Inception weights file (offline machines)


@dataclass(frozen=True)
class Config:
    name: str = "default"
    description: str = ""
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

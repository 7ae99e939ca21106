"""Domain Transfer Network (Taigman, Polyak & Wolf 2017): G = g o f, unsupervised A -> B.

f is a fixed, pretrained encoder; g, a decoder, learns to render f's features in domain B.
The encoder is ganforge's domain classifier (conv 32, pool, conv 64, pool, dense 128: the
features `fid_domain` uses) of domain A, read from a weights file by `model.g.encoder`. Left
unset, the build step fills in the path of the classifier ganforge caches for domain A
(training it once, as `ganforge eval --metrics fid_domain...` does), so a run records which
encoder it used. The weights then travel in every checkpoint as part of `generator`; they are
buffers-in-spirit: frozen, outside the optimiser, and f always runs in eval mode. f reads grey
images (colour is converted with the ITU-R 601 weights).

D is the paper's ternary classifier: G(a) (class 0), G(b) (class 1) or a real b (class 2).
Losses: L_D = CE(D(G(a)), 0) + CE(D(G(b)), 1) + CE(D(b), 2); G minimises
CE(D(G(a)), 2) + CE(D(G(b)), 2) + alpha MSE(f(a), f(G(a))) (f-constancy, `const_weight` 15)
+ beta MSE(b, G(b)) (target identity, `tid_weight` 15) + gamma TV(G(a)) (`tv_weight`, 0 for
digits as in the paper).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.config import Config, Options
from ganforge.errors import ConfigError
from ganforge.models.classifier import FEATURES, digit_layers
from ganforge.models.family import DomainClassifiers, NetworkSpec, Phase, Sources, Task
from ganforge.models.layers import initialize
from ganforge.regularizers import refuse_all

LUMA = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class GeneratorOptions:
    encoder: str | None = None  # f's weights (a ganforge domain classifier file); None: A's
    const_weight: float = 15.0  # alpha: f-constancy
    tid_weight: float = 15.0  # beta: target identity
    tv_weight: float = 0.0  # gamma: total variation of G(a)

    def check(self, where: str) -> None:
        if min(self.const_weight, self.tid_weight, self.tv_weight) < 0:
            raise ConfigError(f"'{where}' loss weights must be zero or positive")


@dataclass(frozen=True)
class DiscriminatorOptions:
    alpha: float = 0.2  # LeakyReLU slope


class Encoder(nn.Module):
    """f: images -> (B, 128) features; the layers (and names) of ganforge's domain classifier
    without its head, so the classifier's cached weights load into it."""

    def __init__(self, resolution: int) -> None:
        super().__init__()
        self.body, self.features = digit_layers(resolution)
        self.requires_grad_(False)

    def train(self, mode: bool = True) -> Encoder:
        return super().train(False)  # fixed: always in eval mode

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[1] == 3:
            x = (x * x.new_tensor(LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)
        return self.features(self.body(x))

    def load(self, path: str) -> None:
        """Load f from a domain classifier file (`weights`, `resolution`) or a state dict."""
        if not Path(path).is_file():
            raise ConfigError(f"model.g.encoder '{path}' is not a file")
        state = torch.load(path, map_location="cpu", weights_only=True)
        weights = state.get("weights", state)
        mine = {k: v for k, v in weights.items() if k.split(".")[0] in ("body", "features")}
        try:
            self.load_state_dict(mine)
        except RuntimeError as err:
            first = str(err).strip().splitlines()[0]
            raise ConfigError(
                f"model.g.encoder '{path}' does not fit this data ({first})"
            ) from None


class Decoder(nn.Module):
    """g: (B, 128) features -> (B, C, H, W) in [-1, 1], DCGAN-style, H = W a multiple of 4."""

    def __init__(self, channels: int, resolution: int, width: int) -> None:
        super().__init__()
        s, w = resolution // 4, width
        self.net = nn.Sequential(
            nn.Linear(FEATURES, 4 * w * s * s),
            nn.BatchNorm1d(4 * w * s * s),
            nn.ReLU(),
            nn.Unflatten(1, (4 * w, s, s)),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1),
            nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1),
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.Conv2d(w, channels, 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, h: Tensor) -> Tensor:
        return self.net(h)


class TransferGenerator(nn.Module):
    """G = g o f: an image of domain A or B -> an image of domain B."""

    def __init__(self, encoder: Encoder, decoder: Decoder) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.decoder(self.encoder(x))


class TernaryDiscriminator(nn.Module):
    """x -> (B, 3) logits: G(a), G(b), real b. forward: the real-b logit, (B,)."""

    def __init__(self, channels: int, resolution: int, width: int, alpha: float) -> None:
        super().__init__()
        s, w = resolution // 4, width
        self.net = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1),
            nn.LeakyReLU(alpha),
            nn.Conv2d(w, 2 * w, 4, 2, 1),
            nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(alpha),
            nn.Flatten(),
            nn.Linear(2 * w * s * s, 3),
        )

    def logits(self, x: Tensor) -> Tensor:
        return self.net(x)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(x)[:, 2]


def build(
    spec: NetworkSpec, g_options: GeneratorOptions, d_options: DiscriminatorOptions
) -> dict[str, nn.Module]:
    shape_b = spec.data_shape_b or spec.data_shape
    side = spec.data_shape[-1]
    if len(spec.data_shape) != 3 or side % 4:
        raise ConfigError(f"dtn needs images whose side is a multiple of 4, got {spec.data_shape}")
    decoder = Decoder(shape_b[0], side, spec.width)
    initialize(decoder, spec.init)
    D = TernaryDiscriminator(shape_b[0], side, spec.width, d_options.alpha)
    initialize(D, spec.init)
    return {"generator": TransferGenerator(Encoder(side), decoder), "discriminator": D}


def check(config: Config) -> None:
    if config.model.conditional != "none":
        raise ConfigError("dtn is unconditional; set model.conditional=none")
    refuse_all(config, "dtn")


def total_variation(x: Tensor) -> Tensor:
    """Mean over images of sum_ij sqrt((x[i,j+1] - x[i,j])^2 + (x[i+1,j] - x[i,j])^2)."""
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    return (dx.square() + dy.square() + 1e-8).sqrt().flatten(1).sum(1).mean()


def default_encoder(config: Config, classifiers: DomainClassifiers) -> Config:
    """`config` with an unset `model.g.encoder` set to where ganforge caches domain A's
    classifier, so a run records which encoder it used. Cheap: nothing is loaded or trained."""
    if config.model.g.get("encoder"):
        return config
    g = Options({**config.model.g, "encoder": classifiers.path(config.data)})
    return dataclasses.replace(config, model=dataclasses.replace(config.model, g=g))


def prepare_encoder(config: Config, classifiers: DomainClassifiers) -> None:
    """Before the first step: train and cache domain A's classifier when the encoder option
    names its cache file and the file is missing (once per dataset)."""
    path = config.model.g.get("encoder")
    if path and path == classifiers.path(config.data) and not Path(path).exists():
        classifiers.ensure(config.data)


def task(
    networks: dict[str, nn.Module],
    config: Config,
    options: GeneratorOptions,
    d_options: DiscriminatorOptions,
) -> Task:
    G, D = networks["generator"], networks["discriminator"]
    if not options.encoder:
        raise ConfigError("dtn needs model.g.encoder (a domain classifier of domain A)")
    G.encoder.load(options.encoder)
    alpha, beta, gamma = options.const_weight, options.tid_weight, options.tv_weight

    def d_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        a, _ = src.real("a")
        b, _ = src.real("b")
        with torch.no_grad():
            fake_a, fake_b = G(a), G(b)
        logits = [D.logits(fake_a), D.logits(fake_b), D.logits(b)]
        loss = sum(
            F.cross_entropy(lg, torch.full((len(lg),), k, device=lg.device))
            for k, lg in enumerate(logits)
        )
        real_p = logits[2].softmax(1)[:, 2]
        fake_p = logits[0].softmax(1)[:, 2]
        return loss, {"d_loss": loss.detach(), "d_real": real_p.mean(), "d_fake": fake_p.mean()}

    def g_loss(src: Sources) -> tuple[Tensor, dict[str, Tensor]]:
        a, _ = src.real("a")
        b, _ = src.real("b")
        fake_a, fake_b = G(a), G(b)
        real = torch.full((len(a),), 2, device=a.device)
        adv = F.cross_entropy(D.logits(fake_a), real) + F.cross_entropy(D.logits(fake_b), real)
        const = F.mse_loss(G.encoder(fake_a), G.encoder(a))  # d = MSE, as the paper's digits
        tid = F.mse_loss(fake_b, b)
        loss = adv + alpha * const + beta * tid
        logs = {"g_adv": adv.detach(), "g_const": const.detach(), "g_tid": tid.detach()}
        if gamma:
            tv = total_variation(fake_a)
            loss = loss + gamma * tv
            logs["g_tv"] = tv.detach()
        logs["g_loss"] = loss.detach()
        return loss, logs

    return Task(
        networks=networks,
        modules={"g": [G.decoder], "d": [D]},
        phases=[Phase("D", "d", d_loss, repeats=config.train.n_critic), Phase("G", "g", g_loss)],
    )

"""Derived domains: a second image domain made from a loaded one, for two-domain families.

`data.derive` (or `data_b.derive`) names one of these, applied after `data.resolution`,
`data.channels` and `data.limit`:

* `invert`: the negative image, 255 - x (CoGAN's digits/negative);
* `edges`: a fixed Sobel edge filter, |grad x| / 4 scaled to 0-255 (CoGAN's digits/edges);
* `mnistm`: |patch - digit| per channel, each grey digit blended with a random crop of a colour
  image (CIFAR-10 by default, `data.patches` for another set), as Ganin et al. (2016) built
  MNIST-M from BSDS500 photographs. The crops are drawn from a fixed seed: the same data
  config gives the same domain.

`data.channels` applies to the derived images too. `invert` and `edges` are deterministic
functions of one image (`Derivation.transform`), which the CoGAN pair-agreement metric applies
to generated A images.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.config import DataConfig
from ganforge.data.base import ArrayDataset
from ganforge.data.transforms import convert_channels, resize_square
from ganforge.errors import ConfigError, DatasetError
from ganforge.registry import Registry

PATCH_SEED = 20160526  # MNIST-M crops: fixed, so a config always describes the same images


@dataclass(frozen=True)
class Derivation:
    """A registered derived domain."""

    apply: Callable[[Tensor, DataConfig], Tensor]  # uint8 (N, C, H, W) -> uint8 (N, C', H, W)
    channels: Callable[[int], int]  # C -> C'
    description: str
    transform: Callable[[Tensor], Tensor] | None = None  # the same map, image by image


def invert(x: Tensor) -> Tensor:
    """The negative of uint8 images."""
    return 255 - x


SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def edges(x: Tensor) -> Tensor:
    """Sobel gradient magnitude of each channel of uint8 images, /4 so a full step is 255."""
    n, c, h, w = x.shape
    flat = x.reshape(n * c, 1, h, w).float()
    kernel = torch.stack([SOBEL, SOBEL.T]).unsqueeze(1).to(x.device)  # (2, 1, 3, 3)
    grad = F.conv2d(F.pad(flat, (1, 1, 1, 1), mode="replicate"), kernel)  # (N*C, 2, H, W)
    magnitude = grad.square().sum(1).sqrt() / 4.0
    return magnitude.round().clamp(0, 255).to(torch.uint8).reshape(n, c, h, w)


def blend(digits: Tensor, patches: Tensor) -> Tensor:
    """MNIST-M's blend: |patch - digit| per channel; uint8 grey (N, 1, H, W) and colour
    (N, 3, H, W) -> uint8 (N, 3, H, W). Where the digit is 0 the patch shows unchanged."""
    return (patches.int() - digits.int()).abs().to(torch.uint8)


def random_crops(images: Tensor, count: int, side: int, generator: torch.Generator) -> Tensor:
    """`count` random side x side crops of random images (uint8 N, 3, H, W)."""
    if images.shape[-1] < side or images.shape[-2] < side:
        images = resize_square(images, side)
    # one row of draws per image, so image i gets the same crop whatever data.limit is
    draws = torch.rand(count, 3, generator=generator, dtype=torch.float64)
    ranges = torch.tensor(
        [images.shape[0], images.shape[-2] - side + 1, images.shape[-1] - side + 1]
    )
    pick, top, left = (draws * ranges).long().unbind(1)
    out = torch.empty(count, images.shape[1], side, side, dtype=torch.uint8)
    for y, x in {(int(a), int(b)) for a, b in zip(top, left, strict=True)}:  # few offsets
        rows = ((top == y) & (left == x)).nonzero().squeeze(1)
        out[rows] = images[pick[rows], :, y : y + side, x : x + side]
    return out


def patch_source(cfg: DataConfig) -> DataConfig:
    """The colour images MNIST-M's patches are cut from."""
    if cfg.patches is None:
        return DataConfig(name="cifar10", root=cfg.root, download=cfg.download)
    name = "npz" if cfg.patches.endswith(".npz") else "folder"
    return DataConfig(name=name, path=cfg.patches)


def mnistm(x: Tensor, cfg: DataConfig) -> Tensor:
    from ganforge.data import load_dataset

    source = load_dataset(patch_source(cfg)).data
    if source.shape[1] != 3:
        raise DatasetError(f"data.patches '{cfg.patches}' must hold colour images for mnistm")
    crops = random_crops(source, x.shape[0], x.shape[-1], torch.Generator().manual_seed(PATCH_SEED))
    return blend(convert_channels(x, 1), crops)


DERIVATIONS: Registry[Derivation] = Registry("derived domain")
DERIVATIONS.add(
    "invert", Derivation(lambda x, cfg: invert(x), lambda c: c, "negative image", invert)
)
DERIVATIONS.add(
    "edges", Derivation(lambda x, cfg: edges(x), lambda c: c, "Sobel edge magnitude", edges)
)
DERIVATIONS.add(
    "mnistm",
    Derivation(mnistm, lambda c: 3, "|colour patch - digit| (MNIST-M; data.patches or CIFAR-10)"),
)


def derived_shape(cfg: DataConfig, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape after `cfg.derive`, checked without loading anything."""
    if cfg.patches is not None and cfg.derive != "mnistm":
        raise ConfigError("data.patches is read only by data.derive=mnistm")
    if cfg.derive is None:
        return shape
    spec = DERIVATIONS.get(cfg.derive)
    if len(shape) != 3:
        raise ConfigError(f"data.derive={cfg.derive} applies to images; {cfg.name} is points")
    return (cfg.channels or spec.channels(shape[0]), *shape[1:])


def derive(dataset: ArrayDataset, cfg: DataConfig) -> ArrayDataset:
    """`dataset` with `cfg.derive` applied to its images; labels are kept. data.channels
    holds for the result too (grey MNIST-M with data.channels=1)."""
    if cfg.derive is None:
        return dataset
    data = convert_channels(DERIVATIONS.get(cfg.derive).apply(dataset.data, cfg), cfg.channels)
    return dataclasses.replace(dataset, data=data, name=f"{dataset.name}-{cfg.derive}")

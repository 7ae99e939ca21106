"""Perceptual path length (Karras et al. 2019, "A Style-Based Generator Architecture for
Generative Adversarial Networks"): how far the image moves, perceptually, for a tiny step
along a latent path. A smooth, disentangled latent space has a short path; a generator that
jumps between modes has long ones.

The protocol is stylegan2-ada's `ppl_zend`/`ppl_wend`: paths start at a random latent (end-point
sampling, t = 0) towards another, a step of epsilon = 1e-4, the squared distance divided by
epsilon squared, and the mean of the values between the 1st and 99th percentiles. The distance
is LPIPS VGG16 (Zhang et al. 2018, the `lpips` package, v0.1). stylegan2-ada runs its own
TorchScript export of the same network and crops faces; values compare in kind, not to the
digit. Without LPIPS weights, `ppl_domain_*` uses the offline domain classifier's features.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.latent_paths import LatentPaths

EPSILON = 1e-4
KEPT = (1, 99)  # percentiles: the values between them are averaged (stylegan2-ada)
LPIPS_ENV = "GANFORGE_LPIPS_WEIGHTS"
LPIPS_SIZES = (64, 256)  # LPIPS was calibrated on 64 px patches; stylegan2-ada caps at 256

Distance = Callable[[Tensor, Tensor], Tensor]  # two image batches -> (B,) distances


def path_lengths(
    paths: LatentPaths, space: str, distance: Distance, n: int, batch_size: int, seed: int = 0
) -> Tensor:
    """n squared path derivatives d(G(p(0)), G(p(eps))) / eps^2, float64 on the CPU; the
    latents come from one seeded stream, so evaluations at different steps walk the same
    paths."""
    gen = torch.Generator(paths.device).manual_seed(seed)
    out = []
    for start in range(0, n, batch_size):
        count = min(batch_size, n - start)
        z0, z1, y = paths.endpoints(count, gen)
        t = torch.zeros(count, 1, device=paths.device)
        # both ends of each step in one forward pass: the mapping runs once per latent pair
        twice = None if y is None else y.repeat(2)
        ends = paths.images(
            space, z0.repeat(2, 1), z1.repeat(2, 1), torch.cat([t, t + EPSILON]), twice
        )
        a, b = ends.chunk(2)
        out.append(distance(a, b).double().cpu() / EPSILON**2)
    return torch.cat(out)


def trimmed_mean(values: Tensor) -> float:
    """The mean of the values between the 1st and 99th percentiles: a few near-singular
    paths (a mode boundary crossed within epsilon) would otherwise decide the result."""
    array = values.numpy()
    lo = np.percentile(array, KEPT[0], method="lower")
    hi = np.percentile(array, KEPT[1], method="higher")
    return float(array[(array >= lo) & (array <= hi)].mean())


class PerceptualDistance:
    """LPIPS VGG16 between two batches of images in [-1, 1]: grey is repeated to RGB, small
    images are upsampled to 64 px and large ones downsampled to 256 px."""

    def __init__(self, weights: str | None, device: torch.device) -> None:
        self.net = load_lpips(weights).to(device).eval()
        self.device = device

    @torch.no_grad()
    def __call__(self, a: Tensor, b: Tensor) -> Tensor:
        return self.net(_lpips_input(a, self.device), _lpips_input(b, self.device)).flatten()


def _lpips_input(images: Tensor, device: torch.device) -> Tensor:
    x = images.to(device).float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    side = max(x.shape[-2:])
    low, high = LPIPS_SIZES
    if side < low or side > high:
        scale = (low if side < low else high) / side
        x = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    return x


def feature_distance(extract: Callable[[Tensor], Tensor]) -> Distance:
    """Squared distance of unit-length features (LPIPS normalises its features too): PPL in
    the domain classifier's space when no LPIPS weights can be had."""

    def distance(a: Tensor, b: Tensor) -> Tensor:
        fa, fb = F.normalize(extract(a), dim=1), F.normalize(extract(b), dim=1)
        return (fa - fb).square().sum(1)

    return distance


def load_lpips(weights: str | None = None) -> torch.nn.Module:
    """LPIPS VGG16 v0.1: from `weights` (or $GANFORGE_LPIPS_WEIGHTS), a state dict of
    `lpips.LPIPS(net='vgg')`; else the `lpips` package's own linear layers on torchvision's
    ImageNet VGG16, which torchvision downloads once."""
    try:
        import lpips
    except ImportError as error:
        raise GanforgeError(
            "perceptual path length needs the lpips package: pip install 'ganforge[ppl]' "
            "(or use ppl_domain_z, which measures in the domain classifier's features)"
        ) from error
    weights = weights or os.environ.get(LPIPS_ENV)
    with warnings.catch_warnings():  # lpips passes torchvision's deprecated `pretrained`
        warnings.simplefilter("ignore")
        if weights:
            return _lpips_from_file(lpips, Path(weights))
        try:
            return lpips.LPIPS(net="vgg", verbose=False)
        except Exception as error:  # noqa: BLE001 - any failed download says the same
            raise GanforgeError(
                "LPIPS needs torchvision's ImageNet VGG16 weights, which could not be "
                f"downloaded ({type(error).__name__}); pass --lpips-weights FILE (or set "
                f"{LPIPS_ENV}), or use ppl_domain_z"
            ) from error


def _lpips_from_file(lpips, path: Path) -> torch.nn.Module:  # noqa: ANN001 - the module
    if not path.is_file():
        raise GanforgeError(f"the LPIPS weights file {path} does not exist")
    net = lpips.LPIPS(net="vgg", pretrained=False, pnet_rand=True, verbose=False)
    try:
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as error:  # noqa: BLE001 - a wrong file in any way says the same
        raise GanforgeError(
            f"{path} is not a state dict of lpips.LPIPS(net='vgg') ({type(error).__name__}); "
            "save one with torch.save(lpips.LPIPS(net='vgg').state_dict(), PATH)"
        ) from error
    return net

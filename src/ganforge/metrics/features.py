"""Feature extractors: torch-fidelity's Inception (TF-exact resize) and our domain classifier.

Both take uint8 (N, C, H, W) images, the form samples have after quantisation to pixels, so a
generated image is measured exactly as it would be after saving it as a PNG, without the
round trip through the disk.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from ganforge.errors import GanforgeError

WEIGHTS_ENV = "GANFORGE_INCEPTION_WEIGHTS"
WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"


@dataclass
class Features:
    """What one extractor returns for a set of images."""

    pool: Tensor  # (N, D) features for FID and KID
    logits: Tensor  # (N, K) class logits for IS and class histograms


class InceptionExtractor:
    """torch-fidelity's InceptionV3 ('inception-v3-compat'): 2048-d pool and unbiased logits."""

    def __init__(self, weights: str | Path | None = None, device: torch.device | str = "cpu"):
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        path = weights or os.environ.get(WEIGHTS_ENV)
        if path is not None and not Path(path).is_file():
            raise GanforgeError(f"Inception weights file '{path}' does not exist")
        try:
            self.net = FeatureExtractorInceptionV3(
                "inception-v3-compat",
                ["2048", "logits_unbiased"],
                feature_extractor_weights_path=str(path) if path else None,
            )
        except Exception as err:
            if path:
                raise GanforgeError(
                    f"'{path}' is not an InceptionV3 weights file in "
                    f"torch-fidelity's format ({type(err).__name__})"
                ) from None
            hub = Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE
            raise GanforgeError(
                f"the Inception weights could not be downloaded ({type(err).__name__}); "
                f"download {WEIGHTS_FILE} from torch-fidelity's v0.2.0 release and put it at "
                f"{hub}, or pass --inception-weights PATH (or set {WEIGHTS_ENV})"
            ) from None
        self.device = torch.device(device)
        self.net.to(self.device)
        self.name = "inception" if not path else f"inception-{_file_digest(Path(path))}"

    def __call__(self, batches: Iterable[Tensor]) -> Features:
        return _extract(batches, self._forward)

    def _forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)  # grey -> RGB, as a PNG viewer would
        return self.net(images.to(self.device))


class ClassifierExtractor:
    """A trained domain classifier: penultimate features and class logits."""

    def __init__(
        self, classifier: nn.Module, name: str, resolution: int, device: torch.device | str = "cpu"
    ) -> None:
        self.net = classifier.eval().to(device)
        self.name = name
        self.resolution = resolution
        self.device = torch.device(device)

    def __call__(self, batches: Iterable[Tensor]) -> Features:
        return _extract(batches, self._forward)

    def _forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        import torch.nn.functional as F

        x = images.to(self.device).float().div(127.5).sub(1.0)
        if x.shape[1] == 3:
            x = x.mean(1, keepdim=True)
        if x.shape[-1] != self.resolution:
            x = F.interpolate(
                x,
                size=(self.resolution,) * 2,
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )
        return self.net.features_and_logits(x)


@torch.no_grad()
def _extract(
    batches: Iterable[Tensor], forward: Callable[[Tensor], tuple[Tensor, Tensor]]
) -> Features:
    """Run `forward` batch by batch and gather (pool, logits) on the CPU."""
    pools, logits = [], []
    for images in batches:
        pool, logit = forward(images)
        pools.append(pool.cpu())
        logits.append(logit.cpu())
    return Features(torch.cat(pools), torch.cat(logits))


def save_random_inception(path: Path, seed: int = 0) -> Path:
    """A randomly initialised InceptionV3 in torch-fidelity's weight format, saved at `path`.

    Offline, it stands in for the real weights where only the code path or the cost matters
    (tests against torch-fidelity, timing). The initialisation preserves scale so that different
    image sets get clearly different features: with PyTorch's default initialisation the
    activations shrink layer by layer and FID between any two sets is about 1e-12.
    """
    torch.save(random_inception_state(seed), path)
    return path


def random_inception_state(seed: int = 0) -> dict[str, Tensor]:
    """State dict for torch-fidelity's InceptionV3: He-normal convolutions, identity BatchNorm.

    Names and shapes come from torchvision's Inception3 built on the meta device (torch-fidelity's
    network is the same layout, and loads the result strictly), values from `seed` alone, so the
    caller's random state is untouched. The classifier is scaled up (std 10/sqrt(2048)) so the
    Inception Score of different sets differs measurably from 1.
    """
    from torchvision.models.inception import Inception3

    with torch.device("meta"):
        layout = Inception3(
            num_classes=1008, aux_logits=False, transform_input=False, init_weights=False
        )
    gen = torch.Generator().manual_seed(seed)
    state: dict[str, Tensor] = {}
    for name, module in layout.named_modules():
        if isinstance(module, nn.Conv2d):  # bias-free, followed by BatchNorm and ReLU
            fan_in = module.weight[0].numel()
            weight = torch.randn(module.weight.shape, generator=gen) * math.sqrt(2.0 / fan_in)
            state[f"{name}.weight"] = weight
        elif isinstance(module, nn.BatchNorm2d):
            ones, zeros = torch.ones(module.num_features), torch.zeros(module.num_features)
            state[f"{name}.weight"], state[f"{name}.bias"] = ones, zeros.clone()
            state[f"{name}.running_mean"], state[f"{name}.running_var"] = zeros, ones.clone()
            state[f"{name}.num_batches_tracked"] = torch.tensor(0)
        elif isinstance(module, nn.Linear):
            scale = 10.0 / math.sqrt(module.in_features)
            state[f"{name}.weight"] = torch.randn(module.weight.shape, generator=gen) * scale
            state[f"{name}.bias"] = torch.zeros(module.out_features)
    return state


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def batched(images: Tensor, batch_size: int) -> Iterable[Tensor]:
    for start in range(0, images.shape[0], batch_size):
        yield images[start : start + batch_size]

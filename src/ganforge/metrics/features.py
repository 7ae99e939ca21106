"""Feature extractors: torch-fidelity's Inception (TF-exact resize) and our domain classifier.

Both take uint8 (N, C, H, W) images, the form samples have after quantisation to pixels, so a
generated image is measured exactly as it would be after saving it as a PNG, without the
round trip through the disk.
"""

from __future__ import annotations

import hashlib
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
    """A randomly initialised InceptionV3 in torch-fidelity's weight format.

    Offline, it stands in for the real weights where only the code path or the cost matters
    (tests against torch-fidelity, timing); the scores it gives mean nothing.
    """
    from torch_fidelity import feature_extractor_inceptionv3 as fe

    load, fetch = fe.FeatureExtractorInceptionV3.load_state_dict, fe.load_state_dict_from_url
    fe.FeatureExtractorInceptionV3.load_state_dict = lambda self, state: None
    fe.load_state_dict_from_url = lambda *args, **kwargs: None
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    finally:
        fe.FeatureExtractorInceptionV3.load_state_dict, fe.load_state_dict_from_url = load, fetch
    torch.save(net.state_dict(), path)
    return path


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def batched(images: Tensor, batch_size: int) -> Iterable[Tensor]:
    for start in range(0, images.shape[0], batch_size):
        yield images[start : start + batch_size]

"""Feature extractors: torch-fidelity's Inception (TF-exact resize) and our domain classifier.

Both take uint8 (N, C, H, W) images, the form samples have after quantisation to pixels, so a
generated image is measured exactly as it would be after saving it as a PNG, without the
round trip through the disk.
"""

from __future__ import annotations

import copy
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
COMPILE_ENV = "GANFORGE_INCEPTION_COMPILE"


@dataclass
class Features:
    """What one extractor returns for a set of images."""

    pool: Tensor  # (N, D) features for FID and KID
    logits: Tensor  # (N, K) class logits for IS and class histograms


class InceptionExtractor:
    """torch-fidelity's InceptionV3 ('inception-v3-compat'): 2048-d pool and unbiased logits."""

    def __init__(
        self,
        weights: str | Path | None = None,
        device: torch.device | str = "cpu",
        fast: bool = True,
        compile: bool | None = None,
    ) -> None:
        """`fast=False` runs torch-fidelity's own forward pass (the benchmark's baseline);
        `compile` (default: $GANFORGE_INCEPTION_COMPILE=1) compiles the fast path with
        inductor, about 10% faster on a CPU after a compile of about a minute."""
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
        if compile is None:
            compile = os.environ.get(COMPILE_ENV, "0") not in ("", "0")
        self.fast = FastInception(self.net, compile) if fast else None
        self.name = "inception" if not path else f"inception-{_file_digest(Path(path))}"

    def __call__(self, batches: Iterable[Tensor]) -> Features:
        return _extract(batches, self._forward)

    def _forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        images = images.to(self.device)
        if self.fast is not None:
            return self.fast(images)
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)  # grey -> RGB, as a PNG viewer would
        return self.net(images)


class FastInception(nn.Module):
    """torch-fidelity's InceptionV3 forward pass, rearranged for speed with the same numbers.

    Four changes, each measured (docs/progress/issue-12-eval-data.md): channels-last memory
    (oneDNN convolutions and the pools run without layout conversions: the largest gain),
    BatchNorm folded into the convolutions, the TensorFlow-exact bilinear resize as two small
    matrix products on the input's own channels (grey images are resized once, then
    repeated), and passes of `CPU_CHUNK` images on a CPU whatever the batch. Features agree
    with torch-fidelity's to float rounding (about 1e-6 relative).
    """

    LAYERS = (
        *("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_1"),
        *("Conv2d_3b_1x1", "Conv2d_4a_3x3", "MaxPool_2"),
        *("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d"),
        *("Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "AvgPool"),
    )

    # Images per pass on a CPU, whatever the caller's batch: a smaller working set per pass.
    # Measured on the 2-core CPU here (images/s, chunk 20 vs whole batches of 200): 18.1 vs
    # 13.7 on one thread, 32.6 vs 24.3 on two; 8 to 20 are alike, 32 and up slower. GPUs take
    # the whole batch.
    CPU_CHUNK = 20

    def __init__(self, reference: nn.Module, compile: bool = False) -> None:
        super().__init__()
        self.size = reference.INPUT_IMAGE_SIZE
        layers = copy.deepcopy(nn.Sequential(*(getattr(reference, n) for n in self.LAYERS)))
        self.layers = fold_batch_norm(layers).to(memory_format=torch.channels_last)
        # inductor with frozen weights (constant-folded, pre-packed for oneDNN), compiled for
        # one batch size: a smaller last batch is padded rather than compiled again
        self.compiled = (
            torch.compile(self.layers, options={"freezing": True}, dynamic=False)
            if compile
            else None
        )
        self.batch = 0
        self.register_buffer("fc_t", reference.fc.weight.detach().t().contiguous())
        self._resize: dict[tuple[int, int, torch.device], tuple[Tensor, Tensor]] = {}

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """uint8 (N, 1 or 3, H, W) -> 2048-d pool features and unbiased logits (N, 1008)."""
        if images.device.type != "cpu" or images.shape[0] <= self.CPU_CHUNK:
            return self._forward(images)
        parts = [self._forward(chunk) for chunk in images.split(self.CPU_CHUNK)]
        return torch.cat([pool for pool, _ in parts]), torch.cat([logits for _, logits in parts])

    def _forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        x = (images.float() - 128) / 128  # torch-fidelity's scaling, done before the resize
        rows, cols = self._resize_matrices(x.shape[-2], x.shape[-1], x.device)
        x = rows @ x @ cols  # (N, C, 299, 299); each output pixel a convex mix of 4 inputs
        x = x.expand(-1, 3, -1, -1).contiguous(memory_format=torch.channels_last)
        pool = self._layers(x).flatten(1)  # (N, 2048)
        return pool, pool @ self.fc_t

    def _layers(self, x: Tensor) -> Tensor:
        if self.compiled is None:
            return self.layers(x)
        n = x.shape[0]
        self.batch = self.batch or n
        if n < self.batch:  # repeat the last image; its copies' features are dropped
            pad = x[-1:].expand(self.batch - n, -1, -1, -1)
            x = torch.cat([x, pad]).contiguous(memory_format=torch.channels_last)
        return self.compiled(x)[:n]

    def _resize_matrices(self, h: int, w: int, device: torch.device) -> tuple[Tensor, Tensor]:
        key = (h, w, device)
        if key not in self._resize:
            rows = tf_resize_matrix(h, self.size).to(device)  # (299, H)
            cols = tf_resize_matrix(w, self.size).t().contiguous().to(device)  # (W, 299)
            self._resize[key] = rows, cols
        return self._resize[key]


def tf_resize_matrix(n_in: int, n_out: int) -> Tensor:
    """(n_out, n_in) weights of TensorFlow 1.x bilinear resizing (align_corners=False) along one
    axis, with torch-fidelity's float32 grid, so `R @ x @ R'.T` is its 2-D resize."""
    grid = torch.arange(n_out, dtype=torch.float32) * torch.tensor(n_in / n_out)
    lo = grid.long()
    hi = (lo + 1).clamp_max(n_in - 1)
    frac = grid - lo.float()
    matrix = torch.zeros(n_out, n_in)
    out = torch.arange(n_out)
    matrix.index_put_((out, lo), 1 - frac, accumulate=True)
    matrix.index_put_((out, hi), frac, accumulate=True)
    return matrix


def fold_batch_norm(module: nn.Module) -> nn.Module:
    """Fold every eval-mode BatchNorm that follows a bias-free convolution into the convolution
    (torch-fidelity's BasicConv2d: conv, bn, relu), in place."""
    for block in module.modules():
        conv, bn = getattr(block, "conv", None), getattr(block, "bn", None)
        if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d) and conv.bias is None:
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
            conv.weight = nn.Parameter(conv.weight * scale.view(-1, 1, 1, 1), False)
            conv.bias = nn.Parameter(bn.bias - bn.running_mean * scale, False)
            block.bn = nn.Identity()
    return module


class ClassifierExtractor:
    """A trained domain classifier: penultimate features and class logits."""

    def __init__(
        self, classifier: nn.Module, name: str, resolution: int, device: torch.device | str = "cpu"
    ) -> None:
        # channels-last: the CPU convolutions of 5,000 digits take 2.2 s instead of 3.8 s
        self.net = classifier.eval().to(device, memory_format=torch.channels_last)
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
        return self.net.features_and_logits(x.contiguous(memory_format=torch.channels_last))


@torch.inference_mode()
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


def batched(images: Tensor, batch_size: int, desc: str = "features") -> Iterable[Tensor]:
    """`images` in batches, with a progress bar on a terminal or in a notebook."""
    from ganforge.progress import progress

    for start in progress(range(0, images.shape[0], batch_size), desc=desc, unit="batch"):
        yield images[start : start + batch_size]

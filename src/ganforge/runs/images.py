"""Sample grids: images as a PNG grid, 2-D points as a scatter plot over the real data."""

from __future__ import annotations

import base64
import math
from pathlib import Path

import torch.nn.functional as F
from torch import Tensor

MIN_TILE = 48  # upscale tiny images (8x8 digits) so a grid can be looked at


def save_grid(images: Tensor, path: Path, row_labels: list[str] | None = None) -> None:
    """(N, C, H, W) in [-1, 1] -> one PNG grid, nearest-upscaled to at least MIN_TILE pixels;
    with `row_labels`, each row's label in a margin on the left (a class grid's classes)."""
    from torchvision.utils import save_image

    path.parent.mkdir(parents=True, exist_ok=True)
    grid = pixel_grid(images, MIN_TILE)
    if row_labels:
        labelled_rows(grid, row_labels).save(path)
    else:
        save_image(grid, path)


def labelled_rows(grid: Tensor, labels: list[str]):  # noqa: ANN201 - PIL.Image.Image
    """A (C, H, W) grid in [0, 1] of len(labels) equal rows, with each label left of its row."""
    from PIL import Image, ImageDraw

    pixels = grid.mul(255).round().byte().permute(1, 2, 0).numpy()  # (H, W, C)
    picture = Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels).convert("RGB")
    margin = 8 + 7 * max(len(label) for label in labels)
    out = Image.new("RGB", (picture.width + margin, picture.height), "white")
    out.paste(picture, (margin, 0))
    draw, row = ImageDraw.Draw(out), (picture.height - 2) / len(labels)  # padding 2 above each
    for i, label in enumerate(labels):
        draw.text((4, 2 + i * row + row / 2 - 6), label, fill="black")
    return out


def save_points(points: Tensor, path: Path, reference: Tensor | None = None) -> None:
    """(N, 2) generated points in orange over real points in blue."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    if reference is not None:
        ref = reference.detach().cpu()
        ax.scatter(ref[:, 0], ref[:, 1], s=2, alpha=0.3, label="real")
    pts = points.detach().float().cpu()
    ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.6, label="generated")
    ax.set_aspect("equal")
    ax.legend(loc="upper right")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_samples(
    samples: Tensor,
    path: Path,
    reference: Tensor | None = None,
    row_labels: list[str] | None = None,
) -> None:
    if samples.dim() == 2:
        save_points(samples, path, reference)
    else:
        save_grid(samples, path, row_labels)


def pixel_grid(images: Tensor, min_tile: int = 1) -> Tensor:
    """(N, C, H, W) in [-1, 1] -> one (C, H, W) grid in [0, 1], for PNG files and TensorBoard."""
    from torchvision.utils import make_grid

    images = images.detach().float().cpu().clamp(-1, 1)
    scale = math.ceil(min_tile / images.shape[-1])
    if scale > 1:
        images = F.interpolate(images, scale_factor=scale, mode="nearest")
    nrow = math.ceil(math.sqrt(images.shape[0]))
    return make_grid(images, nrow=nrow, padding=2, normalize=True, value_range=(-1, 1))


def image_uri(png: Path | bytes) -> str:
    """A PNG file or its bytes as a data URI: reports and notebooks embed images, never link."""
    data = png if isinstance(png, bytes) else Path(png).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode()

"""Exploring a trained generator's latent space: truncated samples, latent walks, style mixing.

Every family with a latent space gets truncation and walks (a translator has none and says
so). A style-based generator (a family with `style_mixing`, whose G has `mapping`,
`truncate`, `synthesize` and `num_ws`) truncates and walks in W; the others truncate
z (a normal cut at +-2, scaled by psi, as BigGAN) and walk along great circles in z (slerp).
Style mixing needs per-layer styles, so only style-based generators have it.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.data import to_pixels
from ganforge.errors import CheckpointError, ConfigError
from ganforge.models import FAMILIES
from ganforge.models.latent import sample_latent
from ganforge.sampling import LoadedGenerator

STYLE_GROUPS = ("coarse", "middle", "fine", "all")  # thirds of the per-layer styles
MIN_TILE = 48  # upscale tiny images (8x8 digits) so a picture can be looked at
TRUNCATION_BOUND = 2.0  # z-space truncation: a normal cut at +-2 sigma, then scaled by psi


def is_style_based(G: nn.Module) -> bool:
    return all(hasattr(G, name) for name in ("mapping", "truncate", "synthesize", "num_ws"))


def truncated_latent(
    n: int, dim: int, dist: str, psi: float, generator: torch.Generator, device: torch.device
) -> Tensor:
    """z whose components lie within psi * 2 (normal) or psi (uniform): psi 0 is z = 0."""
    if dist == "uniform":
        return sample_latent(n, dim, dist, generator, device) * psi
    z = torch.randn(n, dim, generator=generator, device=device)
    outside = z.abs() > TRUNCATION_BOUND
    while outside.any():  # redraw what falls outside: a truncated normal, still seeded
        z = torch.where(outside, torch.randn(n, dim, generator=generator, device=device), z)
        outside = z.abs() > TRUNCATION_BOUND
    return z * psi


@torch.no_grad()
def truncated_samples(
    loaded: LoadedGenerator,
    n: int,
    psi: float,
    seed: int = 0,
    batch_size: int = 500,
    device: torch.device | str = "cpu",
    label: int | None = None,
) -> Tensor:
    """n samples with the truncation trick: in W toward the mean w for style-based generators
    (psi 0 gives the mean image), else from a truncated normal z; of one class if `label`."""
    loaded.family.require_latent_space(loaded.config.model.name, "--truncation")
    if psi < 0:
        raise ConfigError(f"truncation must be >= 0 (1 keeps the distribution), got {psi}")
    if label is not None:
        loaded.check_class(label)
    device = torch.device(device)
    G = loaded.generator.to(device).eval()
    gen = torch.Generator(device).manual_seed(seed)
    model, out = loaded.config.model, []
    for start in range(0, n, batch_size):
        count = min(batch_size, n - start)
        y = loaded.labels(start, count, device)
        if label is not None:
            y = torch.full((count,), label, device=device)
        if is_style_based(G):
            z = sample_latent(count, model.latent_dim, model.latent_dist, gen, device)
            images = G.synthesize(G.truncate(G.mapping(z, y), psi))
        else:
            z = truncated_latent(count, model.latent_dim, model.latent_dist, psi, gen, device)
            images = G(z, y)
        out.append(images.cpu())
    return torch.cat(out)


def seed_list(text: str) -> list[int]:
    """stylegan2-ada's `--seeds`: '0-35' is 0 to 35 inclusive, '1,5,7-9' a list of both."""
    seeds: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",")):
            low, dash, high = part.partition("-")
            seeds += range(int(low), int(high) + 1) if dash else [int(part)]
    except ValueError:
        raise ConfigError(
            f"--seeds takes seeds and ranges such as 0-35 or 1,5,7-9, not '{text}'"
        ) from None
    if not seeds:
        raise ConfigError(f"--seeds '{text}' names no seed (a range runs low-high)")
    return seeds


def draw(
    loaded: LoadedGenerator,
    n: int = 64,
    seed: int = 0,
    label: int | None = None,
    truncation: float | None = None,
    seeds: list[int] | None = None,
    device: torch.device | str = "cpu",
) -> Tensor:
    """What `ganforge sample` and `Generator.sample` draw: n samples from one seeded stream,
    or with `seeds` one sample per seed (stylegan2-ada's `--seeds`: the same seed gives the
    same image whatever else is drawn; a conditional generator without `label` takes
    classes 0, 1, ... in turn); truncated when `truncation` is given."""
    if seeds is not None:
        classes = loaded.num_classes
        picks = [
            label if label is not None or not classes else i % classes for i in range(len(seeds))
        ]
        return torch.cat(
            [
                draw(loaded, 1, s, k, truncation, device=device)
                for s, k in zip(seeds, picks, strict=True)
            ]
        )
    if truncation is None:
        return loaded.sample(n, seed=seed, label=label, device=device).cpu()
    return truncated_samples(loaded, n, truncation, seed=seed, label=label, device=device)


def slerp(a: Tensor, b: Tensor, t: float | Tensor) -> Tensor:
    """Spherical interpolation between rows of a and b (Gaussian z keeps its norm); t is one
    fraction or one per row, (B, 1)."""
    cos = F.cosine_similarity(a, b, dim=-1).clamp(-1 + 1e-7, 1 - 1e-7)[:, None]  # (B, 1)
    omega = torch.acos(cos)
    sin = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / sin) * a + (torch.sin(t * omega) / sin) * b


@torch.no_grad()
def latent_walk(
    loaded: LoadedGenerator,
    walks: int = 4,
    keyframes: int = 3,
    frames: int = 8,
    seed: int = 0,
    truncation: float = 1.0,
    device: torch.device | str = "cpu",
) -> Tensor:
    """Frames (T, walks, C, H, W): each walk passes through `keyframes` random latents with
    `frames` steps between two of them; lerp in W (style-based) or slerp in z (the others)."""
    loaded.family.require_latent_space(loaded.config.model.name, "a latent walk")
    if walks < 1 or keyframes < 2 or frames < 1:
        raise ConfigError("a walk needs walks >= 1, keyframes >= 2 and frames >= 1")
    device, cpu = torch.device(device), torch.device("cpu")
    G = loaded.generator.to(device).eval()
    gen = torch.Generator().manual_seed(seed)  # latents drawn on the CPU: the same on any device
    model = loaded.config.model
    y = loaded.labels(0, walks, device)  # one class per walk
    keys = [
        sample_latent(walks, model.latent_dim, model.latent_dist, gen, cpu).to(device)
        for _ in range(keyframes)
    ]
    style = is_style_based(G)
    if style:
        keys = [G.truncate(G.mapping(z, y), truncation) for z in keys]
    out = []
    for a, b in zip(keys[:-1], keys[1:], strict=True):
        for i in range(frames):
            t = i / frames
            if style:
                out.append(G.synthesize(torch.lerp(a, b, t)))
            else:
                out.append(G(slerp(a, b, t), y))
    out.append(G.synthesize(keys[-1]) if style else G(keys[-1], y))
    return torch.stack(out).cpu()


def style_layers(group: str, num_ws: int) -> range:
    """Which per-layer styles a group names: coarse, middle and fine are thirds (low to high
    resolution), `all` is every layer, 'a:b' is layers a to b-1."""
    if ":" in group:
        lo, hi = (int(v) for v in group.split(":", 1))
        if not 0 <= lo < hi <= num_ws:
            raise ConfigError(f"style layers '{group}' must lie within 0:{num_ws}")
        return range(lo, hi)
    if group not in STYLE_GROUPS:
        raise ConfigError(f"style group '{group}' must be one of {', '.join(STYLE_GROUPS)} or a:b")
    if group == "all":
        return range(num_ws)
    cut = [0, math.ceil(num_ws / 3), math.ceil(2 * num_ws / 3), num_ws]
    i = STYLE_GROUPS.index(group)
    return range(cut[i], cut[i + 1])


@torch.no_grad()
def style_mixing_grid(
    loaded: LoadedGenerator,
    rows: int = 4,
    cols: int = 4,
    styles: str = "coarse",
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> Tensor:
    """A (rows + 1) x (cols + 1) grid: column sources on top, row sources on the left, and in
    each cell the row source with the column source's `styles` layers (Karras et al. fig. 3).
    The top-left corner is blank."""
    device = torch.device(device)
    G = loaded.generator.to(device).eval()
    if not loaded.family.style_mixing or not is_style_based(G):
        styled = [n for n in FAMILIES.names() if FAMILIES.get(n).style_mixing]
        raise CheckpointError(
            f"style mixing needs a style-based generator (model.name={' or '.join(styled)}); "
            f"this run's family is {loaded.config.model.name}"
        )
    layers = style_layers(styles, G.num_ws)
    gen, model = torch.Generator().manual_seed(seed), loaded.config.model
    cpu = torch.device("cpu")  # latents drawn on the CPU: the same on any device
    z = sample_latent(rows + cols, model.latent_dim, model.latent_dist, gen, cpu).to(device)
    y = loaded.labels(0, rows + cols, device)
    w = G.mapping(z, y)  # (rows + cols, w_dim)
    row_w, col_w = w[:rows], w[rows:]
    ws = row_w[:, None, None, :].repeat(1, cols, G.num_ws, 1)  # (rows, cols, num_ws, w_dim)
    ws[:, :, layers.start : layers.stop] = col_w[None, :, None, :]
    mixed = G.synthesize(ws.flatten(0, 1)).unflatten(0, (rows, cols))  # (rows, cols, C, H, W)
    row_img, col_img = G.synthesize(row_w), G.synthesize(col_w)
    blank = torch.ones_like(col_img[:1])  # white corner
    top = torch.cat([blank, col_img])[None]  # (1, cols + 1, C, H, W)
    body = torch.cat([row_img[:, None], mixed], dim=1)  # (rows, cols + 1, C, H, W)
    return torch.cat([top, body]).cpu()  # (rows + 1, cols + 1, C, H, W)


def grid_image(images: Tensor, ncols: int):  # noqa: ANN201 - PIL.Image.Image
    """(N, C, H, W) in [-1, 1] -> one PIL image, `ncols` tiles per row."""
    from PIL import Image
    from torchvision.utils import make_grid

    if images.dim() != 4:
        raise ConfigError("latent tools draw images; this generator makes 2-D points")
    scale = max(1, math.ceil(MIN_TILE / images.shape[-1]))
    if scale > 1:
        images = F.interpolate(images.float(), scale_factor=scale, mode="nearest")
    pixels = to_pixels(images)
    grid = make_grid(pixels, nrow=ncols, padding=2, pad_value=255)  # (C, H, W) uint8
    array = grid.permute(1, 2, 0).numpy()
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def write_picture(images: Tensor, out: Path) -> None:
    """(rows, cols, C, H, W) -> a PNG grid."""
    if out.suffix.lower() != ".png":
        raise ConfigError(f"output '{out}' must end in .png")
    out.parent.mkdir(parents=True, exist_ok=True)
    grid_image(images.flatten(0, 1), images.shape[1]).save(out)


def write_walk(frames: Tensor, out: Path, fps: int = 12) -> None:
    """(T, walks, C, H, W) -> .gif (one frame per step, walks side by side, there and back)
    or .png (a strip: one row per walk, time left to right)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".png":
        grid_image(frames.transpose(0, 1).flatten(0, 1), frames.shape[0]).save(out)
    elif suffix == ".gif":
        pictures = [grid_image(f, f.shape[0]) for f in frames]
        loop = pictures + pictures[-2:0:-1]  # forth and back, so the loop has no jump
        loop[0].save(out, save_all=True, append_images=loop[1:], duration=1000 // fps, loop=0)
    else:
        raise ConfigError(f"output '{out}' must end in .gif (animation) or .png (a strip)")

"""A trained generator and its samples as a notebook holds them: `gf.load(...)` gives a
`Generator`; `gen.sample(...)` gives `Samples`, a tensor that shows itself as a grid."""

from __future__ import annotations

import tempfile
from html import escape
from pathlib import Path

import torch
from torch import Tensor

from ganforge.latent_tools import draw
from ganforge.runs.images import image_uri
from ganforge.sampling import LoadedGenerator, check_sample_count, write_samples


class Samples:
    """Generated images (N, C, H, W) in [-1, 1], or 2-D points (N, 2): `.tensor` holds them;
    Jupyter shows them as one grid (or a scatter plot), as `ganforge sample` writes it."""

    def __init__(self, tensor: Tensor, seeds: list[int] | None = None) -> None:
        self.tensor, self.seeds = tensor, seeds

    def __len__(self) -> int:
        return len(self.tensor)

    def __getitem__(self, index: int | slice) -> Tensor:
        return self.tensor[index]

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.tensor.shape[1:]))
        kind = "images" if self.tensor.dim() == 4 else "points"
        return f"Samples({len(self)} {kind} of shape {shape})"

    def save(self, path: str | Path) -> Path:
        """.png (a grid, or a scatter of points) or .npz (`samples`, as `ganforge sample`)."""
        write_samples(self.tensor, Path(path))
        return Path(path)

    def pixels(self) -> Tensor:
        """uint8 (N, C, H, W) images, as they would be saved."""
        from ganforge.data import to_pixels

        return to_pixels(self.tensor)

    def _repr_png_(self) -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            return self.save(Path(folder) / "grid.png").read_bytes()

    def _repr_html_(self) -> str:
        style = "image-rendering:pixelated;max-width:480px"
        return (
            f"<img alt='{escape(repr(self))}' style='{style}' src='{image_uri(self._repr_png_())}'>"
        )


class Generator:
    """A trained generator from a run, a checkpoint, an export or a Hub-style folder."""

    def __init__(self, loaded: LoadedGenerator) -> None:
        self.loaded = loaded

    config = property(lambda self: self.loaded.config)
    step = property(lambda self: self.loaded.step)
    num_classes = property(lambda self: self.loaded.num_classes)
    network = property(lambda self: self.loaded.generator)  # the torch module itself

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.loaded.output_shape))
        classes = f"{self.num_classes} classes" if self.num_classes else "unconditional"
        model, data = self.config.model.name, self.config.data.name
        return f"Generator({model} trained on {data} for {self.step} steps: {shape}, {classes})"

    def sample(
        self,
        n: int = 16,
        seed: int = 0,
        truncation: float | None = None,
        classes: int | None = None,
        seeds: list[int] | None = None,
        device: torch.device | str = "cpu",
    ) -> Samples:
        """n samples from one seeded stream (the same as `ganforge sample -n N --seed S`), all
        of class `classes` if given, truncated when `truncation` (psi) is given; or one sample
        per seed of `seeds` (as `ganforge sample --seeds`)."""
        check_sample_count(self.loaded, len(seeds) if seeds is not None else n)
        images = draw(self.loaded, n, seed, classes, truncation, seeds, device)
        return Samples(images, list(seeds) if seeds is not None else None)

    def class_grid(self, seed: int = 0) -> Samples:
        """K x K samples of a conditional generator: row k is class k, one z per column."""
        return Samples(self.loaded.class_grid(seed=seed))

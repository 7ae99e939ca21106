"""Load a trained generator from a run, a checkpoint or an exported file, and draw samples."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganforge.config import Config, config_from_dict
from ganforge.data import to_pixels
from ganforge.errors import CheckpointError, GanforgeError
from ganforge.inputs import SeededInputs, draw_inputs, generation_chunk
from ganforge.models import FAMILIES, Family, build_generator
from ganforge.models.latent import sample_latent
from ganforge.runs import RunDir, save_samples
from ganforge.runs.checkpoints import load_checkpoint, newest_loadable

HUB_MODEL = "model.safetensors"  # the weights file of a Hub-style folder, as transformers names it


@dataclass
class LoadedGenerator:
    """A trained generator and what it needs to be fed as its family samples it."""

    generator: nn.Module
    config: Config
    data_shape: tuple[int, ...]  # of the data it was trained on (domain A)
    step: int
    num_classes: int = 0  # 0: unconditional
    data_shape_b: tuple[int, ...] | None = None  # domain B (two-domain families)

    @property
    def family(self) -> Family:
        return FAMILIES.get(self.config.model.name)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The shape of one output: a translator's is domain B's."""
        return self.family.output_shape(self.data_shape, self.data_shape_b)

    def labels(self, start: int, n: int, device: torch.device) -> torch.Tensor | None:
        """Class labels start, start+1, ... cycling through the classes (None if unconditional)."""
        if not self.num_classes:
            return None
        return torch.arange(start, start + n, device=device) % self.num_classes

    def check_class(self, label: int) -> None:
        """Refuse a class the generator was not trained with, in one sentence."""
        if not self.num_classes:
            raise GanforgeError("this generator is unconditional; --class needs model.conditional")
        if not 0 <= label < self.num_classes:
            raise GanforgeError(
                f"class {label} is out of range: the generator has classes "
                f"0 to {self.num_classes - 1}"
            )

    @torch.no_grad()
    def batches(
        self,
        n: int,
        seed: int = 0,
        batch_size: int | None = None,
        device: torch.device | str = "cpu",
        label: int | None = None,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        """n samples in the data's range, in batches, fed as the family samples its generator:
        latents from one seeded stream, all of class `label` if given, else classes 0, 1, ...
        in turn; a translator translates domain A's first n images. Each batch comes with the
        labels its outputs should carry (None if unknown). Passes of `batch_size`, by default
        `generation_chunk(device)`: the inputs are drawn the same way whatever the pass size."""
        from ganforge.progress import progress

        if label is not None:
            self.check_class(label)
        device = torch.device(device)
        batch_size = batch_size or generation_chunk(device)
        self.generator.to(device).eval()
        if self.config.train.channels_last:  # the layout it trained in is the fast one here
            self.generator.to(memory_format=torch.channels_last)
        gen = torch.Generator(device).manual_seed(seed)
        source = SeededInputs(self.config, self.num_classes, gen, device, count=n, label=label)
        for start in progress(range(0, n, batch_size), desc="sampling", unit="batch"):
            inputs = draw_inputs(self.config, source, start, min(batch_size, n - start))
            yield self.generator(inputs.x, inputs.given), inputs.expected

    def sample(
        self,
        n: int,
        seed: int = 0,
        batch_size: int | None = None,
        device: torch.device | str = "cpu",
        label: int | None = None,
    ) -> torch.Tensor:
        return torch.cat([b.cpu() for b, _ in self.batches(n, seed, batch_size, device, label)])

    @torch.no_grad()
    def class_grid(self, seed: int = 0, device: torch.device | str = "cpu") -> torch.Tensor:
        """K x K samples: row k is class k, column j the same latent z_j in every row."""
        if not self.num_classes:
            raise GanforgeError("this generator is unconditional; --class-grid needs labels")
        if self.num_classes > 32:
            raise GanforgeError(
                f"a class grid has K x K images and this generator has {self.num_classes} "
                "classes; draw classes one at a time with --class"
            )
        k, model, device = self.num_classes, self.config.model, torch.device(device)
        self.generator.to(device).eval()
        gen = torch.Generator(device).manual_seed(seed)
        z = sample_latent(k, model.latent_dim, model.latent_dist, gen, device)  # (K, latent)
        y = torch.arange(k, device=device).repeat_interleave(k)  # 0 x K, 1 x K, ...
        return self.generator(z.repeat(k, 1), y).cpu()  # (K * K, *data_shape), row-major

    def sample_pixels(
        self,
        n: int,
        seed: int = 0,
        batch_size: int | None = None,
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """uint8 (N, C, H, W), quantised batch by batch so 50k samples fit in memory."""
        batches = self.batches(n, seed, batch_size, device)
        return torch.cat([to_pixels(b).cpu() for b, _ in batches])

    def sample_for_metrics(
        self,
        n: int,
        seed: int = 0,
        batch_size: int | None = None,
        device: torch.device | str = "cpu",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(outputs, the labels they should carry): uint8 images quantised batch by batch, or
        float points; what `ganforge eval` scores."""
        outputs, labels = [], []
        for batch, expected in self.batches(n, seed, batch_size, device):
            outputs.append((to_pixels(batch) if batch.dim() == 4 else batch).cpu())
            labels.append(expected)
        known = all(y is not None for y in labels)
        return torch.cat(outputs), torch.cat([y.cpu() for y in labels]) if known else None


def load_generator(
    source: str | Path, use_ema: bool = True, warn: Callable[[str], None] | None = None
) -> LoadedGenerator:
    """A run directory (newest loadable checkpoint), a checkpoint, a .safetensors export or
    a Hub-style folder holding one (`ganforge export --format hub`)."""
    path = Path(source)
    if not path.exists():
        raise CheckpointError(
            f"'{path}' does not exist; give a run directory, a checkpoint (.pt) or an "
            "exported .safetensors file"
        )
    if path.suffix == ".safetensors":
        return _load_safetensors(path)
    if exported_model(path) is not None:
        return _load_safetensors(path / HUB_MODEL)
    if path.is_dir():
        run = RunDir(path)
        if not run.config_path.exists() and not run.checkpoints_dir.is_dir():
            raise CheckpointError(f"'{path}' is not a ganforge run directory (no config.yaml)")
        _, state = newest_loadable(run.checkpoints_dir, warn or _warn)
    else:
        state = load_checkpoint(path)
    config = config_from_dict(state["config"])
    shape, classes = tuple(state["data_shape"]), int(state.get("num_classes", 0))
    shape_b = tuple(state["data_shape_b"]) if state.get("data_shape_b") else None
    generator = build_generator(config, shape, classes, shape_b)
    use_ema = use_ema and state.get("ema") is not None
    try:
        generator.load_state_dict(state["ema"] if use_ema else state["networks"]["generator"])
    except (RuntimeError, KeyError) as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f"the generator in '{path}' does not fit the networks its config describes ({first})"
        ) from None
    return LoadedGenerator(generator.eval(), config, shape, int(state["step"]), classes, shape_b)


def exported_model(path: Path) -> Path | None:
    """The model file of a Hub-style export folder (model.safetensors with config.yaml and a
    model card), else None: such a folder is loaded as its export, never as a run."""
    model = Path(path) / HUB_MODEL
    return model if model.is_file() else None


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def check_sample_count(loaded: LoadedGenerator, n: int) -> None:
    """Refuse a sample count below 1 or whose float samples cannot fit in memory."""
    import math

    from ganforge.device import available_memory, format_bytes

    if n < 1:
        raise GanforgeError(f"-n must be at least 1, got {n}")
    shape = loaded.output_shape
    needed, available = 4 * n * math.prod(shape), available_memory(torch.device("cpu"))
    if needed > available:
        raise GanforgeError(
            f"{n} samples of shape {'x'.join(map(str, shape))} need at least "
            f"{format_bytes(needed)} of memory and {format_bytes(available)} is available; "
            "lower -n"
        )


def write_samples(samples: torch.Tensor, out: Path, row_labels: list[str] | None = None) -> None:
    """.png: a grid (or scatter for points), `row_labels` left of its rows; .npz: `samples`
    uint8 NHWC or float32 (N, 2)."""
    out = Path(out)
    if out.suffix == ".npz":
        out.parent.mkdir(parents=True, exist_ok=True)
        if samples.dim() == 4:
            array = to_pixels(samples).permute(0, 2, 3, 1).numpy()  # (N, H, W, C) uint8
        else:
            array = samples.float().numpy().astype(np.float32)
        np.savez_compressed(out, samples=array)
    elif out.suffix == ".png":
        save_samples(samples, out, row_labels=row_labels)
    else:
        raise CheckpointError(f"output '{out}' must end in .png or .npz")


def export_generator(
    source: str | Path, out: Path, use_ema: bool = True, force: bool = False
) -> LoadedGenerator:
    """Write the generator (EMA if present) as safetensors, with its config as JSON metadata.

    `out` is checked first: never a run's checkpoint or a file of another kind, unless `force`.
    """
    import json

    from safetensors.torch import save

    from ganforge.config import to_dict
    from ganforge.runs.outputs import check_output
    from ganforge.storage import atomic_write

    check_output(out, (".safetensors",), force)
    loaded = load_generator(source, use_ema)
    tensors = {k: v.detach().cpu().contiguous() for k, v in loaded.generator.state_dict().items()}
    metadata = {
        "format": "ganforge-generator",
        "config": json.dumps(to_dict(loaded.config)),
        "data_shape": json.dumps(list(loaded.data_shape)),
        "data_shape_b": json.dumps(list(loaded.data_shape_b) if loaded.data_shape_b else None),
        "num_classes": str(loaded.num_classes),
        "step": str(loaded.step),
    }
    atomic_write(Path(out), lambda f: f.write(save(tensors, metadata)))
    return loaded


def _load_safetensors(path: Path) -> LoadedGenerator:
    import json

    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as err:
        raise CheckpointError(f"'{path}' is not a readable safetensors file ({err})") from None
    if meta.get("format") != "ganforge-generator":
        raise CheckpointError(f"'{path}' was not exported by ganforge (no generator config)")
    config = config_from_dict(json.loads(meta["config"]))
    shape = tuple(json.loads(meta["data_shape"]))
    shape_b = json.loads(meta.get("data_shape_b", "null"))
    shape_b = tuple(shape_b) if shape_b else None
    classes = int(meta.get("num_classes", 0))
    generator = build_generator(config, shape, classes, shape_b)
    try:
        generator.load_state_dict(tensors)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f"the generator in '{path}' does not fit the networks its config describes ({first})"
        ) from None
    step = int(meta.get("step", 0))
    return LoadedGenerator(generator.eval(), config, shape, step, classes, shape_b)

"""Load a trained generator from a run, a checkpoint or an exported file, and draw samples."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganforge.config import Config, config_from_dict
from ganforge.data import to_pixels
from ganforge.errors import CheckpointError
from ganforge.models import build_generator
from ganforge.models.latent import sample_latent
from ganforge.runs import RunDir, save_samples
from ganforge.runs.checkpoints import list_checkpoints, load_checkpoint


@dataclass
class LoadedGenerator:
    generator: nn.Module
    config: Config
    data_shape: tuple[int, ...]
    step: int

    @torch.no_grad()
    def batches(
        self, n: int, seed: int = 0, batch_size: int = 500, device: torch.device | str = "cpu"
    ) -> Iterator[torch.Tensor]:
        """n samples in the data's range, in batches, from one seeded latent stream."""
        device = torch.device(device)
        self.generator.to(device).eval()
        gen = torch.Generator(device).manual_seed(seed)
        for start in range(0, n, batch_size):
            z = sample_latent(
                min(batch_size, n - start),
                self.config.model.latent_dim,
                self.config.model.latent_dist,
                gen,
                device,
            )
            yield self.generator(z)

    def sample(
        self, n: int, seed: int = 0, batch_size: int = 500, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        return torch.cat([b.cpu() for b in self.batches(n, seed, batch_size, device)])

    def sample_pixels(
        self, n: int, seed: int = 0, batch_size: int = 500, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        """uint8 (N, C, H, W), quantised batch by batch so 50k samples fit in memory."""
        return torch.cat([to_pixels(b).cpu() for b in self.batches(n, seed, batch_size, device)])


def latest_checkpoint(run_dir: Path) -> Path:
    found = list_checkpoints(RunDir(run_dir).checkpoints_dir)
    if not found:
        raise CheckpointError(f"'{run_dir}' has no checkpoints yet")
    return found[-1][1]


def load_generator(source: str | Path, use_ema: bool = True) -> LoadedGenerator:
    """A run directory (newest checkpoint), a checkpoint or an exported .safetensors file."""
    path = Path(source)
    if path.suffix == ".safetensors":
        return _load_safetensors(path)
    if path.is_dir():
        path = latest_checkpoint(path)
    state = load_checkpoint(path)
    config = config_from_dict(state["config"])
    shape = tuple(state["data_shape"])
    generator = build_generator(config, shape)
    weights = state["ema"] if use_ema and state.get("ema") is not None else state["generator"]
    generator.load_state_dict(weights)
    return LoadedGenerator(generator.eval(), config, shape, int(state["step"]))


def write_samples(samples: torch.Tensor, out: Path) -> None:
    """.png: a grid (or scatter for points); .npz: `samples` uint8 NHWC or float32 (N, 2)."""
    out = Path(out)
    if out.suffix == ".npz":
        out.parent.mkdir(parents=True, exist_ok=True)
        if samples.dim() == 4:
            array = to_pixels(samples).permute(0, 2, 3, 1).numpy()  # (N, H, W, C) uint8
        else:
            array = samples.float().numpy().astype(np.float32)
        np.savez_compressed(out, samples=array)
    elif out.suffix == ".png":
        save_samples(samples, out)
    else:
        raise CheckpointError(f"output '{out}' must end in .png or .npz")


def export_generator(source: str | Path, out: Path, use_ema: bool = True) -> LoadedGenerator:
    """Write the generator (EMA if present) as safetensors, with its config as JSON metadata."""
    import json

    from safetensors.torch import save

    from ganforge.config import to_dict
    from ganforge.storage import atomic_write

    loaded = load_generator(source, use_ema)
    tensors = {k: v.detach().cpu().contiguous() for k, v in loaded.generator.state_dict().items()}
    metadata = {
        "format": "ganforge-generator",
        "config": json.dumps(to_dict(loaded.config)),
        "data_shape": json.dumps(list(loaded.data_shape)),
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
    generator = build_generator(config, shape)
    generator.load_state_dict(tensors)
    return LoadedGenerator(generator.eval(), config, shape, int(meta.get("step", 0)))

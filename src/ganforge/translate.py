"""`ganforge translate`: images of one domain through a trained translating family.

A family that translates names its directions and their networks (`Family.translations`):
CycleGAN both ways (`a2b`: its `generator` G, `b2a`: `generator_ba` F), DTN's G = g o f
A -> B only. Inputs are an .npz file (`images`, or `samples` as `ganforge
sample` writes them), a folder of images or one image file, converted to the size and channels
the network was trained on. The output is an .npz (`samples`: uint8 (N, H, W, C), as `ganforge
sample` writes) or a .png grid of input | translation pairs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ganforge.config import Config, DataConfig, config_from_dict
from ganforge.data import load_dataset, to_model_range
from ganforge.data.files import IMAGE_SUFFIXES
from ganforge.data.transforms import convert_channels, resize_square, to_nchw
from ganforge.errors import CheckpointError, GanforgeError
from ganforge.models import FAMILIES, build_networks
from ganforge.runs import RunDir
from ganforge.runs.checkpoints import load_checkpoint, newest_loadable
from ganforge.sampling import exported_model, load_generator, write_samples

DIRECTIONS = ("a2b", "b2a")
MAX_PAIRS = 64  # input | output pairs in a .png: an 8 x 8 grid is still readable


@dataclass
class LoadedTranslator:
    network: nn.Module
    config: Config
    in_shape: tuple[int, ...]  # (C, H, W) of the images it reads
    out_shape: tuple[int, ...]
    direction: str
    step: int

    @torch.no_grad()
    def __call__(
        self, images: Tensor, batch_size: int = 256, device: torch.device | str = "cpu"
    ) -> Tensor:
        """uint8 (N, C, H, W) of the input domain -> (N, C', H, W) in [-1, 1], on the CPU."""
        network = self.network.to(device).eval()
        return torch.cat(
            [
                network(to_model_range(images[i : i + batch_size]).to(device)).cpu()
                for i in range(0, len(images), batch_size)
            ]
        )


def load_translator(
    source: str | Path, direction: str = "a2b", warn: Callable[[str], None] | None = None
) -> LoadedTranslator:
    """The network for `direction` of a run (newest loadable checkpoint), a checkpoint, or an
    export (`ganforge export` writes the a2b generator, with both domains' shapes)."""
    if direction not in DIRECTIONS:
        raise GanforgeError(f"--direction must be {' or '.join(DIRECTIONS)}, got '{direction}'")
    path = Path(source)
    if not path.exists():
        raise CheckpointError(
            f"'{path}' does not exist; give a run directory, a checkpoint or an export"
        )
    if path.suffix == ".safetensors" or exported_model(path) is not None:
        return _exported(path, direction)
    if path.is_dir():
        run = RunDir(path)
        if not run.checkpoints_dir.is_dir():
            raise CheckpointError(f"'{path}' is not a ganforge run directory (no checkpoints)")
        _, state = newest_loadable(run.checkpoints_dir, warn or _warn)
    else:
        state = load_checkpoint(path)
    config = config_from_dict(state["config"])
    name = _network(config, path, direction)
    shape = tuple(state["data_shape"])
    shape_b = tuple(state.get("data_shape_b") or shape)
    nets = build_networks(config, shape, 0, shape_b)
    use_ema = name == "generator" and state.get("ema") is not None
    try:
        nets[name].load_state_dict(state["ema"] if use_ema else state["networks"][name])
    except (RuntimeError, KeyError) as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(f"the {name} in '{path}' does not fit its config ({first})") from None
    shapes = (shape, shape_b) if direction == "a2b" else (shape_b, shape)
    return LoadedTranslator(nets[name].eval(), config, *shapes, direction, int(state["step"]))


def _network(config: Config, path: Path, direction: str) -> str:
    """The network of `config`'s family that translates in `direction`, or one sentence."""
    family = FAMILIES.get(config.model.name)
    if not family.translations:
        translators = [n for n in FAMILIES.names() if FAMILIES.get(n).translations]
        raise GanforgeError(
            f"'{path}' is a {config.model.name} run; translate needs a family that translates "
            f"images ({', '.join(translators)}); draw its samples with 'ganforge sample'"
        )
    if direction not in family.translations:
        ways = " and ".join(family.translations)
        raise GanforgeError(f"the {config.model.name} family translates {ways} only")
    return family.translations[direction]


def _exported(path: Path, direction: str) -> LoadedTranslator:
    """The generator of an export: the network behind the family's first direction."""
    loaded = load_generator(path)
    name = _network(loaded.config, path, direction)
    if name != "generator":
        raise GanforgeError(
            f"an export holds the generator alone, not {name} ({direction}); translate "
            f"{direction} from the run directory or a checkpoint"
        )
    shape_b = loaded.data_shape_b or loaded.data_shape
    return LoadedTranslator(
        loaded.generator, loaded.config, loaded.data_shape, shape_b, direction, loaded.step
    )


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def read_images(source: str | Path, shape: tuple[int, ...]) -> Tensor:
    """uint8 (N, C, H, W) at `shape` from an .npz file, a folder or one image file."""
    path = Path(source)
    channels, side = shape[0], shape[-1]
    if not path.exists():
        raise GanforgeError(f"input '{path}' does not exist")
    if path.is_dir() or path.suffix == ".npz":
        name = "folder" if path.is_dir() else "npz"
        cfg = DataConfig(name=name, path=str(path), resolution=side, channels=channels)
        return load_dataset(cfg).data
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise GanforgeError(f"input '{path}' must be an .npz file, a folder or an image file")
    from PIL import Image

    with Image.open(path) as image:
        pixels = np.array(image.convert("RGB" if channels == 3 else "L"))
    return resize_square(convert_channels(to_nchw(pixels[None], str(path)), channels), side)


def side_by_side(inputs: Tensor, outputs: Tensor) -> Tensor:
    """(N, C, H, 2W) pairs in [-1, 1]: each input beside its translation (grey -> RGB)."""
    channels = max(inputs.shape[1], outputs.shape[1])
    x = convert_channels(inputs, channels)
    y = outputs.expand(-1, channels, -1, -1) if outputs.shape[1] < channels else outputs
    return torch.cat([to_model_range(x), y], dim=-1)


def check_input(source: str | Path, shape: tuple[int, ...]) -> None:
    """Refuse images that cannot be of the input domain, in one sentence: other channels
    (grey digits for a colour domain, or the reverse), or arrays of another size (an .npz is
    not resized: 28-px MNIST is not 32-px MNIST-M). Image files are resized as they are read."""
    from ganforge.data import dataset_shape

    path = Path(source)
    if path.is_dir() or path.suffix == ".npz":
        name = "folder" if path.is_dir() else "npz"
        native = dataset_shape(DataConfig(name=name, path=str(path)))
    elif path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
        from PIL import Image

        with Image.open(path) as image:
            native = (1 if image.mode in ("1", "L", "I", "I;16", "F") else 3, *image.size[::-1])
    else:
        return  # read_images says what is wrong with it
    size_matters = path.suffix == ".npz"
    if native[0] != shape[0] or (size_matters and tuple(native[1:]) != tuple(shape[1:])):
        want, got = "x".join(map(str, shape)), "x".join(map(str, native))
        raise GanforgeError(
            f"input '{path}' holds {got} images and this direction reads {want} images (its "
            "input domain); give images of that domain"
        )


def translate(
    source: str | Path,
    inputs: str | Path,
    out: str | Path,
    direction: str = "a2b",
    device: torch.device | str = "cpu",
    max_pairs: int = MAX_PAIRS,
) -> tuple[int, Path | None]:
    """Translate every image of `inputs` into `out` (.npz, or a .png of input | output pairs);
    returns how many, and the .npz that holds them all when the .png shows only the first
    `max_pairs` (a grid of 10,000 pairs cannot be looked at)."""
    translator = load_translator(source, direction)
    check_input(inputs, translator.in_shape)
    images = read_images(inputs, translator.in_shape)
    outputs = translator(images, device=device)
    out, rest = Path(out), None
    if out.suffix == ".png":
        if len(outputs) > max_pairs:
            rest = out.with_suffix(".npz")
            write_samples(outputs, rest)
        pairs = side_by_side(images[:max_pairs], outputs[:max_pairs])
        write_samples(pairs, out)
    else:
        write_samples(outputs, out)
    return len(outputs), rest

"""`ganforge export --format hub`: a folder laid out as a Hugging Face model repository.

model.safetensors  the generator with its config as metadata (the same file as a plain export)
config.yaml        the resolved config, for people and the Hub's file viewer
samples.png        a grid of its samples (seed 0), shown by the model card
README.md          the model card: family, dataset, steps, metrics by protocol, how to sample

`ganforge sample DIR`, `ganforge.load(DIR)` and every command that reads a generator read
the folder as its model.safetensors. `push_to_hub` uploads it with `huggingface_hub`
(`pip install 'ganforge[hub]'`); without a network it fails in one sentence, and the folder
stays complete for a later push.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganforge.config import dump_config
from ganforge.errors import GanforgeError
from ganforge.runs import RunDir
from ganforge.runs.display import RunGlance, glance
from ganforge.sampling import (
    HUB_MODEL,
    LoadedGenerator,
    export_generator,
    exported_model,
    write_samples,
)
from ganforge.storage import atomic_write

CARD, CONFIG, GRID = "README.md", "config.yaml", "samples.png"
GRID_SAMPLES = 64


def export_hub(
    source: str | Path,
    folder: Path,
    use_ema: bool = True,
    force: bool = False,
    license: str = "other",
    device: torch.device | str = "cpu",
) -> LoadedGenerator:
    """Write the Hub-style folder of the generator in `source` (a run, a checkpoint or an
    export). `folder` must be new, empty or an earlier Hub export, unless `force`."""
    folder = Path(folder)
    _check_folder(folder, force)
    loaded = export_generator(source, folder / HUB_MODEL, use_ema=use_ema, force=True)
    text = dump_config(loaded.config)
    atomic_write(folder / CONFIG, lambda f: f.write(text.encode()))
    count = min(GRID_SAMPLES, 16 if loaded.output_shape[-1] > 64 else GRID_SAMPLES)
    write_samples(loaded.sample(count, seed=0, device=device), folder / GRID)
    card = model_card(loaded, folder, _run_of(Path(source)), license, count)
    atomic_write(folder / CARD, lambda f: f.write(card.encode()))
    return loaded


def _check_folder(folder: Path, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise GanforgeError(f"'{folder}' is a file; --format hub writes a folder")
    if force or not folder.is_dir() or exported_model(folder) is not None:
        return
    held = sorted(p.name for p in folder.iterdir())
    if (folder / "metrics.jsonl").exists() or (folder / "checkpoints").is_dir():
        raise GanforgeError(f"'{folder}' is a run directory; export into a new folder")
    if held:
        raise GanforgeError(
            f"'{folder}' is not empty ({', '.join(held[:3])}) and is not a Hub export; choose "
            "a new folder, or pass --force to write among these files"
        )


def _run_of(source: Path) -> RunGlance | None:
    """The run a generator came from (a run directory or a checkpoint inside one)."""
    folder = source if source.is_dir() else source.parent.parent
    if exported_model(folder) is None and (folder / "metrics.jsonl").is_file():
        return glance(RunDir(folder))
    return None


def model_card(
    loaded: LoadedGenerator, folder: Path, run: RunGlance | None, license: str, count: int
) -> str:
    """The README.md of a Hub repository: YAML metadata, then what it is and how to use it."""
    cfg = loaded.config
    family, data = cfg.model.name, cfg.data.name
    shape = "x".join(map(str, loaded.output_shape))
    classes = f"{loaded.num_classes} classes" if loaded.num_classes else "unconditional"
    table = metrics_table(run)
    return f"""---
license: {license}
library_name: ganforge
tags:
- gan
- ganforge
- {family}
- {data}
---

# {cfg.name}: a {family} GAN trained on {data}

A generator trained with ganforge for {loaded.step} steps
(train.steps={cfg.train.steps}, batch {cfg.train.batch_size}, loss {cfg.loss.name}).
It makes {shape} outputs, {classes}. {cfg.description}

![{count} samples, seed 0]({GRID})

## Metrics

{table}

## Use

```bash
pip install ganforge
ganforge sample {folder.resolve().name} -n 64 --seed 0 -o samples.png
ganforge sample {folder.resolve().name} --seeds 0-35 -o seeds.png
```

```python
import ganforge as gf

generator = gf.load("{folder.resolve().name}")
images = generator.sample(16, seed=0)  # images.tensor: (16, {shape.replace("x", ", ")}) in [-1, 1]
```

## Files

- `{HUB_MODEL}`: the generator's weights, with its config as metadata
- `{CONFIG}`: the resolved training config (every option)
- `{GRID}`: the samples above

## Licence

{license}
"""


def metrics_table(run: RunGlance | None) -> str:
    """The newest value of each metric the run logged, by protocol name (fid10k, kid5k...)."""
    if run is None or not run.metrics:
        return "No metrics were logged for this run; `ganforge eval` adds them."
    rows = [f"| {k} | {v:.4g} | {run.metric_steps.get(k, '')} |" for k, v in run.metrics.items()]
    return "\n".join(["| metric (protocol) | value | step |", "|---|---|---|", *rows])


def push_to_hub(folder: Path, repo: str, private: bool = False) -> str:
    """Upload a Hub-style folder to the model repository `repo` (made if new); its URL."""
    try:
        from huggingface_hub import HfApi
    except ImportError:
        raise GanforgeError(
            "--push-to-hub needs huggingface_hub: pip install 'ganforge[hub]'"
        ) from None
    api = HfApi()
    try:
        api.create_repo(repo, private=private, exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo, commit_message="ganforge export")
    except Exception as err:  # noqa: BLE001 - offline, no token, refused: all one sentence
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise GanforgeError(
            f"could not push '{folder}' to the Hugging Face Hub repo '{repo}' ({reason}); the "
            "folder is complete, push it again when online (huggingface-cli login for a token)"
        ) from None
    return f"{api.endpoint}/{repo}"

"""A run directory: everything one training run leaves behind, readable without ganforge.

config.yaml      resolved config (every option, not just the delta)
metrics.jsonl    one JSON object per logged step, append-only
log.txt          the human log
samples/         grids from one fixed latent batch
checkpoints/     state dicts + config (never pickled code)
losses.png       loss and D-output curves
tensorboard/     event files for live curves
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

from ganforge.config import Config, config_from_dict, dump_config
from ganforge.errors import CheckpointError

RUN_NUMBER = re.compile(r"^(\d{5})-")


def next_run_path(root: Path, name: str) -> Path:
    """runs/00003-NAME: numbered like StyleGAN's runs so they sort by creation."""
    if root.exists() and not root.is_dir():
        raise CheckpointError(f"'{root}' is a file, so runs cannot go into it; pass --run-dir")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CheckpointError(
            f"cannot make the runs folder '{root}' ({err.strerror or err}); pass --run-dir"
        ) from None
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := RUN_NUMBER.match(p.name))]
    return root / f"{max(numbers, default=-1) + 1:05d}-{name}"


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    config_path = property(lambda self: self.path / "config.yaml")
    metrics_path = property(lambda self: self.path / "metrics.jsonl")
    log_path = property(lambda self: self.path / "log.txt")
    samples_dir = property(lambda self: self.path / "samples")
    checkpoints_dir = property(lambda self: self.path / "checkpoints")
    plot_path = property(lambda self: self.path / "losses.png")
    tensorboard_dir = property(lambda self: self.path / "tensorboard")

    def __repr__(self) -> str:
        from ganforge.runs.display import glance

        return f"RunDir('{self.path}': {glance(self).headline()})"

    def _repr_html_(self) -> str:
        """How Jupyter shows a run: progress, losses, metrics and the newest sample grid."""
        from ganforge.runs.display import run_html

        return run_html(self)

    def __fspath__(self) -> str:  # open(run), Path(run), load(run) take a run as its folder
        return str(self.path)

    def check_new(self, force: bool = False) -> None:
        """Refuse a folder that already holds another run (resuming is explicit), a file, and
        unless `force`, a folder that holds anything else: a run never writes among a user's
        files by accident."""
        if self.config_path.exists():
            raise CheckpointError(
                f"'{self.path}' already holds a run; use --resume {self.path} "
                "to continue it, or choose another --run-dir"
            )
        if self.path.exists() and not self.path.is_dir():
            raise CheckpointError(f"'{self.path}' is a file; choose another --run-dir")
        held = sorted(p.name for p in self.path.iterdir()) if self.path.is_dir() else []
        if held and not force:
            shown = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
            raise CheckpointError(
                f"'{self.path}' is not empty ({shown}) and is not a ganforge run; choose a new "
                "--run-dir, or pass --force to write the run among these files"
            )

    def create(self, config: Config, force: bool = False) -> None:
        """Make the folders and write config.yaml."""
        self.check_new(force)
        try:
            for folder in (self.path, self.samples_dir, self.checkpoints_dir):
                folder.mkdir(parents=True, exist_ok=True)
            self.config_path.write_text(dump_config(config))
        except OSError as err:
            raise CheckpointError(
                f"cannot write the run directory '{self.path}' ({err.strerror or err})"
            ) from None

    def load_config(self) -> Config:
        import yaml

        if not self.config_path.exists():
            raise CheckpointError(f"'{self.path}' is not a ganforge run directory (no config.yaml)")
        return config_from_dict(yaml.safe_load(self.config_path.read_text()))

    def append_metrics(self, row: dict[str, Any]) -> None:
        clean = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in row.items()
        }
        self._append(self.metrics_path, json.dumps(clean) + "\n")

    def _append(self, path: Path, text: str) -> None:
        try:
            with path.open("a") as f:
                f.write(text)
        except OSError as err:
            raise CheckpointError(
                f"could not write {path.name} in '{self.path}' "
                f"({err.strerror or err}); checkpoints already written are "
                "kept"
            ) from None

    def read_metrics(self) -> list[dict[str, Any]]:
        if not self.metrics_path.exists():
            return []
        rows = []
        for line in self.metrics_path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a killed process
        return rows

    def truncate_metrics(self, last_step: int) -> None:
        """Drop rows logged after `last_step` (they will be logged again on resume)."""
        rows = [r for r in self.read_metrics() if r.get("step", 0) <= last_step]
        text = "".join(json.dumps(r) + "\n" for r in rows)
        from ganforge.storage import atomic_write

        atomic_write(self.metrics_path, lambda f: f.write(text.encode()))

    def log(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._append(self.log_path, f"{stamp} {message}\n")

"""Checkpoints: plain state dicts plus the resolved config, written atomically, read safely.

A checkpoint never holds pickled code, so `torch.load(weights_only=True)` reads it. Writes go
to a temporary file that is fsynced and renamed, so a crash or a full disk never leaves a
half-written file under a checkpoint's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ganforge.errors import CheckpointError
from ganforge.storage import atomic_write

FORMAT = 2  # 2: networks and optimisers by name (families with any number of networks)
NAME = re.compile(r"^step_(\d+)\.pt$")


def checkpoint_name(step: int) -> str:
    return f"step_{step:07d}.pt"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    atomic_write(path, lambda f: torch.save({"format": FORMAT, **state}, f))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint without unpickling code; a damaged file raises CheckpointError."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint '{path}' does not exist") from None
    except Exception as err:  # truncated zip, bad pickle opcode, foreign object...
        raise CheckpointError(
            f"checkpoint '{path}' is damaged or not a ganforge checkpoint ({type(err).__name__})"
        ) from None
    if not isinstance(state, dict) or "networks" not in state and "generator" not in state:
        raise CheckpointError(f"'{path}' is not a ganforge checkpoint")
    if state.get("format") != FORMAT:
        raise CheckpointError(
            f"'{path}' was written by an older ganforge (checkpoint format "
            f"{state.get('format')}, this version reads {FORMAT}); sample or export it with "
            "that version, or train again"
        )
    return state


def list_checkpoints(folder: Path) -> list[tuple[int, Path]]:
    """(step, path) of every checkpoint in `folder`, oldest first."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := NAME.match(p.name))]
    return sorted(found)


def prune_checkpoints(folder: Path, keep: int, protect: set[Path] | None = None) -> None:
    """Delete all but the newest `keep` checkpoints (0 keeps all), never those in `protect`."""
    if keep <= 0:
        return
    for _, path in list_checkpoints(folder)[:-keep]:
        if not protect or path not in protect:
            path.unlink(missing_ok=True)


def remove_partial_writes(folder: Path) -> None:
    """Delete temporary files a killed process left behind while writing a checkpoint."""
    if folder.is_dir():
        for tmp in folder.glob(".step_*.tmp"):
            tmp.unlink(missing_ok=True)


def newest_loadable(
    folder: Path, warn: Callable[[str], None], map_location: str | torch.device = "cpu"
) -> tuple[Path, dict[str, Any]]:
    """The newest checkpoint in `folder` that loads; each damaged one skipped is reported.

    Every reader of a run (train --resume, sample, export, eval) goes through this, so all of
    them fall back the same way; with no loadable checkpoint it stops with one sentence
    instead of silently starting again from step 0.
    """
    found = list_checkpoints(folder)
    if not found:
        raise CheckpointError(f"'{folder.parent}' has no checkpoints yet")
    for _, path in reversed(found):
        try:
            return path, load_checkpoint(path, map_location)
        except CheckpointError as err:
            warn(f"warning: {err}; using the previous checkpoint")
    raise CheckpointError(
        f"none of the {len(found)} checkpoints in '{folder}' can be read; the run cannot be "
        "continued or sampled"
    )

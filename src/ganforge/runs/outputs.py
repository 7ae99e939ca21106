"""Where a command may write a file: only where asked, never over what a run or a user wrote.

`ganforge sample/translate/interpolate/mix -o` and `ganforge export -o` check their output
here before any work: a folder, a path inside a run's `checkpoints/` or `samples/` (or one of
the run's own files), and an existing file of another kind are refused in one sentence, unless
`--force`. Writing again over a file of the same kind (re-running a command) is fine.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ganforge.errors import GanforgeError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GIF_MAGIC = b"GIF8"
RUN_FILES = ("config.yaml", "metrics.jsonl", "log.txt", "losses.png", "crash.log")
RUN_FOLDERS = ("checkpoints", "samples", "tensorboard")


def check_output(path: str | Path, suffixes: tuple[str, ...], force: bool = False) -> Path:
    """Refuse an output path that would lose something; returns it as a Path."""
    path = Path(path)
    if path.suffix not in suffixes:
        raise GanforgeError(f"output '{path}' must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise GanforgeError(
            f"output '{path}' is a folder; give a file name such as {path}/out{path.suffix}"
        )
    if force:
        return path
    inside = _inside_run(path)
    if inside:
        raise GanforgeError(
            f"output '{path}' is {inside}; write it elsewhere, or pass --force to replace it"
        )
    if path.exists() and not _same_kind(path):
        raise GanforgeError(
            f"'{path}' exists and is not a {path.suffix} file that ganforge wrote; choose "
            "another name, or pass --force to replace it"
        )
    return path


def _is_run(folder: Path) -> bool:
    return (folder / "config.yaml").is_file()


def _inside_run(path: Path) -> str | None:
    """'in the run R's checkpoints/' when `path` is there, else None."""
    parent = path.parent
    for folder in (parent, *parent.parents[:2]):
        if _is_run(folder):
            relative = path.relative_to(folder)
            top = relative.parts[0]
            if top in RUN_FOLDERS:
                return f"inside {top}/ of the run '{folder}'"
            if len(relative.parts) == 1 and top in RUN_FILES:
                return f"the file {top} of the run '{folder}'"
            return None
    return None


def _same_kind(path: Path) -> bool:
    """Whether an existing file is what ganforge writes under that suffix."""
    try:
        if path.suffix == ".png":
            with path.open("rb") as f:
                return f.read(len(PNG_MAGIC)) == PNG_MAGIC
        if path.suffix == ".gif":
            with path.open("rb") as f:
                return f.read(len(GIF_MAGIC)) == GIF_MAGIC
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as archive:
                return archive.namelist() == ["samples.npy"]
        if path.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as f:
                return (f.metadata() or {}).get("format") == "ganforge-generator"
    except Exception:  # noqa: BLE001 - unreadable means "not ours"
        return False
    return False

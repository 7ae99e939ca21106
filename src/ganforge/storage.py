"""Crash-safe file writes, used by every layer that writes something a user may rely on, and
the cache folder where ganforge keeps what it computes once."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CACHE_ENV = "GANFORGE_CACHE"


def cache_dir(*parts: str) -> Path:
    """$GANFORGE_CACHE or ~/.cache/ganforge, with `parts` below it (created)."""
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "ganforge")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through `write(f)` into a temporary sibling, fsync it, then rename over `path`.

    A crash, a kill or a full disk therefore never leaves a half-written file under `path`.
    The file gets the mode `open()` would give it: the user's umask (0644 under umask 022),
    or the mode of the file it replaces.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes 0600, which a group's shared folder could not read
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _mode_for(path: Path) -> int:
    """The mode of the file being replaced, else 0666 less the process's umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        pass
    mask = os.umask(0)  # the only portable way to read it: set and restore at once
    os.umask(mask)
    return 0o666 & ~mask

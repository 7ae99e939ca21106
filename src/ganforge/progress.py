"""Progress bars for the slow loops outside the training loop (a domain classifier's first
training, feature extraction, sample generation): tqdm on a terminal, its widget in Jupyter
(`tqdm.auto`), and nothing in a log file, where a bar's carriage returns are noise."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any


def shown() -> bool:
    """A notebook's widget, or a terminal on stderr."""
    from tqdm.auto import tqdm

    if tqdm.__module__.startswith("tqdm.notebook"):  # tqdm.auto chose the Jupyter widget
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def progress(
    iterable: Iterable[Any] | None = None, total: int | None = None, desc: str = "", **kwargs: Any
) -> Any:
    """A tqdm bar that leaves no line behind when done (the caller says what it did)."""
    from tqdm.auto import tqdm

    hidden = not shown()
    return tqdm(
        iterable, total=total, desc=desc, leave=False, file=sys.stderr, disable=hidden, **kwargs
    )

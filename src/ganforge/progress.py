"""Progress bars for the slow loops outside the training loop (a domain classifier's first
training, feature extraction, sample generation): tqdm on a terminal, its widget in Jupyter
(`tqdm.auto`). In a log file a bar's carriage returns are noise: there, a loop given `log`
says where it is in one line every `every_s` seconds, and the others stay silent."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
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


LINE = "{desc}: {n_fmt}/{total_fmt} ({percentage:.0f}%), {elapsed} elapsed, ETA {remaining}"


class _Lines:
    """A file for tqdm that hands each complete status to `log` as one line."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log

    def write(self, text: str) -> None:
        text = text.replace("\r", "").strip()
        if text:
            self.log(text)

    def flush(self) -> None:
        pass


def progress(
    iterable: Iterable[Any] | None = None,
    total: int | None = None,
    desc: str = "",
    log: Callable[[str], None] | None = None,
    every_s: float = 30.0,
    **kwargs: Any,
) -> Any:
    """A tqdm bar that leaves no line behind when done (the caller says what it did); with
    `log` and no terminal, a line every `every_s` seconds through `log` instead."""
    from tqdm.auto import tqdm

    if not shown() and log is not None:
        return tqdm(
            iterable,
            total=total,
            desc=desc,
            file=_Lines(log),
            mininterval=every_s,
            bar_format=LINE,
            **kwargs,
        )
    hidden = not shown()
    return tqdm(
        iterable, total=total, desc=desc, leave=False, file=sys.stderr, disable=hidden, **kwargs
    )

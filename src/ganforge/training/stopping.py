"""Stop at a step boundary, with a checkpoint, when the process is asked to stop.

Ctrl-C, a scheduler's SIGTERM before it kills a job (SLURM, Kubernetes) and torchrun's SIGTERM
to its workers all used to end training wherever it was: the checkpoints already written stayed
loadable, but every step since the last one was lost. Under `StopSignals` the first SIGINT or
SIGTERM only sets a flag; the loop finishes its step, writes a checkpoint and raises
`TrainingStopped`. A second Ctrl-C stops at once, as before. The `ganforge` command turns this
on; a program that calls the library keeps its own signal handling unless it asks.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """While active, SIGINT and SIGTERM set `received` (the signal's name) instead of raising."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.received: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():  # Python's rule
            return self
        for number in SIGNALS:  # an ignored signal stays ignored (`nohup`, a shell's `&`)
            if signal.getsignal(number) is not signal.SIG_IGN:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.received is not None and number == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now, as without this class
        if self.received is None:
            self.received = signal.Signals(number).name
            self.say(
                f"{self.received}: stopping after this step with a checkpoint "
                "(Ctrl-C again stops at once)"
            )

"""One tuning worker in its own process:
`python -m ganforge.tune.worker FOLDER TRIALS DEVICE INDEX [STORAGE] [PARENT_PID]`.

A process per worker gives each its share of the cores before torch starts a thread pool;
with PARENT_PID the worker stops (leaving its trial to be resumed) once that tuner is gone.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from ganforge.tune.search import saved_space, work, worker_seed

    args = sys.argv[1:] if argv is None else argv
    folder, trials, device, index = Path(args[0]), int(args[1]), args[2], int(args[3])
    storage = args[4] if len(args) > 4 and args[4] else None
    parent = int(args[5]) if len(args) > 5 else None
    space = saved_space(folder)
    say = lambda text: print(text, flush=True)  # noqa: E731
    work(space, folder, trials, storage, device, worker_seed(index), parent, say)
    return 0


if __name__ == "__main__":
    sys.exit(main())

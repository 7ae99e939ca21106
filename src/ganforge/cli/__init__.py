"""The `ganforge` command. Thin: every subcommand calls the library API and prints the result.

`main` is the one error boundary: a user error is one sentence and exit code 2, a bug one
sentence plus a traceback in a file. The subcommands live by purpose in `training.py`,
`listing.py`, `images.py`, `measure.py` (and `studies/commands.py`); `parser.py` wires them.

Exit codes: 0 done, 1 an internal error (a bug: one sentence, and the traceback in a file),
2 bad input (config, data, arguments, files), 3 training diverged, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ganforge.allocator import keep_freed_memory
from ganforge.cli.parser import build_parser
from ganforge.errors import GanforgeError, TrainingDiverged, TrainingStopped

__all__ = ["build_parser", "main", "run"]


EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_INTERRUPTED = 1, 2, 3, 130
COUNTS = {"n": "-n", "num_samples": "--num-samples", "batch_size": "--batch-size"}


def run() -> int:
    """The `ganforge` program (console script, `python -m ganforge`, `torchrun -m ganforge`):
    its process is ganforge's own, so it also keeps freed memory (see `ganforge.allocator`)."""
    keep_freed_memory()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line, not only before the command
    args = _parse([a for a in argv if a != "--debug"])
    try:
        for name, flag in COUNTS.items():
            value = getattr(args, name, None)
            if isinstance(value, int) and value < 1:
                raise GanforgeError(f"{flag} must be at least 1, got {value}")
        return args.func(args)
    except TrainingDiverged as err:
        return _fail(str(err), EXIT_DIVERGED, debug)
    except TrainingStopped as err:  # asked for (Ctrl-C, SIGTERM): not an error
        print(err, file=sys.stderr)
        return EXIT_INTERRUPTED
    except GanforgeError as err:
        return _fail(str(err), EXIT_BAD_INPUT, debug)
    except KeyboardInterrupt:
        print("interrupted; checkpoints already written are kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `ganforge families | head`: the reader left, nothing went wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # noqa: BLE001 - no traceback reaches a user
        if _out_of_memory(err):
            where = _crash_log(args, argv)
            text = f"out of memory ({_first_line(err)}); lower train.batch_size or data.resolution"
            return _fail(f"{text}; details in {where}", EXIT_BAD_INPUT, debug)
        if isinstance(err, OSError) and err.filename is not None:
            reason = err.strerror or type(err).__name__
            return _fail(f"cannot use '{err.filename}': {reason}", EXIT_BAD_INPUT, debug)
        where = _crash_log(args, argv)
        return _fail(
            f"ganforge failed unexpectedly ({type(err).__name__}: {_first_line(err)}); this is a "
            f"bug, please report it with the traceback written to {where} (or rerun with --debug)",
            EXIT_INTERNAL,
            debug,
        )


def _parse(argv: list[str]) -> argparse.Namespace:
    """Parse the command line; key=value overrides may also come after the options."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    overrides = next((n for n in ("items", "overrides") if hasattr(args, n)), None)
    if extra and overrides and all("=" in e and not e.startswith("-") for e in extra):
        getattr(args, overrides).extend(extra)
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _fail(message: str, code: int, debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exc()
    message = " ".join(line.strip() for line in message.splitlines() if line.strip())
    print(f"error: {message}", file=sys.stderr)
    return code


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0][:200] if lines else "no message"


def _out_of_memory(err: BaseException) -> bool:
    import torch

    return isinstance(err, MemoryError | torch.OutOfMemoryError) or (
        isinstance(err, RuntimeError) and "can't allocate memory" in str(err)
    )


def _crash_log(args: argparse.Namespace, argv: list[str]) -> Path:
    """Append the traceback to the run's crash.log when the command names a run, else to a
    new temporary file; returns where it went."""
    import tempfile
    import time
    import traceback

    text = (
        f"{time.strftime('%Y-%m-%d %H:%M:%S')} ganforge {' '.join(argv)}\n"
        f"{traceback.format_exc()}\n"
    )
    for name in ("resume", "run_dir", "source"):
        value = getattr(args, name, None)
        for folder in (Path(value), Path(value).parent.parent) if value else ():
            if (folder / "config.yaml").is_file():
                try:
                    with (folder / "crash.log").open("a") as f:
                        f.write(text)
                    return folder / "crash.log"
                except OSError:
                    break
    fd, path = tempfile.mkstemp(prefix="ganforge-crash-", suffix=".log")
    with open(fd, "w") as f:
        f.write(text)
    return Path(path)


if __name__ == "__main__":
    sys.exit(main())

"""`ganforge train`: a new run from a preset or YAML file, a dry run, or a resumed run."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ganforge.errors import GanforgeError


def _split_items(items: list[str]) -> tuple[str | None, list[str]]:
    """`train [CONFIG] [key=value ...]`: the one item without '=' is the config."""
    sources = [i for i in items if "=" not in i]
    if len(sources) > 1:
        raise GanforgeError(f"give one config or preset, not {len(sources)}: {', '.join(sources)}")
    return (sources[0] if sources else None), [i for i in items if "=" in i]


def cmd_train(args: argparse.Namespace) -> int:
    from ganforge.config import dump_config, load_config
    from ganforge.training import resume, train

    source, overrides = _split_items(args.items)
    if args.preset:
        if source:
            raise GanforgeError("give either a config file or --preset, not both")
        source = args.preset
    progress = None if not args.no_progress else False
    if args.resume:
        budget = {k: v for k, _, v in (o.partition("=") for o in overrides)}
        if source or not set(budget) <= {"train.steps", "train.minutes"}:
            raise GanforgeError(
                "--resume continues a run with its own config; only train.steps=N and "
                "train.minutes=M may be given (to train longer)"
            )
        raw = budget.get("train.steps")
        if raw is not None and not raw.strip().isdigit():
            raise GanforgeError(f"'train.steps' must be a whole number, got '{raw}'")
        minutes = budget.get("train.minutes")
        try:  # the range is checked with the rest of the config, in resume()
            new_minutes = float(minutes) if minutes is not None else None
        except ValueError:
            raise GanforgeError(f"'train.minutes' must be a number, got '{minutes}'") from None
        run = resume(
            args.resume,
            device=args.device,
            progress=progress,
            steps=int(raw) if raw is not None else None,
            minutes=new_minutes,
            stop_on_signals=True,
        )
    else:
        from ganforge.training import resolve_config

        config = resolve_config(load_config(source, overrides))
        if args.dry_run:
            print(dump_config(config), end="")
            return 0
        # chosen here, so a crash log can go into it; under torchrun, rank 0 chooses in train()
        if not args.run_dir and os.environ.get("WORLD_SIZE", "1") == "1":
            from ganforge.runs import next_run_path

            args.run_dir = str(next_run_path(Path("runs"), config.name))
        run = train(
            config,
            run_dir=args.run_dir,
            device=args.device,
            progress=progress,
            force=args.force,
            stop_on_signals=True,
        )
    if os.environ.get("RANK", "0") == "0":  # one line from a torchrun job, not one per process
        print(run.path)
    return 0

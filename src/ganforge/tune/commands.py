"""The `tune` subcommand, registered on the main parser by `add_commands`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganforge.errors import GanforgeError


def cmd_tune(args: argparse.Namespace) -> int:
    from ganforge.tune.confirm import confirm
    from ganforge.tune.search import prepare, tune
    from ganforge.tune.space import load_space, parse_space, with_overrides
    from ganforge.tune.study import open_study, require_optuna, storage_url
    from ganforge.tune.summary import show_text, write_summary

    require_optuna()  # one sentence on how to install it, before anything else
    space = with_overrides(load_space(args.space), args.overrides)
    folder = Path(args.out) / space.name
    recorded = folder / "space.yaml"
    if args.trials is None and not args.confirm and not args.overrides and recorded.exists():
        # --show alone reads the search as it was run, overrides included (data.path=...)
        space = parse_space(space.name, recorded.read_text(), folder=recorded.parent)
    if args.trials is None and not args.show and not args.confirm:
        raise GanforgeError("say what to do: --trials N to search, --show, or --confirm K")
    if args.trials is not None and args.trials < 1 or args.jobs < 1:
        raise GanforgeError("--trials and --jobs must be at least 1")
    if args.trials is not None:
        tune(space, args.out, args.trials, args.jobs, args.storage, args.device, args.launcher)
    code = 0
    if args.confirm:
        code = confirm(space, folder, args.confirm, args.jobs, args.device, args.launcher)
    if args.show:
        prepare(space, Path(args.out))
        study = open_study(space, storage_url(folder, args.storage))
        print(show_text(write_summary(study, space, folder), args.top))
        if args.json:
            print(json.dumps(json.loads((folder / "tune.json").read_text())["best"]))
    return code


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="search hyper-parameters with Optuna (ganforge[tune])")
    p.add_argument("space", metavar="SPACE|SPACE.yaml", help="a shipped space or a YAML file")
    p.add_argument(
        "overrides", nargs="*", metavar="key=value", help="fixed for every trial (data.path=...)"
    )
    p.add_argument("--trials", type=int, help="search until this many trials count")
    p.add_argument("--jobs", type=int, default=1, help="workers on this machine (cores split)")
    p.add_argument(
        "--storage", metavar="URL", help="an SQLAlchemy URL (default: study.db beside the runs)"
    )
    p.add_argument("--launcher", default="local", help="local (default) | slurm | submitit-local")
    p.add_argument("--out", default="runs/tune", help="root of the search folder (runs/tune)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    p.add_argument("--show", action="store_true", help="print the best trials and importances")
    p.add_argument("--top", type=int, default=10, help="trials --show lists (default 10)")
    p.add_argument("--json", action="store_true", help="with --show: the best trial as JSON")
    p.add_argument(
        "--confirm", type=int, metavar="K", help="re-train base and best with K fresh seeds"
    )
    p.set_defaults(func=cmd_tune)

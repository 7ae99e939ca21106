"""The `sweep`, `report`, `status` and `studies` subcommands, registered on the main parser by
`add_commands` so that cli.py needs one line for all of them."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from ganforge.studies.spec import Study, parse_budget, parse_seeds


def cmd_sweep(args: argparse.Namespace) -> int:
    from ganforge.studies.estimate import estimate, print_estimate
    from ganforge.studies.spec import expand, load_study
    from ganforge.studies.sweep import command_line_overrides, sweep, threads_per_job

    args = _after_study(args)
    study = with_options(load_study(args.study), args)
    if args.dry_run or args.estimate:
        points = expand(study, command_line_overrides(args.steps, args.overrides))
        threads = threads_per_job(args.jobs)
        print(
            f"study {study.name}: {len(points)} runs, {args.jobs} at a time, "
            f"{threads} thread{'s' if threads > 1 else ''} each"
        )
        print_estimate(estimate(points, threads, args.device, args.estimate), args.jobs)
        return 0
    return sweep(
        study,
        root=args.out,
        jobs=args.jobs,
        steps=args.steps,
        overrides=args.overrides,
        device=args.device,
        launcher=args.launcher,
    )


def with_options(study: Study, args: argparse.Namespace) -> Study:
    """The study with the command line's --eval, --seeds and --minutes, recorded in its raw
    form too (study.yaml, which the report reads, says what was run)."""
    changes: dict[str, Any] = {}
    raw = dict(study.raw)
    if args.eval is not None:
        metrics = tuple(m for m in args.eval.split(",") if m)
        changes["eval"] = dataclasses.replace(study.eval, metrics=metrics)
        raw["eval"] = {**(raw.get("eval") or {}), "metrics": list(metrics)}
    if args.seeds is not None:
        changes["seeds"] = parse_seeds(args.seeds)
        raw["seeds"] = list(changes["seeds"])
    if args.minutes is not None:
        budget = {**(raw.get("budget") or {}), "minutes": args.minutes}
        changes["budget"] = parse_budget(budget)
        raw["budget"] = budget
    return dataclasses.replace(study, **changes, raw=raw) if changes else study


def cmd_report(args: argparse.Namespace) -> int:
    from ganforge.studies.report import write_report

    for path in write_report([Path(p) for p in args.sources], Path(args.output), args.format):
        print(path)
    return 0


def cmd_studies(args: argparse.Namespace) -> int:
    from ganforge.config.aliases import STUDY_ALIASES, former_names
    from ganforge.studies.spec import load_study, study_names

    for name in study_names():
        study = load_study(name)
        was = "".join(f" (was {old})" for old in former_names(name, STUDY_ALIASES))
        print(f"{name:<21} {len(study.runs) or 1:>3} runs  {study.description}{was}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from ganforge.studies.status import format_status, status

    result = status(args.source)
    print(json.dumps(result, indent=1) if args.json else format_status(result))
    return 0


def sweep_options(p: argparse.ArgumentParser, suppress: bool = False) -> None:
    """The sweep's options; with `suppress`, only those actually given land in the namespace."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    p.add_argument("--jobs", type=int, default=default(1), help="runs at once; cores are split")
    p.add_argument("--steps", type=int, default=default(None), help="train every run N steps")
    p.add_argument("--eval", metavar="METRICS", default=default(None), help="replaces the study's")
    p.add_argument(
        "--seeds", metavar="N|LIST", default=default(None), help="N seeds (0..N-1) or 0,5,9"
    )
    p.add_argument(
        "--minutes",
        type=float,
        default=default(None),
        help="train every run this many minutes (an equal-cost comparison)",
    )
    p.add_argument("--out", default=default("runs"), help="root of the study folder (runs)")
    p.add_argument("--device", default=default("auto"), help="auto | cpu | cuda (default auto)")
    p.add_argument(
        "--launcher",
        default=default("local"),
        help="local (default) | slurm | submitit-local | inline",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        default=default(False),
        help="list the runs and their time from cached timings (at once)",
    )
    p.add_argument(
        "--estimate",
        action="store_true",
        default=default(False),
        help="a dry run that first times each architecture (30 steps) and caches it",
    )


def _after_study(args: argparse.Namespace) -> argparse.Namespace:
    """`sweep STUDY --steps 50 data.name=npz --jobs 2`: argparse alone takes positionals only
    in one block, so what follows the study is parsed here, overrides and options intermixed."""
    inner = argparse.ArgumentParser(prog="ganforge sweep STUDY")
    inner.add_argument("overrides", nargs="*", metavar="key=value")
    sweep_options(inner, suppress=True)
    for key, value in vars(inner.parse_intermixed_args(args.rest)).items():
        setattr(args, key, value)
    return args


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `sweep`, `report` and `studies` on the `ganforge` subparsers."""
    p = sub.add_parser("sweep", help="run every point of a study as its own run directory")
    p.add_argument("study", metavar="STUDY|STUDY.yaml", help="a shipped study or a YAML file")
    # everything after the study: overrides and options in any order (see _after_study)
    p.add_argument(
        "rest",
        nargs=argparse.REMAINDER,
        metavar="key=value | option ...",
        help="overrides applied to every run, and the options below, in any order",
    )
    sweep_options(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="one self-contained HTML page comparing runs")
    p.add_argument("sources", nargs="+", metavar="RUN_OR_STUDY_DIR")
    p.add_argument("-o", "--output", default="report.html", help="OUT.html (default report.html)")
    p.add_argument(
        "--format",
        default="html",
        choices=("html", "md", "json", "tex"),  # report.FORMATS; that module loads scipy
        help="html (default) | md | json | tex: the table over seeds for a paper or a script",
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("status", help="where a run or a study stands, from its files")
    p.add_argument("source", metavar="RUN_OR_STUDY_DIR")
    p.add_argument("--json", action="store_true", help="print it as JSON")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("studies", help="list the shipped studies")
    p.set_defaults(func=cmd_studies)

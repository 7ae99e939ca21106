"""The `sweep`, `report` and `studies` subcommands, registered on the main parser by
`add_commands` so that cli.py needs one line for all of them."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path


def cmd_sweep(args: argparse.Namespace) -> int:
    from ganforge.studies.estimate import estimate, print_estimate
    from ganforge.studies.spec import expand, load_study
    from ganforge.studies.sweep import command_line_overrides, sweep, threads_per_job

    study = load_study(args.study)
    if args.eval is not None:
        metrics = tuple(m for m in args.eval.split(",") if m)
        study = dataclasses.replace(study, eval=dataclasses.replace(study.eval, metrics=metrics))
    if args.dry_run:
        points = expand(study, command_line_overrides(args.steps, args.overrides))
        threads = threads_per_job(args.jobs)
        print(
            f"study {study.name}: {len(points)} runs, {args.jobs} at a time, "
            f"{threads} thread{'s' if threads > 1 else ''} each"
        )
        print_estimate(estimate(points, threads, args.device), args.jobs)
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


def cmd_report(args: argparse.Namespace) -> int:
    from ganforge.studies.report import write_report

    for path in write_report([Path(p) for p in args.sources], Path(args.output), args.format):
        print(path)
    return 0


def cmd_studies(args: argparse.Namespace) -> int:
    from ganforge.studies.spec import load_study, study_names

    for name in study_names():
        study = load_study(name)
        print(f"{name:<20} {len(study.runs) or 1:>3} runs  {study.description}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `sweep`, `report` and `studies` on the `ganforge` subparsers."""
    p = sub.add_parser("sweep", help="run every point of a study as its own run directory")
    p.add_argument("study", metavar="STUDY|STUDY.yaml", help="a shipped study or a YAML file")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="applied to every run")
    p.add_argument("--jobs", type=int, default=1, help="runs at once; cores are split among them")
    p.add_argument("--steps", type=int, help="train every run for N steps (a quick look)")
    p.add_argument("--eval", metavar="METRICS", help="comma-separated; replaces the study's")
    p.add_argument("--out", default="runs", help="root of the study folder (default runs)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    p.add_argument(
        "--launcher", default="local", help="local (default) | slurm | submitit-local | inline"
    )
    p.add_argument("--dry-run", action="store_true", help="list runs with estimated times")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="one self-contained HTML page comparing runs")
    p.add_argument("sources", nargs="+", metavar="RUN_OR_STUDY_DIR")
    p.add_argument("-o", "--output", default="report.html", help="OUT.html (default report.html)")
    p.add_argument("--format", default="html", choices=("html", "md"), help="md: a Markdown table")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("studies", help="list the shipped studies")
    p.set_defaults(func=cmd_studies)

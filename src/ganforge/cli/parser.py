"""The argument parser: every subcommand, its options and the function that runs it."""

from __future__ import annotations

import argparse

from ganforge.cli.images import cmd_export, cmd_interpolate, cmd_mix, cmd_sample, cmd_translate
from ganforge.cli.listing import cmd_datasets, cmd_families, cmd_presets, cmd_summary
from ganforge.cli.measure import cmd_eval, cmd_fid
from ganforge.cli.training import cmd_train
from ganforge.studies.commands import add_commands

DESCRIPTION = """Train, evaluate and compare GANs: every subcommand calls the library API.

Exit codes: 0 done, 1 an internal error (a bug: one sentence, and the traceback in a file),
2 bad input (config, data, arguments, files), 3 training diverged, 130 interrupted.
"""


def _metric_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--num-samples", type=int, help="override the protocol's sample count")
    p.add_argument(
        "--inception-weights",
        help="local Inception weights (torch-fidelity format); or set GANFORGE_INCEPTION_WEIGHTS",
    )
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--batch-size", type=int, default=200)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganforge",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a GAN from a preset or YAML config")
    p.add_argument(
        "items",
        nargs="*",
        metavar="CONFIG.yaml | key=value",
        help="a YAML config (default: the 'default' preset) and dotted overrides",
    )
    p.add_argument("--preset", help="a shipped preset (see `ganforge presets`)")
    p.add_argument("--run-dir", help="where to write the run (default runs/NNNNN-NAME)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and stop")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="write into a non-empty --run-dir")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("presets", help="list the shipped presets")
    p.set_defaults(func=cmd_presets)
    p = sub.add_parser("datasets", help="list the datasets")
    p.set_defaults(func=cmd_datasets)
    p = sub.add_parser("families", help="list the model families, or one family's options")
    p.add_argument("name", nargs="?", help="a family: print its model.g/model.d options")
    p.set_defaults(func=cmd_families)

    p = sub.add_parser("summary", help="layer table and parameter counts (Keras convention)")
    p.add_argument("source", metavar="PRESET|CONFIG")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.add_argument("--json", action="store_true", help="print only the counts as JSON")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("sample", help="draw samples from a trained generator")
    p.add_argument("source", metavar="RUN_DIR|CHECKPOINT|FILE.safetensors")
    p.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("-o", "--output", required=True, help="OUT.png (grid) or OUT.npz (arrays)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")
    p.add_argument(
        "--truncation", type=float, metavar="PSI", help="truncation trick, 0-1 (0.7 is usual)"
    )
    p.add_argument("--class", dest="label", type=int, metavar="K", help="samples of class K only")
    p.add_argument(
        "--class-grid", action="store_true", help="K x K grid: row k is class k, same z per column"
    )
    p.add_argument("--force", action="store_true", help="replace -o that ganforge did not write")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("interpolate", help="a latent walk: an animated GIF or a PNG strip")
    p.add_argument("source", metavar="RUN_DIR|CHECKPOINT|FILE.safetensors")
    p.add_argument("-o", "--output", required=True, help="WALK.gif (animation) or WALK.png")
    p.add_argument("--walks", type=int, default=4, help="walks side by side (default 4)")
    p.add_argument("--keyframes", type=int, default=3, help="random latents visited (default 3)")
    p.add_argument("--frames", type=int, default=8, help="steps between two keyframes (default 8)")
    p.add_argument("--truncation", type=float, metavar="PSI", help="style-based: truncate w")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="replace -o that ganforge did not write")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")
    p.set_defaults(func=cmd_interpolate)

    p = sub.add_parser("mix", help="style-mixing grid of a style-based generator")
    p.add_argument("source", metavar="RUN_DIR|CHECKPOINT|FILE.safetensors")
    p.add_argument("-o", "--output", required=True, help="MIX.png")
    p.add_argument("--rows", type=int, default=4, help="row sources (default 4)")
    p.add_argument("--cols", type=int, default=4, help="column sources (default 4)")
    p.add_argument(
        "--styles",
        default="coarse",
        help="layers taken from the column source: "
        "coarse | middle | fine | all | A:B (default coarse)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")
    p.add_argument("--force", action="store_true", help="replace -o that ganforge did not write")
    p.set_defaults(func=cmd_mix)

    p = sub.add_parser("translate", help="translate images with a run of a translating family")
    p.add_argument("source", metavar="RUN_DIR|CHECKPOINT")
    p.add_argument("input", metavar="INPUT", help="an .npz file, a folder or one image")
    p.add_argument("-o", "--output", required=True, help="OUT.npz (arrays) or OUT.png (pairs)")
    p.add_argument("--direction", choices=("a2b", "b2a"), default="a2b")
    p.add_argument("--force", action="store_true", help="replace -o that ganforge did not write")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("export", help="write the generator as .safetensors with its config")
    p.add_argument("source", metavar="RUN_DIR|CHECKPOINT")
    p.add_argument("-o", "--output", required=True, help="OUT.safetensors")
    p.add_argument("--no-ema", action="store_true", help="export the raw generator, not its EMA")
    p.add_argument("--force", action="store_true", help="replace -o that ganforge did not write")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("eval", help="FID/IS/KID and domain metrics of a trained generator")
    p.add_argument("source", metavar="RUN_DIR|CHECKPOINT|FILE.safetensors")
    p.add_argument("--metrics", default="fid10k", help="comma-separated, e.g. fid10k,is10k,kid10k")
    p.add_argument(
        "--ref",
        help="reference: DATASET[:SPLIT] (mnist:test) or an .npz/folder path; "
        "default: the run's training data",
    )
    p.add_argument("--seed", type=int, default=0, help="latent seed of the generated samples")
    _metric_options(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("fid", help="FID between two image sets")
    p.add_argument("a", metavar="A", help="folder, .npz file or DATASET[:SPLIT]")
    p.add_argument("b", metavar="B", help="folder, .npz file or DATASET[:SPLIT]")
    _metric_options(p)
    p.set_defaults(func=cmd_fid)
    add_commands(sub)
    return parser

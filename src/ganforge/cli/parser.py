"""The argument parser: every subcommand, its options and the function that runs it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ganforge.cli.images import cmd_export, cmd_interpolate, cmd_mix, cmd_sample, cmd_translate
from ganforge.cli.listing import cmd_datasets, cmd_families, cmd_presets, cmd_summary
from ganforge.cli.measure import cmd_eval, cmd_fid, cmd_score
from ganforge.cli.training import cmd_train
from ganforge.studies.commands import add_commands
from ganforge.tune.commands import add_commands as add_tune

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
    parser.add_argument("--version", action="version", version=f"ganforge {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = (_training, _listing, _sampling, _generator_tools, _measuring)
    for add in (*commands, add_commands, add_tune):
        add(sub)
    return parser


GENERATOR = "RUN_DIR|CHECKPOINT|FILE.safetensors|HUB_FOLDER"


def _version() -> str:
    """The installed distribution's version (pip's), else the package's own."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ganforge")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _command(
    sub: Any, name: str, help: str, func: Callable, source: str | None = None, out: str = ""
) -> argparse.ArgumentParser:
    """A subcommand; with `source`, the trained generator it reads, and with `out` its -o
    file, --force and --device, which every image command shares."""
    p = sub.add_parser(name, help=help)
    p.set_defaults(func=func)
    if source:
        p.add_argument("source", metavar=source)
    if out:
        p.add_argument("-o", "--output", required=True, help=out)
        p.add_argument(
            "--force", action="store_true", help="replace -o that ganforge did not write"
        )
        p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    return p


def _no_ema(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")


def _training(sub: Any) -> None:
    p = _command(sub, "train", "train a GAN from a preset or YAML config", cmd_train)
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


def _listing(sub: Any) -> None:
    _command(sub, "presets", "list the shipped presets", cmd_presets)
    _command(sub, "datasets", "list the datasets", cmd_datasets)
    p = _command(sub, "families", "list the model families, or one family's options", cmd_families)
    p.add_argument("name", nargs="?", help="a family: print its model.g/model.d options")
    p = _command(sub, "summary", "layer table and parameter counts (Keras convention)", cmd_summary)
    p.add_argument("source", metavar="PRESET|CONFIG")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.add_argument("--json", action="store_true", help="print only the counts as JSON")


def _sampling(sub: Any) -> None:
    out = "OUT.png (grid) or OUT.npz (arrays)"
    p = _command(sub, "sample", "draw samples from a trained generator", cmd_sample, GENERATOR, out)
    _no_ema(p)
    p.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--seeds",
        metavar="LIST",
        help="one sample per seed, as stylegan2-ada: 0-35 or 1,5,7-9 (instead of -n/--seed)",
    )
    p.add_argument(
        "--truncation", type=float, metavar="PSI", help="truncation trick, 0-1 (0.7 is usual)"
    )
    p.add_argument("--class", dest="label", type=int, metavar="K", help="samples of class K only")
    p.add_argument(
        "--class-grid", action="store_true", help="K x K grid: row k is class k, same z per column"
    )
    walk = "a latent walk: an animated GIF or a PNG strip"
    out = "WALK.gif (animation) or WALK.png"
    p = _command(sub, "interpolate", walk, cmd_interpolate, GENERATOR, out)
    _no_ema(p)
    p.add_argument("--walks", type=int, default=4, help="walks side by side (default 4)")
    p.add_argument("--keyframes", type=int, default=3, help="random latents visited (default 3)")
    p.add_argument("--frames", type=int, default=8, help="steps between two keyframes (default 8)")
    p.add_argument("--truncation", type=float, metavar="PSI", help="style-based: truncate w")
    p.add_argument("--seed", type=int, default=0)


def _generator_tools(sub: Any) -> None:
    mix = "style-mixing grid of a style-based generator"
    p = _command(sub, "mix", mix, cmd_mix, GENERATOR, "MIX.png")
    _no_ema(p)
    p.add_argument("--rows", type=int, default=4, help="row sources (default 4)")
    p.add_argument("--cols", type=int, default=4, help="column sources (default 4)")
    p.add_argument(
        "--styles",
        default="coarse",
        help="layers taken from the column source: "
        "coarse | middle | fine | all | A:B (default coarse)",
    )
    p.add_argument("--seed", type=int, default=0)
    translate = "translate images with a run of a translating family"
    out = "OUT.npz (arrays) or OUT.png (pairs)"
    p = _command(sub, "translate", translate, cmd_translate, GENERATOR, out)
    p.add_argument("input", metavar="INPUT", help="an .npz file, a folder or one image")
    p.add_argument("--direction", choices=("a2b", "b2a"), default="a2b")
    export = "write the generator as .safetensors with its config, or a Hub-style folder"
    out = "OUT.safetensors, or a folder with --format hub"
    p = _command(sub, "export", export, cmd_export, "RUN_DIR|CHECKPOINT", out)
    p.add_argument("--no-ema", action="store_true", help="export the raw generator, not its EMA")
    p.add_argument(
        "--format",
        choices=("safetensors", "hub"),
        help="hub: a folder with model.safetensors, config.yaml and a README.md model card "
        "(default: hub when -o has no suffix)",
    )
    p.add_argument("--license", default="other", help="the model card's licence (default other)")
    p.add_argument(
        "--push-to-hub",
        metavar="REPO",
        help="upload the folder to this Hugging Face model repo (pip install 'ganforge[hub]')",
    )


def _measuring(sub: Any) -> None:
    measure = "FID/IS/KID and domain metrics of a trained generator"
    p = _command(sub, "eval", measure, cmd_eval, GENERATOR)
    p.add_argument("--metrics", default="fid10k", help="comma-separated, e.g. fid10k,is10k,kid10k")
    p.add_argument(
        "--ref",
        help="reference: DATASET[:SPLIT] (mnist:test) or an .npz/folder path; "
        "default: the run's training data",
    )
    p.add_argument("--seed", type=int, default=0, help="latent seed of the generated samples")
    p.add_argument(
        "--lpips-weights",
        help="LPIPS VGG16 state dict for ppl_z/ppl_w; or set GANFORGE_LPIPS_WEIGHTS",
    )
    _metric_options(p)
    p = _command(sub, "fid", "FID between two image sets", cmd_fid)
    p.add_argument("a", metavar="A", help="folder, .npz file or DATASET[:SPLIT]")
    p.add_argument("b", metavar="B", help="folder, .npz file or DATASET[:SPLIT]")
    _metric_options(p)
    p = _command(
        sub, "score", "any metric between two image sets (A generated, B reference)", cmd_score
    )
    sets = "folder, .npz, DATASET[:SPLIT], run directory, checkpoint or export"
    p.add_argument("a", metavar="A", help=f"the generated set: {sets}")
    p.add_argument("b", metavar="B", help=f"the reference set: {sets}")
    p.add_argument("--metrics", default="fid,kid,pr,dc", help="e.g. fid,kid,pr,dc,fid_inf,is")
    p.add_argument(
        "--features",
        default="inception",
        choices=("inception", "domain"),
        help="Inception (download or --inception-weights) or B's domain classifier",
    )
    p.add_argument("--save-features", metavar="F.npz", help="write both feature sets (a, b)")
    p.add_argument("--seed", type=int, default=0, help="latent seed of a generator's samples")
    _metric_options(p)

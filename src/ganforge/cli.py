"""The `ganforge` command. Thin: every subcommand calls the library API and prints the result.

Exit codes: 0 done, 1 an internal error (a bug: one sentence, and the traceback in a file),
2 bad input (config, data, arguments, files), 3 training diverged, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ganforge.errors import GanforgeError, TrainingDiverged
from ganforge.studies.commands import add_commands


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
        steps = [o for o in overrides if o.startswith("train.steps=")]
        if source or len(steps) != len(overrides):
            raise GanforgeError(
                "--resume continues a run with its own config; only "
                "train.steps=N may be given (to train longer)"
            )
        raw = steps[-1].split("=", 1)[1] if steps else None
        if raw is not None and not raw.strip().isdigit():
            raise GanforgeError(f"'train.steps' must be a whole number, got '{raw}'")
        new_steps = int(raw) if raw is not None else None
        run = resume(args.resume, device=args.device, progress=progress, steps=new_steps)
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
            config, run_dir=args.run_dir, device=args.device, progress=progress, force=args.force
        )
    if os.environ.get("RANK", "0") == "0":  # one line from a torchrun job, not one per process
        print(run.path)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from ganforge.config import preset_delta, preset_names

    for name in preset_names():
        print(f"{name:<20} {preset_delta(name).get('description', '')}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from ganforge.data import DATASETS, DERIVATIONS

    for name in DATASETS.names():
        print(f"{name:<15} {DATASETS.get(name).description}")
    print("\nderived domains (data.derive=NAME or data_b.derive=NAME, on any image dataset):")
    for name in DERIVATIONS.names():
        print(f"{name:<15} {DERIVATIONS.get(name).description}")
    return 0


def cmd_families(args: argparse.Namespace) -> int:
    import dataclasses

    from ganforge.models import FAMILIES

    if not args.name:
        for name in FAMILIES.names():
            print(f"{name:<15} {FAMILIES.get(name).description}")
        return 0
    family = FAMILIES.get(args.name)
    print(f"{args.name}: {family.description}")
    print(f"model.conditional: {' | '.join(family.conditionings)}")
    for net, cls in (("g", family.generator_options), ("d", family.discriminator_options)):
        for f in dataclasses.fields(cls):
            print(f"model.{net}.{f.name} = {f.default!r}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    import torch

    from ganforge.config import load_config
    from ganforge.data import check_data, load_dataset
    from ganforge.models import build_networks
    from ganforge.models.domains import summary_inputs
    from ganforge.models.summary import summarize
    from ganforge.training import resolve_config

    config = resolve_config(load_config(args.source, args.overrides))
    shape = check_data(config.data)
    conditional = config.model.conditional != "none"
    classes = load_dataset(config.data).num_classes if conditional else 0
    shape_b = check_data(config.data_b) if config.data_b else None  # two-domain families
    nets = build_networks(config, shape, classes, shape_b)
    y = torch.zeros(2, dtype=torch.long) if classes else None
    g_input, d_input = summary_inputs(config, shape, shape_b)
    g = summarize(nets["generator"], g_input, y)
    d = summarize(nets["discriminator"], d_input, y)
    if args.json:
        print(json.dumps({"generator": g.as_dict(), "discriminator": d.as_dict()}))
    else:
        print(g.table("generator"), "\n")
        print(d.table("discriminator"))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from ganforge.runs.outputs import check_output
    from ganforge.sampling import check_sample_count, load_generator, write_samples

    check_output(args.output, (".png", ".npz"), args.force)
    loaded = load_generator(args.source, use_ema=not args.no_ema)
    check_sample_count(loaded, args.n)
    if args.class_grid:  # one row per class, the same z down each column
        samples = loaded.class_grid(seed=args.seed)
    elif args.truncation is None:
        samples = loaded.sample(args.n, seed=args.seed, label=args.label)
    else:
        from ganforge.latent_tools import truncated_samples

        psi = args.truncation
        samples = truncated_samples(loaded, args.n, psi, seed=args.seed, label=args.label)
    write_samples(samples, Path(args.output))
    print(args.output)
    return 0


def cmd_interpolate(args: argparse.Namespace) -> int:
    from ganforge.latent_tools import latent_walk, write_walk
    from ganforge.runs.outputs import check_output
    from ganforge.sampling import load_generator

    check_output(args.output, (".gif", ".png"), args.force)
    loaded = load_generator(args.source, use_ema=not args.no_ema)
    frames = latent_walk(
        loaded, args.walks, args.keyframes, args.frames, args.seed, args.truncation or 1.0
    )
    write_walk(frames, Path(args.output))
    print(args.output)
    return 0


def cmd_mix(args: argparse.Namespace) -> int:
    from ganforge.latent_tools import style_mixing_grid, write_picture
    from ganforge.runs.outputs import check_output
    from ganforge.sampling import load_generator

    check_output(args.output, (".png",), args.force)
    loaded = load_generator(args.source, use_ema=not args.no_ema)
    write_picture(
        style_mixing_grid(loaded, args.rows, args.cols, args.styles, args.seed), Path(args.output)
    )
    print(args.output)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from ganforge.runs.outputs import check_output
    from ganforge.translate import translate

    check_output(args.output, (".png", ".npz"), args.force)
    count = translate(args.source, args.input, Path(args.output), args.direction)
    print(f"{args.output} ({count} images, {args.direction})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ganforge.sampling import export_generator

    loaded = export_generator(
        args.source, Path(args.output), use_ema=not args.no_ema, force=args.force
    )
    print(f"{args.output} (generator at step {loaded.step})")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from ganforge.metrics.run_eval import evaluate_source

    if args.ref and (Path(args.ref).exists() or Path(args.ref).suffix == ".npz"):
        _check_image_set(args.ref)  # before any generator or Inception network is loaded
    results = evaluate_source(
        args.source,
        args.metrics.split(","),
        ref=args.ref,
        num_samples=args.num_samples,
        inception_weights=args.inception_weights,
        device=args.device,
        seed=args.seed,
        batch_size=args.batch_size,
        say=lambda message: print(message, file=sys.stderr),
    )
    print(json.dumps(results, indent=2))
    return 0


def cmd_fid(args: argparse.Namespace) -> int:
    from ganforge.metrics.run_eval import fid_between

    _check_image_set(args.a)  # before the Inception network is loaded
    _check_image_set(args.b)
    print(
        json.dumps(
            fid_between(
                args.a,
                args.b,
                num_samples=args.num_samples,
                inception_weights=args.inception_weights,
                device=args.device,
                batch_size=args.batch_size,
            ),
            indent=2,
        )
    )
    return 0


def _check_image_set(ref: str) -> None:
    """An image set named on the command line exists and holds images, checked cheaply."""
    from ganforge.data import dataset_shape
    from ganforge.metrics.reference import parse_reference

    if len(dataset_shape(parse_reference(ref))) != 3:
        raise GanforgeError(f"'{ref}' holds points, not images; FID needs images")


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
        prog="ganforge", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
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

    p = sub.add_parser("mix", help="style-mixing grid of a style-based generator (stylegan)")
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

    p = sub.add_parser("translate", help="translate images with a cyclegan or dtn run")
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


EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_INTERRUPTED = 1, 2, 3, 130
COUNTS = {"n": "-n", "num_samples": "--num-samples", "batch_size": "--batch-size"}


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

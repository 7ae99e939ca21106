"""Commands that write images from a trained generator: `sample`, `interpolate`, `mix`,
`translate` and `export` (the generator itself). Each checks its -o path before any work."""

from __future__ import annotations

import argparse
from pathlib import Path


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

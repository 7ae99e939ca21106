"""Commands that write images from a trained generator: `sample`, `interpolate`, `mix`,
`translate` and `export` (the generator itself). Each checks its -o path before any work."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_sample(args: argparse.Namespace) -> int:
    from ganforge.device import resolve_device
    from ganforge.latent_tools import draw, seed_list
    from ganforge.runs.outputs import check_output
    from ganforge.sampling import check_sample_count, load_generator, write_samples

    check_output(args.output, (".png", ".npz"), args.force)
    seeds = seed_list(args.seeds) if args.seeds is not None else None
    device = resolve_device(args.device)
    loaded = load_generator(args.source, use_ema=not args.no_ema)
    check_sample_count(loaded, len(seeds) if seeds else args.n)
    rows = None
    if args.class_grid:  # one row per class, the same z down each column
        samples = loaded.class_grid(seed=args.seed, device=device).cpu()
        rows = [str(k) for k in range(loaded.num_classes)]
    else:
        samples = draw(loaded, args.n, args.seed, args.label, args.truncation, seeds, device)
    write_samples(samples, Path(args.output), row_labels=rows)
    print(args.output)
    return 0


def cmd_interpolate(args: argparse.Namespace) -> int:
    from ganforge.device import resolve_device
    from ganforge.latent_tools import latent_walk, write_walk
    from ganforge.runs.outputs import check_output
    from ganforge.sampling import load_generator

    check_output(args.output, (".gif", ".png"), args.force)
    device = resolve_device(args.device)
    loaded = load_generator(args.source, use_ema=not args.no_ema)
    frames = latent_walk(
        loaded, args.walks, args.keyframes, args.frames, args.seed, args.truncation or 1.0, device
    )
    write_walk(frames, Path(args.output))
    print(args.output)
    return 0


def cmd_mix(args: argparse.Namespace) -> int:
    from ganforge.device import resolve_device
    from ganforge.latent_tools import style_mixing_grid, write_picture
    from ganforge.runs.outputs import check_output
    from ganforge.sampling import load_generator

    check_output(args.output, (".png",), args.force)
    device = resolve_device(args.device)
    loaded = load_generator(args.source, use_ema=not args.no_ema)
    grid = style_mixing_grid(loaded, args.rows, args.cols, args.styles, args.seed, device)
    write_picture(grid, Path(args.output))
    print(args.output)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from ganforge.device import resolve_device
    from ganforge.runs.outputs import check_output
    from ganforge.translate import MAX_PAIRS, translate

    out = check_output(args.output, (".png", ".npz"), args.force)
    if out.suffix == ".png":  # where the translations go that a readable grid leaves out
        check_output(out.with_suffix(".npz"), (".npz",), args.force)
    device = resolve_device(args.device)
    count, rest = translate(args.source, args.input, out, args.direction, device)
    if rest is None:
        print(f"{out} ({count} images, {args.direction})")
    else:
        shown = f"the first {MAX_PAIRS} of {count} pairs, {args.direction}"
        print(f"{out} ({shown}); all {count} translations in {rest}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ganforge.device import resolve_device
    from ganforge.errors import GanforgeError

    device = resolve_device(args.device)  # a bad --device is one sentence, before any write
    out = Path(args.output)
    # without --format: a name with no suffix is a Hub folder; a file name is a .safetensors
    # export, and any other suffix (.pt) is refused as one, in one sentence
    hub = args.format == "hub" or (args.format is None and (args.push_to_hub or not out.suffix))
    if args.push_to_hub and not hub:
        raise GanforgeError("--push-to-hub uploads a Hub-style folder; drop --format safetensors")
    if not hub:
        from ganforge.sampling import export_generator

        loaded = export_generator(
            args.source, Path(args.output), use_ema=not args.no_ema, force=args.force
        )
        print(f"{args.output} (generator at step {loaded.step})")
        return 0
    from ganforge.hub import export_hub, push_to_hub

    folder = Path(args.output)
    loaded = export_hub(args.source, folder, not args.no_ema, args.force, args.license, device)
    print(f"{folder} (Hub-style folder, generator at step {loaded.step})")
    if args.push_to_hub:
        print(push_to_hub(folder, args.push_to_hub))
    return 0

"""`ganforge eval` (a trained generator's metrics), `ganforge score` and its shortcut
`ganforge fid` (two image sets)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ganforge.errors import GanforgeError


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
        lpips_weights=args.lpips_weights,
    )
    print(json.dumps(results, indent=2))
    return 0


def cmd_fid(args: argparse.Namespace) -> int:
    """`ganforge score A B --metrics fid`, printed as {fid, count_a, count_b}."""
    args.metrics, args.features, args.save_features, args.seed = "fid", "inception", None, 0
    results = _score(args)
    print(json.dumps({k: results[k] for k in ("fid", "count_a", "count_b")}, indent=2))
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    print(json.dumps(_score(args), indent=2))
    return 0


def _score(args: argparse.Namespace) -> dict:
    from ganforge.metrics.score import score_sets

    for source in (args.a, args.b):  # before any network is loaded
        if not _generator(source):
            _check_image_set(source)
    return score_sets(
        args.a,
        args.b,
        args.metrics.split(","),
        features=args.features,
        num_samples=args.num_samples,
        inception_weights=args.inception_weights,
        device=args.device,
        batch_size=args.batch_size,
        seed=args.seed,
        save_features=args.save_features,
    )


def _generator(source: str) -> bool:
    path = Path(source)
    return path.suffix in (".safetensors", ".pt") or (path / "config.yaml").exists()


def _check_image_set(ref: str) -> None:
    """An image set named on the command line exists and holds images, checked cheaply."""
    from ganforge.data import dataset_shape
    from ganforge.metrics.reference import parse_reference

    if len(dataset_shape(parse_reference(ref))) != 3:
        raise GanforgeError(f"'{ref}' holds points, not images; FID needs images")

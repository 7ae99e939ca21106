"""`ganforge eval` (a trained generator's metrics) and `ganforge fid` (two image sets)."""

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

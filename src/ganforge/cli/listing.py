"""What ganforge has: `presets`, `datasets`, `families` and a config's `summary`."""

from __future__ import annotations

import argparse
import json


def cmd_presets(args: argparse.Namespace) -> int:
    from ganforge.config import preset_delta, preset_names
    from ganforge.config.aliases import PRESET_ALIASES, former_names

    for name in preset_names():
        was = "".join(f" (was {old})" for old in former_names(name, PRESET_ALIASES))
        print(f"{name:<21} {preset_delta(name).get('description', '')}{was}")
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

    from ganforge.config.comments import option_comments
    from ganforge.models import FAMILIES

    if not args.name:
        for name in FAMILIES.names():
            print(f"{name:<15} {FAMILIES.get(name).description}")
        return 0
    family = FAMILIES.get(args.name)
    print(f"{args.name}: {family.description}")
    print(f"model.conditional: {' | '.join(family.conditionings)}")
    print(f"commands: {', '.join(family.commands())}")
    for net, cls in (("g", family.generator_options), ("d", family.discriminator_options)):
        comments = option_comments(cls)
        for f in dataclasses.fields(cls):
            note = f"  # {comments[f.name]}" if f.name in comments else ""
            print(f"model.{net}.{f.name} = {f.default!r}{note}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    import torch

    from ganforge.config import load_config
    from ganforge.data import check_data, load_dataset
    from ganforge.models import build_networks, summary_inputs
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

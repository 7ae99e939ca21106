"""Old preset and study names, kept working after the shipped files were named after their reports.

The presets and studies that reproduce a report were first named after the report's index in
the project's notes ("seed000-conv"), which means nothing to a reader. They now cite the report
(Deng 2024 -> "deng2024-conv"); the old names stay valid, so scripts, `extends: seed000-conv`
in a user's YAML and half-finished sweeps keep working. This is the only table of them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

# The reports, by the prefix their presets and studies carry (docs/reproductions.md has them in
# full). Pati's CPSC 8430 report states no year, so its prefix names the course instead.
REPORT_PREFIXES: dict[str, str] = {
    "deng2024": "Kai Deng, 'Generating images using a Deep Convolutional GANs', MSc thesis, "
    "University College Cork, 2024",
    "akel2022": "Sedat Akel, 'Optimization the training algorithms of machine learning using "
    "GAN networks', MSc thesis, Çankaya University, 2022",
    "ngo2023": "Ngô Quang Minh, 'Generative Adversarial Networks', Graduation Research 1, "
    "Hanoi University of Science and Technology, 2023",
    "pati-cpsc8430": "Sravani Pati, 'CPSC 8430 Homework 4 Report'",
}

PRESET_ALIASES: dict[str, str] = {
    "seed000-conv": "deng2024-conv",
    "seed000-dense": "deng2024-dense",
    **{f"seed001-exp{i:02d}": f"akel2022-exp{i:02d}" for i in range(1, 21)},
    "seed003-mnist": "ngo2023-mnist",
    "seed004-acgan": "pati-cpsc8430-acgan",
    "seed004-dcgan": "pati-cpsc8430-dcgan",
    "seed004-wgangp": "pati-cpsc8430-wgangp",
}

STUDY_ALIASES: dict[str, str] = {
    "seed000": "deng2024",
    "seed000-cogan": "deng2024-cogan",
    "seed000-translation": "deng2024-translation",
    "seed001-mnist": "akel2022-mnist",
    "seed001-celeba": "akel2022-celeba",
    "seed004-cifar10": "pati-cpsc8430-cifar10",
}


def _note(message: str) -> None:
    print(message, file=sys.stderr)  # stdout may be data (`ganforge summary --json`)


def current_name(
    name: str,
    aliases: Mapping[str, str],
    kind: str,
    say: Callable[[str], None] | None = _note,
) -> str:
    """`name` itself, or the name an old alias now stands for (noted on stderr)."""
    new = aliases.get(name)
    if new is None:
        return name
    if say is not None:
        say(f"note: {kind} '{name}' is now '{new}'")
    return new


def former_names(name: str, aliases: Mapping[str, str]) -> list[str]:
    """The old names that stand for `name` (for listings: "deng2024-conv (was seed000-conv)")."""
    return [old for old, new in aliases.items() if new == name]

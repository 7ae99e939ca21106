"""`ganforge export`: never over a checkpoint, a folder or a foreign file."""

from __future__ import annotations

import pytest

from bad_input.cases import Case, case, check_case, folder, safetensors

CASES = [
    # ---- export
    case(
        ["export", "run", "-o", "run/checkpoints/step_0000004.pt"],
        2,
        "must end in .safetensors",
        kept=("run/checkpoints/step_0000004.pt",),
        samples_after=True,
        id="export-over-newest-checkpoint",
    ),
    case(
        ["export", "run", "-o", "run/checkpoints/g.safetensors"],
        2,
        "inside checkpoints/ of the run",
        samples_after=True,
        id="export-into-checkpoints",
    ),
    case(
        ["export", "run", "-o", "g.safetensors"],
        2,
        "is a folder",
        folder("g.safetensors"),
        id="export-o-folder",
    ),
    case(
        ["export", "run", "-o", "other.safetensors"],
        2,
        "is not a .safetensors file that ganforge wrote",
        safetensors("other.safetensors"),
        kept=("other.safetensors",),
        id="export-over-foreign-safetensors",
    ),
]


@pytest.mark.parametrize("c", CASES)
def test_bad_input_ends_in_one_sentence(c: Case, base_run, tmp_path, monkeypatch):
    check_case(c, base_run, tmp_path, monkeypatch)

"""`ganforge summary`: the config is checked as `train` checks it."""

from __future__ import annotations

import pytest

from bad_input.cases import Case, case, check_case

CASES = [
    # ---- summary
    case(["summary", "default", "data.resolution=100000"], 2, "needs at least", id="summary-huge"),
    case(["summary", "default", "model.g.alpha=.inf"], 2, "finite", id="summary-inf"),
    case(["summary", "nosuchpreset"], 2, "unknown preset", id="summary-preset"),
]


@pytest.mark.parametrize("c", CASES)
def test_bad_input_ends_in_one_sentence(c: Case, base_run, tmp_path, monkeypatch):
    check_case(c, base_run, tmp_path, monkeypatch)

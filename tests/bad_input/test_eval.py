"""`ganforge eval` and `ganforge fid`: inputs are checked before any model is loaded."""

from __future__ import annotations

import pytest

from bad_input.cases import IMAGES, Case, case, check_case, folder, npz

CASES = [
    # ---- eval
    case(["eval", "run", "--num-samples", "0"], 2, "--num-samples must be", id="eval-num-0"),
    case(["eval", "run", "--batch-size", "0"], 2, "--batch-size must be", id="eval-batch-0"),
    case(["eval", "run", "--device", "tpu"], 2, "unknown device", id="eval-device-tpu"),
    case(["eval", "run", "--metrics", "fid99k"], 2, "unknown metric 'fid99k'", id="eval-metric"),
    case(["eval", "run", "--metrics", ""], 2, "no metrics requested", id="eval-no-metric"),
    case(["eval", "run", "--ref", "imgs"], 2, "no image files", folder("imgs"), id="eval-ref"),
    case(["eval", "nowhere"], 2, "does not exist", id="eval-missing-source"),
    # ---- fid: inputs are checked before Inception is loaded (offline, that would fail)
    case(
        ["fid", "a.npz", "imgs"],
        2,
        "no image files",
        npz("a.npz", images=IMAGES),
        folder("imgs"),
        id="fid-empty-folder",
    ),
    case(["fid", "missing.npz", "digits"], 2, "does not exist", id="fid-missing-file"),
    case(["fid", "toy_ring", "digits"], 2, "holds points, not images", id="fid-points"),
    case(["fid", "digits", "digits", "--num-samples", "-1"], 2, "at least 1", id="fid-num"),
]


@pytest.mark.parametrize("c", CASES)
def test_bad_input_ends_in_one_sentence(c: Case, base_run, tmp_path, monkeypatch):
    check_case(c, base_run, tmp_path, monkeypatch)

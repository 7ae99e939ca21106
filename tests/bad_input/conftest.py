"""The tiny trained run that the bad-input cases copy beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, train_argv


@pytest.fixture(scope="package")
def base_run(tmp_path_factory) -> Path:
    """One tiny trained run (checkpoints at steps 2 and 4), copied into each case's folder."""
    run = tmp_path_factory.mktemp("base") / "run"
    code, _, err = run_cli(*train_argv(run))
    assert code == 0, err
    return run

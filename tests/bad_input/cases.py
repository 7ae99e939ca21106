"""The machinery the bad-input files share.

Every case runs `ganforge` as a user would (through `main`), then checks the exit code, that
no traceback was printed, the keyword of the one sentence, and for the cases that could
overwrite something, that the file is untouched and the run still samples afterwards.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from ganforge.runs import checkpoints as ckpt

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (64, 8, 8), dtype=np.uint8)
NPZ = ["data.name=npz", "data.path=d.npz"]


def one_sentence(code: int, out: str, err: str, expected_code: int) -> str:
    """The one `error:` line, the last, of a command that exited `expected_code` without a
    traceback."""
    assert "Traceback" not in out + err
    assert code == expected_code, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert errors[0] == err.strip().splitlines()[-1]
    return errors[0]


def assert_one_sentence(code: int, out: str, err: str, expected_code: int, keyword: str) -> None:
    """`one_sentence`, and it holds `keyword`."""
    sentence = one_sentence(code, out, err, expected_code)
    assert keyword in sentence, sentence


# ---------------------------------------------------------------- files the cases use


def npz(name: str, **arrays: np.ndarray):
    return lambda folder: np.savez(folder / name, **arrays)


def text(name: str, content: str):
    def write(folder: Path) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content)

    return write


def folder(name: str):
    return lambda where: (where / name).mkdir(parents=True, exist_ok=True)


def safetensors(name: str):
    def write(where: Path) -> None:
        import torch
        from safetensors.torch import save_file

        save_file({"w": torch.zeros(2)}, str(where / name))

    return write


def export_without_a_tensor(name: str):
    """`ganforge export` of the run, then one generator tensor dropped from the file."""

    def write(where: Path) -> None:
        from safetensors import safe_open
        from safetensors.torch import save_file

        code, _, err = run_cli("export", str(where / "run"), "-o", str(where / name))
        assert code == 0, err
        with safe_open(str(where / name), framework="pt") as f:
            meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
        tensors.pop(sorted(tensors)[-1])
        save_file(tensors, str(where / name), metadata=meta)

    return write


# ---------------------------------------------------------------- one case


@dataclass
class Case:
    argv: list[str]
    code: int
    keyword: str
    setup: list = field(default_factory=list)
    kept: tuple[str, ...] = ()  # files that must be byte-identical afterwards
    samples_after: bool = False  # the run must still sample afterwards


def case(argv, code, keyword, *setup, kept=(), samples_after=False, id=None):  # noqa: A002
    return pytest.param(Case(list(argv), code, keyword, list(setup), kept, samples_after), id=id)


def check_case(c: Case, base_run: Path, tmp_path: Path, monkeypatch) -> None:
    """Run `c` in tmp_path beside a copy of `base_run` (as `run`) and check what it promises."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANFORGE_INCEPTION_WEIGHTS", str(tmp_path / "no-weights.pth"))
    shutil.copytree(base_run, tmp_path / "run")
    for make in c.setup:
        make(tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in c.kept}
    code, out, err = run_cli(*c.argv)
    assert_one_sentence(code, out, err, c.code, c.keyword)
    for name, content in before.items():
        assert (tmp_path / name).read_bytes() == content, f"{name} was changed"
    assert not (tmp_path / "r").exists(), "a refused run must leave no folder behind"
    if c.samples_after:
        assert run_cli("sample", "run", "-n", "4", "-o", "after.png")[0] == 0
        found = ckpt.list_checkpoints(tmp_path / "run" / "checkpoints")
        assert [step for step, _ in found] == [2, 4]

"""Families own their behaviour: generic code asks a family, it never names one.

The loop, the metrics, sampling and the commands must work for a family they have never
heard of, so no family's name and no read of a capability field may appear in them; a new
family then needs no edit outside its own files (CONTRIBUTING's recipe). And no function
grows past 60 lines unless its docstring says why.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from ganforge.models import FAMILIES, Family

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ganforge"
GENERIC = ["training", "metrics", "cli", "sampling.py"]
# what a Family *is* (typed fields), as opposed to what it *does* (hooks, options, build)
CAPABILITIES = ["domains", "same_channels", "paired", "style_mixing", "translations", "extra"]


def generic_files() -> list[Path]:
    files = []
    for part in GENERIC:
        path = PACKAGE / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def offences(text: str) -> list[str]:
    """Family names as words, and reads of capability fields (`x.translations`)."""
    names = "|".join(re.escape(n) for n in FAMILIES.names())
    caps = "|".join(CAPABILITIES)
    found = re.findall(rf"(?<![\w.])({names})(?!\w)", text)
    found += [f".{m}" for m in re.findall(rf"\.({caps})\b", text)]
    return found


def test_capabilities_listed_here_are_the_familys_fields():
    fields = {f.name for f in dataclasses.fields(Family)}
    assert set(CAPABILITIES) - {"extra"} <= fields
    assert "extra" not in fields  # capabilities are typed, never strings in a mapping


@pytest.mark.parametrize("path", generic_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_generic_code_names_no_family_and_reads_no_capability(path):
    assert offences(path.read_text()) == []


def test_the_check_finds_what_it_forbids():
    assert offences("if config.model.name == 'cyclegan': x = family.translations") == [
        "cyclegan",
        ".translations",
    ]
    assert offences("from ganforge.models.domains import x") == [".domains"]
    assert offences("runs/00001-dcgan-mnist and the mlp_dcgan family") == ["dcgan", "mlp_dcgan"]


def test_no_function_is_over_60_lines_unless_its_docstring_says_why():
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                doc = ast.get_docstring(node) or ""
                if lines > 60 and "long because" not in doc.lower():
                    long.append(f"{path.relative_to(PACKAGE)}:{node.name} ({lines} lines)")
    assert long == []


def test_the_training_loop_stays_small():
    assert len((PACKAGE / "training" / "loop.py").read_text().splitlines()) <= 150

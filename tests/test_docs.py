"""The documentation builds with every link resolved, and the README stays a short front page."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = (
    "getting-started",
    "training",
    "notebook",
    "families",
    "metrics",
    "studies",
    "tracking",
    "performance",
    "distributed",
    "troubleshooting",
    "architecture",
    "reproductions",
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")  # [text](target): Markdown links and images
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|tmp|home|root|Users)/")

pytest.importorskip("mkdocs", reason="the docs build needs mkdocs (pip install -e '.[dev]')")


def user_docs() -> list[Path]:
    """README, CONTRIBUTING, mkdocs.yml and every page of the site (not the progress logs)."""
    pages = [p for p in (ROOT / "docs").rglob("*.md") if "progress" not in p.parts]
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "mkdocs.yml", *pages]


def test_mkdocs_build_strict_passes_and_leaves_out_the_progress_logs(tmp_path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (site / "index.html").is_file()
    for page in PAGES:
        assert (site / page / "index.html").is_file(), page
    assert not (site / "progress").exists()
    nav = (site / "index.html").read_text()
    assert "progress" not in nav and "The reports we reproduce" in nav


def test_the_readme_is_a_front_page_of_at_most_150_lines() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 150
    text = "\n".join(lines)
    assert "pip install -e . && ganforge train" in text
    assert 'pip install -e ".[dev]" && pytest' in text


def relative_links(path: Path) -> list[str]:
    """Link targets in a Markdown file that are files of this repository (no URL, no anchor)."""
    targets = [m.group(1).split("#")[0] for m in LINK.finditer(path.read_text())]
    return [t for t in targets if t and "://" not in t and not t.startswith("mailto:")]


def test_every_relative_link_in_the_readme_points_at_a_file() -> None:
    links = relative_links(ROOT / "README.md")
    assert len(links) >= 10  # the pages and the picture
    missing = [t for t in links if not (ROOT / t).exists()]
    assert not missing, f"README.md links to missing files: {missing}"
    for page in PAGES:
        assert f"docs/{page}.md" in links, page


def test_the_user_docs_hold_no_machine_paths() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in user_docs()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if MACHINE_PATH.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_user_docs_cite_reports_not_seed_numbers() -> None:
    """Old preset names appear only on the pages that explain the aliases."""
    explain = {"README.md", "training.md", "studies.md", "troubleshooting.md", "reproductions.md"}
    for path in user_docs():
        text = path.read_text()
        assert not re.search(r"\b[Ss]eed 00\d\b", text), path
        if path.name not in explain:
            assert "seed00" not in text, path

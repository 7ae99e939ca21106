"""Presets and studies cite their reports (deng2024-conv); old names (seed000-conv) still work."""

from __future__ import annotations

import json

import pytest

from ganforge.cli import main
from ganforge.config import load_config, preset_names
from ganforge.config.aliases import PRESET_ALIASES, REPORT_PREFIXES, STUDY_ALIASES
from ganforge.errors import ConfigError
from ganforge.studies import expand, load_study, study_names
from ganforge.studies.sweep import plan


@pytest.mark.parametrize("old", sorted(PRESET_ALIASES))
def test_an_old_preset_name_resolves_to_its_new_presets_config(old: str, capsys) -> None:
    new = PRESET_ALIASES[old]
    assert load_config(old) == load_config(new)
    assert load_config(old).name == new  # the run directory is named after the new name
    assert f"note: preset '{old}' is now '{new}'" in capsys.readouterr().err


def test_extends_an_old_name_in_a_users_yaml(tmp_path) -> None:
    old = tmp_path / "mine.yaml"
    old.write_text("extends: seed001-exp01\ntrain: {steps: 77}\n")
    new = tmp_path / "sub" / "mine.yaml"
    new.parent.mkdir()
    new.write_text("extends: akel2022-exp01\ntrain: {steps: 77}\n")
    assert load_config(old) == load_config(new)
    assert load_config(old).train.steps == 77
    assert load_config(old).model.name == load_config("akel2022-exp01").model.name


def test_train_dry_run_accepts_an_old_preset_name(capsys) -> None:
    assert main(["train", "--preset", "seed000-conv", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("name: deng2024-conv\n")
    assert err.strip() == "note: preset 'seed000-conv' is now 'deng2024-conv'"


@pytest.mark.parametrize("old", sorted(STUDY_ALIASES))
def test_an_old_study_name_expands_to_its_new_studys_runs(old: str) -> None:
    before, after = load_study(old), load_study(STUDY_ALIASES[old])
    assert expand(before) == expand(after) and len(expand(after)) >= 2
    assert before.description == after.description and before.published == after.published
    assert before.name == old  # a sweep started under the old name resumes in its folder


def test_every_renamed_name_cites_its_report() -> None:
    names = [*preset_names(), *study_names()]
    assert not [n for n in names if n.startswith("seed")]
    cited = tuple(f"{prefix}-" for prefix in REPORT_PREFIXES)
    for new in [*PRESET_ALIASES.values(), *STUDY_ALIASES.values()]:
        assert new.startswith(cited) or new in REPORT_PREFIXES, new
    assert set(PRESET_ALIASES.values()) <= set(preset_names())
    assert set(STUDY_ALIASES.values()) <= set(study_names())


def test_aliases_point_at_current_names_only() -> None:
    """One hop: an alias never names another alias, and no old name is still a shipped file."""
    for table in (PRESET_ALIASES, STUDY_ALIASES):
        assert not set(table.values()) & set(table)
    assert not set(PRESET_ALIASES) & set(preset_names())
    assert not set(STUDY_ALIASES) & set(study_names())


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("seed000-con", "seed000-conv"), ("deng2024-con", "deng2024-conv"), ("akel-exp01", None)],
)
def test_an_unknown_preset_still_says_did_you_mean(typed: str, suggested: str | None) -> None:
    with pytest.raises(ConfigError, match=f"unknown preset '{typed}'") as err:
        load_config(typed)
    if suggested:
        assert f"(did you mean '{suggested}'?)" in str(err.value)
    available = str(err.value).split("available: ")[1]
    assert "deng2024-conv" in available and "seed000-conv" not in available  # current names


def test_an_unknown_study_still_says_did_you_mean() -> None:
    with pytest.raises(ConfigError, match="unknown study 'akel2022-mnsit'.*did you mean"):
        load_study("akel2022-mnsit")
    with pytest.raises(ConfigError, match="did you mean 'seed001-mnist'"):
        load_study("seed001-mnst")


def test_presets_and_studies_list_new_names_with_their_old_ones(capsys) -> None:
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    conv = next(line for line in lines if line.startswith("deng2024-conv "))
    assert conv.endswith("(was seed000-conv)")
    assert not [line for line in lines if line.startswith("seed")]
    assert main(["studies"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert next(line for line in lines if line.startswith("akel2022-mnist ")).endswith(
        "(was seed001-mnist)"
    )


@pytest.mark.parametrize(("recorded", "fails"), [("seed000-conv", False), ("default", True)])
def test_a_sweep_recorded_under_an_old_preset_name_is_the_same_run(
    tmp_path, recorded: str, fails: bool
) -> None:
    """A study folder from before the rename resumes; a real change of preset is still refused."""
    study_file = tmp_path / "mine.yaml"
    study_file.write_text("runs: [{name: conv, preset: deng2024-conv}]\n")
    study_dir = tmp_path / "runs" / "mine"
    (study_dir / "conv").mkdir(parents=True)
    (study_dir / "conv" / "config.yaml").write_text("name: seed000-conv\n")
    row = {"run": "conv", "status": "running", "identity": [recorded]}
    (study_dir / "study.jsonl").write_text(json.dumps(row) + "\n")
    (planned,) = plan(load_study(study_file), study_dir, steps=None, overrides=[])
    assert (planned.action == "failed") == fails
    assert ("other settings" in (planned.error or "")) == fails

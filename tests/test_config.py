import dataclasses

import pytest
import yaml

from conftest import resolved
from ganforge.cli import main
from ganforge.config import (
    Config,
    config_from_dict,
    dump_config,
    load_config,
    preset_names,
    to_dict,
)
from ganforge.errors import ConfigError


def test_default_config_is_the_default_preset_and_frozen():
    config = load_config()
    assert config.name == "default" and config.data.name == "digits"
    assert config.model.name == "dcgan"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_round_trips_through_yaml(preset):
    config = resolved(source=preset)
    again = config_from_dict(yaml.safe_load(dump_config(config)))
    assert again == config


def test_overrides_are_typed_and_nested():
    config = load_config(
        None,
        [
            "train.steps=12",
            "optim.d.lr=1e-4",
            "model.g.hidden=[32,16]",
            "model.g.batch_norm=false",
            "seed=7",
            "train.ema_decay=none",
        ],
    )
    assert config.train.steps == 12
    assert config.optim.d.lr == pytest.approx(1e-4)  # YAML 1.1 reads 1e-4 as a string
    assert config.model.g.hidden == (32, 16)
    assert config.model.g.batch_norm is False and config.seed == 7
    assert config.train.ema_decay is None


def test_unknown_key_is_rejected_with_the_closest_match():
    with pytest.raises(ConfigError, match=r"unknown config key 'train.step'.*'train.steps'"):
        load_config(None, ["train.step=5"])
    with pytest.raises(ConfigError, match=r"'optim.g.learning_rate'"):
        load_config(None, ["optim.g.learning_rate=0.1"])


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.steps=many", "'train.steps' must be a whole number"),
        ("train.steps=0", "'train.steps' must be positive"),
        ("model.g.batch_norm=maybe", "must be true or false"),
        ("loss.name=hinje", "did you mean 'hinge'"),
        ("data.name=mnits", "did you mean 'mnist'"),
        ("model.g.activation=relux", "unknown activation"),
        ("loss.label_smoothing=0.7", "label_smoothing"),
        ("train.ema_decay=1.5", "ema_decay"),
        ("model.latent_dist=cauchy", "latent_dist"),
        ("badly", "key=value"),
    ],
)
def test_bad_values_give_one_readable_sentence(override, message):
    with pytest.raises(ConfigError, match=message):
        resolved(override)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["loss.name=wasserstein", "model.d.last_activation=sigmoid"], "unbounded critic score"),
        (["loss.name=hinge", "model.d.last_activation=sigmoid"], "unbounded critic score"),
        (["loss.name=minimax", "model.d.last_activation=none"], "needs D to output a probability"),
        (["loss.name=wasserstein", "loss.label_smoothing=0.1"], "does not have"),
    ],
)
def test_impossible_combinations_are_rejected(overrides, message):
    with pytest.raises(ConfigError, match=message):
        resolved(*overrides)


def test_lsgan_accepts_either_output():
    assert resolved("loss.name=lsgan", "model.d.last_activation=sigmoid")
    assert resolved("loss.name=lsgan")


def test_yaml_file_holds_a_delta_and_can_extend_a_preset(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("extends: seed000-conv\ntrain:\n  steps: 77\n")
    config = load_config(path)
    base = load_config("seed000-conv")
    assert config.name == "mine" and config.train.steps == 77
    assert config.model == base.model and config.train.batch_size == base.train.batch_size


def test_yaml_errors_are_readable(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="unknown preset 'seed000-con'"):
        load_config("seed000-con")


def test_dry_run_prints_the_resolved_config(capsys):
    assert main(["train", "train.steps=5", "loss.name=hinge", "--dry-run"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["train"]["steps"] == 5 and printed["loss"]["name"] == "hinge"
    assert printed == to_dict(resolved("train.steps=5", "loss.name=hinge"))
    assert printed["model"]["g"]["upsample"] == "transposed"  # the family's defaults, filled in


def test_cli_reports_config_errors_without_a_traceback(capsys):
    assert main(["train", "train.stpes=5", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown config key 'train.stpes'") and "Traceback" not in err


def replaced(config, key: str, value):
    """`config` with the dotted `key` set to `value`, every other field unchanged."""
    head, _, rest = key.partition(".")
    inner = replaced(getattr(config, head), rest, value) if rest else value
    return dataclasses.replace(config, **{head: inner})


BROKEN = {  # one field of the dataclass defaults, made invalid: (value, what validate says)
    "seed": (-1, "'seed' must be a whole number"),
    "train.steps": (0, "'train.steps' must be positive"),
    "optim.d.lr": (float("nan"), "'optim.d.lr' must be a finite number"),
    "train.ema_decay": (1.0, "'train.ema_decay' must be between 0 and 1"),
    "loss.label_smoothing": (0.5, "'loss.label_smoothing' must be in [0, 0.5)"),
    "data.channels": (2, "'data.channels' must be 1 or 3"),
}


@pytest.mark.parametrize("key", BROKEN)
def test_config_dataclass_defaults_validate(key):
    """The bare dataclass defaults are a valid config, and one bad field in them is refused."""
    from ganforge.config import validate

    value, message = BROKEN[key]
    defaults = Config()
    validate(defaults)  # raises ConfigError on a problem
    with pytest.raises(ConfigError) as refused:
        validate(replaced(defaults, key, value))
    assert message in str(refused.value)


def test_none_is_a_real_choice_where_a_literal_offers_it():
    assert resolved("model.g.project_norm=none").model.g.project_norm == "none"
    assert resolved("model.g.project_norm=null").model.g.project_norm is None  # follow batch_norm
    assert load_config(None, ["train.ema_decay=none"]).train.ema_decay is None


def test_overrides_may_follow_the_options(capsys):
    argv = ["train", "train.steps=5", "--preset", "default", "train.batch_size=8", "--dry-run"]
    assert main(argv) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["train"]["steps"] == 5 and printed["train"]["batch_size"] == 8

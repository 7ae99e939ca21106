"""Load a config: schema defaults <- preset/YAML deltas (with `extends`) <- dotted overrides."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ganforge.config.aliases import PRESET_ALIASES, current_name
from ganforge.config.building import from_dict, to_dict
from ganforge.config.schema import Config
from ganforge.config.validation import validate
from ganforge.errors import ConfigError
from ganforge.registry import suggest


def preset_names() -> list[str]:
    """Names of the presets shipped in ganforge/configs."""
    folder = resources.files("ganforge") / "configs"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except OSError as err:  # a folder, no permission...
        raise ConfigError(f"cannot read config file '{path}' ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file '{path}' is not a text (YAML) file") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or "unreadable"
        raise ConfigError(f"config file '{path}' is not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of keys to values")
    return data


def preset_delta(name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The YAML delta of a shipped preset (or an old alias of one), `extends` chain resolved."""
    name = current_name(name, PRESET_ALIASES, "preset")
    if name not in preset_names():
        known = [*preset_names(), *PRESET_ALIASES]
        raise ConfigError(
            f"unknown preset '{name}'{suggest(name, known)}; available: {', '.join(preset_names())}"
        )
    text = (resources.files("ganforge") / "configs" / f"{name}.yaml").read_text()
    data = yaml.safe_load(text) or {}
    data.setdefault("name", name)
    return _resolve_extends(data, seen=seen + (name,))


def source_delta(source: str | Path | None) -> dict[str, Any]:
    """A preset name or a YAML path -> its delta; None -> the `default` preset."""
    if source is None:
        return preset_delta("default")
    path = Path(source)
    if path.suffix in (".yaml", ".yml") or path.exists():
        data = read_yaml(path)
        data.setdefault("name", path.stem)
        return _resolve_extends(data, seen=())
    return preset_delta(str(source))


def _resolve_extends(data: dict[str, Any], seen: tuple[str, ...]) -> dict[str, Any]:
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if parent in seen:
        raise ConfigError(f"presets extend each other in a loop: {' -> '.join(seen + (parent,))}")
    base = preset_delta(parent, seen)
    base.pop("description", None)
    return merge(base, data)


def merge(base: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge; `delta` wins.

    A delta that switches model.name to another family drops the base's `model.g` and
    `model.d`: those options belong to the family they were written for.
    """
    out = copy.deepcopy(base)
    new_model, old_model = delta.get("model"), out.get("model")
    if isinstance(new_model, dict) and isinstance(old_model, dict):
        name = new_model.get("name")
        if name is not None and name != old_model.get("name", Config().model.name):
            old_model.pop("g", None)
            old_model.pop("d", None)
    for key, value in delta.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_overrides(overrides: list[str]) -> dict[str, Any]:
    """["train.steps=10", "model.g.hidden=[64,32]"] -> nested dict, values parsed as YAML."""
    values: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' must look like key=value, e.g. train.steps=500")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        values[key.strip()] = value
    return nest(values)


def nest(dotted: dict[str, Any]) -> dict[str, Any]:
    """{"optim.d.lr": 1e-4} -> {"optim": {"d": {"lr": 1e-4}}}: Python values as they are."""
    delta: dict[str, Any] = {}
    for key, value in dotted.items():
        node = delta
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override '{key}' sets a key below a value")
        node[parts[-1]] = value
    return delta


def override(config: Config, *items: str, **dotted: Any) -> Config:
    """A new config: `config` with `key=value` strings and `{dotted key: value}` applied on
    top, checked as `load_config` checks a preset with overrides."""
    delta = merge(parse_overrides(list(items)), nest(dotted))
    data = merge(to_dict(config), delta)
    return config_from_dict(data)


def load_config(source: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Resolve, build and validate a config from a preset name or YAML file plus overrides."""
    data = merge(source_delta(source), parse_overrides(overrides or []))
    config = from_dict(Config, data)
    validate(config)
    return config


def config_from_dict(data: dict[str, Any]) -> Config:
    """Rebuild a config stored in a run directory or checkpoint (a full, resolved dict)."""
    config = from_dict(Config, data)
    validate(config)
    return config


def dump_config(config: Config) -> str:
    return yaml.safe_dump(to_dict(config), sort_keys=False)

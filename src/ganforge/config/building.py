"""Turn plain nested dicts into the frozen config dataclasses, checking every key and type."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, Union

from ganforge.config.options import Options
from ganforge.errors import ConfigError
from ganforge.registry import suggest

T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """Config dataclass -> plain dict of YAML-friendly values (tuples become lists)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    return obj


def from_dict(cls: type[T], data: Mapping[str, Any], where: str = "") -> T:
    """Build dataclass `cls` from `data`; unknown keys and wrong types raise ConfigError."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"'{where or 'config'}' must be a mapping of keys to values, got {data!r}"
        )
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in names:
            full = f"{where}.{key}" if where else key
            options = [f"{where}.{n}" if where else n for n in names]
            raise ConfigError(f"unknown config key '{full}'{suggest(full, options)}")
    kwargs = {}
    for name in names:
        if name in data:
            full = f"{where}.{name}" if where else name
            kwargs[name] = _coerce(hints[name], data[name], full)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    """Check `value` against the type hint, converting only where it is lossless and obvious."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        # "none" typed on the command line means "absent" for numbers and lists; for text
        # options it is a real choice (model.d.last_activation=none), so it stays a string
        choices = typing.get_args(args[0]) if typing.get_origin(args[0]) is Literal else ()
        if (
            isinstance(value, str)
            and args[0] is not str
            and value.lower() in ("none", "null")
            and value not in choices  # Literal["none", ...] | None: "none" is a real choice
        ):
            return None
        return _coerce(args[0], value, where)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value if value is not None else {}, where)
    if hint is Options:  # another package's options: checked by their owner in the build step
        if not isinstance(value, Mapping):
            raise ConfigError(f"'{where}' must be a mapping of options, got {value!r}")
        return Options({str(k): v for k, v in value.items()})
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            names = [str(c) for c in choices]
            raise ConfigError(
                f"'{where}' must be one of {', '.join(names)}, got {value!r}"
                f"{suggest(str(value), names)}"
            )
        return value
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if isinstance(value, str):
            value = [v for v in value.replace("[", "").replace("]", "").split(",") if v.strip()]
        elif not isinstance(value, list | tuple):
            value = [value]
        return tuple(_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if hint in SCALARS:
        return SCALARS[hint](value, where)
    raise TypeError(f"unsupported config type {hint!r} for '{where}'")  # a bug in the schema


def _to_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "on", "off"):
        return value.lower() in ("true", "yes", "on")
    raise ConfigError(f"'{where}' must be true or false, got {value!r}")


def _to_int(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.replace("_", ""))
        except ValueError:
            pass
    raise ConfigError(f"'{where}' must be a whole number, got {value!r}")


def _to_float(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):  # YAML 1.1 reads "1e-4" as a string
        try:
            return float(value)
        except ValueError:
            pass
    raise ConfigError(f"'{where}' must be a number, got {value!r}")


def _to_str(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(f"'{where}' must be text, got {value!r}")


# scalar type -> its lossless conversion from YAML or command-line text
SCALARS: dict[type, Callable[[Any, str], Any]] = {
    bool: _to_bool,
    int: _to_int,
    float: _to_float,
    str: _to_str,
}

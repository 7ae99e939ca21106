"""A frozen mapping for option groups that another package owns (a model family's options).

The config layer cannot know every family's options without importing the families, so it
keeps `model.g` and `model.d` as plain frozen values; the family checks them against its own
dataclass in the build step (`ganforge.training.plan.resolve_config`) and fills in its defaults.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Options(value)
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


class Options(Mapping[str, Any]):
    """Immutable `{name: value}` with attribute access: `config.model.g.hidden`."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_items", {k: _freeze(v) for k, v in (items or {}).items()})

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __getattr__(self, key: str) -> Any:
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("config options are frozen; use dataclasses.replace or overrides")

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._items.items(), key=lambda kv: kv[0])))

    def __repr__(self) -> str:
        return f"Options({self._items!r})"

    def __reduce__(self):  # noqa: ANN204 - copy and pickle support
        return (Options, (self._items,))

"""What every tracker is given, and the run directory's memory of tracker runs (trackers.json),
so a resumed run continues the same MLflow or W&B run."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ganforge.config import Config, to_dict
from ganforge.runs import RunDir
from ganforge.training.sinks import Observer

TRACKER_FILE = "trackers.json"


@dataclass(frozen=True)
class TrackerContext:
    """A tracker starts from the resolved config, the run it mirrors and the step it starts at
    (0, or the resumed step); `say` writes a line to log.txt and the console."""

    config: Config
    run: RunDir
    start_step: int
    say: Callable[[str], None]

    def recall(self, name: str) -> dict[str, Any]:
        """What tracker `name` remembered in this run directory (empty for a new run)."""
        path = self.run.path / TRACKER_FILE
        try:
            return json.loads(path.read_text()).get(name, {})
        except (OSError, json.JSONDecodeError):
            return {}

    def remember(self, name: str, data: dict[str, Any]) -> None:
        path = self.run.path / TRACKER_FILE
        try:
            held = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            held = {}
        path.write_text(json.dumps({**held, name: data}, indent=1) + "\n")


Tracker = Callable[[TrackerContext], Observer]


def flat_config(config: Config) -> dict[str, str]:
    """The resolved config as dotted keys (`optim.d.lr`), the way trackers show parameters."""
    out: dict[str, str] = {}

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{prefix}.{key}" if prefix else str(key))
        else:
            out[prefix] = "null" if value is None else str(value)

    walk(to_dict(config), "")
    return out


def numbers(row: dict[str, Any]) -> dict[str, float]:
    """A metrics row's numbers, without its step (the tracker's own axis) and flags."""
    return {
        key: float(value)
        for key, value in row.items()
        if key != "step" and isinstance(value, int | float) and not isinstance(value, bool)
    }

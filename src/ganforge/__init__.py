"""ganforge: train, evaluate and compare GANs from one config file and one command.

In a notebook: `import ganforge as gf`, then `gf.train`, `gf.load`, `gf.evaluate`,
`gf.report`, `gf.presets`, `gf.Config.load` (see ganforge.api). They are imported on first use, so
`import ganforge` stays cheap for the command line and for scripts that import one module.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

API = (
    "Config",
    "Generator",
    "Report",
    "RunDir",
    "Samples",
    "evaluate",
    "load",
    "presets",
    "report",
    "resume",
    "train",
)
__all__ = [*API, "__version__"]


def __getattr__(name: str) -> Any:
    if name in API:
        return getattr(import_module("ganforge.api"), name)
    raise AttributeError(f"module 'ganforge' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *API])

"""Configuration: one frozen, validated object per run, built from YAML deltas and overrides."""

from ganforge.config.building import from_dict, to_dict
from ganforge.config.loading import (
    config_from_dict,
    dump_config,
    load_config,
    parse_overrides,
    preset_delta,
    preset_names,
)
from ganforge.config.options import Options
from ganforge.config.schema import (
    Config,
    DataConfig,
    EvalConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    OptimizerConfig,
    TrainConfig,
)
from ganforge.config.validation import validate

__all__ = [
    "Config",
    "DataConfig",
    "EvalConfig",
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "Options",
    "OptimizerConfig",
    "TrainConfig",
    "config_from_dict",
    "dump_config",
    "from_dict",
    "load_config",
    "parse_overrides",
    "preset_delta",
    "preset_names",
    "to_dict",
    "validate",
]

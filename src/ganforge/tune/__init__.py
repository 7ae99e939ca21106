"""Hyper-parameter search with Optuna (`ganforge tune`): a space file, trials as ordinary
run directories, pruning from evaluations during training, and a study in a real database.
Optuna is imported only when a search runs: `pip install 'ganforge[tune]'`."""

from ganforge.tune.space import Param, Space, load_space, parse_space

__all__ = ["Param", "Space", "load_space", "parse_space"]

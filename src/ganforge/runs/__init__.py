"""Run directories and what goes in them: metrics, logs, sample grids, plots."""

from ganforge.runs.directory import RunDir, next_run_path
from ganforge.runs.images import save_grid, save_points, save_samples
from ganforge.runs.plots import plot_losses

__all__ = ["RunDir", "next_run_path", "plot_losses", "save_grid", "save_points", "save_samples"]

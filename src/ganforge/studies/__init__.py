"""Studies: many runs compared as one. A study (YAML) expands into named points, `sweep` runs each
as an ordinary run directory, and `report` puts the run directories side by side in one page."""

from ganforge.studies.spec import Point, Study, expand, load_study, study_names
from ganforge.studies.sweep import sweep, threads_per_job

__all__ = ["Point", "Study", "expand", "load_study", "study_names", "sweep", "threads_per_job"]

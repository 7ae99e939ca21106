"""User-facing errors: each one is a single readable sentence the CLI prints as-is."""


class GanforgeError(Exception):
    """An error caused by the user's input (config, data, files), not by a bug in ganforge."""


class ConfigError(GanforgeError, ValueError):
    """The configuration is wrong: an unknown key, a bad value or an impossible combination."""


class DatasetError(GanforgeError):
    """A dataset is missing, unreadable or unsuitable for the requested run."""


class CheckpointError(GanforgeError):
    """A checkpoint or run directory cannot be read or does not fit the requested use."""


class TrainingDiverged(GanforgeError):
    """Training produced a non-finite loss or gradient and was stopped."""


class TrainingStopped(GanforgeError):
    """Training was asked to stop (SIGINT, SIGTERM) and stopped at a step with a checkpoint."""

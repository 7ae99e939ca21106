"""Bad input ends in one sentence before any work, and nothing a user or a run wrote is lost:
one file per command, the shared cases machinery in `cases.py`."""

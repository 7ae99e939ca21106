import sys

from ganforge.cli import run

sys.exit(run())

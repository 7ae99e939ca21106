"""Quality measures: registered metrics named by protocol (`fid10k`, `modes2.5k`), the Evaluator
that computes them, and the failure diagnostics used while training."""

from ganforge.metrics import kinds  # noqa: F401 - registers the metric kinds
from ganforge.metrics.evaluate import Evaluator
from ganforge.metrics.protocols import METRICS, check_best, check_metrics, metric

__all__ = ["METRICS", "Evaluator", "check_best", "check_metrics", "metric"]

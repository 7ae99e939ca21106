"""Evaluation during training (`eval.every`) and the best checkpoint (`eval.best_metric`)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.data import to_pixels
from ganforge.models import sample_latent
from ganforge.training.sources import fixed_labels


class TrainingEvaluation:
    """Scores the current (EMA) generator on eval.metrics and remembers the best value."""

    def __init__(self, config: Config, device: torch.device, log: Callable[[str], None]) -> None:
        self.config, self.device, self.log = config, device, log
        self.evaluator = None  # built on first use: it loads extractors and references
        self.best: float | None = None  # best value of eval.best_metric so far

    def __call__(
        self, sample: Callable[[Tensor, Tensor | None], Tensor], num_classes: int, step: int
    ) -> tuple[dict[str, float], bool]:
        """(results, whether eval.best_metric improved) for generator `sample(z, y)`."""
        from ganforge.metrics import Evaluator

        ev, model = self.config.eval, self.config.model
        if self.evaluator is None:
            self.evaluator = Evaluator(
                self.config.data,
                ev.metrics,
                ev.ref,
                ev.num_samples,
                ev.inception_weights,
                self.device,
                log=self.log,
                data_b=self.config.data_b,  # cogan's agreement metric reads its transform
            )
        n = self.evaluator.num_samples
        gen = torch.Generator(self.device).manual_seed(self.config.seed + 3)
        z = sample_latent(n, model.latent_dim, model.latent_dist, gen, self.device)
        y = fixed_labels(n, num_classes, self.device)
        chunks = []
        for i in range(0, n, 500):
            out = sample(z[i : i + 500], None if y is None else y[i : i + 500])
            chunks.append((to_pixels(out) if out.dim() == 4 else out).cpu())  # uint8: 4x less
        results = self.evaluator(torch.cat(chunks), None if y is None else y.cpu())
        self.log(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in results.items()))
        if not ev.best_metric:
            return results, False
        value = results[ev.best_metric]
        higher = self.evaluator.higher_is_better(ev.best_metric)
        improved = self.best is None or (value > self.best if higher else value < self.best)
        if improved:
            self.best = value
        return results, improved

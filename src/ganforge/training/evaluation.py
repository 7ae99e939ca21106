"""Evaluation during training (`eval.every`) and the best checkpoint (`eval.best_metric`)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.data import ArrayDataset, to_model_range, to_pixels
from ganforge.models import sample_latent
from ganforge.training.sources import fixed_labels

CHUNK = 500  # images generated (or translated) per forward pass


class TrainingEvaluation:
    """Scores the current (EMA) generator on eval.metrics and remembers the best value.

    A generator of latents is scored on fixed latents (and labels 0..K-1 in turn); a
    translating generator (cyclegan, dtn) on the first N images of domain A, translated and
    scored as domain B images with their A labels, exactly as `ganforge eval` does.
    """

    def __init__(
        self,
        config: Config,
        device: torch.device,
        log: Callable[[str], None],
        translate_from: ArrayDataset | None = None,
    ) -> None:
        self.config, self.device, self.log = config, device, log
        self.translate_from = translate_from  # domain A, for translating families
        self.evaluator = None  # built on first use: it loads extractors and references
        self.best: float | None = None  # best value of eval.best_metric so far

    def __call__(
        self, sample: Callable[[Tensor, Tensor | None], Tensor], num_classes: int, step: int
    ) -> tuple[dict[str, float], bool]:
        """(results, whether eval.best_metric improved) for generator `sample(z, y)`."""
        from ganforge.metrics import Evaluator

        ev = self.config.eval
        if self.evaluator is None:
            translating = self.translate_from is not None
            self.evaluator = Evaluator(
                self.config.data_b if translating else self.config.data,
                ev.metrics,
                ev.ref,
                ev.num_samples,
                ev.inception_weights,
                self.device,
                log=self.log,
                data_b=self.config.data_b,  # cogan's agreement metric reads its transform
            )
        n = self.evaluator.num_samples
        inputs, labels = self._inputs(n, num_classes)
        chunks = []
        for i in range(0, len(inputs), CHUNK):
            y = None if labels is None or self.translate_from else labels[i : i + CHUNK]
            out = sample(inputs[i : i + CHUNK].to(self.device), y)
            chunks.append((to_pixels(out) if out.dim() == 4 else out).cpu())  # uint8: 4x less
        results = self.evaluator(torch.cat(chunks), None if labels is None else labels.cpu())
        self.log(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in results.items()))
        if not ev.best_metric:
            return results, False
        value = results[ev.best_metric]
        higher = self.evaluator.higher_is_better(ev.best_metric)
        improved = self.best is None or (value > self.best if higher else value < self.best)
        if improved:
            self.best = value
        return results, improved

    def _inputs(self, n: int, num_classes: int) -> tuple[Tensor, Tensor | None]:
        """What the generator maps, and the labels its outputs should have."""
        if self.translate_from is not None:
            source = self.translate_from
            labels = None if source.labels is None else source.labels[:n]
            return to_model_range(source.data[:n]), labels
        model = self.config.model
        gen = torch.Generator(self.device).manual_seed(self.config.seed + 3)
        z = sample_latent(n, model.latent_dim, model.latent_dist, gen, self.device)
        return z, fixed_labels(n, num_classes, self.device)

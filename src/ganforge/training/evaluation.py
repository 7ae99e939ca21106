"""Evaluation during training (`eval.every`) and the best checkpoint (`eval.best_metric`)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.data import ArrayDataset, to_pixels
from ganforge.inputs import SeededInputs, draw_inputs, generation_chunk
from ganforge.latent_paths import LatentPaths
from ganforge.models import FAMILIES


class TrainingEvaluation:
    """Scores the current (EMA) generator on eval.metrics and remembers the best value.

    The generator is fed as its family samples it (fixed latents and labels 0..K-1 in turn,
    or domain A's first images for a translator) and scored against the data its outputs
    belong to, with the labels they should carry, exactly as `ganforge eval` does.
    """

    def __init__(
        self,
        config: Config,
        device: torch.device,
        log: Callable[[str], None],
        dataset: ArrayDataset | None = None,
    ) -> None:
        self.config, self.device, self.log = config, device, log
        self.dataset = dataset  # domain A as loaded for training (a translator's inputs)
        self.evaluator = None  # built on first use: it loads extractors and references
        self.best: float | None = None  # best value of eval.best_metric so far

    def __call__(
        self,
        sample: Callable[[Tensor, Tensor | None], Tensor],
        num_classes: int,
        step: int,
        paths: LatentPaths | None = None,
    ) -> tuple[dict[str, float], bool]:
        """(results, whether eval.best_metric improved) for generator `sample(x, y)`; `paths`,
        the same generator, for metrics that walk its latent space."""
        from ganforge.metrics import Evaluator

        ev = self.config.eval
        if self.evaluator is None:
            self.evaluator = Evaluator(
                FAMILIES.get(self.config.model.name).output_data(self.config),
                ev.metrics,
                ev.ref,
                ev.num_samples,
                ev.inception_weights,
                self.device,
                log=self.log,
                data_b=self.config.data_b,  # metrics of pairs read domain B's transform
                lpips_weights=ev.lpips_weights,
            )
        n = self.evaluator.num_samples
        gen = torch.Generator(self.device).manual_seed(self.config.seed + 3)
        source = SeededInputs(self.config, num_classes, gen, self.device, self.dataset, n)
        inputs = draw_inputs(self.config, source, 0, n)
        chunks, size = [], generation_chunk(self.device)
        for i in range(0, len(inputs.x), size):
            y = None if inputs.given is None else inputs.given[i : i + size]
            out = sample(inputs.x[i : i + size].to(self.device), y)
            chunks.append((to_pixels(out) if out.dim() == 4 else out).cpu())  # uint8: 4x less
        expected = None if inputs.expected is None else inputs.expected.cpu()
        results = self.evaluator(torch.cat(chunks), expected, paths)
        numbers = {k: v for k, v in results.items() if isinstance(v, int | float)}  # no lists
        self.log(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in numbers.items()))
        if not ev.best_metric:
            return results, False
        value = results[ev.best_metric]
        higher = self.evaluator.higher_is_better(ev.best_metric)
        improved = self.best is None or (value > self.best if higher else value < self.best)
        if improved:
            self.best = value
        return results, improved

"""Failure alarms raised while training: the failures seed 001 only found by looking afterwards.

* ``discriminator_wins``: D classifies (almost) every batch correctly, its loss has collapsed
  towards zero and the generator loss keeps growing: non-convergence with vanishing generator
  gradients.
* ``mode_collapse``: the samples from the fixed latent batch are far less diverse than real data
  (mean pairwise distance of generated samples over that of a real batch of the same size).
* ``oscillation``: D and G take turns winning: D's verdict on real vs fake flips back and forth
  while the generator loss swings by more than its own mean.

Each alarm fires once when its condition starts and again only after it has cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean, pstdev
from typing import Any

import torch
from torch import Tensor


@dataclass(frozen=True)
class Alarm:
    name: str
    step: int
    message: str


@dataclass(frozen=True)
class Thresholds:
    window: int = 20  # logged rows considered
    wins_accuracy: float = 0.98  # D accuracy on real and fake above this...
    wins_loss_ratio: float = 0.1  # ...and D loss below this fraction of its first value
    collapse_ratio: float = 0.25  # generated diversity below this fraction of real diversity
    oscillation_flips: float = 0.3  # fraction of rows where D's real/fake verdict flips
    oscillation_cv: float = 0.5  # std / mean of the generator loss


def pairwise_diversity(batch: Tensor) -> float:
    """Mean L2 distance between distinct pairs of a batch (flattened)."""
    flat = batch.detach().flatten(1).float()
    n = flat.shape[0]
    if n < 2:
        return 0.0
    dist = torch.cdist(flat, flat)  # (n, n)
    return (dist.sum() / (n * (n - 1))).item()


class FailureMonitor:
    """Watches logged rows and sample diversity and returns alarms as they start."""

    def __init__(self, has_accuracy: bool, thresholds: Thresholds | None = None) -> None:
        self.has_accuracy = has_accuracy
        self.t = thresholds or Thresholds()
        self.rows: list[dict[str, float]] = []
        self.first_d_loss: float | None = None
        self.active: set[str] = set()

    def observe_row(self, row: dict[str, Any]) -> list[Alarm]:
        keep = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc_real", "d_acc_fake")
        self.rows.append({k: float(row[k]) for k in keep if k in row})
        self.rows = self.rows[-self.t.window :]
        if self.first_d_loss is None:
            self.first_d_loss = abs(float(row["d_loss"])) or 1e-12
        if len(self.rows) < self.t.window:
            return []
        step = int(row["step"])
        alarms = [
            self._toggle("discriminator_wins", self._wins(), step),
            self._toggle("oscillation", self._oscillation(), step),
        ]
        return [a for a in alarms if a is not None]

    def observe_diversity(self, step: int, generated: float, real: float) -> list[Alarm]:
        ratio = generated / real if real > 0 else 1.0
        message = None
        if ratio < self.t.collapse_ratio:
            message = (
                f"mode collapse at step {step}: the fixed-latent samples are only "
                f"{ratio:.0%} as diverse as real data (mean pairwise distance); the "
                "generator maps different z to nearly the same output. Try a lower "
                "learning rate, a Wasserstein/hinge loss with a gradient penalty, or "
                "minibatch features"
            )
        alarm = self._toggle("mode_collapse", message, step)
        return [alarm] if alarm else []

    def _wins(self) -> str | None:
        if not self.has_accuracy or any("d_acc_real" not in r for r in self.rows):
            return None
        acc_real = fmean(r["d_acc_real"] for r in self.rows)
        acc_fake = fmean(r["d_acc_fake"] for r in self.rows)
        d_loss = fmean(r["d_loss"] for r in self.rows)
        half = len(self.rows) // 2
        g_early = fmean(r["g_loss"] for r in self.rows[:half])
        g_late = fmean(r["g_loss"] for r in self.rows[half:])
        if (
            min(acc_real, acc_fake) >= self.t.wins_accuracy
            and d_loss <= self.t.wins_loss_ratio * self.first_d_loss
            and g_late > g_early
        ):
            return (
                f"the discriminator wins: accuracy {acc_real:.0%} on real and {acc_fake:.0%}"
                f" on fake, D loss {d_loss:.3g} while the generator loss grows "
                f"({g_early:.3g} -> {g_late:.3g}); training has stopped converging and "
                "the generator's gradients vanish. Try a lower optim.d.lr, "
                "loss.label_smoothing=0.1, or the nonsaturating/lsgan loss"
            )
        return None

    def _oscillation(self) -> str | None:
        gaps = [r["d_real"] - r["d_fake"] for r in self.rows]
        flips = sum((a > 0) != (b > 0) for a, b in zip(gaps, gaps[1:], strict=False))
        g = [r["g_loss"] for r in self.rows]
        mean_g = abs(fmean(g)) or 1e-12
        cv = pstdev(g) / mean_g
        if flips / (len(gaps) - 1) >= self.t.oscillation_flips and cv >= self.t.oscillation_cv:
            return (
                f"oscillation: D's verdict on real vs fake flipped in {flips} of the last "
                f"{len(gaps) - 1} logged intervals and the generator loss swings by "
                f"{cv:.0%} of its mean; the two networks are chasing each other. Try "
                "lower learning rates or beta1=0.5"
            )
        return None

    def _toggle(self, name: str, message: str | None, step: int) -> Alarm | None:
        if message is None:
            self.active.discard(name)
            return None
        if name in self.active:
            return None
        self.active.add(name)
        return Alarm(name, step, message)

    def state_dict(self) -> dict[str, Any]:
        return {
            "rows": [dict(r) for r in self.rows],
            "first_d_loss": self.first_d_loss,
            "active": sorted(self.active),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rows = [dict(r) for r in state["rows"]]
        self.first_d_loss = state["first_d_loss"]
        self.active = set(state["active"])

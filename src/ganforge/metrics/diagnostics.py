"""Failure alarms raised while training: the failures Akel 2022 only found by looking afterwards.

* ``discriminator_wins``: D classifies (almost) every batch correctly, its loss has collapsed
  towards zero and the generator loss keeps growing: non-convergence with vanishing generator
  gradients.
* ``mode_collapse``: the diversity of the samples from the fixed latent batch (their mean pairwise
  distance over that of a real batch of the same size) has dropped well below its own peak and
  below a quarter of real data's, or the samples are practically identical. A generator starts
  out with little diversity, so a low value alone early in training is not collapse.
* ``class_collapse``: the domain classifier's class histogram of the samples (the ``classes``
  metric, at each evaluation) is far from the data's: KL above log 2, as far as a generator that
  draws only half of ten equally frequent classes. Pixel diversity misses a generator that draws
  many styles of one digit; the classes do not.
* ``oscillation``: D and G take turns winning: D(x) - D(G(z)) changes sign, beyond a noise band,
  again (a full cycle or more) while the generator loss swings widely.

Each alarm fires once when its condition starts and again only after it has cleared.
"""

from __future__ import annotations

import math
import re
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
    window: int = 20  # logged rows considered by the discriminator-wins check
    oscillation_window: int = 40  # logged rows considered by the oscillation check
    wins_accuracy: float = 0.98  # D accuracy on real and fake above this...
    wins_loss_ratio: float = 0.1  # ...and D loss below this fraction of its first value
    collapse_ratio: float = 0.25  # generated diversity below this fraction of real diversity...
    collapse_drop: float = 0.5  # ...and below this fraction of its own peak so far
    identical_ratio: float = 0.02  # below this the samples are practically one image
    oscillation_band: float = 0.05  # |D(x) - D(G(z))| below this is noise, not a verdict
    oscillation_flips: int = 2  # sign changes of the verdict within the window (a full cycle)
    oscillation_cv: float = 0.3  # std / mean of the generator loss
    class_kl: float = math.log(2)  # KL(samples' class histogram || data's) at or above this


CLASSES_METRIC = re.compile(r"classes\d+k")  # the KL entry of the `classes` metric


def class_collapse(results: dict[str, float], thresholds: Thresholds | None = None) -> str | None:
    """The class_collapse message for an evaluation's results, or None when the classes are
    spread as in the data (or no `classes` metric was computed)."""
    limit = (thresholds or Thresholds()).class_kl
    for key, kl in results.items():
        if CLASSES_METRIC.fullmatch(key) and kl >= limit:
            covered = results.get(f"{key}_covered")
            seen = f"; {covered:.0f} classes appear at all" if covered is not None else ""
            return (
                f"the domain classifier's class histogram of the samples is {kl:.2f} nats "
                f"(KL) from the data's{seen}: the generator draws a few classes and drops "
                "the others. Try a Wasserstein/hinge loss with a gradient penalty, a lower "
                "learning rate, or a conditional model"
            )
    return None


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
        self.peak_diversity = 0.0
        self.clear_rows: dict[str, int] = {}

    def observe_row(self, row: dict[str, Any]) -> list[Alarm]:
        keep = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc_real", "d_acc_fake")
        self.rows.append({k: float(row[k]) for k in keep if k in row})
        self.rows = self.rows[-max(self.t.window, self.t.oscillation_window) :]
        if self.first_d_loss is None:
            self.first_d_loss = abs(float(row["d_loss"])) or 1e-12
        step = int(row["step"])
        alarms = [
            self._toggle("discriminator_wins", self._wins(), step),
            self._toggle("oscillation", self._oscillation(), step),
        ]
        return [a for a in alarms if a is not None]

    def observe_diversity(self, step: int, generated: float, real: float) -> list[Alarm]:
        ratio = generated / real if real > 0 else 1.0
        self.peak_diversity = max(self.peak_diversity, ratio)
        dropped = (
            ratio < self.t.collapse_ratio and ratio < self.t.collapse_drop * self.peak_diversity
        )
        # a freshly initialised generator also maps every z to nearly one image, so "identical"
        # counts only once a window of rows has been trained
        identical = ratio < self.t.identical_ratio and len(self.rows) >= self.t.window
        message = None
        if dropped or identical:
            message = (
                "the fixed-latent samples are only "
                f"{ratio:.0%} as diverse as real data (mean pairwise distance); the "
                "generator maps different z to nearly the same output. Try a lower "
                "learning rate, a Wasserstein/hinge loss with a gradient penalty, or "
                "minibatch features"
            )
        alarm = self._toggle("mode_collapse", message, step)
        return [alarm] if alarm else []

    def observe_evaluation(self, step: int, results: dict[str, float]) -> list[Alarm]:
        alarm = self._toggle("class_collapse", class_collapse(results, self.t), step)
        return [alarm] if alarm else []

    def _wins(self) -> str | None:
        rows = self.rows[-self.t.window :]
        if (
            not self.has_accuracy
            or len(rows) < self.t.window
            or any("d_acc_real" not in r for r in rows)
        ):
            return None
        acc_real = fmean(r["d_acc_real"] for r in rows)
        acc_fake = fmean(r["d_acc_fake"] for r in rows)
        d_loss = fmean(r["d_loss"] for r in rows)
        half = len(rows) // 2
        g_early = fmean(r["g_loss"] for r in rows[:half])
        g_late = fmean(r["g_loss"] for r in rows[half:])
        if (
            min(acc_real, acc_fake) >= self.t.wins_accuracy
            and d_loss <= self.t.wins_loss_ratio * self.first_d_loss
            and g_late > g_early
        ):
            return (
                f"accuracy {acc_real:.0%} on real and {acc_fake:.0%} on fake, D loss "
                f"{d_loss:.3g} while the generator loss grows "
                f"({g_early:.3g} -> {g_late:.3g}); training has stopped converging and "
                "the generator's gradients vanish. Try a lower optim.d.lr, "
                "loss.label_smoothing=0.1, or the nonsaturating/lsgan loss"
            )
        return None

    def _oscillation(self) -> str | None:
        rows = self.rows[-self.t.oscillation_window :]
        if not self.has_accuracy or len(rows) < self.t.oscillation_window:
            return None
        flips, sign = 0, 0
        for r in rows:
            gap = r["d_real"] - r["d_fake"]
            if abs(gap) >= self.t.oscillation_band:
                new_sign = 1 if gap > 0 else -1
                flips += sign != 0 and new_sign != sign
                sign = new_sign
        g = [r["g_loss"] for r in rows]
        cv = pstdev(g) / (abs(fmean(g)) or 1e-12)
        if flips >= self.t.oscillation_flips and cv >= self.t.oscillation_cv:
            return (
                f"D's verdict on real vs fake reversed {flips} times in the "
                f"last {len(rows)} logged rows and the generator loss swings by {cv:.0%} "
                "of its mean; the two networks are chasing each other instead of "
                "converging. Try lower learning rates or optim.*.beta1=0.5"
            )
        return None

    def _toggle(self, name: str, message: str | None, step: int) -> Alarm | None:
        if message is None:
            # an alarm re-arms only after a full window without its condition, so a flickering
            # condition is reported once rather than every few rows
            self.clear_rows[name] = self.clear_rows.get(name, 0) + 1
            if self.clear_rows[name] >= self.t.window:
                self.active.discard(name)
            return None
        self.clear_rows[name] = 0
        if name in self.active:
            return None
        self.active.add(name)
        return Alarm(name, step, message)

    def state_dict(self) -> dict[str, Any]:
        return {
            "rows": [dict(r) for r in self.rows],
            "first_d_loss": self.first_d_loss,
            "active": sorted(self.active),
            "peak_diversity": self.peak_diversity,
            "clear_rows": dict(self.clear_rows),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rows = [dict(r) for r in state["rows"]]
        self.first_d_loss = state["first_d_loss"]
        self.active = set(state["active"])
        self.peak_diversity = float(state["peak_diversity"])
        self.clear_rows = dict(state["clear_rows"])

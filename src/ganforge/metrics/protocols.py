"""Metrics named by protocol: `fid10k` is FID on 10,000 generated samples against 10,000
reference images (or all of a smaller reference set), `fid5k` is seed 001's protocol."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ganforge.registry import Registry


@dataclass(frozen=True)
class Protocol:
    kind: str  # fid | is | kid | fid_domain | classes
    count: int  # generated samples (and reference images for fid/kid)
    extractor: str  # inception | domain
    higher_is_better: bool


METRICS: Registry[Protocol] = Registry("metric")
_KINDS = {
    "fid": ("inception", False, "Frechet Inception Distance"),
    "is": ("inception", True, "Inception Score"),
    "kid": ("inception", False, "Kernel Inception Distance"),
    "fid_domain": ("domain", False, "FID in the domain classifier's feature space"),
    "classes": ("domain", False, "KL of generated vs data class histogram"),
    "modes": ("domain", True, "modes captured (2-D mixtures, Stacked MNIST)"),
}
for _kind, (_extractor, _higher, _text) in _KINDS.items():
    for _k in (1, 2, 5, 10, 50):
        METRICS.add(
            f"{_kind}{_k}k",
            Protocol(_kind, _k * 1000, _extractor, _higher),
            f"{_text} on {_k * 1000:,} samples",
        )
# the papers' own sample counts: 2,500 points (VEEGAN, PacGAN), 26,000 Stacked MNIST images
METRICS.add("modes2.5k", Protocol("modes", 2500, "domain", True), "VEEGAN/PacGAN 2-D")
METRICS.add("modes26k", Protocol("modes", 26000, "domain", True), "PacGAN Stacked MNIST")


def protocol(name: str, num_samples: int | None = None) -> Protocol:
    """The registered protocol, with the sample count overridden when asked (tests, previews)."""
    spec = METRICS.get(name)
    return dataclasses.replace(spec, count=num_samples) if num_samples else spec

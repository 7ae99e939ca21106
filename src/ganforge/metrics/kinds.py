"""The metric kinds: one function each, registered with what it needs.

A metric function receives the `Inputs` of one evaluation (generated samples, their features,
reference features, the data's labels; each computed once and shared) and returns its values
by key suffix: "" is the metric's own name (`fid10k`), "std" becomes `is10k_std`. Adding a
metric is one function and its `@metric` line here.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import torch

from ganforge.data.toy import TOY_MIXTURES
from ganforge.errors import GanforgeError
from ganforge.metrics.infinity import fid_infinity, is_infinity
from ganforge.metrics.manifold import DC_K, PR_K
from ganforge.metrics.modes import stacked_modes, toy_coverage
from ganforge.metrics.path_length import trimmed_mean
from ganforge.metrics.protocols import (
    CLASSES_ASKED,
    LABELLED_IMAGES,
    PATHS_W,
    PATHS_Z,
    SIZES,
    Needs,
    metric,
)
from ganforge.metrics.scores import (
    class_histogram_kl,
    frechet_distance,
    inception_score,
    kernel_distance,
    statistics,
)

if TYPE_CHECKING:
    from ganforge.metrics.evaluate import Inputs


@metric("fid", extractor="inception", higher_is_better=False)
def fid(x: Inputs) -> dict[str, float]:
    """Frechet Inception Distance"""
    return {"": frechet_distance(statistics(x.features().pool), statistics(x.reference().pool))}


@metric("is", extractor="inception", higher_is_better=True)
def inception(x: Inputs) -> dict[str, float]:
    """Inception Score"""
    mean, std = inception_score(x.features().logits)
    return {"": mean, "std": std}


@metric("kid", extractor="inception", higher_is_better=False)
def kid(x: Inputs) -> dict[str, float]:
    """Kernel Inception Distance"""
    mean, std = kernel_distance(x.features().pool, x.reference().pool)
    return {"": mean, "std": std}


@metric("fid_domain", extractor="domain", higher_is_better=False)
def fid_domain(x: Inputs) -> dict[str, float]:
    """FID in the domain classifier's feature space"""
    return {"": frechet_distance(statistics(x.features().pool), statistics(x.reference().pool))}


@metric("classes", extractor="domain", higher_is_better=False)
def classes(x: Inputs) -> dict[str, float]:
    """KL of generated vs data class histogram"""
    logits = x.features().logits
    kl, covered = class_histogram_kl(logits.argmax(1), x.labels(), logits.shape[1])
    return {"": kl, "covered": float(covered)}


@metric("accuracy", extractor="domain", higher_is_better=True, needs=CLASSES_ASKED)
def accuracy(x: Inputs) -> dict[str, float]:
    """Domain classifier's accuracy on the classes a conditional generator was asked for"""
    predicted = x.features().logits.argmax(1).cpu()
    requested = x.requested_labels().cpu()
    if len(requested) != len(predicted):
        raise ValueError(f"{len(predicted)} samples but {len(requested)} requested labels")
    return {"": (predicted == requested.long()).float().mean().item()}


def precision_recall(x: Inputs) -> dict[str, float]:
    """Precision and recall, k=3 (Kynkaanniemi et al. 2019)

    How realistic the samples are, and how much of the data they cover (metrics/manifold.py).
    """
    found = x.manifolds()[PR_K]
    return {"precision": found.precision, "recall": found.recall}


def density_coverage(x: Inputs) -> dict[str, float]:
    """Density and coverage, k=5 (Naeem et al. 2020)

    Precision and recall made robust to the data's outliers (metrics/manifold.py).
    """
    found = x.manifolds()[DC_K]
    return {"density": found.density, "coverage": found.coverage}


def frechet_infinity(x: Inputs) -> dict:
    """FID extrapolated to infinitely many samples (Chong & Forsyth 2020)

    FID of nested subsets fitted in 1/N and read at 1/N = 0, so values at different sample
    counts compare; the row keeps the slope and the fit's (N, FID) points.
    """
    return fid_infinity(x.features().pool, x.reference().pool)


def intra_class_fid(x: Inputs) -> dict[str, float]:
    """Intra-class FID: the mean over classes of FID between the samples asked for class c
    and the data of class c (StudioGAN's IFID)

    A conditional generator can score a good FID while drawing the wrong class for a label;
    this catches it. Classes with fewer than two samples on either side are skipped.
    """
    fake, asked = x.features().pool, x.requested_labels().to(torch.long).cpu()
    real, classes = x.reference().pool, x.reference_labels().to(torch.long).cpu()
    per_class = {}
    for c in sorted(set(asked.tolist()) & set(classes.tolist())):
        mine, theirs = fake[asked == c], real[classes == c]
        if len(mine) > 1 and len(theirs) > 1:
            per_class[c] = frechet_distance(statistics(mine), statistics(theirs))
    if not per_class:
        raise GanforgeError("no class has two samples and two reference images to compare")
    return {"": sum(per_class.values()) / len(per_class), "classes": float(len(per_class))}


@metric("is_inf", extractor="inception", higher_is_better=True)
def inception_infinity(x: Inputs) -> dict:
    """Inception Score extrapolated to infinitely many samples (Chong & Forsyth 2020)"""
    return is_infinity(x.features().logits)


# one function, two feature spaces: Inception's, and the offline domain classifier's
for _space, _extractor in (("", "inception"), ("_domain", "domain")):
    pr_keys, dc_keys = ("precision", "recall"), ("density", "coverage")
    metric(f"pr{_space}", extractor=_extractor, higher_is_better=True, keys=pr_keys)(
        precision_recall
    )
    metric(f"dc{_space}", extractor=_extractor, higher_is_better=True, keys=dc_keys)(
        density_coverage
    )
    metric(f"fid{_space}_inf", extractor=_extractor, higher_is_better=False)(frechet_infinity)
    metric(f"ifid{_space}", extractor=_extractor, higher_is_better=False, needs=CLASSES_ASKED)(
        intra_class_fid
    )


def path_length(x: Inputs) -> dict[str, float]:
    """Perceptual path length, end points, LPIPS VGG16 (Karras et al. 2019)

    How far the image moves, perceptually, for a step of 1e-4 along a latent path: short in a
    smooth latent space, long where G jumps between modes (metrics/path_length.py).
    """
    return {"": trimmed_mean(x.path_lengths(perceptual=True))}


def path_length_domain(x: Inputs) -> dict[str, float]:
    """Path length in the domain classifier's features (no LPIPS weights needed)

    Karras et al.'s protocol with the squared distance of unit-length domain classifier
    features in place of LPIPS: for offline machines; its numbers are not LPIPS PPLs.
    """
    return {"": trimmed_mean(x.path_lengths(perceptual=False))}


for _needs in (PATHS_Z, PATHS_W):
    _space = _needs.latent
    metric(f"ppl_{_space}", extractor=None, needs=_needs, higher_is_better=False)(path_length)
    _domain_needs = dataclasses.replace(LABELLED_IMAGES, latent=_space)
    metric(f"ppl_domain_{_space}", extractor="domain", needs=_domain_needs, higher_is_better=False)(
        path_length_domain
    )


MODE_DATA = Needs(
    "2-D mixture points (toy_ring, toy_grid) or stacked_mnist",
    lambda cfg, shape: cfg.name in TOY_MIXTURES or cfg.name == "stacked_mnist",
)


# the papers' own sample counts too: 2,500 points (VEEGAN, PacGAN), 26,000 Stacked MNIST images
@metric(
    "modes", extractor=None, needs=MODE_DATA, higher_is_better=True, sizes=(*SIZES, 2500, 26000)
)
def modes(x: Inputs) -> dict[str, float]:
    """Modes captured (2-D mixtures, Stacked MNIST)"""
    if x.data.name in TOY_MIXTURES:
        coverage = toy_coverage(x.data.name, x.points())
        return {"": coverage["modes"], **coverage}
    from ganforge.data.stacked import mnist_source

    classifier, accuracy = x.classifier(mnist_source(x.data))
    images = x.pixels()  # (N, 3, H, W): one digit per channel
    labels = torch.stack(
        [x.extract(classifier, images[:, c : c + 1]).logits.argmax(1) for c in range(3)], 1
    )
    coverage = stacked_modes(labels)
    return {"": coverage["modes"], **coverage, "classifier_accuracy": accuracy}


PAIRS = Needs(
    "image pairs side by side (a coupled G's)", lambda cfg, shape: len(shape) == 3, pairs=True
)


@metric("agreement", extractor=None, needs=PAIRS, higher_is_better=True)
def agreement(x: Inputs) -> dict[str, float]:
    """CoGAN pixel agreement: B image vs the known transform of the A image of each pair"""
    from ganforge.data import DERIVATIONS

    derive = x.data_b.derive if x.data_b is not None else None
    transform = DERIVATIONS.get(derive).transform if derive else None
    if transform is None:
        raise GanforgeError(
            "the agreement metric needs domain B derived from domain A by a fixed transform "
            f"(data_b.derive=invert or edges); this run's data_b.derive is {derive}"
        )
    pairs = x.pixels()  # (N, C, H, 2W): A | B, as a coupled generator draws them
    if pairs.shape[-1] != 2 * pairs.shape[-2]:  # square images: one domain's, not a pair
        raise GanforgeError(
            f"the agreement metric needs {PAIRS.text}; these samples are "
            f"{'x'.join(map(str, pairs.shape[1:]))} images of one domain"
        )
    a, b = pairs.chunk(2, dim=-1)
    return {"": pixel_agreement(transform(a), b)}


def pixel_agreement(expected: torch.Tensor, got: torch.Tensor) -> float:
    """Mean over images of the fraction of pixels on the same side of mid grey (uint8)."""
    same = (expected >= 128) == (got >= 128)  # (N, C, H, W)
    return same.flatten(1).float().mean(1).mean().item()


@metric("preservation", extractor="domain", higher_is_better=True, needs=CLASSES_ASKED)
def preservation(x: Inputs) -> dict[str, float]:
    """Label preservation: domain B's classifier finds the source label in translated images"""
    predicted = x.features().logits.argmax(1).cpu()
    source = x.requested_labels().cpu()
    return {"": (predicted == source.long()).float().mean().item()}

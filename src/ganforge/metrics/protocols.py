"""What a metric is: one registered function, the sizes it is offered at, and what it needs.

Metric names state the protocol: `fid10k` is FID on 10,000 generated samples against 10,000
reference images (or all of a smaller reference set), `fid5k` is Akel 2022's protocol. A metric
kind registers once with `@metric(...)` and is offered under one name per size. What it needs
from the data is checked from the `DataConfig` alone, so a run that cannot give it is refused
before any data loads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ganforge.config import DataConfig
from ganforge.errors import ConfigError
from ganforge.registry import Registry

if TYPE_CHECKING:
    from ganforge.metrics.evaluate import Inputs

Extractor = Literal["inception", "domain"]
SIZES = (1_000, 2_000, 5_000, 10_000, 50_000)


@dataclass(frozen=True)
class Needs:
    """What a metric needs from the data, decided from the config and the dataset's shape."""

    text: str  # completes "the fid10k metric needs ..."
    accepts: Callable[[DataConfig, tuple[int, ...]], bool]
    pairs: bool = False  # it scores A | B pairs side by side; the others, images like the data
    labels: bool = False  # each sample must come with the class it should show
    latent: str | None = None  # it walks the generator's latent space "z" or "w" (path length)


def _labelled_images(cfg: DataConfig, shape: tuple[int, ...]) -> bool:
    # the domain classifier learns the dataset's own classes in grey; Stacked MNIST's 1,000
    # codes span three channels (its modes metric uses an MNIST classifier per channel)
    from ganforge.data import DATASETS

    return len(shape) == 3 and DATASETS.get(cfg.name).labelled and cfg.name != "stacked_mnist"


IMAGES = Needs("images", lambda cfg, shape: len(shape) == 3)
LABELLED_IMAGES = Needs(
    "labelled images (digits, mnist, fashion_mnist, cifar10, or an .npz file or folder "
    "with labels)",
    _labelled_images,
)
EXTRACTOR_NEEDS: dict[str, Needs] = {"inception": IMAGES, "domain": LABELLED_IMAGES}
# the class each sample should show (a conditional G's request, a translator's source label)
CLASSES_ASKED = dataclasses.replace(LABELLED_IMAGES, labels=True)
# path metrics need the generator itself; LPIPS measures any images, pairs side by side too
PATHS_Z = Needs("images from a generator with a latent", IMAGES.accepts, pairs=True, latent="z")
PATHS_W = dataclasses.replace(PATHS_Z, text="images from a style-based generator", latent="w")

Score = Callable[["Inputs"], dict[str, float]]


@dataclass(frozen=True)
class MetricKind:
    """One registered metric function and what it needs."""

    name: str
    score: Score  # Inputs -> {suffix: value}; the suffix "" is the metric's own name
    extractor: Extractor | None
    needs: Needs
    higher_is_better: bool
    keys: tuple[str, ...] = ("",)  # the suffixes that are scores (not spreads, not counts)


@dataclass(frozen=True)
class Protocol:
    """A metric kind at one sample count: what `fid10k` names."""

    kind: MetricKind
    count: int  # generated samples (and reference images for fid/kid)

    @property
    def higher_is_better(self) -> bool:
        return self.kind.higher_is_better

    @property
    def extractor(self) -> Extractor | None:
        return self.kind.extractor


METRICS: Registry[Protocol] = Registry("metric")


def protocol_name(kind: str, count: int) -> str:
    """'fid', 10000 -> 'fid10k'; 'modes', 2500 -> 'modes2.5k'."""
    return f"{kind}{count / 1000:g}k"


def metric(
    name: str,
    *,
    extractor: Extractor | None,
    higher_is_better: bool,
    needs: Needs | None = None,
    sizes: Sequence[int] = SIZES,
    keys: tuple[str, ...] = ("",),
) -> Callable[[Score], Score]:
    """Register a metric function under `name` at every size in `sizes` (`fid1k`, `fid2k`...).

    `needs` defaults to what the extractor needs (images for Inception, labelled images for
    the domain classifier). `keys` are the suffixes of the values that score the generator in
    the metric's direction, and so may be `eval.best_metric` ("": the metric's own name).
    """
    if needs is None:
        if extractor is None:
            raise ValueError(f"metric '{name}' has no extractor; say what it needs")
        needs = EXTRACTOR_NEEDS[extractor]

    def register(score: Score) -> Score:
        kind = MetricKind(name, score, extractor, needs, higher_is_better, keys)
        text = (score.__doc__ or name).strip().splitlines()[0].rstrip(".")
        for count in sizes:
            METRICS.add(
                protocol_name(name, count), Protocol(kind, count), f"{text} on {count:,} samples"
            )
        return score

    return register


def protocol(name: str, num_samples: int | None = None) -> Protocol:
    """The registered protocol, with the sample count overridden when asked (tests, previews)."""
    spec = METRICS.get(name)
    return dataclasses.replace(spec, count=num_samples) if num_samples else spec


def describe(cfg: DataConfig, shape: tuple[int, ...]) -> str:
    """'digits (1x8x8 images)', 'toy_ring (2-D points)'."""
    if len(shape) == 3:
        return f"{cfg.name} ({'x'.join(map(str, shape))} images)"
    return f"{cfg.name} ({shape[0]}-D points)"


def _pairs(shape: tuple[int, ...] | None) -> bool:
    """Generated images twice as wide as tall: A | B pairs of square images (a data set of
    its own 2:1 images would read as pairs too; no shipped data set is one)."""
    return shape is not None and len(shape) == 3 and shape[-1] == 2 * shape[-2]


def check_metrics(
    names: Sequence[str],
    data: DataConfig,
    output_shape: tuple[int, ...] | None = None,
    labelled_outputs: bool | None = None,
    latent_spaces: Sequence[str] | None = None,
) -> None:
    """Refuse unknown metric names and metrics whose input `data` cannot give, in one sentence;
    with `output_shape` (one generated sample), also a metric that compares generated images
    with the data's when they are not of one kind (a coupled generator's pairs); with
    `labelled_outputs` False, a metric that needs each sample's intended class; with
    `latent_spaces` (the generator's: z, w), a path metric in a space it does not have.

    Cheap: reads the dataset's shape (an .npz header at most), never the data itself.
    """
    from ganforge.data import dataset_shape

    specs = {name: METRICS.get(name) for name in names}
    if not specs:
        return
    shape = dataset_shape(data)
    for name, spec in specs.items():
        if not spec.kind.needs.accepts(data, shape):
            raise ConfigError(
                f"the {name} metric needs {spec.kind.needs.text}; "
                f"this run's data is {describe(data, shape)}"
            )
        if labelled_outputs is False and spec.kind.needs.labels:
            raise ConfigError(
                f"the {name} metric needs each sample's intended class: a conditional generator "
                "(model.conditional) or a translator; this run's generator is unconditional"
            )
        _check_latent(name, spec.kind.needs.latent, latent_spaces)
        if _pairs(output_shape) and not spec.kind.needs.pairs:
            side = "x".join(map(str, output_shape))
            raise ConfigError(
                f"the {name} metric compares generated images with the data's images, and "
                f"this generator makes {side} pairs side by side; score pairs with the "
                "agreement metric"
            )


def _check_latent(name: str, space: str | None, spaces: Sequence[str] | None) -> None:
    if space is None or spaces is None or space in spaces:
        return
    has = f"only {' and '.join(spaces)}" if spaces else "none (it translates images)"
    raise ConfigError(
        f"the {name} metric walks a generator's {space} space; this generator's latent "
        f"spaces: {has}"
    )


def scored_keys(names: Sequence[str]) -> dict[str, Protocol]:
    """Every row key that `names` log and that scores a generator (fid10k, pr10k_recall),
    with the protocol that decides its direction: what `eval.best_metric` may name."""
    out = {}
    for name in names:
        spec = METRICS.get(name)
        out.update({f"{name}_{k}" if k else name: spec for k in spec.kind.keys})
    return out


def check_best(best: str | None, names: Sequence[str]) -> None:
    """Refuse an `eval.best_metric` that no metric of `names` logs as a score."""
    keys = scored_keys(names)
    if best is not None and best not in keys:
        raise ConfigError(
            f"eval.best_metric={best} is not a score that eval.metrics logs; choose one of "
            f"{', '.join(keys)}"
        )

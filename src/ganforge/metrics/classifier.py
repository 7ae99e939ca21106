"""Domain classifiers for small grayscale datasets (digits, MNIST, Fashion-MNIST).

Inception features describe 8x8 or 28x28 grey digits poorly and cannot be downloaded offline, so
ganforge trains a small CNN once per labelled dataset, caches it, and uses it as a second
feature extractor (`fid_domain`), to label generated samples (class histograms, Stacked MNIST)
and, for conditional models, to check generated samples against requested labels.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from ganforge.config import DataConfig
from ganforge.data import ArrayDataset, load_dataset, to_model_range
from ganforge.errors import GanforgeError
from ganforge.metrics.cache import cache_dir, dataset_key
from ganforge.metrics.features import ClassifierExtractor
from ganforge.models.classifier import DigitClassifier
from ganforge.progress import progress

# The recipe: one pass over MNIST (469 updates of 128; at least MIN_UPDATES for small sets)
# with a one-cycle learning rate up to 3e-3, channels-last convolutions and one-pixel shifts:
# 99.2% MNIST test accuracy, where four passes at a constant 1e-3 took 3-15 minutes on two CPU
# cores. Changing any of these changes every domain feature, so RECIPE names the cached
# weights and the reference features computed with them: a new recipe never meets an old cache.
RECIPE = "r2"
EPOCHS = 1
BATCH = 128
PEAK_LR = 3e-3
MIN_UPDATES = 400


def _splits(cfg: DataConfig) -> tuple[ArrayDataset, ArrayDataset]:
    """Train and test sets: the dataset's own test split, a sibling *_test.npz, or 10% held out.

    `cfg` is the full grey training split (see `domain_classifier`).
    """
    train = load_dataset(cfg)
    if train.labels is None or train.num_classes < 2:
        raise GanforgeError(
            f"domain features need class labels, and the dataset '{cfg.name}' "
            "has none; use digits, mnist, fashion_mnist or an .npz with labels"
        )
    if cfg.name == "npz":
        sibling = Path(cfg.path).with_name(Path(cfg.path).name.replace("_train", "_test"))
        if sibling != Path(cfg.path) and sibling.exists():
            return train, load_dataset(dataclasses.replace(cfg, path=str(sibling)))
        cut = int(len(train) * 0.9)
        test = ArrayDataset(train.data[cut:], train.labels[cut:], train.num_classes, train.name)
        train = ArrayDataset(train.data[:cut], train.labels[:cut], train.num_classes, train.name)
        return train, test
    return train, load_dataset(dataclasses.replace(cfg, split="test"))


def accuracy(model: DigitClassifier, data: ArrayDataset, device: torch.device) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(data), 1000):
            x = to_model_range(data.data[start : start + 1000]).to(device)
            correct += (model(x).argmax(1).cpu() == data.labels[start : start + 1000]).sum().item()
    return correct / len(data)


def train_classifier(
    train: ArrayDataset,
    test: ArrayDataset,
    device: torch.device,
    epochs: int = EPOCHS,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> tuple[DigitClassifier, float]:
    """A classifier of `train`'s classes and its accuracy on `test`; `log` gets a progress
    line every 30 s where no terminal shows the bar (a job's log: the first training of an
    MNIST classifier takes minutes on a CPU)."""
    with torch.random.fork_rng(devices=[]):  # leave the caller's RNG (a training run) untouched
        torch.manual_seed(seed)
        model = DigitClassifier(train.shape[-1], train.num_classes).to(device)
        return _fit(model, train, test, device, epochs, seed, log)


def _fit(
    model: DigitClassifier,
    train: ArrayDataset,
    test: ArrayDataset,
    device: torch.device,
    epochs: int,
    seed: int,
    log: Callable[[str], None] | None = None,
) -> tuple[DigitClassifier, float]:
    # small sets (1,500 digits) need more passes than MNIST to converge
    epochs = max(epochs, -(-MIN_UPDATES * BATCH // len(train)))
    batches = -(-len(train) // BATCH)
    opt = torch.optim.Adam(model.parameters(), PEAK_LR)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, PEAK_LR, total_steps=epochs * batches)
    gen = torch.Generator().manual_seed(seed)
    model.to(memory_format=torch.channels_last)  # 2x faster CPU convolutions, same maths
    bar = progress(total=epochs * batches, desc="domain classifier", unit="batch", log=log)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=gen)
        for start in range(0, len(train), BATCH):
            index = order[start : start + BATCH]
            x = to_model_range(train.data[index]).to(device, memory_format=torch.channels_last)
            if x.shape[-1] >= 16:  # one-pixel shifts: robust to imperfect generated strokes
                shift = torch.randint(-1, 2, (2,), generator=gen).tolist()
                x = torch.roll(x, shifts=shift, dims=(2, 3))
            loss = F.cross_entropy(model(x), train.labels[index].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
            bar.update(1)
    bar.close()
    return model.eval(), accuracy(model, test, device)


def domain_classifier(
    cfg: DataConfig,
    device: torch.device | str,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> tuple[ClassifierExtractor, float]:
    """The cached classifier for `cfg`'s dataset (trained on first use) and its test accuracy."""
    device = torch.device(device)
    base = dataclasses.replace(cfg, split="train", limit=None, channels=1)
    path = classifier_path(cfg)
    if path.exists():
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = DigitClassifier(state["resolution"], state["num_classes"])
        model.load_state_dict(state["weights"])
        acc = state["test_accuracy"]
    else:
        train, test = _splits(base)
        log(f"training a domain classifier for '{cfg.name}' ({len(train)} images, once)")
        model, acc = train_classifier(train, test, device, log=log)
        from ganforge.storage import atomic_write

        state = {
            "weights": model.cpu().state_dict(),
            "resolution": train.shape[-1],
            "num_classes": train.num_classes,
            "test_accuracy": acc,
            "test_size": len(test),
        }
        atomic_write(path, lambda f: torch.save(state, f))
        log(f"domain classifier test accuracy: {acc:.2%} on {len(test)} images")
    name = f"classifier-{dataset_key(base)}-{RECIPE}"
    return ClassifierExtractor(model, name, state["resolution"], device), acc


def classifier_path(cfg: DataConfig) -> Path:
    """Where the domain classifier of `cfg`'s dataset is cached (it may not exist yet)."""
    base = dataclasses.replace(cfg, split="train", limit=None, channels=1)
    return cache_dir("classifiers") / f"{dataset_key(base)}-{RECIPE}.pt"


class DomainClassifiers:
    """`ganforge.models.DomainClassifiers`: the cached classifier of a labelled dataset, for a
    family whose networks use one (its `resolve` and `prepare` hooks ask for it)."""

    def __init__(
        self,
        device: torch.device | str = "cpu",
        log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
    ) -> None:
        self.device, self.log = torch.device(device), log

    def path(self, data: DataConfig) -> str:
        return str(classifier_path(data))

    def ensure(self, data: DataConfig) -> None:
        domain_classifier(data, self.device, self.log)

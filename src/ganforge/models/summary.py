"""Keras-style model summaries, so parameter counts can be checked against the seeds' figures.

Keras counts batch-norm moving mean and variance as non-trainable parameters; PyTorch keeps them
as buffers. We count them the Keras way: total = trainable + non-trainable.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


@dataclass(frozen=True)
class Summary:
    rows: list[LayerRow]
    total: int
    trainable: int

    @property
    def non_trainable(self) -> int:
        return self.total - self.trainable

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "trainable": self.trainable}

    def table(self, title: str) -> str:
        lines = [f'Model: "{title}"', f"{'Layer (type)':<40}{'Output Shape':<24}{'Param #':>12}"]
        lines.append("=" * 76)
        for row in self.rows:
            shape = "(None, " + ", ".join(str(s) for s in row.output_shape) + ")"
            lines.append(f"{row.name + ' (' + row.kind + ')':<40}{shape:<24}{row.params:>12,}")
        lines.append("=" * 76)
        lines += [
            f"Total params: {self.total:,}",
            f"Trainable params: {self.trainable:,}",
            f"Non-trainable params: {self.non_trainable:,}",
        ]
        return "\n".join(lines)


def keras_param_count(module: nn.Module, recurse: bool = True) -> tuple[int, int]:
    """(total, trainable) with batch-norm running statistics counted as non-trainable."""
    trainable = sum(p.numel() for p in module.parameters(recurse) if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters(recurse) if not p.requires_grad)
    stats = sum(
        b.numel()
        for name, b in module.named_buffers(recurse=recurse)
        if name.rsplit(".", 1)[-1] in ("running_mean", "running_var")
    )
    return trainable + frozen + stats, trainable


def summarize(model: nn.Module, *inputs: torch.Tensor | None) -> Summary:
    """Run `inputs` through `model` once (eval mode, no grad) and record every leaf layer."""
    rows: list[LayerRow] = []
    hooks = []
    for name, module in model.named_modules():
        # a spectrally normalised layer is one row; its parametrization modules are not layers
        layer = parametrize.is_parametrized(module)
        if "parametrizations" in name.split(".") or (list(module.children()) and not layer):
            continue

        def hook(mod: nn.Module, _inp, out, name: str = name, layer: bool = layer) -> None:
            rows.append(
                LayerRow(
                    name,
                    type(mod).__name__,
                    tuple(out.shape[1:]),
                    keras_param_count(mod, recurse=layer)[0],
                )
            )

        hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    total, trainable = keras_param_count(model)
    return Summary(rows, total, trainable)

"""The loss plot every run leaves: D and G losses, and what D says about real and fake data."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_losses(rows: list[dict[str, Any]], path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if "d_loss" in r]
    if not rows:
        return
    steps = [r["step"] for r in rows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for key, label in (("d_loss", "discriminator"), ("g_loss", "generator")):
        top.plot(steps, [r.get(key) for r in rows], label=label, linewidth=1)
    top.set_ylabel("loss")
    top.legend()
    top.set_title(title)
    for key, label in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        bottom.plot(steps, [r.get(key) for r in rows], label=label, linewidth=1)
    bottom.set_xlabel("generator step")
    bottom.set_ylabel("discriminator output")
    bottom.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)

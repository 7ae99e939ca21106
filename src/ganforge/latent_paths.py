"""A generator seen as a function of its latent: what path metrics (perceptual path length)
walk along, the same way for a trained run, a checkpoint, an export or the generator being
trained.

Paths follow the latent tools' geometry: great circles in z (slerp keeps a Gaussian latent's
norm) and straight lines in W, as Karras et al. (2019) measure them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.latent_tools import is_style_based, slerp
from ganforge.models.latent import sample_latent
from ganforge.sampling import LoadedGenerator


@contextmanager
def evaluating(module: nn.Module) -> Iterator[nn.Module]:
    """`module` in eval mode (StyleGAN's constant noise, batch norm's running statistics), put
    back as it was: a path metric run during training must not switch the generator's mode."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


@dataclass(frozen=True)
class LatentPaths:
    """The generator, how its latents are drawn, and its classes (paths keep the class)."""

    generator: nn.Module
    latent_dim: int
    latent_dist: str
    num_classes: int = 0
    device: torch.device = torch.device("cpu")

    @classmethod
    def of(cls, loaded: LoadedGenerator, device: torch.device) -> LatentPaths:
        model = loaded.config.model
        G = loaded.generator.to(device)
        return cls(G, model.latent_dim, model.latent_dist, loaded.num_classes, device)

    @property
    def spaces(self) -> tuple[str, ...]:
        return ("z", "w") if is_style_based(self.generator) else ("z",)

    def endpoints(self, n: int, gen: torch.Generator) -> tuple[Tensor, Tensor, Tensor | None]:
        """Two latents per path and the class each path keeps (classes 0, 1, ... in turn)."""
        z0 = sample_latent(n, self.latent_dim, self.latent_dist, gen, self.device)
        z1 = sample_latent(n, self.latent_dim, self.latent_dist, gen, self.device)
        y = torch.arange(n, device=self.device) % self.num_classes if self.num_classes else None
        return z0, z1, y

    @torch.no_grad()
    def images(self, space: str, z0: Tensor, z1: Tensor, t: Tensor, y: Tensor | None) -> Tensor:
        """G's outputs at fraction t (B, 1) along each path: slerp in z, lerp in W."""
        if space not in self.spaces:
            raise GanforgeError(
                f"this generator has no {space} space to walk (it has {', '.join(self.spaces)})"
            )
        with evaluating(self.generator) as G:
            if space == "z":
                return G(slerp(z0, z1, t), y)
            w0, w1 = G.mapping(z0, y), G.mapping(z1, y)
            return G.synthesize(torch.lerp(w0, w1, t))

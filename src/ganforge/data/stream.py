"""An endless stream of shuffled training batches whose position two integers describe."""

from __future__ import annotations

import torch
from torch import Tensor

from ganforge.data.base import ArrayDataset, to_model_range
from ganforge.errors import DatasetError


class BatchStream:
    """Batches without replacement within an epoch; each epoch's order is derived from the
    seed and the epoch number, so resuming needs only (epoch, position) to continue exactly."""

    def __init__(
        self,
        dataset: ArrayDataset,
        batch_size: int,
        seed: int,
        device: torch.device | str = "cpu",
        shard: tuple[int, int] = (0, 1),
    ) -> None:
        """`batch_size` is the global batch; `shard` = (rank, world size): this process gets
        the rank-th of world-size equal slices of every global batch, so N processes see
        exactly the examples one process would, in the same order."""
        if len(dataset) < batch_size:
            raise DatasetError(
                f"the dataset '{dataset.name}' has {len(dataset)} examples, fewer than one batch "
                f"of {batch_size}; lower train.batch_size or add data"
            )
        self.device = torch.device(device)
        # in-memory data moves to the device once; memory-mapped data (a cached folder, maybe
        # larger than RAM) stays where it is and each batch is read from it, then moved
        home = torch.device("cpu") if dataset.memory_mapped else self.device
        self.data = dataset.data.to(home)
        self.labels = dataset.labels.to(home) if dataset.labels is not None else None
        self.batch_size = batch_size
        rank, world = shard
        self.local = slice(rank * batch_size // world, (rank + 1) * batch_size // world)
        self.seed = seed
        self.epoch = 0
        self.position = 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> Tensor:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.data.shape[0], generator=gen).to(self.data.device)

    def next(self) -> tuple[Tensor, Tensor | None]:
        """(batch in model range, labels or None); drops an epoch's last partial batch."""
        if self.position + self.batch_size > self.data.shape[0]:
            self.epoch += 1
            self.position = 0
            self._order = self._permutation(self.epoch)
        index = self._order[self.position : self.position + self.batch_size][self.local]
        self.position += self.batch_size
        labels = self.labels[index].to(self.device) if self.labels is not None else None
        return to_model_range(self.data[index].to(self.device)), labels

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order = self._permutation(self.epoch)

"""`RealBatches`: an endless, seeded stream of real float batches that resumes exactly from a checkpoint.

Each epoch is a fresh permutation drawn from the stream's own `torch.Generator`, so drawing batches never moves the
global RNG (the GAN's noise and the controller's samples stay independent of data order). The last incomplete batch of
an epoch is dropped, so every batch has the configured size. The state is (epochs done, position in the epoch,
generator state at the epoch's start): the permutation is redrawn from it on load instead of being stored.

Under torchrun (`ranks`, see ganas_bench/distributed.py) `batch_size` is the global batch: every rank walks the same
permutation and takes its slice of each global batch, so the ranks together see exactly the batches one process
would, and the state (global) resumes with any number of ranks.
"""
from __future__ import annotations

import torch

from ..errors import UserError
from .images import RealImages, uint8_to_float


class RealBatches:
    """Batches of `batch_size` real images as float32 (B, C, H, W) in [-1, 1] on `device`, forever."""

    def __init__(self, images: RealImages, batch_size: int, seed: int, device: torch.device | str = "cpu",
                 ranks=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 0 < batch_size <= len(images):
            raise UserError(f"invalid batch size {batch_size!r}; accepted: an integer in 1..{len(images)} "
                            f"(the {images.name} {images.split} images)")
        self.ranks = ranks
        if ranks is not None:
            ranks.local_size(batch_size, "batch size")
        self.images = images
        self.batch_size = batch_size
        self.seed = seed
        self.device = torch.device(device)
        self.epochs_done = 0
        self._generator = torch.Generator().manual_seed(seed)
        self._start_epoch()

    @property
    def batches_per_epoch(self) -> int:
        return len(self.images) // self.batch_size

    def _start_epoch(self) -> None:
        self._epoch_state = self._generator.get_state()
        self._order = torch.randperm(len(self.images), generator=self._generator)
        self._position = 0

    def next(self) -> torch.Tensor:
        index = self._order[self._position:self._position + self.batch_size]
        if self.ranks is not None:
            index = self.ranks.shard(index)
        self._position += self.batch_size
        if self._position + self.batch_size > len(self.images):  # no full batch left: the epoch is done
            self.epochs_done += 1
            self._start_epoch()
        return uint8_to_float(self.images.uint8.index_select(0, index).to(self.device))

    __next__ = next

    def __iter__(self) -> "RealBatches":
        return self

    def state_dict(self) -> dict:
        """Plain ints and a uint8 tensor: loads with torch.load(weights_only=True)."""
        return {
            "epochs_done": self.epochs_done, "position": self._position, "generator": self._epoch_state.clone(),
            "n_images": len(self.images), "batch_size": self.batch_size,
        }

    def load_state_dict(self, state: dict) -> None:
        if (state["n_images"], state["batch_size"]) != (len(self.images), self.batch_size):
            raise UserError(
                f"cannot resume the real-data stream: it was saved for {state['n_images']} images in batches of "
                f"{state['batch_size']}, this run has {len(self.images)} in batches of {self.batch_size}"
            )
        position, epochs = state["position"], state["epochs_done"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (position, epochs)) or epochs < 0 \
                or not 0 <= position <= len(self.images) - self.batch_size:
            raise UserError(f"cannot resume the real-data stream: position {position!r} / epoch {epochs!r} is outside "
                            f"an epoch of {len(self.images)} images in batches of {self.batch_size}")
        self._generator.set_state(state["generator"])
        self._start_epoch()
        self._position = position
        self.epochs_done = epochs

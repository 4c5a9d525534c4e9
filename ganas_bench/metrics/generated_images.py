"""What torch-fidelity reads: a generator's output quantised to uint8, and real images as a uint8 Dataset.

Quantisation follows AutoGAN's and AdversarialNAS's evaluation code exactly: x * 127.5 + 127.5, clamped to [0, 255],
then cast to uint8, which truncates (so 0.0 maps to 127, not 128). Grey images meet a 3-channel backbone (Inception) by
repeating their channel, as torch-fidelity's own image loader turns grey files into RGB.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import Dataset

from ganas_bench.errors import UserError


def quantise(images: torch.Tensor) -> torch.Tensor:
    """float images in [-1, 1] -> uint8 0..255: clamp(x * 127.5 + 127.5, 0, 255), truncated as the papers' code does."""
    return (images * 127.5 + 127.5).clamp(0.0, 255.0).to(torch.uint8)


def match_channels(images: torch.Tensor, channels: int | None) -> torch.Tensor:
    """Repeat a grey channel to `channels` (None: leave as is); other mismatches are left for the backbone to refuse."""
    if channels is not None and images.shape[1] == 1 and channels != 1:
        return images.expand(-1, channels, -1, -1)
    return images


class QuantisedGenerator(nn.Module):
    """Wraps a generator for torch-fidelity: z (on any device) -> uint8 images (N, C, H, W) on z's device.

    z is moved to the generator's device (its first parameter's, else z's), so a generator on `mps` or `cuda:1` is
    evaluated where it lives while torch-fidelity's extractor runs where torch-fidelity put it.
    """

    def __init__(self, generator: nn.Module, channels: int | None = None):
        super().__init__()
        self.generator = generator
        self.channels = channels

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        param = next(self.generator.parameters(), None)
        images = self.generator(z.to(param.device if param is not None else z.device))
        if not torch.is_tensor(images) or images.dim() != 4 or not images.is_floating_point():
            got = f"{images.dtype} {tuple(images.shape)}" if torch.is_tensor(images) else type(images).__name__
            raise UserError(f"the generator must return float images (N, C, H, W) in [-1, 1], got {got}")
        return match_channels(quantise(images), self.channels).to(z.device)


class UInt8Images(Dataset):
    """A uint8 tensor (N, C, H, W) as a Dataset of (C, H, W) tensors, grey repeated to `channels` if asked."""

    def __init__(self, images: torch.Tensor, channels: int | None = None):
        self.images = images
        self.channels = channels

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> torch.Tensor:
        return match_channels(self.images[index:index + 1], self.channels)[0]

"""`RealImages`: a whole real dataset held as one uint8 tensor, and the one resize every loader uses.

Images stay uint8 (N, C, H, W) in memory — 4x smaller than float, which matters for STL-10 (105k images) — and
become float in [-1, 1] only batch by batch (`RealBatches`) or on request (`to_float`). The mapping x/127.5 - 1 is what
the papers' `ToTensor()` + `Normalize(0.5, 0.5)` computes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..errors import UserError

#: images resized per chunk, so that resizing 105k STL-10 images never holds them all as float at once
RESIZE_CHUNK = 2048


def resize_to_uint8(images: torch.Tensor, size: int, chunk: int = RESIZE_CHUNK) -> torch.Tensor:
    """Resize (N, C, H, W) images on the 0..255 scale (any dtype) to size x size, returned as rounded uint8.

    Antialiased bilinear interpolation on float, as PIL's bilinear resize does: this is what the papers'
    `transforms.Resize` applied (measured within one grey level of PIL on CIFAR-10 and STL-10 sizes). Rounding back to
    uint8 mirrors the papers, whose resized PIL images were uint8 too.
    """
    n, c = images.shape[:2]
    out = torch.empty((n, c, size, size), dtype=torch.uint8, device=images.device)
    for start in range(0, n, chunk):
        part = images[start:start + chunk].to(torch.float32)
        part = F.interpolate(part, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out[start:start + chunk] = part.round_().clamp_(0, 255).to(torch.uint8)
    return out


@dataclass(frozen=True, eq=False)
class RealImages:
    """A real dataset at its working resolution: `uint8` (N, C, H, W), the dataset `name` and the `split` it holds.

    Treat `uint8` as read-only: resized copies are cached on the instance, keyed by side.
    """

    uint8: torch.Tensor
    name: str
    split: str
    _resized: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        x = self.uint8
        if not isinstance(x, torch.Tensor) or x.dtype != torch.uint8 or x.dim() != 4 or x.shape[2] != x.shape[3]:
            got = f"{x.dtype} {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"RealImages wants a uint8 tensor (N, C, S, S), got {got}")

    @property
    def channels(self) -> int:
        return self.uint8.shape[1]

    @property
    def image_size(self) -> int:
        return self.uint8.shape[2]

    def __len__(self) -> int:
        return self.uint8.shape[0]

    def __repr__(self) -> str:
        return (f"RealImages(name={self.name!r}, split={self.split!r}, n={len(self)}, channels={self.channels}, "
                f"image_size={self.image_size})")

    def to_float(self) -> torch.Tensor:
        """All images as float32 in [-1, 1] (x / 127.5 - 1)."""
        return uint8_to_float(self.uint8)

    def resized(self, size: int) -> "RealImages":
        """The same images at size x size (AutoGAN's staged search trains on 8, 16, then 32 px); cached per size."""
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise UserError(f"invalid image size {size!r}; accepted: an integer > 0")
        if size == self.image_size:
            return self
        if size not in self._resized:
            self._resized[size] = RealImages(resize_to_uint8(self.uint8, size), self.name, self.split)
        return self._resized[size]


def uint8_to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 0..255 -> float32 in [-1, 1], on x's device."""
    return x.to(torch.float32).div_(127.5).sub_(1.0)

"""The AdversarialNAS generator: three up-cells fed by a latent split into chunks, as in the original's final G.

Latent injection (the original's two branches):
- CIFAR-10 resolution (image side <= 32): z is split in three chunks; l1(z1) is the bottom feature map, l2(z2) is added
  to cell 1's output and l3(z3) to cell 2's output. Latent 120 -> 3 x 40.
- STL-10 resolution (image side > 32, e.g. 48 with bottom width 6): z is split in two chunks and only l1, l2 exist;
  cell 3 reads cell 2's output unchanged. Latent 120 -> 2 x 60.
The original takes chunks of latent_dim // n and breaks when that does not divide. Here chunk sizes differ by at most one,
the first ones larger (latent 64 in three: 22, 21, 21); for divisible latents this is exactly the original split.

Skips: cell 2 gets cell 1's skip output, cell 3 gets both; each is interpolated to the cell's size (bilinear into
cell 2, nearest into cell 3, the cells' modes in the original) and passed through its own 1x1 conv.
Head: BatchNorm -> ReLU -> conv3x3 -> tanh.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.contracts.space import Widths, check_resolution
from ganas_bench.training.init import xavier_init

from .cells import Selector, UpCell
from .layout import G_CELLS, G_EDGES, g_op_names

SKIP_MODES = ("nearest", "bilinear", "nearest")  # interpolation of incoming skips, per cell (cell 1 has none)


def n_latent_chunks(widths: Widths) -> int:
    """3 latent injections at CIFAR-10 resolution and below, 2 above (the original's STL-10 branch)."""
    return 3 if widths.image_size <= 32 else 2


def latent_chunks(latent_dim: int, n: int) -> tuple[int, ...]:
    """Sizes of the n latent chunks: equal when n divides latent_dim, else differing by one (larger first)."""
    if latent_dim < n:
        raise UserError(f"latent_dim={latent_dim} is too small; accepted: at least {n} (one per latent injection)")
    base, extra = divmod(latent_dim, n)
    return tuple(base + (i < extra) for i in range(n))


def check_generator_widths(widths: Widths) -> None:
    check_resolution(widths, G_CELLS)


class GeneratorTrunk(nn.Module):
    """Latent projections, three cells and the RGB head; subclasses say which ops each edge holds and pick them.

    Initialised on construction as the original's `--init_type xavier_uniform` (ganas_bench.training.init).
    """

    def __init__(self, widths: Widths, candidates: Sequence[dict[str, Sequence[str]] | None]):
        super().__init__()
        check_generator_widths(widths)
        self.widths = widths
        c, b = widths.gf_dim, widths.bottom_width
        self.chunks = latent_chunks(widths.latent_dim, n_latent_chunks(widths))
        sides = (b, 2 * b, 4 * b)
        self.project = nn.ModuleList(nn.Linear(n, side * side * c) for n, side in zip(self.chunks, sides))
        self.cells = nn.ModuleList(
            UpCell(c, SKIP_MODES[i], n_skip_in=i, candidates=candidates[i]) for i in range(G_CELLS)
        )
        self.to_rgb = nn.Sequential(
            nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, widths.channels, 3, padding=1), nn.Tanh()
        )
        xavier_init(self)

    def run(self, z: torch.Tensor, select: Sequence[Sequence[Selector]]) -> torch.Tensor:
        """Images for latents z with `select[cell]` holding one selector per edge in `G_EDGES` order."""
        if z.dim() != 2 or z.shape[1] != self.widths.latent_dim:
            raise UserError(f"latent has shape {tuple(z.shape)}; accepted: (batch, {self.widths.latent_dim})")
        c, b = self.widths.gf_dim, self.widths.bottom_width
        parts = torch.split(z, self.chunks, dim=1)
        inject = [lin(part).view(-1, c, b << i, b << i) for i, (lin, part) in enumerate(zip(self.project, parts))]
        h = inject[0]
        skips: list[torch.Tensor] = []
        for i, cell in enumerate(self.cells):
            skip_out, h = cell(h, select[i], skips)
            skips.append(skip_out)
            if i + 1 < len(inject):
                h = h + inject[i + 1]
        return self.to_rgb(h)


class AdversarialNASGenerator(GeneratorTrunk):
    """A standalone generator for the 21 G choices of a genotype: each edge holds only its chosen op."""

    def __init__(self, g_choices: Sequence[int], widths: Widths):
        names = g_op_names(g_choices)
        super().__init__(widths, [{e: (n,) for e, n in zip(G_EDGES, cell)} for cell in names])
        self.op_names = names

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.run(z, [(0,) * len(G_EDGES)] * G_CELLS)

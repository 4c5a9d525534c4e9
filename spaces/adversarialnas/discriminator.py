"""The searched AdversarialNAS discriminator: four down-cells of width df_dim, then ReLU -> spatial sum -> SN Linear.

This is the discriminator the search trains jointly with the generator (and that `build_searched_discriminator` makes
standalone for a genotype). The paper's final training does not use it: it trains the searched generator against the
fixed AutoGAN discriminator (see `AdversarialNASSpace.build_discriminator`).
Image side 32 -> 16 -> 8 -> 4 -> 2 (CIFAR-10), 16 -> 8 -> 4 -> 2 -> 1 (tiny), 48 -> ... -> 3 (STL-10).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganas_bench.errors import UserError
from ganas_bench.contracts.space import Widths
from ganas_bench.training.init import xavier_init

from .cells import DownCell, Selector
from .layout import D_CELLS, D_EDGES, d_op_names


def check_discriminator_widths(widths: Widths) -> None:
    widths.require_positive("df_dim", "channels")
    if widths.image_size < 16 or widths.image_size % 16:
        raise UserError(
            f"invalid image_size={widths.image_size} for the searched discriminator; accepted: a multiple of 16, "
            "since four cells each halve it and pooling and strided convs must agree on every size"
        )


class DiscriminatorTrunk(nn.Module):
    """Four down-cells and the head; subclasses say which ops each edge holds and pick them.

    Initialised on construction as the original's `--init_type xavier_uniform` (ganas_bench.training.init).
    """

    def __init__(self, widths: Widths, candidates: Sequence[dict[str, Sequence[str]] | None]):
        super().__init__()
        check_discriminator_widths(widths)
        c = widths.df_dim
        self.cells = nn.ModuleList(
            DownCell(widths.channels if i == 0 else c, c, first=i == 0, candidates=candidates[i])
            for i in range(D_CELLS)
        )
        self.head = spectral_norm(nn.Linear(c, 1, bias=False))
        xavier_init(self)

    def run(self, x: torch.Tensor, select: Sequence[Sequence[Selector]]) -> torch.Tensor:
        """Scores (B, 1) for images x with `select[cell]` holding one selector per edge in `D_EDGES` order."""
        h = x
        for cell, sel in zip(self.cells, select):
            h = cell(h, sel)
        return self.head(torch.relu(h).sum(dim=(2, 3)))


class SearchedDiscriminator(DiscriminatorTrunk):
    """A standalone searched discriminator for the 28 D choices of a genotype: each edge holds only its chosen op."""

    def __init__(self, d_choices: Sequence[int], widths: Widths):
        names = d_op_names(d_choices)
        super().__init__(widths, [{e: (n,) for e, n in zip(D_EDGES, cell)} for cell in names])
        self.op_names = names

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x, [(0,) * len(D_EDGES)] * D_CELLS)

"""The standalone AutoGAN generator of one genotype, holding exactly the layers that genotype uses.

Linear(latent -> bottom^2 * C) -> 3 cells -> to_rgb (BN -> ReLU -> conv3x3 -> channels -> tanh), as the original's
`models/autogan_cifar10_{a,b,c}.py`; at gf 256 / bottom 4 / latent 128 / 3 channels the parameter counts equal theirs
(a: 4,405,251; b: 4,471,043; c: 4,406,275). Xavier init as the papers (see `ganas_bench.training.init`).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.contracts.space import Widths

from .cells import Cell, CellMix, CellOptions, make_to_rgb, run_cells
from .encoding import CELL_ENDS, decode
from ganas_bench.training.init import xavier_init
from .widths import check_widths


class AutoGANGenerator(nn.Module):
    """forward(z of shape (B, latent_dim)) -> images (B, channels, image_size, image_size) in [-1, 1]."""

    def __init__(self, choices: Sequence[int], widths: Widths, skip_includes_received: bool = True):
        super().__init__()
        check_widths(widths)
        choices = tuple(choices)
        if len(choices) != CELL_ENDS[-1]:
            raise UserError(f"a standalone generator needs all {CELL_ENDS[-1]} choices, got {len(choices)}: {list(choices)}")
        self.cell_choices = decode(choices)
        self.widths = widths
        c = widths.gf_dim
        self.l1 = nn.Linear(widths.latent_dim, widths.bottom_width**2 * c)
        self.cells = nn.ModuleList(
            Cell(c, i, CellOptions.of(choice), skip_includes_received) for i, choice in enumerate(self.cell_choices)
        )
        self.to_rgb = make_to_rgb(c, widths.channels)
        self._mixes = tuple(CellMix.of(choice) for choice in self.cell_choices)
        xavier_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        w = self.widths
        h = self.l1(z).view(-1, w.gf_dim, w.bottom_width, w.bottom_width)
        return self.to_rgb(run_cells(self.cells, h, self._mixes))


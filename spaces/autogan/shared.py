"""AutoGAN's weight-sharing supernet for RL and random search, with multi-level (MLAS) growth.

Every candidate op exists once per cell (both conv types, BatchNorm, the deconvs, the shortcut and every skip edge);
`set_arch(choices)` picks the path, `set_stage(s)` runs cells 1..s+1 so the output side is bottom * 2^(s+1). As in the
original, ONE to_rgb (BN -> ReLU -> conv -> tanh) serves every stage (all cells have the same width), BatchNorm running
statistics are shared by all architectures, and the discriminator grows with the stage (see `AutoGANDiscriminator`).

`shortcut_always_on` reproduces the original search bug (fixed in the code on 2020-03-25): the cell tested the shortcut
conv module, which is always truthy, instead of the shortcut choice, so every sampled cell had its shortcut on.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import torch
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.contracts.space import SharedGAN, SupernetUsageError, Widths

from .cells import Cell, CellMix, CellOptions, make_to_rgb, run_cells
from .discriminator import AutoGANDiscriminator
from .encoding import N_CELLS, CellChoice, decode
from ganas_bench.training.init import xavier_init
from .widths import check_widths


def check_stage(stage) -> int:
    if isinstance(stage, bool) or not isinstance(stage, numbers.Integral) or not 0 <= stage < N_CELLS:
        raise UserError(f"stage {stage!r} does not exist in space 'autogan'; accepted: 0..{N_CELLS - 1}")
    return int(stage)


def stage_resolution(stage: int, widths: Widths) -> int:
    """Side of the images the shared GAN makes at `stage`: one 2x cell per stage."""
    return widths.bottom_width * 2 ** (check_stage(stage) + 1)


class SharedAutoGANGenerator(nn.Module):
    """Generator supernet: forward(z) -> images at the current stage's resolution for the architecture last set."""

    def __init__(self, widths: Widths, skip_includes_received: bool = True, shortcut_always_on: bool = False):
        super().__init__()
        check_widths(widths)
        self.widths = widths
        self.shortcut_always_on = shortcut_always_on
        c = widths.gf_dim
        self.l1 = nn.Linear(widths.latent_dim, widths.bottom_width**2 * c)
        self.cells = nn.ModuleList(Cell(c, i, CellOptions.every(i), skip_includes_received) for i in range(N_CELLS))
        self.to_rgb = make_to_rgb(c, widths.channels)
        self.stage = N_CELLS - 1
        self.arch: tuple[CellChoice, ...] = ()
        xavier_init(self)

    def set_arch(self, choices: Sequence[int]) -> None:
        """A full genotype's choices, or a prefix of whole cells covering at least the active stages."""
        self.arch = decode(choices)

    def set_stage(self, stage: int) -> None:
        self.stage = check_stage(stage)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        n_active = self.stage + 1
        if len(self.arch) < n_active:
            raise SupernetUsageError(
                f"stage {self.stage} runs {n_active} cells but the architecture set covers {len(self.arch)}; "
                "call set_arch with choices for every active cell"
            )
        w = self.widths
        h = self.l1(z).view(-1, w.gf_dim, w.bottom_width, w.bottom_width)
        mixes = [CellMix.of(choice, self.shortcut_always_on) for choice in self.arch[:n_active]]
        return self.to_rgb(run_cells(self.cells, h, mixes))


def build_shared_gan(widths: Widths, skip_includes_received: bool = True, shortcut_always_on: bool = False) -> SharedGAN:
    """The supernet with the (growing) AutoGAN discriminator at widths.df_dim; both start at the last stage."""
    return SharedGAN(
        SharedAutoGANGenerator(widths, skip_includes_received, shortcut_always_on),
        AutoGANDiscriminator(widths.df_dim, widths.channels),
    )

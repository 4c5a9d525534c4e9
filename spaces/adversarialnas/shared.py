"""The weight-sharing supernet of AdversarialNAS, for RL and random search: every candidate op of every edge exists
once, and `set_arch(choices)` picks one op per edge for the following forwards.

Both nets are searched in this space, so a genotype carries G's and D's choices; `SharedGAN.set_arch` hands the full
choices to both nets and each reads its own part. Either net also takes its own part alone (21 G choices, 28 D choices).
"""
from __future__ import annotations

from typing import Sequence

import torch

from ganas_bench.contracts.space import SharedGAN, SupernetUsageError, Widths

from .discriminator import DiscriminatorTrunk
from .generator import GeneratorTrunk
from .layout import D_CELLS, G_CELLS, d_rows, g_rows, split_choices


def _require(arch: tuple[int, ...] | None, net: torch.nn.Module) -> tuple[int, ...]:
    if arch is None:
        raise SupernetUsageError(f"{type(net).__name__}: call set_arch(choices) before the first forward")
    return arch


class SharedGenerator(GeneratorTrunk):
    def __init__(self, widths: Widths):
        super().__init__(widths, [None] * G_CELLS)
        self.arch: tuple[int, ...] | None = None

    def set_arch(self, choices: Sequence[int]) -> None:
        """`choices`: a full genotype's 49 choices (G reads its 21) or G's 21."""
        self.arch = split_choices(choices, "G")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.run(z, g_rows(_require(self.arch, self)))


class SharedDiscriminator(DiscriminatorTrunk):
    def __init__(self, widths: Widths):
        super().__init__(widths, [None] * D_CELLS)
        self.arch: tuple[int, ...] | None = None

    def set_arch(self, choices: Sequence[int]) -> None:
        """`choices`: a full genotype's 49 choices or D's 28."""
        self.arch = split_choices(choices, "D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x, d_rows(_require(self.arch, self)))


def build_shared_gan(widths: Widths) -> SharedGAN:
    return SharedGAN(SharedGenerator(widths), SharedDiscriminator(widths))

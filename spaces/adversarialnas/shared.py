"""The weight-sharing supernet of AdversarialNAS, for RL and random search: every candidate op of every edge exists
once, and `set_arch(choices)` picks one op per edge for the following forwards.

Both nets are searched in this space, so a genotype carries G's and D's choices. `SharedGAN.set_arch` only calls the
generator's `set_arch`; the shared generator therefore forwards the D part of a full genotype to the discriminator it was
paired with in `build_shared`. The pairing is a weak reference, so the generator's parameters never include D's and a
deep copy of the generator (e.g. its EMA) still points at the same live discriminator. Either net also takes its own
part alone (21 G choices, 28 D choices).
"""
from __future__ import annotations

import weakref
from typing import Sequence

import torch

from ganas_bench.spaces.base import SharedGAN, Widths

from .discriminator import DiscriminatorTrunk
from .generator import GeneratorTrunk
from .layout import D_CELLS, G_CELLS, N_D, N_G, d_rows, g_rows, split_choices


def _require(arch: tuple[int, ...] | None, net: torch.nn.Module) -> tuple[int, ...]:
    if arch is None:
        raise RuntimeError(f"{type(net).__name__}: call set_arch(choices) before the first forward")
    return arch


class SharedGenerator(GeneratorTrunk):
    def __init__(self, widths: Widths):
        super().__init__(widths, [None] * G_CELLS)
        self.arch: tuple[int, ...] | None = None
        self._partner = None

    def pair_with(self, discriminator: "SharedDiscriminator") -> None:
        """Forward the D part of every full genotype given to `set_arch` to `discriminator`."""
        self._partner = weakref.ref(discriminator)

    def set_arch(self, choices: Sequence[int]) -> None:
        """`choices`: a full genotype's 49 choices (D's part goes to the paired discriminator) or G's 21."""
        self.arch = split_choices(choices, "G")
        partner = self._partner() if self._partner is not None else None
        if partner is not None and len(choices) == N_G + N_D:
            partner.set_arch(choices)

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
    generator, discriminator = SharedGenerator(widths), SharedDiscriminator(widths)
    generator.pair_with(discriminator)
    return SharedGAN(generator, discriminator)

"""The relaxed (mixed-op) supernet of AdversarialNAS: every edge mixes all its candidates with weights from alphas.

Architecture parameters, as in the original (init 1e-3 * randn):
  G: alphas_normal (3, 5, 7), alphas_up (3, 2, 3);  D: alphas_normal (4, 5, 7), alphas_down (4, 2, 6).
Relaxations (`set_relaxation(tau, gumbel)`):
  softmax  - weights = softmax(alpha) (DARTS; the original without --gumbel_softmax);
  gumbel   - weights = gumbel_softmax(softmax(alpha), tau), i.e. Gumbel noise is added to the *probabilities* used as
             logits, exactly as the released search script does; fresh noise on every forward.
The default before `set_relaxation` is softmax.

D's first cell reads the image along c0, c1, c2 with 5 convs only, while alphas_normal keeps 7 slots per edge there.
The original mixes those 5 ops with slots 0..4 of a 7-way softmax, so slots 5 and 6 select no op yet take probability
mass (the weights of the live ops sum to less than 1) and receive gradient. Default here: those edges use a softmax over
slots 0..4 only; slots 5, 6 of alphas_normal[0, 0:3] are unused (no gradient), kept so the tensor has the original shape.
`d_first_cell_dead_alphas=True` restores the original. `d_derive_axis_bug=True` restores the original's D derivation
(softmax over the edge axis, see derive.py).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.contracts.space import RelaxedGAN, Widths

from .derive import d_distributions, derive_discriminator, derive_generator, entropy, g_distributions
from .discriminator import DiscriminatorTrunk
from .generator import GeneratorTrunk
from .layout import (
    D_CELLS, D_DOWN_EDGES, D_NORMAL_EDGES, G_CELLS, G_NORMAL_EDGES, G_UP_EDGES, RGB_EDGES, d_decision_specs,
    g_decision_specs,
)
from .operations import DOWN_OPS, NORMAL_OPS, RGB_OPS, UP_OPS


def relax(alpha: torch.Tensor, tau: float, gumbel: bool) -> torch.Tensor:
    """Mixing weights over the last axis."""
    p = F.softmax(alpha, dim=-1)
    return F.gumbel_softmax(p, tau=tau, hard=False, dim=-1) if gumbel else p


class _Relaxation:
    """The relaxation state `set_relaxation` writes into both nets (softmax until told otherwise)."""

    tau: float = 1.0
    gumbel: bool = False

    def weights(self, alpha: torch.Tensor) -> torch.Tensor:
        return relax(alpha, self.tau, self.gumbel)


class RelaxedGenerator(_Relaxation, GeneratorTrunk):
    def __init__(self, widths: Widths):
        super().__init__(widths, [None] * G_CELLS)
        self.alphas_normal = nn.Parameter(1e-3 * torch.randn(G_CELLS, G_NORMAL_EDGES, len(NORMAL_OPS)))
        self.alphas_up = nn.Parameter(1e-3 * torch.randn(G_CELLS, G_UP_EDGES, len(UP_OPS)))

    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alphas_normal, self.alphas_up]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        normal, up = self.weights(self.alphas_normal), self.weights(self.alphas_up)  # the original's noise order
        return self.run(z, [list(up[c]) + list(normal[c]) for c in range(G_CELLS)])


class RelaxedDiscriminator(_Relaxation, DiscriminatorTrunk):
    def __init__(self, widths: Widths, dead_alphas_bug: bool = False):
        super().__init__(widths, [None] * D_CELLS)
        self.alphas_normal = nn.Parameter(1e-3 * torch.randn(D_CELLS, D_NORMAL_EDGES, len(NORMAL_OPS)))
        self.alphas_down = nn.Parameter(1e-3 * torch.randn(D_CELLS, D_DOWN_EDGES, len(DOWN_OPS)))
        self.dead_alphas_bug = dead_alphas_bug

    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alphas_normal, self.alphas_down]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normal, down = self.weights(self.alphas_normal), self.weights(self.alphas_down)
        n_rgb, n_ops = len(RGB_EDGES), len(RGB_OPS)
        if self.dead_alphas_bug:
            rgb = normal[0, :n_rgb, :n_ops]
        else:
            rgb = self.weights(self.alphas_normal[0, :n_rgb, :n_ops])
        select = [list(normal[c]) + list(down[c]) for c in range(D_CELLS)]
        select[0][:n_rgb] = list(rgb)
        return self.run(x, select)


class AdversarialNASRelaxedGAN(RelaxedGAN):
    """Relaxed G and D searched jointly; `derive()` gives one genotype covering both."""

    def __init__(self, widths: Widths, space_name: str = "adversarialnas", *, d_derive_axis_bug: bool = False,
                 d_first_cell_dead_alphas: bool = False):
        super().__init__()
        self.generator = RelaxedGenerator(widths)
        self.discriminator = RelaxedDiscriminator(widths, dead_alphas_bug=d_first_cell_dead_alphas)
        self.space_name = space_name
        self.d_derive_axis_bug = d_derive_axis_bug

    def arch_parameters_g(self) -> list[nn.Parameter]:
        return self.generator.arch_parameters()

    def arch_parameters_d(self) -> list[nn.Parameter]:
        return self.discriminator.arch_parameters()

    def set_relaxation(self, tau: float, gumbel: bool) -> None:
        if not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau > 0):
            raise UserError(f"invalid Gumbel temperature tau={tau!r}; accepted: a finite number > 0")
        for net in (self.generator, self.discriminator):
            net.tau, net.gumbel = float(tau), bool(gumbel)

    def derive(self) -> Genotype:
        g = derive_generator(self.generator.alphas_normal, self.generator.alphas_up)
        d = derive_discriminator(self.discriminator.alphas_normal, self.discriminator.alphas_down,
                                 axis_bug=self.d_derive_axis_bug)
        return Genotype(self.space_name, g + d)

    def edge_entropies(self) -> dict[str, float]:
        """Entropy (nats) of each decision's distribution over its choices (op-axis softmax, live slots only)."""
        dists = g_distributions(self.generator.alphas_normal, self.generator.alphas_up) + d_distributions(
            self.discriminator.alphas_normal, self.discriminator.alphas_down)
        names = [n for n, _ in g_decision_specs()] + [n for n, _ in d_decision_specs()]
        return {n: entropy(p) for n, p in zip(names, dists)}

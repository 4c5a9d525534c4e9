"""A differentiable relaxation of the AutoGAN space (not in the AutoGAN paper; DARTS-style, for the benchmark matrix).

Every decision of every cell becomes a mixed op weighted by softmax(alpha / tau), or by Gumbel-softmax(alpha, tau) when
`gumbel` is set: conv type (the pre- and post-activation blocks' outputs are mixed, for both conv blocks of the cell with
the same weights), norm (none / BN / IN mixed inside each block), upsample mode (bilinear / nearest / deconv mixed
wherever the cell upsamples: main path, shortcut, skip inputs), shortcut (off / on: the shortcut branch scaled by the "on"
weight) and each skip edge on its own (off / on). Cell 3's 4-way skip integer is relaxed as its two independent edge bits,
so each edge has one weight and `derive()` rebuilds the integer from them (bit 0 = from cell 2, bit 1 = from cell 1).

Architecture parameters start at 1e-3 * N(0, 1) as in DARTS and live in the generator; the discriminator (the AutoGAN D
at full depth) is not searched. `edge_entropies()` reports the entropy of softmax(alpha) (temperature 1, so values stay
comparable while tau anneals) per decision name; cell 3's skip entropy is the sum over its two independent edges, which
is the entropy of the 4-way distribution they imply.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.contracts.space import RelaxedGAN, Widths

from .cells import Cell, CellMix, CellOptions, make_to_rgb, run_cells
from .discriminator import AutoGANDiscriminator
from .encoding import CONV_TYPES, N_CELLS, NORMS, UPSAMPLES, CellChoice, encode
from ganas_bench.training.init import xavier_init
from .widths import check_widths

_PER_CELL = (("conv", CONV_TYPES), ("norm", NORMS), ("up", UPSAMPLES), ("shortcut", (False, True)))
_OFF_ON = (False, True)


def _edge_key(cell: int, source: int) -> str:
    return f"cell{cell + 1}_skip_from{source + 1}"


class RelaxedAutoGANGenerator(nn.Module):
    """Generator in which every cell holds every candidate op and mixes them by its architecture weights."""

    def __init__(self, widths: Widths, skip_includes_received: bool = True):
        super().__init__()
        check_widths(widths)
        self.widths = widths
        c = widths.gf_dim
        self.l1 = nn.Linear(widths.latent_dim, widths.bottom_width**2 * c)
        self.cells = nn.ModuleList(Cell(c, i, CellOptions.every(i), skip_includes_received) for i in range(N_CELLS))
        self.to_rgb = make_to_rgb(c, widths.channels)
        xavier_init(self)
        alphas = {}
        for i in range(N_CELLS):
            for name, labels in _PER_CELL:
                alphas[f"cell{i + 1}_{name}"] = nn.Parameter(1e-3 * torch.randn(len(labels)))
            for j in range(i):
                alphas[_edge_key(i, j)] = nn.Parameter(1e-3 * torch.randn(2))
        self.alphas = nn.ParameterDict(alphas)
        self.tau = 1.0
        self.gumbel = False

    def _weights(self, alpha: torch.Tensor) -> torch.Tensor:
        if self.gumbel:
            return F.gumbel_softmax(alpha, tau=self.tau, hard=False)
        return F.softmax(alpha / self.tau, dim=-1)

    def cell_mixes(self) -> list[CellMix]:
        """One CellMix per cell with freshly computed (and, with Gumbel, freshly sampled) weights."""
        mixes = []
        for i in range(N_CELLS):
            pairs = {
                name: tuple(zip(labels, self._weights(self.alphas[f"cell{i + 1}_{name}"])))
                for name, labels in _PER_CELL
            }
            skips = tuple(tuple(zip(_OFF_ON, self._weights(self.alphas[_edge_key(i, j)]))) for j in range(i))
            mixes.append(CellMix(pairs["conv"], pairs["norm"], pairs["up"], pairs["shortcut"], skips))
        return mixes

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        w = self.widths
        h = self.l1(z).view(-1, w.gf_dim, w.bottom_width, w.bottom_width)
        return self.to_rgb(run_cells(self.cells, h, self.cell_mixes()))


def _entropy(alpha: torch.Tensor) -> float:
    p = F.softmax(alpha.detach().double(), dim=-1)
    return float(-(p * torch.log(p.clamp_min(1e-300))).sum())


class RelaxedAutoGAN(RelaxedGAN):
    """The relaxed generator and the AutoGAN discriminator (not searched: `arch_parameters_d()` is empty)."""

    def __init__(self, widths: Widths, skip_includes_received: bool = True):
        super().__init__()
        self.generator = RelaxedAutoGANGenerator(widths, skip_includes_received)
        self.discriminator = AutoGANDiscriminator(widths.df_dim, widths.channels)

    def arch_parameters_g(self) -> list[nn.Parameter]:
        return list(self.generator.alphas.values())

    def arch_parameters_d(self) -> list[nn.Parameter]:
        return []

    def set_relaxation(self, tau: float, gumbel: bool) -> None:
        if not isinstance(tau, (int, float)) or isinstance(tau, bool) or not math.isfinite(tau) or tau <= 0:
            raise UserError(f"relaxation temperature tau={tau!r} must be a positive finite number")
        self.generator.tau = float(tau)
        self.generator.gumbel = bool(gumbel)

    def derive(self) -> Genotype:
        """The argmax of every decision (each skip edge on its own), as a valid 14-choice genotype."""
        a = self.generator.alphas
        cells = []
        for i in range(N_CELLS):
            best = {name: labels[int(a[f"cell{i + 1}_{name}"].argmax())] for name, labels in _PER_CELL}
            skips = tuple(bool(a[_edge_key(i, j)].argmax()) for j in range(i))
            cells.append(CellChoice(best["conv"], best["norm"], best["up"], best["shortcut"], skips))
        return Genotype("autogan", encode(cells))

    def edge_entropies(self) -> dict[str, float]:
        a = self.generator.alphas
        out = {}
        for i in range(N_CELLS):
            for name, _ in _PER_CELL:
                out[f"cell{i + 1}.{name}"] = _entropy(a[f"cell{i + 1}_{name}"])
            if i:
                out[f"cell{i + 1}.skip"] = sum(_entropy(a[_edge_key(i, j)]) for j in range(i))
        return out

"""The widths check every AutoGAN builder runs: the contract's one resolution rule (three 2x cells)."""
from __future__ import annotations

from ganas_bench.contracts.space import Widths, check_resolution

from .encoding import N_CELLS


def check_widths(widths: Widths) -> Widths:
    return check_resolution(widths, N_CELLS)

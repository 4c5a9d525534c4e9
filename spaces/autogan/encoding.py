"""AutoGAN's 14-integer genotype encoding, decoded into one `CellChoice` per cell and back.

Layout, as in the original: cell 1 [conv, norm, up, shortcut], cells 2 and 3 [conv, norm, up, shortcut, skip].
The skip integer of cell i lists, as bits, which earlier cells send it their skip feature: the least significant bit is
the nearest earlier cell (cell 3: bit 0 = from cell 2, bit 1 = from cell 1; cell 2: bit 0 = from cell 1).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Sequence

from ganas_bench.errors import UserError
from ganas_bench.contracts.space import Decision

CONV_TYPES = ("post", "pre")  # post: up -> conv -> norm -> ReLU; pre: norm -> ReLU -> up -> conv
NORMS = ("none", "bn", "in")
UPSAMPLES = ("bilinear", "nearest", "deconv")
SHORTCUTS = ("off", "on")
N_CELLS = 3


def _skip_labels(cell: int) -> tuple[str, ...]:
    """Labels of cell `cell`'s (0-based) skip integer, e.g. cell 3: none, cell2, cell1, cell1+cell2."""
    labels = []
    for value in range(2**cell):
        sources = [f"cell{j + 1}" for j in range(cell) if _bit(value, cell, j)]
        labels.append("+".join(sources) or "none")
    return tuple(labels)


def _bit(value: int, cell: int, source: int) -> bool:
    """Whether skip integer `value` of 0-based `cell` has the edge from 0-based cell `source` (LSB = nearest cell)."""
    return bool((value >> (cell - 1 - source)) & 1)


def _cell_decisions(cell: int) -> list[Decision]:
    prefix = f"cell{cell + 1}"
    out = [
        Decision(f"{prefix}.conv", len(CONV_TYPES), cell, CONV_TYPES),
        Decision(f"{prefix}.norm", len(NORMS), cell, NORMS),
        Decision(f"{prefix}.up", len(UPSAMPLES), cell, UPSAMPLES),
        Decision(f"{prefix}.shortcut", len(SHORTCUTS), cell, SHORTCUTS),
    ]
    if cell:
        out.append(Decision(f"{prefix}.skip", 2**cell, cell, _skip_labels(cell)))
    return out


DECISIONS: tuple[Decision, ...] = tuple(d for cell in range(N_CELLS) for d in _cell_decisions(cell))
CELL_ENDS: tuple[int, ...] = tuple(
    1 + max(i for i, d in enumerate(DECISIONS) if d.stage == cell) for cell in range(N_CELLS)
)  # (4, 9, 14): a valid prefix stops at one of these


@dataclass(frozen=True)
class CellChoice:
    """The decoded choices of one cell; `skips[j]` says whether it receives cell j+1's skip feature."""

    conv: str
    norm: str
    up: str
    shortcut: bool
    skips: tuple[bool, ...]

    def encode(self) -> tuple[int, ...]:
        head = (CONV_TYPES.index(self.conv), NORMS.index(self.norm), UPSAMPLES.index(self.up), int(self.shortcut))
        if not self.skips:
            return head
        cell = len(self.skips)
        return head + (sum(1 << (cell - 1 - j) for j, on in enumerate(self.skips) if on),)


def decode(choices: Sequence[int]) -> tuple[CellChoice, ...]:
    """Cells of a full genotype or of a prefix that ends at a cell boundary (4, 9 or 14 integers)."""
    choices = tuple(choices)
    if len(choices) not in CELL_ENDS:
        raise UserError(
            f"architecture {list(choices)} has {len(choices)} choices; autogan accepts a prefix of whole cells: "
            f"{', '.join(map(str, CELL_ENDS))} choices"
        )
    for value, d in zip(choices, DECISIONS):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < d.n_choices:
            raise UserError(f"choice {d.name}={value!r} is out of range; accepted: 0..{d.n_choices - 1}")
    cells = []
    for cell, end in enumerate(CELL_ENDS[: CELL_ENDS.index(len(choices)) + 1]):
        start = end - len(_cell_decisions(cell))
        c, n, u, s, *skip = choices[start:end]
        skips = tuple(_bit(skip[0], cell, j) for j in range(cell)) if skip else ()
        cells.append(CellChoice(CONV_TYPES[c], NORMS[n], UPSAMPLES[u], bool(s), skips))
    return tuple(cells)


def encode(cells: Sequence[CellChoice]) -> tuple[int, ...]:
    return tuple(v for cell in cells for v in cell.encode())

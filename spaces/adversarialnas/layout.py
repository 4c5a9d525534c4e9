"""Where every decision of the AdversarialNAS space sits in a genotype, and which ops it chooses between.

A genotype lists the generator's decisions first, then the discriminator's:

- G, 3 up-cells, per cell (the columns of the original's released `latest_G.npy`): up0, up1 (3 up-sampling ops) and
  c0..c4 (7 normal ops). Cell DAG: node0 = up0(x), node1 = up1(x), node2 = c0(node0) + c1(node1) (+ skips),
  node3 = c2(node0) + c3(node1) + c4(node2).
- D, 4 down-cells, per cell (the columns of the original's derived D arrays): c0..c4 (normal ops) and down0, down1
  (6 down-sampling ops). Cell DAG: node0 = c0(x), node1 = c1(x) + c3(node0), node2 = c2(x) + c4(node0),
  out = down0(node1) + down1(node2).

The first D cell's edges c0, c1, c2 read the RGB image; the original builds them from the 5 convolutions only (no
`none`, no `skip_connect`). Their decisions therefore have 5 choices, encoded 0..4 = conv_1x1, conv_3x3, conv_5x5,
dil_conv_3x3, dil_conv_5x5 (the original's `PRIMITIVES_wo_act` order and its own encoding of those edges). Every other
normal edge uses the 7-op encoding 0..6 = none, skip_connect, conv_1x1, conv_3x3, conv_5x5, dil_conv_3x3, dil_conv_5x5.
"""
from __future__ import annotations

from typing import Sequence

from ganas_bench.errors import UserError

from .operations import DOWN_OPS, NORMAL_OPS, RGB_OPS, UP_OPS

G_CELLS = 3
D_CELLS = 4
G_EDGES = ("up0", "up1", "c0", "c1", "c2", "c3", "c4")
D_EDGES = ("c0", "c1", "c2", "c3", "c4", "down0", "down1")
G_UP_EDGES, G_NORMAL_EDGES = 2, 5  # G columns: two up-sampling edges, then five normal edges
D_NORMAL_EDGES, D_DOWN_EDGES = 5, 2  # D columns: five normal edges, then two down-sampling edges
RGB_EDGES = ("c0", "c1", "c2")  # edges of D's first cell that read the image
N_G = G_CELLS * len(G_EDGES)
N_D = D_CELLS * len(D_EDGES)


def g_edge_ops(edge: str) -> tuple[str, ...]:
    return UP_OPS if edge.startswith("up") else NORMAL_OPS


def d_edge_ops(cell: int, edge: str) -> tuple[str, ...]:
    """Candidate ops of discriminator edge `edge` in cell `cell` (0-based)."""
    if edge.startswith("down"):
        return DOWN_OPS
    if cell == 0 and edge in RGB_EDGES:
        return RGB_OPS
    return NORMAL_OPS


def g_decision_specs() -> list[tuple[str, tuple[str, ...]]]:
    """(decision name, candidate ops) of every G decision, in genotype order."""
    return [(f"g{cell + 1}_{edge}", g_edge_ops(edge)) for cell in range(G_CELLS) for edge in G_EDGES]


def d_decision_specs() -> list[tuple[str, tuple[str, ...]]]:
    """(decision name, candidate ops) of every D decision, in genotype order."""
    return [(f"d{cell + 1}_{edge}", d_edge_ops(cell, edge)) for cell in range(D_CELLS) for edge in D_EDGES]


def g_rows(g_choices: Sequence[int]) -> list[tuple[int, ...]]:
    """The 21 G choices as 3 rows of (up0, up1, c0..c4)."""
    w = len(G_EDGES)
    return [tuple(g_choices[i * w:(i + 1) * w]) for i in range(G_CELLS)]


def d_rows(d_choices: Sequence[int]) -> list[tuple[int, ...]]:
    """The 28 D choices as 4 rows of (c0..c4, down0, down1)."""
    w = len(D_EDGES)
    return [tuple(d_choices[i * w:(i + 1) * w]) for i in range(D_CELLS)]


def g_op_names(g_choices: Sequence[int]) -> list[tuple[str, ...]]:
    """Per G cell, the op name chosen on each edge."""
    return [tuple(g_edge_ops(e)[v] for e, v in zip(G_EDGES, row)) for row in g_rows(g_choices)]


def d_op_names(d_choices: Sequence[int]) -> list[tuple[str, ...]]:
    """Per D cell, the op name chosen on each edge."""
    return [tuple(d_edge_ops(c, e)[v] for e, v in zip(D_EDGES, row)) for c, row in enumerate(d_rows(d_choices))]


def split_choices(choices: Sequence[int], who: str) -> tuple[int, ...]:
    """The part of `choices` that net `who` ("G" or "D") reads: a full genotype, or just that net's decisions."""
    choices = tuple(int(c) for c in choices)
    own = N_G if who == "G" else N_D
    if len(choices) == own:
        part = choices
    elif len(choices) == N_G + N_D:
        part = choices[:N_G] if who == "G" else choices[N_G:]
    else:
        raise UserError(
            f"{who} architecture has {len(choices)} choices; accepted: {N_G + N_D} (a full adversarialnas genotype) "
            f"or {own} ({who}'s decisions only)"
        )
    specs = g_decision_specs() if who == "G" else d_decision_specs()
    for (name, ops), value in zip(specs, part):
        if not 0 <= value < len(ops):
            raise UserError(f"choice {name}={value} is out of range; accepted: 0..{len(ops) - 1}")
    return part

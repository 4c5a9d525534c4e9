"""Reading the architecture parameters: per-decision distributions, entropies, and the discrete derivation.

Derivation follows the original (`alpha2genotype`, `beta2genotype`): per edge, argmax over softmax(alpha) with `none`
included, then repair rules so that no used node is left without input:
- G, every cell: if c0 and c1 (node2's inputs) are all `none`, the one of them with the lowest `none` probability gets
  its best non-`none` op; the same for c2, c3, c4 (node3's inputs). Incoming skips do not count as inputs here.
- D, every cell: the same for (c1, c3) (node1) and (c2, c4) (node2); then, if c3 or c4 reads node0 but c0 (node0's only
  input) is `none`, c0 gets its best non-`none` op. Ties go to the first edge, as np.argmin/np.argmax do.
D's first-cell edges from the image have no `none`, so no rule ever touches them (the original skips that cell).

The original's D derivation takes its softmax over the edge axis (dim=1 of the (cells, edges, ops) tensor) instead of the
op axis. The default here is the op axis; `axis_bug=True` reproduces the original, repair rules included, which then
compare those wrong-axis numbers.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .layout import D_CELLS, D_EDGES, G_CELLS, G_EDGES, RGB_EDGES, d_edge_ops, g_edge_ops
from .operations import RGB_OPS

_G_NODE_INPUTS = (("c0", "c1"), ("c2", "c3", "c4"))
_D_NODE_INPUTS = (("c1", "c3"), ("c2", "c4"))


def _probs(alpha: torch.Tensor, dim: int = -1) -> np.ndarray:
    return F.softmax(alpha.detach().float().cpu(), dim=dim).numpy()


def g_distributions(alphas_normal: torch.Tensor, alphas_up: torch.Tensor) -> list[np.ndarray]:
    """Probability vector of every G decision over its choices, in genotype order."""
    normal, up = _probs(alphas_normal), _probs(alphas_up)
    out = []
    for c in range(G_CELLS):
        out += [up[c, i] for i in range(up.shape[1])] + [normal[c, i] for i in range(normal.shape[1])]
    return out


def d_distributions(alphas_normal: torch.Tensor, alphas_down: torch.Tensor, axis_bug: bool = False) -> list[np.ndarray]:
    """Probability vector of every D decision over its choices, in genotype order.

    First-cell image edges use only the slots of their 5 ops (slots 0..4); softmax is over those slots, or with
    `axis_bug` the original's edge-axis softmax read at those slots.
    """
    normal, down = _probs(alphas_normal, dim=1 if axis_bug else -1), _probs(alphas_down)
    rgb = normal[0, :, : len(RGB_OPS)] if axis_bug else _probs(alphas_normal[0, :, : len(RGB_OPS)])
    out = []
    for c in range(D_CELLS):
        for i, edge in enumerate(D_EDGES):
            if edge.startswith("down"):
                out.append(down[c, i - normal.shape[1]])
            elif c == 0 and edge in RGB_EDGES:
                out.append(rgb[i])
            else:
                out.append(normal[c, i])
    return out


def entropy(p: np.ndarray) -> float:
    p = np.asarray(p, dtype=np.float64)
    p = p / p.sum()
    return float(-sum(x * math.log(x) for x in p if x > 0))


def _best_non_none(p: np.ndarray, ops: tuple[str, ...]) -> int:
    allowed = [i for i, n in enumerate(ops) if n != "none"]
    return allowed[int(np.argmax(p[allowed]))]


def _repair(choice: dict, probs: dict, ops: dict, groups) -> None:
    """In place: for each group of a node's input edges that are all `none`, revive the least-`none` edge."""
    for group in groups:
        if all(ops[e][choice[e]] == "none" for e in group):
            edge = min(group, key=lambda e: probs[e][ops[e].index("none")])
            choice[edge] = _best_non_none(probs[edge], ops[edge])


def _derive_cells(dists: list[np.ndarray], n_cells: int, edges: tuple[str, ...], ops_of, repair) -> tuple[int, ...]:
    out: list[int] = []
    for c in range(n_cells):
        probs = dict(zip(edges, dists[c * len(edges):(c + 1) * len(edges)]))
        ops = {e: ops_of(c, e) for e in edges}
        choice = {e: int(np.argmax(probs[e])) for e in edges}
        repair(choice, probs, ops)
        out += [choice[e] for e in edges]
    return tuple(out)


def derive_generator(alphas_normal: torch.Tensor, alphas_up: torch.Tensor) -> tuple[int, ...]:
    """The 21 G choices the alphas select, repaired."""
    return _derive_cells(
        g_distributions(alphas_normal, alphas_up), G_CELLS, G_EDGES, lambda c, e: g_edge_ops(e),
        lambda choice, probs, ops: _repair(choice, probs, ops, _G_NODE_INPUTS),
    )


def _repair_d(choice: dict, probs: dict, ops: dict) -> None:
    _repair(choice, probs, ops, _D_NODE_INPUTS)
    reads_node0 = any(ops[e][choice[e]] != "none" for e in ("c3", "c4"))
    if reads_node0 and ops["c0"][choice["c0"]] == "none":
        choice["c0"] = _best_non_none(probs["c0"], ops["c0"])


def derive_discriminator(alphas_normal: torch.Tensor, alphas_down: torch.Tensor,
                         axis_bug: bool = False) -> tuple[int, ...]:
    """The 28 D choices the alphas select, repaired (`axis_bug`: the original's edge-axis softmax)."""
    return _derive_cells(d_distributions(alphas_normal, alphas_down, axis_bug), D_CELLS, D_EDGES, d_edge_ops, _repair_d)

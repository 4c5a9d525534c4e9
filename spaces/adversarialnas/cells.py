"""Edges and cells shared by the standalone nets, the weight-sharing supernet and the relaxed supernet.

An `Edge` holds its candidate ops (one for a standalone net, all of them for a supernet). Its forward takes a selector:
an int picks one candidate (the standalone and weight-sharing nets), a weights vector mixes all of them (the relaxed
supernet: sum_i w_i * op_i(x), `none` contributing nothing). So the three nets run the very same DAG code.
"""
from __future__ import annotations

from typing import Sequence, Union

import torch
from torch import nn

from .layout import D_EDGES, G_EDGES, d_edge_ops, g_edge_ops
from .operations import down_op, interpolate, normal_op, up_op

Selector = Union[int, torch.Tensor]


class Edge(nn.Module):
    """One DAG edge: its candidate ops by name (`none` has no module)."""

    def __init__(self, names: Sequence[str], build):
        super().__init__()
        self.names = tuple(names)
        self.ops = nn.ModuleDict({n: build(n) for n in self.names if n != "none"})

    def forward(self, x: torch.Tensor, select: Selector) -> torch.Tensor | None:
        """The edge's output, or None when it is `none` (nothing reaches the node along it)."""
        if isinstance(select, int):
            name = self.names[select]
            return None if name == "none" else self.ops[name](x)
        return sum(w * self.ops[n](x) for w, n in zip(select, self.names) if n != "none")


def node_sum(terms: Sequence[torch.Tensor | None], like: torch.Tensor) -> torch.Tensor:
    """Sum of a node's incoming edges; zeros shaped like `like` when every edge is `none`."""
    present = [t for t in terms if t is not None]
    if not present:
        return torch.zeros_like(like)
    out = present[0]
    for t in present[1:]:
        out = out + t
    return out


class UpCell(nn.Module):
    """A generator cell: 2x up-sampling, then the 5-edge DAG; cross-scale skips enter node2.

    `candidates` maps each edge of `G_EDGES` to the op names it holds (default: every op of the space). The cell
    returns (skip_out, out): out = node3, skip_out = node2 after the incoming skips were added (the original adds them
    in place to the very tensor it returns as the skip output).
    """

    def __init__(self, channels: int, skip_mode: str, n_skip_in: int,
                 candidates: dict[str, Sequence[str]] | None = None):
        super().__init__()
        candidates = candidates or {e: g_edge_ops(e) for e in G_EDGES}
        self.skip_mode = skip_mode
        self.edges = nn.ModuleDict()
        for e in G_EDGES:
            build = (lambda n: up_op(n, channels)) if e.startswith("up") else (
                lambda n: normal_op(n, channels, channels, sn=False, act=True))
            self.edges[e] = Edge(candidates[e], build)
        self.skip_in = nn.ModuleList(nn.Conv2d(channels, channels, 1) for _ in range(n_skip_in))

    def forward(self, x: torch.Tensor, select: Sequence[Selector], skips: Sequence[torch.Tensor] = ()):
        """`select` holds one selector per edge, in `G_EDGES` order."""
        s = dict(zip(G_EDGES, select))
        e = self.edges
        node0 = e["up0"](x, s["up0"])
        node1 = e["up1"](x, s["up1"])
        node2 = node_sum([e["c0"](node0, s["c0"]), e["c1"](node1, s["c1"])], node0)
        size = node0.shape[-2:]
        for feature, conv in zip(skips, self.skip_in):
            node2 = node2 + conv(interpolate(feature, size=size, mode=self.skip_mode))
        node3 = node_sum([e["c2"](node0, s["c2"]), e["c3"](node1, s["c3"]), e["c4"](node2, s["c4"])], node0)
        return node2, node3


class DownCell(nn.Module):
    """A discriminator cell: the 5-edge DAG, then two stride-2 edges summed. Every conv is spectrally normalised.

    In the first cell (`first=True`) the edges c0..c2 read the image (`c_in` channels) with convs and no ReLU.
    """

    def __init__(self, c_in: int, channels: int, first: bool, candidates: dict[str, Sequence[str]] | None = None):
        super().__init__()
        cell = 0 if first else 1
        candidates = candidates or {e: d_edge_ops(cell, e) for e in D_EDGES}
        self.edges = nn.ModuleDict()
        for e in D_EDGES:
            if e.startswith("down"):
                build = lambda n: down_op(n, channels)  # noqa: E731
            elif e in ("c0", "c1", "c2"):
                build = lambda n: normal_op(n, c_in, channels, sn=True, act=not first)  # noqa: E731
            else:
                build = lambda n: normal_op(n, channels, channels, sn=True, act=True)  # noqa: E731
            self.edges[e] = Edge(candidates[e], build)

    def forward(self, x: torch.Tensor, select: Sequence[Selector]) -> torch.Tensor:
        """`select` holds one selector per edge, in `D_EDGES` order."""
        s = dict(zip(D_EDGES, select))
        e = self.edges
        c0 = e["c0"](x, s["c0"])
        node0 = c0 if c0 is not None else torch.zeros_like(x)  # c0 can be `none` only where x has the cell's width
        node1 = node_sum([e["c1"](x, s["c1"]), e["c3"](node0, s["c3"])], node0)
        node2 = node_sum([e["c2"](x, s["c2"]), e["c4"](node0, s["c4"])], node0)
        return e["down0"](node1, s["down0"]) + e["down1"](node2, s["down1"])

"""AutoGAN's generator cell and its conv blocks, written once for the standalone net, the supernet and the relaxation.

A cell only holds the candidate ops it is built with (`CellOptions`): a standalone cell holds exactly the layers of its
genotype (so parameter counts equal the original's released models), a supernet cell holds every candidate once. The
forward pass takes a `CellMix`: for every decision, (option, weight) pairs. A discrete architecture is one pair per
decision with weight None (no multiply); the relaxation passes every option with its softmax weight. Module names are
the same in all three, so a standalone generator's state-dict keys are a subset of the supernet's.

Order of operations (AutoGAN's search cell): conv block 1 upsamples 2x; cells' skip features are upsampled to its output
size (interpolation with the cell's mode, or a chain of stride-2 deconvs), passed through a per-edge 1x1 conv and added;
conv block 2; plus, if the shortcut is on, 1x1 conv of the upsampled cell input (a separate deconv when mode is deconv).
The skip feature a cell passes on is the output of conv block 1 - with or without the skips it received, see
`skip_includes_received`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .encoding import CONV_TYPES, NORMS, UPSAMPLES, CellChoice

Pairs = tuple[tuple[object, Optional[torch.Tensor]], ...]


def mix(pairs: Pairs, op: Callable[[object], Optional[torch.Tensor]]) -> Optional[torch.Tensor]:
    """Sum of weight * op(option) over the pairs; weight None means 1, op returning None means "contributes nothing"."""
    total = None
    for option, weight in pairs:
        y = op(option)
        if y is None:
            continue
        if weight is not None:
            y = weight * y
        total = y if total is None else total + y
    return total


@dataclass(frozen=True)
class CellMix:
    """What one forward pass of a cell uses: (option, weight) pairs per decision; `skips[j]` pairs over (False, True)."""

    conv: Pairs
    norm: Pairs
    up: Pairs
    shortcut: Pairs
    skips: tuple[Pairs, ...]

    @classmethod
    def of(cls, choice: CellChoice, shortcut_always_on: bool = False) -> "CellMix":
        return cls(
            ((choice.conv, None),),
            ((choice.norm, None),),
            ((choice.up, None),),
            ((choice.shortcut or shortcut_always_on, None),),
            tuple(((on, None),) for on in choice.skips),
        )


@dataclass(frozen=True)
class CellOptions:
    """Which candidate ops a cell holds."""

    convs: frozenset
    norms: frozenset
    ups: frozenset
    shortcut: bool
    skip_sources: tuple[int, ...]  # 0-based earlier cells with a skip edge into this cell

    @classmethod
    def of(cls, choice: CellChoice) -> "CellOptions":
        return cls(
            frozenset({choice.conv}), frozenset({choice.norm}), frozenset({choice.up}), choice.shortcut,
            tuple(j for j, on in enumerate(choice.skips) if on),
        )

    @classmethod
    def every(cls, cell: int) -> "CellOptions":
        return cls(frozenset(CONV_TYPES), frozenset(NORMS), frozenset(UPSAMPLES), True, tuple(range(cell)))


def _interpolate(x: torch.Tensor, mode: str, size: Sequence[int]) -> torch.Tensor:
    if mode == "bilinear":
        return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)
    return F.interpolate(x, size=tuple(size), mode=mode)


def _deconv(channels: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(channels, channels, kernel_size=2, stride=2)


class GenBlock(nn.Module):
    """One 3x3 conv with its norm and ReLU, pre-activation (norm -> ReLU -> up -> conv) or post (up -> conv -> norm -> ReLU).

    BatchNorm sits on the input channels (pre) or output channels (post); InstanceNorm has no affine parameters.
    Only an upsampling block (`ups` non-empty) upsamples; its deconv acts on the input channels.
    """

    def __init__(self, c_in: int, c_out: int, conv_type: str, norms: Iterable[str], ups: Iterable[str]):
        super().__init__()
        self.pre = conv_type == "pre"
        self.deconv = _deconv(c_in) if "deconv" in ups else None
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn = nn.BatchNorm2d(c_in if self.pre else c_out) if "bn" in norms else None

    def _norm(self, x: torch.Tensor, norm: str) -> torch.Tensor:
        if norm == "bn":
            return self.bn(x)
        if norm == "in":
            return F.instance_norm(x, eps=1e-5)
        return x

    def _up(self, x: torch.Tensor, up: str) -> torch.Tensor:
        if up == "deconv":
            return self.deconv(x)
        return _interpolate(x, up, (2 * x.shape[-2], 2 * x.shape[-1]))

    def forward(self, x: torch.Tensor, norm: Pairs, up: Optional[Pairs]) -> torch.Tensor:
        if self.pre:
            h = F.relu(mix(norm, lambda n: self._norm(x, n)))
            if up is not None:
                h = mix(up, lambda u: self._up(h, u))
            return self.conv(h)
        h = x if up is None else mix(up, lambda u: self._up(x, u))
        h = self.conv(h)
        return F.relu(mix(norm, lambda n: self._norm(h, n)))


class Cell(nn.Module):
    """Cell `index` (0-based) of the generator: doubles the resolution at constant width `channels`.

    forward(x, skip_features, cell_mix) -> (skip feature to pass on, cell output); `skip_features[j]` is cell j's.
    With `skip_includes_received` (the original's behaviour, an in-place add) the skip feature passed on already holds
    the skips this cell received; otherwise it is conv block 1's output alone.
    """

    def __init__(self, channels: int, index: int, options: CellOptions, skip_includes_received: bool = True):
        super().__init__()
        self.index = index
        self.skip_includes_received = skip_includes_received
        c = channels
        self.conv1 = nn.ModuleDict({t: GenBlock(c, c, t, options.norms, options.ups) for t in sorted(options.convs)})
        self.conv2 = nn.ModuleDict({t: GenBlock(c, c, t, options.norms, ()) for t in sorted(options.convs)})
        has_deconv = "deconv" in options.ups
        self.c_sc = nn.Conv2d(c, c, 1) if options.shortcut else None
        self.deconv_sc = _deconv(c) if options.shortcut and has_deconv else None
        # per skip edge from cell j: a 1x1 conv, and for deconv upsampling a chain of (index - j) stride-2 deconvs
        self.skip_in_ops = nn.ModuleDict({str(j): nn.Conv2d(c, c, 1) for j in options.skip_sources})
        self.skip_deconvs = nn.ModuleDict(
            {str(j): nn.Sequential(*[_deconv(c) for _ in range(index - j)]) for j in options.skip_sources}
            if has_deconv else {}
        )

    def _skip_in(self, j: int, feature: torch.Tensor, up: Pairs, size: Sequence[int]) -> torch.Tensor:
        def upsample(mode: str) -> torch.Tensor:
            return self.skip_deconvs[str(j)](feature) if mode == "deconv" else _interpolate(feature, mode, size)

        return self.skip_in_ops[str(j)](mix(up, upsample))

    def _shortcut(self, x: torch.Tensor, up: Pairs) -> torch.Tensor:
        def upsample(mode: str) -> torch.Tensor:
            return self.deconv_sc(x) if mode == "deconv" else _interpolate(x, mode, (2 * x.shape[-2], 2 * x.shape[-1]))

        return self.c_sc(mix(up, upsample))

    def forward(self, x: torch.Tensor, skip_features: Sequence[torch.Tensor], m: CellMix):
        h = mix(m.conv, lambda t: self.conv1[t](x, m.norm, m.up))
        skip_out = h
        for j, pairs in enumerate(m.skips):
            received = mix(pairs, lambda on: self._skip_in(j, skip_features[j], m.up, h.shape[-2:]) if on else None)
            if received is not None:
                h = h + received
        if self.skip_includes_received:
            skip_out = h
        out = mix(m.conv, lambda t: self.conv2[t](h, m.norm, None))
        short = mix(m.shortcut, lambda on: self._shortcut(x, m.up) if on else None)
        return skip_out, out if short is None else out + short


def run_cells(cells: Sequence[Cell], h: torch.Tensor, mixes: Sequence[CellMix]) -> torch.Tensor:
    """Run the first len(mixes) cells, handing every cell the skip features of all earlier ones."""
    skip_features: list[torch.Tensor] = []
    for cell, m in zip(cells, mixes):
        skip, h = cell(h, skip_features, m)
        skip_features.append(skip)
    return h


def make_to_rgb(channels_in: int, channels_out: int) -> nn.Sequential:
    """BN -> ReLU -> conv3x3 -> tanh, the original's output layer."""
    return nn.Sequential(
        nn.BatchNorm2d(channels_in), nn.ReLU(), nn.Conv2d(channels_in, channels_out, 3, padding=1), nn.Tanh()
    )

"""The AutoGAN discriminator: an SNGAN-style ResNet, not searched, shared by every space for final training.

Layout (AutoGAN's `Discriminator`, widths parametrised): an optimised block (channels -> df, 2x downsample), block 2
(2x downsample), blocks 3 and 4 (no downsample), activation, global SUM pool, spectral-norm Linear(df -> 1, no bias).
Spectral norm wraps every conv and the linear. At df 128 and 3 channels it has 1,053,824 parameters, as the original.

MLAS growth (`set_stage`): during AutoGAN's search, stage s runs blocks[:s+1] of (block 1, block 2, block 3) and then
block 4, so that D consumes the shorter generators' smaller images (8, 16, 32 px on CIFAR-10). The default is the full
net (stage 2). One deliberate difference: the original's optimised block always used a fresh ReLU; here every block uses
the `activation` given (identical for the default ReLU).
"""
from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganas_bench.errors import UserError

from ganas_bench.training.init import xavier_init

N_STAGES = 3


def _sn_conv(c_in: int, c_out: int, kernel: int) -> nn.Conv2d:
    return spectral_norm(nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2))


def _make_activation(activation) -> nn.Module:
    return activation() if isinstance(activation, type) else activation


class OptimizedDisBlock(nn.Module):
    """First block: conv -> act -> conv -> avgpool, plus avgpool -> 1x1 conv shortcut (no activation on the raw image)."""

    def __init__(self, c_in: int, c_out: int, activation: nn.Module):
        super().__init__()
        self.activation = activation
        self.c1 = _sn_conv(c_in, c_out, 3)
        self.c2 = _sn_conv(c_out, c_out, 3)
        self.c_sc = _sn_conv(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.avg_pool2d(self.c2(self.activation(self.c1(x))), 2)
        return h + self.c_sc(F.avg_pool2d(x, 2))


class DisBlock(nn.Module):
    """Pre-activation residual block; a learnable 1x1 shortcut only where it downsamples (widths are equal)."""

    def __init__(self, channels: int, activation: nn.Module, downsample: bool):
        super().__init__()
        self.activation = activation
        self.downsample = downsample
        self.c1 = _sn_conv(channels, channels, 3)
        self.c2 = _sn_conv(channels, channels, 3)
        self.c_sc = _sn_conv(channels, channels, 1) if downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c2(self.activation(self.c1(self.activation(x))))
        if self.downsample:
            return F.avg_pool2d(h, 2) + F.avg_pool2d(self.c_sc(x), 2)
        return h + x


class AutoGANDiscriminator(nn.Module):
    """forward(images of shape (B, channels, S, S)) -> scores of shape (B, 1)."""

    def __init__(self, df_dim: int, channels: int = 3, activation=nn.ReLU):
        super().__init__()
        if df_dim < 1 or channels < 1:
            raise UserError(f"discriminator widths must be positive, got df_dim={df_dim}, channels={channels}")
        act = _make_activation(activation)
        self.activation = act
        self.block1 = OptimizedDisBlock(channels, df_dim, act)
        self.block2 = DisBlock(df_dim, act, downsample=True)
        self.block3 = DisBlock(df_dim, act, downsample=False)
        self.block4 = DisBlock(df_dim, act, downsample=False)
        self.l5 = spectral_norm(nn.Linear(df_dim, 1, bias=False))
        self.stage = N_STAGES - 1
        xavier_init(self)

    def set_stage(self, stage: int) -> None:
        """Stage s of MLAS runs blocks 1..s+1 then block 4 (s = 2, the default, is the full net)."""
        if isinstance(stage, bool) or not isinstance(stage, numbers.Integral) or not 0 <= stage < N_STAGES:
            raise UserError(f"discriminator stage {stage!r} does not exist; accepted: 0..{N_STAGES - 1}")
        self.stage = int(stage)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for block in (self.block1, self.block2, self.block3)[: self.stage + 1]:
            h = block(h)
        h = self.activation(self.block4(h))
        return self.l5(h.sum(dim=(2, 3)))

"""The candidate operations of AdversarialNAS's cells, layer for layer as in the original code.

- Normal ops (7): none, skip_connect (identity), and five convolutions, each ReLU -> Conv2d(C, C, bias):
  conv_1x1, conv_3x3 (pad 1), conv_5x5 (pad 2), dil_conv_3x3 (dilation 2, pad 2), dil_conv_5x5 (dilation 2, pad 4).
  G's convs are plain; D's are spectrally normalised. D's first cell reads the RGB image with the five convs and no ReLU.
- Up ops (3, generator): nearest / bilinear = 2x interpolate -> ReLU -> 1x1 conv (bias); deconv = ReLU -> depthwise
  ConvTranspose2d(k3, s2, p1, output_padding 1, no bias) -> 1x1 conv (no bias).
- Down ops (6, discriminator): 2x2 average / max pooling, and the four spatial convs of the normal set with stride 2
  (ReLU -> spectral-norm conv).

`none` has no module: an edge that chooses it contributes nothing (the original multiplies its input by 0, which adds
exactly zero to the sum and to every gradient).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

NORMAL_OPS = ("none", "skip_connect", "conv_1x1", "conv_3x3", "conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
RGB_OPS = NORMAL_OPS[2:]
UP_OPS = ("nearest", "bilinear", "deconv")
DOWN_OPS = ("avg_pool", "max_pool", "conv_3x3", "conv_5x5", "dil_conv_3x3", "dil_conv_5x5")

_CONV_GEOMETRY = {  # name -> (kernel, dilation); padding keeps the size at stride 1
    "conv_1x1": (1, 1),
    "conv_3x3": (3, 1),
    "conv_5x5": (5, 1),
    "dil_conv_3x3": (3, 2),
    "dil_conv_5x5": (5, 2),
}


class ReLUConv(nn.Module):
    """[ReLU ->] Conv2d, optionally spectrally normalised: every convolution edge of both nets."""

    def __init__(self, name: str, c_in: int, c_out: int, *, stride: int = 1, sn: bool, act: bool):
        super().__init__()
        kernel, dilation = _CONV_GEOMETRY[name]
        conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=dilation * (kernel - 1) // 2, dilation=dilation)
        self.conv = spectral_norm(conv) if sn else conv
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.relu(x) if self.act else x)


class UpSample(nn.Module):
    """A 2x up-sampling edge of a generator cell."""

    def __init__(self, mode: str, channels: int):
        super().__init__()
        self.mode = mode
        if mode == "deconv":
            self.deconv = nn.ConvTranspose2d(channels, channels, 3, stride=2, padding=1, output_padding=1,
                                             groups=channels, bias=False)
            self.conv = nn.Conv2d(channels, channels, 1, bias=False)
        else:
            self.conv = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "deconv":
            return self.conv(self.deconv(F.relu(x)))
        return self.conv(F.relu(interpolate(x, scale_factor=2, mode=self.mode)))


def interpolate(x: torch.Tensor, *, mode: str, size=None, scale_factor=None) -> torch.Tensor:
    """F.interpolate with the original's defaults (align_corners=False for bilinear)."""
    align = False if mode == "bilinear" else None
    return F.interpolate(x, size=size, scale_factor=scale_factor, mode=mode, align_corners=align)


def normal_op(name: str, c_in: int, c_out: int, *, sn: bool, act: bool) -> nn.Module:
    """A non-`none` normal op."""
    if name == "skip_connect":
        return nn.Identity()
    return ReLUConv(name, c_in, c_out, sn=sn, act=act)


def up_op(name: str, channels: int) -> nn.Module:
    return UpSample(name, channels)


def down_op(name: str, channels: int) -> nn.Module:
    if name == "avg_pool":
        return nn.AvgPool2d(2)
    if name == "max_pool":
        return nn.MaxPool2d(2)
    return ReLUConv(name, channels, channels, stride=2, sn=True, act=True)

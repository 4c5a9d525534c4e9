"""Weight initialisation the papers use: xavier_uniform on conv and linear weights, zero biases.

Spectrally normalised layers keep their weight in `weight_orig`; that is the tensor initialised. BatchNorm keeps its
default (weight 1, bias 0).
"""
from torch import nn


def xavier_init(module: nn.Module) -> nn.Module:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            weight = getattr(m, "weight_orig", None)
            if weight is None:
                weight = m.weight
            nn.init.xavier_uniform_(weight, gain=1.0)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module

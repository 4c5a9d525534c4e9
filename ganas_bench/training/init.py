"""The papers' weight initialisation ("xavier_uniform" in AutoGAN's and AdversarialNAS's code).

Space builders call it when they construct a network, so every net starts as its paper's did; the trainer never
re-initialises behind their back.

What the original `weights_init` touches, and nothing else:
- every `nn.Conv2d` weight (spectral-normalised ones included): Xavier-uniform, gain 1; biases keep PyTorch's default;
- every `nn.BatchNorm2d`: weight ~ N(1, 0.02), bias 0.
`nn.Linear` and `nn.ConvTranspose2d` keep PyTorch's default init, as in the original (its class-name match on "Conv2d"
does not catch "ConvTranspose2d").
"""
from __future__ import annotations

import torch
from torch import nn


def _conv_weight(conv: nn.Conv2d) -> torch.Tensor:
    """The trainable weight, also when a spectral-norm parametrisation wraps it."""
    if hasattr(conv, "parametrizations") and "weight" in conv.parametrizations:
        return conv.parametrizations.weight.original
    return conv.weight


@torch.no_grad()
def xavier_init(module: nn.Module) -> nn.Module:
    """Initialise `module` in place as the papers' `--init_type xavier_uniform` does; returns it."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):  # spectral norm turns the class into a subclass
            nn.init.xavier_uniform_(_conv_weight(m), gain=1.0)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module

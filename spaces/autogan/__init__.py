"""The `autogan` search space (AutoGAN, ICCV 2019): generator cells, supernet, relaxation and the shared discriminator.

Importing this package registers the space and its named architectures.
"""
from .architectures import AUTOGAN_A, AUTOGAN_B, AUTOGAN_C, SNGAN_RESNET
from .discriminator import AutoGANDiscriminator
from .generator import AutoGANGenerator
from .relaxed import RelaxedAutoGAN
from .shared import SharedAutoGANGenerator
from .space import AutoGANSpace

__all__ = [
    "AUTOGAN_A", "AUTOGAN_B", "AUTOGAN_C", "SNGAN_RESNET", "AutoGANDiscriminator", "AutoGANGenerator",
    "AutoGANSpace", "RelaxedAutoGAN", "SharedAutoGANGenerator",
]

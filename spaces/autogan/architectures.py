"""Named genotypes of the `autogan` space: AutoGAN's three released CIFAR-10 generators and an SNGAN baseline.

Encodings read off the original's `models/autogan_cifar10_{a,b,c}.py` (all cells pre-activation) and confirmed by their
parameter counts at gf 256 (a: 4,405,251; b: 4,471,043; c: 4,406,275), which the tests check.
"""
from ganas_bench.registry import register_architecture

SPACE = "autogan"

#                 cell 1       cell 2          cell 3
#                 C N U SC     C N U SC skip   C N U SC skip
AUTOGAN_A = (1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 3)
AUTOGAN_B = (1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 3)
AUTOGAN_C = (1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 3)
SNGAN_RESNET = (1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0)

register_architecture(
    "autogan_cifar10_a", SPACE, AUTOGAN_A,
    "AutoGAN top-1 on CIFAR-10 (IS 8.55, FID 12.42): no norm; nearest/bilinear/nearest; shortcuts in cells 1-2; all skips",
)
register_architecture(
    "autogan_cifar10_b", SPACE, AUTOGAN_B,
    "AutoGAN released model b: no norm; nearest everywhere; shortcut in every cell; all skips",
)
register_architecture(
    "autogan_cifar10_c", SPACE, AUTOGAN_C,
    "AutoGAN released model c: as a, but BatchNorm in cell 1",
)
register_architecture(
    "sngan_resnet", SPACE, SNGAN_RESNET,
    "hand-crafted baseline: SNGAN's ResNet generator (pre-activation, BatchNorm, nearest, shortcuts, no skips)",
)

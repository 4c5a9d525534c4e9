"""The `autogan` search space: AutoGAN's generator cells, exactly as its public code defines them.

14 decisions (see `encoding`), 2*3*3*2 * (2*3*3*2*2) * (2*3*3*2*4) = 373,248 generators; one MLAS stage per cell.
The discriminator is not searched: every genotype trains against `AutoGANDiscriminator`.

Two named options reach the original's behaviour where it is questionable:
- `skip_includes_received` (default True, as the original and its released models): the skip feature a cell passes on
  includes the skips it received (the original adds them in place). False passes conv block 1's output alone.
  The released models' parameter counts do not depend on it. (The in-place add also makes the original search code fail
  in backward on current PyTorch for post-activation cells that receive a skip; here the add is never in place.)
- `shortcut_always_on` (default False): the supernet bug before 2020-03-25 (shortcut on for every sampled cell during
  search). Only the supernet is affected; standalone generators always follow the genotype.
"""
from __future__ import annotations

from ganas_bench.genotype import Genotype
from ganas_bench.registry import register_space
from ganas_bench.contracts.space import Decision, Differentiable, SearchSpace, SharedGAN, WeightSharing, Widths

from .discriminator import AutoGANDiscriminator
from .encoding import DECISIONS
from .generator import AutoGANGenerator
from .relaxed import RelaxedAutoGAN
from .shared import build_shared_gan, stage_resolution
from .widths import check_widths


@register_space("autogan")
class AutoGANSpace(SearchSpace, WeightSharing, Differentiable):
    name = "autogan"
    description = (
        "AutoGAN (Gong et al., ICCV 2019): 3 generator cells x [conv type, norm, upsample, shortcut, skip-ins]; "
        "373,248 generators; SNGAN-style discriminator (not searched)"
    )

    def __init__(self, skip_includes_received: bool = True, shortcut_always_on: bool = False):
        self.skip_includes_received = bool(skip_includes_received)
        self.shortcut_always_on = bool(shortcut_always_on)

    def decisions(self) -> tuple[Decision, ...]:
        return DECISIONS

    def build_generator(self, genotype: Genotype, widths: Widths) -> AutoGANGenerator:
        self.validate(genotype)
        return AutoGANGenerator(genotype.choices, widths, self.skip_includes_received)

    def build_discriminator(self, genotype: Genotype, widths: Widths) -> AutoGANDiscriminator:
        self.validate(genotype)
        check_widths(widths)
        return AutoGANDiscriminator(widths.df_dim, widths.channels)

    def build_shared(self, widths: Widths) -> SharedGAN:
        return build_shared_gan(widths, self.skip_includes_received, self.shortcut_always_on)

    def stage_resolution(self, stage: int, widths: Widths) -> int:
        return stage_resolution(stage, widths)

    def build_relaxed(self, widths: Widths) -> RelaxedAutoGAN:
        return RelaxedAutoGAN(widths, self.skip_includes_received)

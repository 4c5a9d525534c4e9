"""The AdversarialNAS search space (Gao et al., CVPR 2020; chengaopro/AdversarialNAS): G and D cells searched jointly.

Genotype: 49 categorical decisions, G's 21 then D's 28, all in stage 0 (no multi-level growth); layout.py lists them.
Networks for a genotype:
- `build_generator`: the searched generator (generator.py), parameter-exact with the original (8,846,851 at gf 256 on
  CIFAR-10, 8,881,923 at gf 270 on STL-10);
- `build_discriminator`: the discriminator the paper trains the derived generator against, which is AutoGAN's fixed
  discriminator, not the searched one (the D part of the genotype does not affect it);
- `build_searched_discriminator`: the searched D of the genotype, standalone (spectral-norm convs).
Supernets: `build_shared` (weight sharing, for RL / random) and `build_relaxed` (mixed ops, for differentiable search).

The two bugs of the original search are fixed by default and reachable by name (see relaxed.py and derive.py):
`d_derive_axis_bug` (D derivation softmax over the edge axis) and `d_first_cell_dead_alphas` (two alpha slots per
image edge of D's first cell that select no op but take softmax mass).
"""
from __future__ import annotations

import math
from functools import cached_property

from torch import nn

from ganas_bench.genotype import Genotype
from ganas_bench.registry import register_architecture, register_space
from ganas_bench.spaces.autogan.discriminator import AutoGANDiscriminator
from ganas_bench.contracts.space import Decision, Differentiable, SearchSpace, SharedGAN, WeightSharing, Widths

from .discriminator import SearchedDiscriminator
from .generator import AdversarialNASGenerator
from .layout import D_CELLS, G_CELLS, N_G, d_decision_specs, g_decision_specs
from .operations import DOWN_OPS, NORMAL_OPS, RGB_OPS, UP_OPS
from .relaxed import AdversarialNASRelaxedGAN
from .shared import build_shared_gan

# Released CIFAR-10 generator (exps/arch_cifar10/Genotypes/latest_G.npy), rows = cells, columns up0, up1, c0..c4.
RELEASED_CIFAR10_G = ((1, 1, 1, 0, 3, 3, 1), (1, 1, 0, 1, 3, 3, 3), (0, 1, 0, 3, 3, 0, 3))

# AdversarialNAS's final-training scripts (scripts/train_arch_cifar10.sh, train_arch_stl10.sh): G epochs, D steps per G
# step, batches and G width, and the real images its loader goes over (CIFAR-10 train, STL-10 train+unlabeled).
PAPER_FINAL_TRAINING = {
    "cifar10": {"max_epoch_g": 120, "n_critic": 5, "g_batch": 80, "d_batch": 40, "gf_dim": 256, "n_images": 50_000},
    "stl10": {"max_epoch_g": 120, "n_critic": 5, "g_batch": 256, "d_batch": 128, "gf_dim": 270, "n_images": 105_000},
}


def paper_g_iterations(max_epoch_g: int, n_images: int, d_batch: int) -> int:
    """G iterations of the original's final training. It runs max_epoch_G x n_critic epochs of D steps over a loader of
    ceil(n_images / d_batch) batches (the last one partial: no drop_last) and steps G on every n_critic-th D step,
    counted across epochs from the first, so G gets max_epoch_G x ceil(n_images / d_batch) steps whatever n_critic
    is. CIFAR-10: 600 x 1,250 D steps, 150,000 G iterations; STL-10: 600 x 821 D steps, 98,520 G iterations."""
    return max_epoch_g * math.ceil(n_images / d_batch)


# The release has no searched D (final training uses AutoGAN's D), so the published genotype's D part is a fixed
# default: every normal edge conv_3x3, every down edge 2x2 average pooling. Only `build_searched_discriminator` reads it.
DEFAULT_D_CELL = (NORMAL_OPS.index("conv_3x3"),) * 5 + (DOWN_OPS.index("avg_pool"),) * 2
DEFAULT_D_FIRST_CELL = (RGB_OPS.index("conv_3x3"),) * 3 + DEFAULT_D_CELL[3:]
DEFAULT_D = DEFAULT_D_FIRST_CELL + DEFAULT_D_CELL * (D_CELLS - 1)


@register_space("adversarialnas")
class AdversarialNASSpace(SearchSpace, WeightSharing, Differentiable):
    name = "adversarialnas"
    description = "AdversarialNAS (CVPR 2020): DARTS-style up-cells for G and down-cells for D, searched jointly"

    def __init__(self, *, d_derive_axis_bug: bool = False, d_first_cell_dead_alphas: bool = False):
        self.d_derive_axis_bug = d_derive_axis_bug
        self.d_first_cell_dead_alphas = d_first_cell_dead_alphas

    @cached_property
    def _decisions(self) -> tuple[Decision, ...]:
        return tuple(Decision(name, len(ops), 0, ops) for name, ops in g_decision_specs() + d_decision_specs())

    def decisions(self) -> tuple[Decision, ...]:
        return self._decisions

    def size_report(self) -> dict[str, int]:
        """Sizes as the paper counts them, and how many distinct genotypes this encoding admits.

        g = (3^2 * 7^5)^3 ~ 3.5e15, d = (6^2 * 7^5)^4 ~ 1.3e23, joint = g * d ~ 4.6e38 (the paper's "10^38"). The paper
        counts 7 ops on every D edge; the original's first D cell offers 5 ops on its 3 image edges, so the number of
        distinct D genotypes (`d_genotypes`) and joint genotypes (`joint_genotypes`) is smaller.
        """
        g = (len(UP_OPS) ** 2 * len(NORMAL_OPS) ** 5) ** G_CELLS
        d = (len(DOWN_OPS) ** 2 * len(NORMAL_OPS) ** 5) ** D_CELLS
        d_genotypes = math.prod(dec.n_choices for dec in self.decisions()[N_G:])
        return {"g": g, "d": d, "joint": g * d, "d_genotypes": d_genotypes, "joint_genotypes": g * d_genotypes}

    def size(self) -> int:
        """The joint size as the paper reports it (see `size_report`)."""
        return self.size_report()["joint"]

    def split(self, genotype: Genotype) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(G's 21 choices, D's 28 choices) of a valid genotype."""
        choices = self.validate(genotype).choices
        return choices[:N_G], choices[N_G:]

    def paper_recipe(self, profile: str) -> dict:
        """AdversarialNAS's own final training (`PAPER_FINAL_TRAINING`): latent 120, its widths and batches, and as
        many G iterations as its script's 120 G epochs give on the profile's data (`paper_g_iterations`): CIFAR-10 G
        batch 80, D batch 40, 150,000 G iterations; STL-10 gf 270, G batch 256, D batch 128, 98,520 G iterations."""
        script = PAPER_FINAL_TRAINING.get(profile)
        if script is None:
            return {}
        iterations = paper_g_iterations(script["max_epoch_g"], script["n_images"], script["d_batch"])
        return {"latent_dim": 120, "gf_dim": script["gf_dim"], "g_batch": script["g_batch"],
                "d_batch": script["d_batch"], "n_critic": script["n_critic"], "train_iters": iterations}

    def paper_search_recipe(self, profile: str) -> dict:
        """AdversarialNAS's search: G width 160, D width 80, latent 120, real batch 120 (split in halves) and G batch
        120 (its G batch equals its search batch). The paper searched on CIFAR-10 only; a search on STL-10 gets the same."""
        if profile in ("cifar10", "stl10"):
            return {"search_gf_dim": 160, "search_df_dim": 80, "latent_dim": 120, "search_batch": 120, "g_batch": 120}
        return {}

    def build_generator(self, genotype: Genotype, widths: Widths) -> nn.Module:
        return AdversarialNASGenerator(self.split(genotype)[0], widths)

    def build_discriminator(self, genotype: Genotype, widths: Widths) -> nn.Module:
        """AutoGAN's fixed discriminator at df_dim, as the paper's final training uses (the genotype's D is unused)."""
        self.validate(genotype)
        return AutoGANDiscriminator(widths.df_dim, widths.channels)

    def build_searched_discriminator(self, genotype: Genotype, widths: Widths) -> nn.Module:
        return SearchedDiscriminator(self.split(genotype)[1], widths)

    def build_shared(self, widths: Widths) -> SharedGAN:
        return build_shared_gan(widths)

    def build_relaxed(self, widths: Widths) -> AdversarialNASRelaxedGAN:
        return AdversarialNASRelaxedGAN(
            widths, self.name, d_derive_axis_bug=self.d_derive_axis_bug,
            d_first_cell_dead_alphas=self.d_first_cell_dead_alphas,
        )


register_architecture(
    "adversarialnas_cifar10", "adversarialnas", sum(RELEASED_CIFAR10_G, ()) + DEFAULT_D,
    "AdversarialNAS-GAN, the released CIFAR-10 generator (IS 8.74, FID 10.87); D part a fixed default, unused in "
    "final training (AutoGAN's D)",
)

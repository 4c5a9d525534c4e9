"""The search-space contract and the capability mixins strategies ask for.

Lifecycle, documented once here:
1. A strategy reads `decisions()` (name, number of choices and MLAS stage of each categorical decision).
2. It samples or derives genotypes and hands them back; `validate()` refuses anything malformed before work starts.
3. The harness checks the widths it will build at (`check_widths`, before any run directory exists), then builds
   standalone networks for a genotype with `build_generator` / `build_discriminator` at a `Widths`.
4. Capabilities: `WeightSharing` (one supernet, `set_arch` on G and D, stage growth) for RL and random search;
   `Differentiable` (mixed ops with architecture parameters and `derive()`) for gradient-based search.
Space rules belong to the space: the core config knows nothing of cells; a space says through `check_widths` which
image sizes its cells can reach. Misusing a supernet (a forward before `set_arch`) raises `SupernetUsageError` in
every space.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from torch import nn

from ganas_bench.errors import UserError, preview
from ganas_bench.genotype import Genotype


@dataclass(frozen=True)
class Decision:
    """One categorical choice of an architecture, in the order genotypes list them."""

    name: str
    n_choices: int
    stage: int = 0
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Widths:
    """The numbers a builder needs; they come from the profile (search or final widths)."""

    latent_dim: int
    bottom_width: int
    gf_dim: int
    df_dim: int
    channels: int
    image_size: int

    @classmethod
    def of(cls, cfg, search: bool) -> "Widths":
        """The widths a config (ganas_bench.config.Config) builds at: its search widths or its final-training ones."""
        return cls(cfg.latent_dim, cfg.bottom_width, cfg.search_gf_dim if search else cfg.gf_dim,
                   cfg.search_df_dim if search else cfg.df_dim, cfg.channels, cfg.image_size)

    def require_positive(self, *names: str) -> "Widths":
        """One clear error for the first of `names` that is not an integer >= 1 (every builder checks its own subset)."""
        for name in names:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(f"invalid {name}={value!r}; accepted: an integer >= 1")
        return self


class SupernetUsageError(RuntimeError):
    """A supernet used out of order (e.g. a forward before `set_arch`, or a prefix shorter than the active stages):
    a bug in the calling strategy, not bad user input."""


def check_resolution(widths: Widths, doublings: int) -> Widths:
    """One rule for every space whose G starts at bottom_width and doubles the side `doublings` times."""
    widths.require_positive("latent_dim", "bottom_width", "gf_dim", "df_dim", "channels", "image_size")
    if widths.bottom_width * 2**doublings != widths.image_size:
        raise UserError(
            f"invalid image_size={widths.image_size} for bottom_width={widths.bottom_width}; accepted: "
            f"{widths.bottom_width * 2**doublings} ({doublings} generator cells each double the side)")
    return widths


class SearchSpace(ABC):
    """A set of GAN architectures with a fixed sequence of categorical decisions."""

    name: str = ""
    description: str = ""
    #: how many times G's cells double the side from bottom_width (3 in both papers' spaces)
    resolution_doublings: int = 3

    def check_widths(self, widths: Widths) -> Widths:
        """Refuse widths this space cannot build at, with one clear message; returns them."""
        return check_resolution(widths, self.resolution_doublings)

    @abstractmethod
    def decisions(self) -> tuple[Decision, ...]:
        """Every decision in genotype order."""

    @abstractmethod
    def build_generator(self, genotype: Genotype, widths: Widths) -> nn.Module:
        """A standalone generator: forward(z of shape (B, latent_dim)) -> images (B, channels, S, S) in [-1, 1]."""

    @abstractmethod
    def build_discriminator(self, genotype: Genotype, widths: Widths) -> nn.Module:
        """The discriminator used to train this genotype from scratch: forward(images) -> scores of shape (B,) or (B, 1)."""

    # ---------------------------------------------------------------- derived, shared by every space
    @property
    def n_stages(self) -> int:
        return 1 + max((d.stage for d in self.decisions()), default=0)

    def size(self) -> int:
        return math.prod(d.n_choices for d in self.decisions())

    def genotype(self, choices: Sequence[int]) -> Genotype:
        return self.validate(Genotype(self.name, tuple(choices)))

    def validate(self, genotype: Genotype) -> Genotype:
        decisions = self.decisions()
        if genotype.space != self.name:
            raise UserError(f"genotype belongs to space {preview(genotype.space)}, not {self.name!r}")
        if len(genotype.choices) != len(decisions):
            raise UserError(
                f"genotype {preview(list(genotype.choices))} has {len(genotype.choices):,} choices; space "
                f"{self.name!r} has {len(decisions)} decisions: {preview(', '.join(d.name for d in decisions), 100)}"
            )
        for value, d in zip(genotype.choices, decisions):
            if not 0 <= value < d.n_choices:
                raise UserError(f"choice {d.name}={preview(value)} is out of range; accepted: 0..{d.n_choices - 1}")
        return genotype

    def sample(self, rng: np.random.Generator) -> Genotype:
        """A uniform draw over the whole space."""
        return Genotype(self.name, tuple(int(rng.integers(d.n_choices)) for d in self.decisions()))

    def stage_slice(self, stage: int) -> slice:
        """Positions of the decisions that belong to MLAS stage `stage`."""
        if not 0 <= stage < self.n_stages:
            raise UserError(f"stage {stage} does not exist in space {self.name!r}; accepted: 0..{self.n_stages - 1}")
        idx = [i for i, d in enumerate(self.decisions()) if d.stage == stage]
        return slice(idx[0], idx[-1] + 1)

    def describe(self, genotype: Genotype) -> str:
        parts = []
        for value, d in zip(genotype.choices, self.decisions()):
            parts.append(f"{d.name}={d.labels[value] if d.labels else value}")
        return ", ".join(parts)

    def paper_recipe(self, profile: str) -> dict:
        """Config overrides that make final training follow this space's paper on `profile` (`--recipe paper`).

        Empty by default: the profile's own numbers are then the paper's (AutoGAN's, for cifar10 / stl10)."""
        return {}

    def paper_search_recipe(self, profile: str) -> dict:
        """Config overrides that make the search follow this space's paper on `profile` (`--recipe paper`); empty by
        default, as `paper_recipe`."""
        return {}

    def published(self) -> dict[str, Genotype]:
        from ganas_bench.registry import architectures

        return {n: Genotype(a.space, a.choices) for n, a in architectures().items() if a.space == self.name}


class WeightSharing(ABC):
    """Capability: one weight-sharing supernet that any genotype (or a prefix of one, per MLAS stage) can be set into."""

    @abstractmethod
    def build_shared(self, widths: Widths) -> "SharedGAN":
        ...

    def stage_resolution(self, stage: int, widths: Widths) -> int:
        """Image side the shared GAN produces and D consumes at `stage` (the last stage gives widths.image_size)."""
        return widths.image_size


class SharedGAN(nn.Module):
    """A generator supernet and a discriminator trained together with shared weights.

    `generator` must implement `set_arch(choices)` taking a full genotype's choices or a prefix covering the active
    stages; a searched discriminator implements `set_arch` too (it takes the same choices and reads its own part), a
    fixed one does not. Both nets may implement `set_stage(stage)` (spaces with one stage need not).
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    def set_arch(self, choices: Sequence[int]) -> None:
        """Set the architecture of both nets (the discriminator only where it is searched)."""
        choices = tuple(choices)
        self.generator.set_arch(choices)
        if hasattr(self.discriminator, "set_arch"):
            self.discriminator.set_arch(choices)

    def set_stage(self, stage: int) -> None:
        for net in (self.generator, self.discriminator):
            if hasattr(net, "set_stage"):
                net.set_stage(stage)


class Differentiable(ABC):
    """Capability: a supernet whose decisions are mixed ops weighted by architecture parameters."""

    @abstractmethod
    def build_relaxed(self, widths: Widths) -> "RelaxedGAN":
        ...


class RelaxedGAN(nn.Module):
    """Contract of a relaxed (mixed-op) GAN supernet.

    Architecture parameters are kept apart from weights so that each has its own optimiser. `derive()` returns the
    discrete genotype; `edge_entropies()` the entropy (nats) of each decision's distribution, for convergence plots.
    """

    generator: nn.Module
    discriminator: nn.Module

    def arch_parameters_g(self) -> list[nn.Parameter]:
        raise NotImplementedError

    def arch_parameters_d(self) -> list[nn.Parameter]:
        raise NotImplementedError

    def weight_parameters_g(self) -> list[nn.Parameter]:
        ids = {id(p) for p in self.arch_parameters_g()}
        return [p for p in self.generator.parameters() if id(p) not in ids]

    def weight_parameters_d(self) -> list[nn.Parameter]:
        ids = {id(p) for p in self.arch_parameters_d()}
        return [p for p in self.discriminator.parameters() if id(p) not in ids]

    def set_relaxation(self, tau: float, gumbel: bool) -> None:
        raise NotImplementedError

    def derive(self) -> Genotype:
        raise NotImplementedError

    def edge_entropies(self) -> dict[str, float]:
        raise NotImplementedError


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())

"""The strategy contract.

A strategy proposes architectures in a space and returns a ranked list of derived genotypes with their proxy scores. It
never touches files, devices or metrics directly: everything goes through the `SearchContext` it is given
(ganas_bench/context.py): `ctx.config`, `ctx.device`, `ctx.rng` (NumPy Generator), `ctx.widths(search=True)`,
`ctx.real_batches(image_size, batch_size)`, `ctx.make_trainer(G, D)`, `ctx.proxy_score(G)`, `ctx.log(event, **fields)`,
`ctx.progress(total, desc)`, `ctx.clock`.

A strategy states the space capability it needs in `requires`; `check_compatible` refuses an incompatible pair with one
clear message before any work starts.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype


@dataclass
class Candidate:
    genotype: Genotype
    score: float | None  # None: the candidate could not be scored (see ganas_bench/candidates.py)
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"genotype": self.genotype.to_dict(), "hash": self.genotype.stable_hash(), "score": self.score, **self.info}


@dataclass
class SearchResult:
    """Ranked candidates (best first) plus what the report plots: `curve` rows, e.g. {"step", "reward"} or entropies."""

    ranked: list[Candidate]
    curve: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ranked": [c.to_dict() for c in self.ranked], "curve": self.curve, "info": self.info}


class Strategy(ABC):
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    requires: ClassVar[type] = object  # a capability mixin from ganas_bench.spaces.base

    def __init__(self, space, ctx):
        check_compatible(type(self), space)
        self.space = space
        self.ctx = ctx

    @abstractmethod
    def search(self) -> SearchResult:
        """Run the search within the context's budget and return candidates best first."""


def check_compatible(strategy_cls: type, space) -> None:
    if not isinstance(space, strategy_cls.requires):
        raise UserError(
            f"strategy {strategy_cls.name!r} needs a space with the {strategy_cls.requires.__name__} capability; "
            f"space {space.name!r} does not have it"
        )

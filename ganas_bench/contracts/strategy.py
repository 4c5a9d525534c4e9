"""The strategy contract: a small state machine the harness drives.

A strategy proposes architectures in a space and ends with a ranked list of derived genotypes and their proxy scores.
It owns its algorithm and nothing else: the harness (`ganas_bench.search.loop.run_search`) owns the loop, checkpoint
files and their timing, every RNG capture and restore, the cost clock, the budget and logging of progress. The
lifecycle, documented once here:

1. `__init__(space, harness, options)`: keep references; build nothing yet.
2. `start()`: build what the search needs (supernets, controllers, candidate lists), drawing randomness from
   `harness.rng` (NumPy) and torch's global RNG. Called exactly once per process, also before a resume.
3. On resume only: `load_state_dict(state)` with what `state_dict()` returned at the last checkpoint. Afterwards the
   harness restores every RNG stream to where the checkpoint left it, so whatever `start()` or `load_state_dict()`
   drew is forgotten and the run continues bit for bit.
4. `step()` while not `done`: one unit of work (a search iteration, one candidate, one architecture step...). The
   harness checkpoints after every `checkpoint_every`-th step, whenever `phase` changes, and after every step for
   which `last_step_was_long` is True (a step of minutes at paper scale, e.g. a search iteration or a candidate
   trained from scratch), so `state_dict()` after any step must hold everything needed to continue.
5. `result()` once `done`: the `SearchResult`.

`state_dict()` holds tensors, numbers, strings, lists and dicts only (checkpoints load with `weights_only=True`).
Services a strategy uses, all on `harness` (`ganas_bench.harness.RunHarness` + `ganas_bench.search`):
`harness.config` (core settings) and `self.options` (the strategy's own, `Options` below), `harness.rng`,
`harness.widths(search=True)`, `harness.real_batches(size, batch)`, `harness.make_trainer(G, D)`,
`harness.evaluator.score(choices, generator)` (the proxy IS, or None for a failed candidate: logged and counted),
`harness.budget` (the weight-sharing budget rl and random share), `harness.supernet(space)` (shared training with
AutoGAN's dynamic reset), `harness.log(event, **fields)`.

A strategy states the space capability it needs in `requires`; `check_compatible` refuses an incompatible pair with one
clear message before any work starts. Its own settings are a frozen dataclass `Options` (fields with `help` and range
metadata, `PROFILE_DEFAULTS` per profile): the CLI generates a flag for each, `--help` shows them under the strategy.
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
    score: float | None  # None: the candidate could not be scored (see ganas_bench/search/candidates.py)
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


@dataclass(frozen=True)
class NoOptions:
    """The options of a strategy that has none."""

    strategy: ClassVar[str] = ""


class Strategy(ABC):
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    requires: ClassVar[type] = object  # a capability mixin from ganas_bench.contracts.space
    Options: ClassVar[type] = NoOptions

    def __init__(self, space, harness, options=None):
        check_compatible(type(self), space)
        self.space = space
        self.harness = harness
        self.options = options if options is not None else self.Options()
        self.phase = "search"  # a name for what the steps do now; the harness checkpoints when it changes

    @abstractmethod
    def start(self) -> None:
        """Build what the search needs (see the module docstring, step 2)."""

    @abstractmethod
    def step(self) -> None:
        """One unit of work."""

    @property
    @abstractmethod
    def done(self) -> bool:
        """True once `result()` can be called."""

    @abstractmethod
    def result(self) -> SearchResult:
        """The candidates, best first."""

    @property
    def last_step_was_long(self) -> bool:
        """True when the step just done is too costly to redo after an interruption (see step 4 above)."""
        return False

    def progress(self) -> tuple[int, int]:
        """(steps done, steps in all) for the progress bar and ETA; (0, 0) when unknown."""
        return 0, 0

    def state_dict(self) -> dict:
        """Everything needed to continue after the last step (plain data and tensors)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Continue from `state_dict()`'s output, after `start()`."""


def check_compatible(strategy_cls: type, space) -> None:
    if not isinstance(space, strategy_cls.requires):
        raise UserError(
            f"strategy {strategy_cls.name!r} needs a space with the {strategy_cls.requires.__name__} capability; "
            f"space {space.name!r} does not have it"
        )

"""Random search: the honest baseline for the weight-sharing strategies, on rl's budget terms.

Default (shared weights): `random_candidates` uniform architectures are drawn first; then the space's supernet trains
at full resolution (its last stage) for the budget's D steps (`SearchBudget.iterations` steps of `shared_steps` D steps,
each with a uniformly drawn architecture, AutoGAN's step schedule and dynamic reset; phase "train"), and each drawn
candidate is scored by the IS proxy on the shared weights (phase "score", one candidate per step). They are the result,
best first.

Proxy budget: `random_candidates` = 0 (the default, equal terms) scores exactly as many architectures as rl does
(`SearchBudget.proxy_evaluations`: every controller update plus `mlas_m` at each stage's end, e.g. 15 on the smoke
profile at three stages); a positive value overrides it. `info` reports both numbers.

Variant (`random_scratch_steps` > 0): no supernet. Each candidate's standalone G and D (search widths) train from
scratch for `random_scratch_steps` D steps (same schedule, no EMA) before it is scored; each candidate is seeded from
the run's seed and its index alone (`ganas_bench.search.scratch`), so the ranking is the same in any order and on any
executor.

Failed candidates (NaN/Inf loss or output, collapsed output, out of memory; see ganas_bench/search/candidates.py) are
logged as `candidate_failed`, counted and left out of the ranking. Randomness: harness.rng for architectures, the global
torch RNG for the shared GAN.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ganas_bench.contracts.space import WeightSharing
from ganas_bench.contracts.strategy import SearchResult, Strategy
from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.registry import register_strategy
from ganas_bench.search.scratch import score_from_scratch
from ganas_bench.search.supernet import rank


@dataclass(frozen=True)
class RandomOptions:
    strategy: ClassVar[str] = "random"

    random_candidates: int = field(default=0, metadata={
        "help": "architectures the random baseline scores (0: as many as rl's proxy evaluations, equal terms)",
        "min": 0, "max": 10**9})
    random_scratch_steps: int = field(default=0, metadata={
        "help": "if > 0, train each candidate from scratch this many D steps instead of sharing weights",
        "min": 0, "max": 10**9})


TRAIN, SCORE, DONE = "train", "score", "done"


@register_strategy("random")
class RandomStrategy(Strategy):
    name = "random"
    description = "Random search: uniform architectures scored by the IS proxy on a uniformly trained supernet (or from scratch)"
    requires = WeightSharing
    Options = RandomOptions

    def start(self) -> None:
        budget = self.harness.budget
        n = self.options.random_candidates or budget.proxy_evaluations
        self.genotypes = [self.space.sample(self.harness.rng) for _ in range(n)]
        self.scores: list[float | None] = []
        self.trained = 0
        self.scratch = self.options.random_scratch_steps > 0
        self.scratch_d_steps = 0
        if self.scratch:
            self.phase = SCORE
        else:
            self.shared = self.harness.supernet(self.space)
            self.shared.enter_stage(self.space.n_stages - 1)
            self.phase = TRAIN

    @property
    def done(self) -> bool:
        return self.phase == DONE

    def progress(self) -> tuple[int, int]:
        training = 0 if self.scratch else self.harness.budget.iterations
        return self.trained + len(self.scores), training + len(self.genotypes)

    @property
    def last_step_was_long(self) -> bool:
        """A shared-training iteration or a candidate trained from scratch; one proxy score is not."""
        return self.scratch or (self.trained > 0 and len(self.scores) == 0)

    def step(self) -> None:
        if self.phase == TRAIN:
            stop = self.shared.train(self.harness.budget.shared_steps, lambda: self.space.sample(self.harness.rng).choices)
            if stop is not None:
                self.shared.reinitialise(stop)
            self.trained += 1
            if self.trained == self.harness.budget.iterations:
                self.phase = SCORE
            return
        if self.scratch:
            first = len(self.scores)
            batch = range(first, min(len(self.genotypes), first + self.harness.executor.parallelism))
            outcomes = score_from_scratch(self.harness, self.space, [(i, self.genotypes[i]) for i in batch],
                                          self.options.random_scratch_steps)
            for outcome in outcomes:
                self.scratch_d_steps += outcome.d_steps
                self.scores.append(outcome.score)
        else:
            self.scores.append(self.shared.score(self.genotypes[len(self.scores)].choices))
        if len(self.scores) == len(self.genotypes):
            self.phase = DONE

    def result(self) -> SearchResult:
        scored = [(g, s) for g, s in zip(self.genotypes, self.scores) if s is not None]
        if not scored:
            hint = (f" within random_scratch_steps={self.options.random_scratch_steps}; try a lower lr_g/lr_d or fewer "
                    "steps" if self.scratch else " on the shared weights")
            raise UserError(f"all {len(self.genotypes)} random candidates failed{hint} (see the candidate_failed events)")
        ranked = rank(scored)
        for c in ranked:
            self.harness.log("candidate", genotype=c.genotype.to_dict(), score=c.score)
        if self.scratch:
            info = {"mode": "scratch", "resets": 0, "d_steps": self.scratch_d_steps}
        else:
            info = {"mode": "shared", **self.shared.reset_info(), "d_steps": self.shared.d_steps}
        info.update(architectures_evaluated=len(self.genotypes),
                    rl_proxy_evaluations=self.harness.budget.proxy_evaluations)
        curve = [{"step": i, "score": s} for i, (_, s) in enumerate(scored)]
        return SearchResult(ranked=ranked, curve=curve, info=info)

    def state_dict(self) -> dict:
        state = {"phase": self.phase, "genotypes": [list(g.choices) for g in self.genotypes], "scores": self.scores,
                 "trained": self.trained, "scratch_d_steps": self.scratch_d_steps}
        if not self.scratch:
            state["shared"] = self.shared.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.genotypes = [Genotype(self.space.name, tuple(int(c) for c in g)) for g in state["genotypes"]]
        self.scores = [None if s is None else float(s) for s in state["scores"]]
        self.trained, self.scratch_d_steps = int(state["trained"]), int(state["scratch_d_steps"])
        self.phase = str(state["phase"])
        if not self.scratch:
            self.shared.load_state_dict(state["shared"])

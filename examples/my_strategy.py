"""Regularized evolution (Real et al., AAAI 2019) on the weight-sharing supernet: a whole new strategy in one file.

Same budget as rl and random (`harness.budget`): the supernet first trains for the budget's D steps with uniformly drawn
architectures; then each step scores one architecture with the IS proxy: the first `population` are drawn uniformly,
every later one mutates one decision of the best of `sample_size` architectures drawn from the latest `population`.
There is no checkpoint, RNG or clock code here: the harness saves `state_dict()` and every RNG stream, and a run killed
at any point resumes to the same result. Register it with an entry point (see README, "Add a strategy"):

    [project.entry-points."ganas_bench.strategies"]
    evolution = "my_strategy"
"""
from dataclasses import dataclass, field
from typing import ClassVar

from ganas_bench.contracts.space import WeightSharing
from ganas_bench.contracts.strategy import SearchResult, Strategy
from ganas_bench.registry import register_strategy
from ganas_bench.search.supernet import rank


@dataclass(frozen=True)
class EvolutionOptions:
    strategy: ClassVar[str] = "evolution"

    population: int = field(default=8, metadata={"help": "architectures alive at once", "min": 2, "max": 10**6})
    sample_size: int = field(default=3, metadata={"help": "tournament size for a parent", "min": 1, "max": 10**6})


@register_strategy("evolution")
class RegularizedEvolution(Strategy):
    name = "evolution"
    description = "Example: regularized evolution on the weight-sharing supernet's IS proxy (examples/my_strategy.py)"
    requires = WeightSharing
    Options = EvolutionOptions

    def start(self):
        self.supernet = self.harness.supernet(self.space)
        self.supernet.enter_stage(self.space.n_stages - 1)
        self.trained, self.history, self.phase = 0, [], "train"  # history: [choices, score or None] in order

    @property
    def done(self):
        return len(self.history) == self.harness.budget.proxy_evaluations

    @property
    def last_step_was_long(self):
        return self.phase == "train" or len(self.history) == 0

    def step(self):
        budget, rng = self.harness.budget, self.harness.rng
        if self.phase == "train":
            stop = self.supernet.train(budget.shared_steps, lambda: self.space.sample(rng).choices)
            if stop is not None:
                self.supernet.reinitialise(stop)
            self.trained += 1
            self.phase = "train" if self.trained < budget.iterations else "evolve"
            return
        alive = [h for h in self.history[-self.options.population:] if h[1] is not None]
        if len(self.history) < self.options.population or not alive:
            child = list(self.space.sample(rng).choices)
        else:
            drawn = [alive[int(i)] for i in rng.integers(len(alive), size=self.options.sample_size)]
            child = list(max(drawn, key=lambda h: h[1])[0])
            decision = int(rng.integers(len(child)))
            n = self.space.decisions()[decision].n_choices
            child[decision] = (child[decision] + 1 + int(rng.integers(max(n - 1, 1)))) % n
        self.history.append([child, self.supernet.score(child)])

    def result(self):
        ranked = rank([(self.space.genotype(c), s) for c, s in self.history if s is not None])
        return SearchResult(ranked, [{"step": i, "score": s} for i, (_, s) in enumerate(self.history)],
                            {**self.supernet.reset_info(), "d_steps": self.supernet.d_steps})

    def state_dict(self):
        return {"trained": self.trained, "phase": self.phase, "history": self.history,
                "supernet": self.supernet.state_dict()}

    def load_state_dict(self, state):
        self.trained, self.phase, self.history = state["trained"], state["phase"], state["history"]
        self.supernet.load_state_dict(state["supernet"])

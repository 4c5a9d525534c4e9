"""A candidate trained from scratch and scored: random search's variant, and the unit of work an executor can fan out.

Each candidate is seeded from the run's seed and its index alone (`candidate_seed`), with its own real-data stream, and
leaves the run's global RNG streams exactly as it found them: the score of candidate i does not depend on which
candidates ran before it, in which order, or in which process.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import RealBatches
from ..faults import fault_point
from ..seeding import seed_everything, untouched_rng
from .supernet import critic_steps


@dataclass
class ScratchOutcome:
    score: float | None  # None: the candidate failed (logged and counted by the evaluator)
    d_steps: int


def candidate_seed(run_seed: int, index: int) -> int:
    """A seed for candidate `index` of the run seeded `run_seed` (NumPy's SeedSequence: independent streams)."""
    return int(np.random.SeedSequence([int(run_seed), int(index)]).generate_state(1)[0])


def score_from_scratch(harness, space, genotype, index: int, d_steps: int) -> ScratchOutcome:
    """Build `genotype`'s G and D at search widths, train them `d_steps` D steps (the shared schedule, no EMA) and score
    G with the proxy; a failure (divergence, broken output, out of memory) gives score None."""
    cfg, widths = harness.config, harness.widths(search=True)
    seed = candidate_seed(cfg.seed, index)
    trainer, score = None, None
    with untouched_rng(harness.device):
        seed_everything(seed)
        batches = RealBatches(harness.real.resized(widths.image_size), cfg.d_batch, seed=seed, device=harness.device)
        with harness.evaluator.attempt(genotype.choices, "scratch") as attempt:
            trainer = harness.make_trainer(space.build_generator(genotype, widths),
                                           space.build_discriminator(genotype, widths), ema=False)
            for _ in critic_steps(trainer, batches, d_steps):
                fault_point("search_step")
        if not attempt.failed:
            score = harness.evaluator.score(genotype.choices, trainer.G, phase="scratch")
        steps = trainer.d_steps if trainer is not None else 0
    return ScratchOutcome(score, steps)

"""Candidates trained from scratch and scored: random search's variant, and a unit of work an executor fans out.

Each candidate is seeded from the run's seed and its index alone (`candidate_seed`), with its own real-data stream and
its own NumPy RNG (what `--proxy-z fresh` draws from), and leaves the run's RNG streams exactly as it found them: the
score of candidate i does not depend on which candidates ran before it, in which order, or in which process. A batch
of candidates goes through the run's executor (`harness.executor`): in this process one after another, or as Ray
tasks; each comes back with its score, its D steps, the events it would have logged, its failure counts and its step
time, which are merged into the run in the order of the candidates — so the run's files are the same either way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..config import Config
from ..data import RealBatches, RealImages
from ..faults import fault_point
from ..genotype import Genotype
from ..seeding import seed_everything, untouched_rng
from .supernet import critic_steps


@dataclass
class ScratchOutcome:
    score: float | None  # None: the candidate failed (logged and counted by the evaluator)
    d_steps: int
    events: list = field(default_factory=list)   # (event, fields) the candidate logged, in order
    failed: int = 0                               # evaluator counters of this candidate
    evaluations: int = 0
    meter: dict = field(default_factory=dict)     # StepMeter seconds by kind


@dataclass(frozen=True)
class ScratchJob:
    """One candidate, picklable: the search's config, the space instance, the genotype, its index, its D steps and the
    kind of harness the run uses (rebuilt where the job runs with `for_job`)."""

    config: Config
    space: object
    genotype: Genotype
    index: int
    d_steps: int
    harness_kind: type


def candidate_seed(run_seed: int, index: int) -> int:
    """A seed for candidate `index` of the run seeded `run_seed` (NumPy's SeedSequence: independent streams)."""
    return int(np.random.SeedSequence([int(run_seed), int(index)]).generate_state(1)[0])


def train_and_score(job: ScratchJob, real: RealImages) -> ScratchOutcome:
    """Build the genotype's G and D at search widths, train them `d_steps` D steps (the shared schedule, no EMA) and
    score G with the proxy; a failure (divergence, broken output, out of memory) gives score None. Runs anywhere: it
    needs only the job and the run's real images."""
    cfg, space, genotype = job.config, job.space, job.genotype
    events: list = []
    harness = job.harness_kind.for_job(cfg, real, log=lambda event, **f: events.append((event, f)))
    widths = harness.widths(search=True)
    seed = candidate_seed(cfg.seed, job.index)
    trainer, score = None, None
    with untouched_rng(harness.device):
        harness.rng = seed_everything(seed)
        batches = RealBatches(real.resized(widths.image_size), cfg.d_batch, seed=seed, device=harness.device)
        with harness.evaluator.attempt(genotype.choices, "scratch") as attempt:
            trainer = harness.make_trainer(space.build_generator(genotype, widths),
                                           space.build_discriminator(genotype, widths), ema=False)
            for _ in critic_steps(trainer, batches, job.d_steps):
                fault_point("search_step")
        if not attempt.failed:
            score = harness.evaluator.score(genotype.choices, trainer.G, phase="scratch")
        steps = trainer.d_steps if trainer is not None else 0
    evaluator = harness.evaluator
    return ScratchOutcome(score, steps, events, evaluator.failed, evaluator.evaluations, harness.meter.state_dict())


def score_from_scratch(harness, space, candidates: Sequence[tuple[int, Genotype]], d_steps: int) -> list[ScratchOutcome]:
    """Train and score each (index, genotype) through the run's executor; their events, failure counts and step time
    are merged into `harness` in the order given. Returns the outcomes in that order."""
    jobs = [ScratchJob(harness.config, space, genotype, index, d_steps, type(harness)) for index, genotype in candidates]
    outcomes = harness.executor.map(train_and_score, jobs, shared=harness.real,
                                    on_retry=lambda i, job, attempt, reason: harness.log(
                                        "executor_retry", candidate=job.index, attempt=attempt, reason=reason))
    evaluator = harness.evaluator
    for outcome in outcomes:
        for event, fields in outcome.events:
            harness.log(event, **fields)
        evaluator.failed += outcome.failed
        evaluator.evaluations += outcome.evaluations
        for kind, seconds in outcome.meter.items():
            harness.meter.add(kind, seconds)
    return outcomes

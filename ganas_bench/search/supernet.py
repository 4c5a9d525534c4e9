"""What every weight-sharing strategy (rl, random, yours) shares: training the supernet with one architecture per D
step, AutoGAN's dynamic reset, the proxy score of an architecture on the shared weights, and ranking of scored genotypes.

The step schedule is AutoGAN's `train_shared`: an architecture is set before every D step, and a G step (same
architecture) follows the 1st, (n_critic+1)-th, ... D step of each search iteration. The losses are the harness's
(`GANTrainer.d_step` / `g_step`); the supernet trains without EMA, as in the original search.
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Iterator, Sequence

import numpy as np

from ..contracts.strategy import Candidate
from ..faults import fault_point
from ..genotype import Genotype
from ..training import DivergedError
from .candidates import failure_reason

COLLAPSED = "collapsed"
DIVERGED = "diverged"


def critic_step(trainer, real, step: int) -> tuple[float, float | None]:
    """D step number `step` (0-based) of a run of them on `real`, then a G step after D steps 1, 1 + n_critic, ...;
    returns (D loss, G loss or None)."""
    d_loss = trainer.d_step(real)
    g_loss = trainer.g_step() if step % trainer.cfg.n_critic == 0 else None
    return d_loss, g_loss


def critic_steps(trainer, batches, n_d_steps: int) -> Iterator[tuple[float, float | None]]:
    """`n_d_steps` `critic_step`s on consecutive real batches; yields (D loss, G loss or None) per D step."""
    for step in range(n_d_steps):
        yield critic_step(trainer, next(batches), step)


class LossWindows:
    """AutoGAN's dynamic-reset test: sliding windows of the last `size` G and D losses.

    Once the G window is full (it fills n_critic times slower than D's), the shared GAN counts as collapsed when the
    population variance of either window is below `threshold` (the paper says standard deviation; the code compares
    variance, and so does this). `size` 0 disables the test.
    """

    def __init__(self, size: int, threshold: float):
        self.size = int(size)
        self.threshold = float(threshold)
        self.g: deque[float] = deque(maxlen=self.size or None)
        self.d: deque[float] = deque(maxlen=self.size or None)

    def push(self, d_loss: float, g_loss: float | None) -> None:
        if self.size:
            self.d.append(d_loss)
            if g_loss is not None:
                self.g.append(g_loss)

    def variances(self) -> tuple[float, float]:
        return float(np.var(self.g)) if self.g else 0.0, float(np.var(self.d)) if self.d else 0.0

    def collapsed(self) -> bool:
        if not self.size or len(self.g) < self.size:
            return False
        var_g, var_d = self.variances()
        return var_g < self.threshold or var_d < self.threshold

    def clear(self) -> None:
        self.g.clear()
        self.d.clear()

    def state_dict(self) -> dict:
        return {"g": list(self.g), "d": list(self.d)}

    def load_state_dict(self, state: dict) -> None:
        self.clear()
        self.g.extend(state["g"])
        self.d.extend(state["d"])


class SharedTraining:
    """The supernet of `space` at search widths, its trainer, its real-data stream and its dynamic-reset state.

    `enter_stage(s)` before training: it opens the real-data stream at that stage's resolution.
    """

    def __init__(self, space, harness):
        self.space = space
        self.harness = harness
        self.cfg = harness.config
        self.widths = harness.widths(search=True)
        self.windows = LossWindows(self.cfg.reset_window, self.cfg.reset_threshold)
        self.reset_reasons = {COLLAPSED: 0, DIVERGED: 0}  # dynamic resets by cause
        self.d_steps = 0
        self.stage = space.n_stages - 1
        self.batches = None
        self._build()

    def _build(self) -> None:
        self.shared = self.space.build_shared(self.widths)
        self.trainer = self.harness.make_trainer(self.shared.generator, self.shared.discriminator, ema=False,
                                                 ranks=self.harness.ranks.for_supernet())
        self.shared.set_stage(self.stage)

    def enter_stage(self, stage: int) -> int:
        """Grow the supernet to `stage` and stream real images at that stage's resolution; returns the resolution."""
        self.stage = stage
        self.shared.set_stage(stage)
        resolution = self.space.stage_resolution(stage, self.widths)
        self.batches = self.harness.real_batches(resolution, self.cfg.d_batch)
        return resolution

    def train(self, n_d_steps: int, next_arch: Callable[[], Sequence[int]]) -> str | None:
        """Up to `n_d_steps` D steps, each on the architecture `next_arch()` returns (a full genotype or a prefix
        covering the active stages), each a `critic_step`. Stops early and returns COLLAPSED (dynamic reset)
        or DIVERGED (a NaN/Inf loss); returns None when every step ran. The caller decides when to `reinitialise()`.
        A step that runs out of memory fails its architecture only: it is recorded (`evaluator.record_failure`) and skipped."""
        for step in range(n_d_steps):
            choices = tuple(next_arch())
            self.shared.set_arch(choices)
            fault_point("search_step")
            failure = None
            try:
                d_loss, g_loss = critic_step(self.trainer, next(self.batches), step)
            except DivergedError as exc:
                self.harness.log("dynamic_reset", reason=DIVERGED, stage=self.stage, d_steps=self.d_steps, error=str(exc))
                self.windows.clear()
                return DIVERGED
            except Exception as exc:
                failure = failure_reason(exc)  # out of memory: DivergedError is handled above
                if failure is None:
                    raise
            if failure is not None:
                self.harness.evaluator.record_failure(choices, "shared_training", failure)
                continue
            self.d_steps += 1
            self.windows.push(d_loss, g_loss)
            if self.windows.collapsed():
                var_g, var_d = self.windows.variances()
                self.harness.log("dynamic_reset", reason=COLLAPSED, stage=self.stage, d_steps=self.d_steps,
                             var_g=var_g, var_d=var_d, threshold=self.windows.threshold)
                self.windows.clear()
                return COLLAPSED
        return None

    def reinitialise(self, reason: str) -> None:
        """Fresh G and D (the space's init) and fresh optimisers, at the current stage; the data stream and anything
        outside the supernet (the RL controller) are kept. `reason` (COLLAPSED or DIVERGED) is counted."""
        self.reset_reasons[reason] += 1
        self._build()

    def state_dict(self) -> dict:
        """Everything needed to continue training exactly: weights, optimisers, reset windows, counters, data position."""
        return {"trainer": self.trainer.state_dict(), "windows": self.windows.state_dict(),
                "reset_reasons": dict(self.reset_reasons),
                "d_steps": self.d_steps, "stage": self.stage,
                "batches": self.batches.state_dict() if self.batches is not None else None}

    def load_state_dict(self, state: dict) -> None:
        if int(state["stage"]) != self.stage:
            self.enter_stage(int(state["stage"]))
        self.trainer.load_state_dict(state["trainer"])
        self.windows.load_state_dict(state["windows"])
        self.d_steps = int(state["d_steps"])
        saved = {k: int(v) for k, v in state.get("reset_reasons", {}).items()}
        self.reset_reasons = {COLLAPSED: 0, DIVERGED: 0, **saved}
        if state["batches"] is not None:
            self.batches.load_state_dict(state["batches"])

    @property
    def resets(self) -> int:
        return sum(self.reset_reasons.values())

    def reset_info(self) -> dict:
        """What search.json's info says of dynamic resets: the total and how many each reason caused."""
        return {"resets": self.resets, "resets_collapsed": self.reset_reasons[COLLAPSED],
                "resets_diverged": self.reset_reasons[DIVERGED]}

    def score(self, choices: Sequence[int], score_collapsed: bool = False) -> float | None:
        """The proxy (IS) of the shared generator set to `choices` at the current stage, or None for a failed candidate
        (logged and counted by the harness's evaluator). Under torchrun rank 0 computes it and every rank gets it."""
        self.shared.set_arch(tuple(choices))
        return self.harness.on_main(self.harness.evaluator.score, choices, self.shared.generator,
                                    score_collapsed=score_collapsed)


def rank(scored: Sequence[tuple[Genotype, float]]) -> list[Candidate]:
    """Candidates best first. A genotype scored more than once appears once, with the mean of its scores and the
    number of evaluations in `info`; ties keep the order of first appearance."""
    by_genotype: dict[Genotype, list[float]] = {}
    for genotype, score in scored:
        by_genotype.setdefault(genotype, []).append(float(score))
    candidates = [Candidate(g, float(np.mean(s)), {"evaluations": len(s)}) for g, s in by_genotype.items()]
    return sorted(candidates, key=lambda c: -c.score)

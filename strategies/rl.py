"""AutoGAN's search (Gong et al., ICCV 2019): a REINFORCE LSTM controller over a weight-sharing supernet, grown stage by
stage (multi-level architecture search, MLAS), with dynamic reset of a collapsed supernet.

One search iteration, as the original's `search.py` / `functions.py`, is two steps of the state machine:
1. "train": shared training, `shared_steps` D steps, each on a new architecture drawn from the controller without grad
   (G step every n_critic D steps, see `ganas_bench.search.supernet`);
2. "controller": `controller_steps` REINFORCE updates, each on one drawn architecture whose reward is the IS proxy of the
   shared generator set to it plus the entropy bonus (see `controller.Reinforce`); the EMA baseline restarts every
   iteration.
MLAS: stage s (one per `space.n_stages`) runs its share of the budget's iterations (`SearchBudget.stage_iterations`)
with a NEW controller over that stage's decisions; the supernet grows with `set_stage(s)` and trains on real images at
`space.stage_resolution(s)`. At the end of a stage (step "stage_end") the controller draws `mlas_m` architectures, each
scored by the proxy, and the top `mlas_k` prefixes are kept with their LSTM states; every later draw starts from one of
them, chosen uniformly (harness.rng). The supernet is not reset at stage changes. After the last stage the `mlas_m`
full architectures drawn and scored are the result, best first.

Dynamic reset: when the loss windows collapse, shared training stops for the iteration, the controller still trains,
then G, D and their optimisers are re-initialised (the controller is kept) — so, as in the original, a reset in a
stage's last iteration leaves the stage-end (or final) scoring to fresh weights. A NaN/Inf loss (which the original does
not handle) also resets, but before the controller trains, so no NaN reward reaches it.

Result: `curve` has one row per controller update: step (global), stage, iteration (global), reward (mean over the
stage's decisions of score + entropy_coef * H_i), baseline (its mean), entropy (summed over the stage's decisions) and
score (the proxy IS); `info` counts resets, D steps and architectures evaluated.

Failed candidates (not in the original, which lets a NaN reward reach the controller): an architecture whose proxy
score fails (NaN/Inf output, out of memory; see ganas_bench/search/candidates.py) gets no REINFORCE update and no curve
row. A collapsed architecture (every z gives the same image) is skipped the same way by default; `score_collapsed`
gives it its (low) IS as reward instead, as the original does, so REINFORCE learns to avoid such cells.

The controller uses Adam at `controller_lr` with the GAN's betas (`beta1`, `beta2`; (0.0, 0.9)), as the original, whose
controller and GAN share those arguments. Randomness: harness.rng for the prefix choice, the global torch RNG for tokens.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from ganas_bench.contracts.space import WeightSharing
from ganas_bench.contracts.strategy import SearchResult, Strategy
from ganas_bench.options import bad
from ganas_bench.registry import register_strategy
from ganas_bench.search.supernet import COLLAPSED, DIVERGED, rank

from .controller import Controller, ControllerSample, LSTMState, Reinforce


@dataclass(frozen=True)
class RLOptions:
    strategy: ClassVar[str] = "rl"
    # tiny: 10x AutoGAN's rate. At 3.5e-4 and twice tiny's proxy evaluations the controller's entropy fell 0.7-3% per
    # stage (its picks stayed a random draw); at 3.5e-3 it fell 42-81% (README, search budget). Paper profiles: 3.5e-4.
    PROFILE_DEFAULTS: ClassVar[dict] = {"smoke": {"mlas_k": 2}, "tiny": {"controller_lr": 3.5e-3}}

    controller_hidden: int = field(default=100, metadata={"help": "LSTM hidden size", "min": 1, "max": 8192})
    controller_lr: float = field(default=3.5e-4, metadata={"help": "controller Adam learning rate", "gt": 0.0,
                                                           "max": 1e3})
    entropy_coef: float = field(default=1e-3, metadata={"help": "entropy bonus weight", "min": 0.0})
    baseline_decay: float = field(default=0.9, metadata={"help": "EMA baseline decay", "min": 0.0, "lt": 1.0})
    mlas_k: int = field(default=5, metadata={"help": "prefixes kept at a stage change (MLAS's K)", "min": 1,
                                             "max": 10**9})
    score_collapsed: bool = field(default=False, metadata={
        "help": "give a collapsed candidate (every z the same image) its IS as reward, as AutoGAN's code does; "
                "default: skip it like a NaN/Inf candidate (no update)"})

    def check_with(self, cfg) -> None:
        if self.mlas_k > cfg.mlas_m:
            bad("mlas_k", self.mlas_k, f"an integer <= mlas_m ({cfg.mlas_m})")


@dataclass(frozen=True)
class Prefix:
    """An MLAS prefix: the choices of the stages done so far, the LSTM state after them and their proxy score."""

    choices: tuple[int, ...]
    hidden: LSTMState
    score: float


TRAIN, CONTROLLER, STAGE_END, DONE = "train", "controller", "stage_end", "done"


@register_strategy("rl")
class RLStrategy(Strategy):
    name = "rl"
    description = "AutoGAN: REINFORCE LSTM controller on a weight-sharing supernet, multi-level stages, dynamic reset"
    requires = WeightSharing
    Options = RLOptions

    def start(self) -> None:
        self.budget = self.harness.budget
        self.schedule = self.budget.stage_iterations
        self.shared = self.harness.supernet(self.space)
        self.prefixes: list[Prefix] = []
        self.curve: list[dict] = []
        self.scored: list[Prefix] = []
        self.iteration = 0      # search iterations done (global)
        self.done_in_stage = 0  # search iterations done in the current stage
        self.stop: str | None = None  # what the last shared training ended with (a pending reset)
        self._enter_stage(0)

    def _enter_stage(self, stage: int, log: bool = True) -> None:
        opts, cfg = self.options, self.harness.config
        self.stage = stage
        decisions = self.space.decisions()[self.space.stage_slice(stage)]
        self.controller = Controller([d.n_choices for d in decisions], opts.controller_hidden).to(self.harness.device)
        self.reinforce = Reinforce(self.controller, opts.controller_lr, (cfg.beta1, cfg.beta2), opts.entropy_coef,
                                   opts.baseline_decay)
        resolution = self.shared.enter_stage(stage)
        self.done_in_stage = 0
        self.phase = TRAIN if self.schedule[stage] > 0 else STAGE_END
        if log:
            self.harness.log("rl_stage", stage=stage, iterations=self.schedule[stage], resolution=resolution,
                             prefixes=[list(p.choices) for p in self.prefixes])

    @property
    def done(self) -> bool:
        return self.phase == DONE

    def progress(self) -> tuple[int, int]:
        return self.iteration, self.budget.iterations

    @property
    def last_step_was_long(self) -> bool:
        return True  # a shared-training run, a round of controller updates, or a stage's scoring

    def step(self) -> None:
        getattr(self, f"_{self.phase}")()

    def _train(self) -> None:
        self.stop = self.shared.train(self.budget.shared_steps, self._draw_without_grad)
        if self.stop == DIVERGED:
            self.shared.reinitialise(DIVERGED)
        self.phase = CONTROLLER

    def _controller(self) -> None:
        self.reinforce.reset_baseline()
        for _ in range(self.budget.evaluations_per_iteration):
            choices, sample = self._draw()
            score = self.shared.score(choices, score_collapsed=self.options.score_collapsed)
            if score is None:  # no reward exists: this draw teaches the controller nothing
                continue
            update = self.reinforce.step(sample, score)
            row = {"step": len(self.curve), "stage": self.stage, "iteration": self.iteration, "reward": update["reward"],
                   "baseline": update["baseline"], "entropy": sample.entropy.item(), "score": score}
            self.curve.append(row)
            self.harness.log("rl_controller", **row, choices=list(choices))
        if self.stop == COLLAPSED:
            self.shared.reinitialise(COLLAPSED)
        self.stop = None
        self.iteration += 1
        self.done_in_stage += 1
        self.phase = TRAIN if self.done_in_stage < self.schedule[self.stage] else STAGE_END

    def _stage_end(self) -> None:
        """AutoGAN's `get_topk_arch_hidden` before the cut: `mlas_m` draws scored by the proxy, best first."""
        drawn = []
        with torch.no_grad():
            for _ in range(self.budget.stage_end_evaluations):
                choices, sample = self._draw()
                hidden = (sample.hidden[0].detach(), sample.hidden[1].detach())
                score = self.shared.score(choices, score_collapsed=self.options.score_collapsed)
                if score is not None:  # a failed draw is left out
                    drawn.append(Prefix(choices, hidden, score))
        if not drawn:
            raise RuntimeError(f"all {self.budget.stage_end_evaluations} architectures drawn at the end of stage "
                               f"{self.stage} failed (see the candidate_failed events); nothing to keep")
        self.scored = sorted(drawn, key=lambda p: -p.score)
        if self.stage < len(self.schedule) - 1:
            self.prefixes = self.scored[:self.options.mlas_k]
            self.harness.log("rl_prefixes", stage=self.stage,
                             kept=[{"choices": list(p.choices), "score": p.score} for p in self.prefixes])
            self._enter_stage(self.stage + 1)
        else:
            self.phase = DONE

    def result(self) -> SearchResult:
        ranked = rank([(self.space.genotype(p.choices), p.score) for p in self.scored])
        for c in ranked:
            self.harness.log("candidate", genotype=c.genotype.to_dict(), score=c.score)
        info = {**self.shared.reset_info(), "d_steps": self.shared.d_steps,
                "architectures_evaluated": self.harness.evaluator.evaluations, "controller_steps": len(self.curve),
                "stage_iterations": list(self.schedule)}
        return SearchResult(ranked=ranked, curve=self.curve, info=info)

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> tuple[tuple[int, ...], ControllerSample]:
        """Choices of the stages so far: a kept prefix chosen uniformly (none in stage 0), then the controller's."""
        prefixes = self.prefixes
        prefix = prefixes[int(self.harness.rng.integers(len(prefixes)))] if prefixes else None
        sample = self.controller.sample(prefix.hidden if prefix else None)
        return (prefix.choices if prefix else ()) + sample.tokens, sample

    def _draw_without_grad(self) -> tuple[int, ...]:
        with torch.no_grad():
            return self._draw()[0]

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        return {
            "phase": self.phase, "stage": self.stage, "done_in_stage": self.done_in_stage, "iteration": self.iteration,
            "stop": self.stop, "controller": self.controller.state_dict(),
            "controller_optimizer": self.reinforce.optimizer.state_dict(), "shared": self.shared.state_dict(),
            "curve": self.curve, "prefixes": _prefixes_state(self.prefixes), "scored": _prefixes_state(self.scored),
        }

    def load_state_dict(self, state: dict) -> None:
        self.prefixes = _prefixes_from(state["prefixes"])
        self.scored = _prefixes_from(state["scored"])
        if int(state["stage"]) != self.stage:
            self._enter_stage(int(state["stage"]), log=False)
        self.controller.load_state_dict(state["controller"])
        self.reinforce.optimizer.load_state_dict(state["controller_optimizer"])
        self.shared.load_state_dict(state["shared"])
        self.phase, self.stop = str(state["phase"]), state["stop"]
        self.done_in_stage, self.iteration = int(state["done_in_stage"]), int(state["iteration"])
        self.curve = list(state["curve"])
        if self.phase not in (TRAIN, CONTROLLER, STAGE_END, DONE):
            raise ValueError(f"unknown rl phase {self.phase!r}")


def _prefixes_state(prefixes: list[Prefix]) -> list[dict]:
    return [{"choices": list(p.choices), "h": p.hidden[0], "c": p.hidden[1], "score": p.score} for p in prefixes]


def _prefixes_from(rows: list[dict]) -> list[Prefix]:
    return [Prefix(tuple(int(c) for c in p["choices"]), (p["h"], p["c"]), float(p["score"])) for p in rows]

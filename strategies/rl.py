"""AutoGAN's search (Gong et al., ICCV 2019): a REINFORCE LSTM controller over a weight-sharing supernet, grown stage by
stage (multi-level architecture search, MLAS), with dynamic reset of a collapsed supernet.

One search iteration, as the original's `search.py` / `functions.py`:
1. shared training: `shared_steps` D steps, each on a new architecture drawn from the controller without grad (G step
   every n_critic D steps, see `shared_training`);
2. `controller_steps` REINFORCE updates, each on one drawn architecture whose reward is the IS proxy of the shared
   generator set to it plus the entropy bonus (see `controller.Reinforce`); the EMA baseline restarts every iteration.

MLAS: stage s (one per `space.n_stages`) runs `stage_iters[s]` iterations with a NEW controller over that stage's
decisions; the supernet grows with `set_stage(s)` and trains on real images at `space.stage_resolution(s)`. A space with
fewer stages than `stage_iters` has entries runs the remaining ones in its last stage (AdversarialNAS's single stage runs
sum(stage_iters) iterations). At the end of a stage the controller draws `mlas_m` architectures, each scored by the
proxy, and the top `mlas_k` prefixes are kept with their LSTM states; every later draw starts from one of them, chosen
uniformly (ctx.rng). The supernet is not reset at stage changes. After the last stage `mlas_m` full architectures are
drawn and scored; they are the result, best first.

Dynamic reset: when the loss windows collapse (see `LossWindows`), shared training stops for the iteration, the
controller still trains, then G, D and their optimisers are re-initialised (the controller is kept) — so, as in the
original, a reset in a stage's last iteration leaves the stage-end (or final) scoring to fresh weights. A NaN/Inf
loss (which the original does not handle) also resets, but before the controller trains, so no NaN reward reaches it.

Result: `curve` has one row per controller step: step (global), stage, iteration (global), reward (mean over the
stage's decisions of score + entropy_coef * H_i), baseline (its mean), entropy (summed over the stage's decisions) and
score (the proxy IS); `info` counts resets, D steps and architectures evaluated (controller steps + n_stages * mlas_m).

Failed candidates (not in the original, which lets a NaN reward reach the controller): an architecture whose proxy
score fails (NaN/Inf or collapsed output, out of memory; see ganas_bench/candidates.py) is logged as `candidate_failed`
and gets no REINFORCE update and no curve row; a shared-training step that runs out of memory is skipped the same way.

The controller uses Adam at `controller_lr` with the GAN's betas (`beta1`, `beta2`; (0.0, 0.9)), as the original, whose
controller and GAN share those arguments. Randomness: ctx.rng for the prefix choice, the global torch RNG for tokens.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from ganas_bench.errors import UserError
from ganas_bench.registry import register_strategy
from ganas_bench.spaces.base import WeightSharing

from .base import SearchResult, Strategy
from .controller import Controller, ControllerSample, LSTMState, Reinforce
from .shared_training import COLLAPSED, DIVERGED, SharedTraining, rank


@dataclass(frozen=True)
class Prefix:
    """An MLAS prefix: the choices of the stages done so far, the LSTM state after them and their proxy score."""

    choices: tuple[int, ...]
    hidden: LSTMState
    score: float


def stage_schedule(stage_iters: Sequence[int], n_stages: int) -> tuple[int, ...]:
    """Search iterations per stage: `stage_iters` as given, the entries beyond the space's last stage added to it."""
    if len(stage_iters) < n_stages:
        raise UserError(f"stage_iters {list(stage_iters)} has {len(stage_iters)} entries; the space has {n_stages} "
                        f"stages and needs at least one entry per stage")
    return tuple(stage_iters[:n_stages - 1]) + (sum(stage_iters[n_stages - 1:]),)


def rl_proxy_evaluations(cfg, n_stages: int) -> int:
    """How many architectures rl scores with the proxy: every controller step, plus `mlas_m` at each stage's end."""
    return sum(cfg.stage_iters) * cfg.controller_steps + n_stages * cfg.mlas_m


@register_strategy("rl")
class RLStrategy(Strategy):
    name = "rl"
    description = "AutoGAN: REINFORCE LSTM controller on a weight-sharing supernet, multi-level stages, dynamic reset"
    requires = WeightSharing

    def __init__(self, space, ctx):
        super().__init__(space, ctx)
        self.schedule = stage_schedule(ctx.config.stage_iters, space.n_stages)

    def search(self) -> SearchResult:
        """The search loop; it checkpoints after every search iteration and, given one, continues from it."""
        cfg, ctx, space = self.ctx.config, self.ctx, self.space
        shared = SharedTraining(space, ctx)
        prefixes: list[Prefix] = []
        curve: list[dict] = []
        iteration, resume = 0, None
        first_stage = 0
        controller = reinforce = None
        saved = ctx.load_search_state()
        if saved is not None:
            first_stage, iteration, resume = int(saved["stage"]), int(saved["iteration"]), saved
            prefixes = [Prefix(tuple(p["choices"]), (p["h"], p["c"]), float(p["score"])) for p in saved["prefixes"]]
            curve = list(saved["curve"])
        with ctx.progress(sum(self.schedule), "rl search") as bar:
            bar.update(iteration)
            for stage in range(first_stage, len(self.schedule)):
                n_iterations = self.schedule[stage]
                controller = self._new_controller(stage)
                reinforce = Reinforce(controller, cfg.controller_lr, (cfg.beta1, cfg.beta2), cfg.entropy_coef,
                                      cfg.baseline_decay)
                resolution = shared.enter_stage(stage)
                done_in_stage = 0
                if resume is not None:
                    controller.load_state_dict(resume["controller"])
                    reinforce.optimizer.load_state_dict(resume["controller_optimizer"])
                    shared.load_state_dict(resume["shared"])
                    done_in_stage, resume = int(resume["done_in_stage"]), None
                    ctx.resume_rng()
                else:
                    ctx.log("rl_stage", stage=stage, iterations=n_iterations, resolution=resolution,
                            prefixes=[list(p.choices) for p in prefixes])
                for in_stage in range(done_in_stage, n_iterations):
                    stop = shared.train(cfg.shared_steps, lambda: self._draw_without_grad(controller, prefixes))
                    if stop == DIVERGED:
                        shared.reinitialise(DIVERGED)
                    reinforce.reset_baseline()
                    for _ in range(cfg.controller_steps):
                        choices, sample = self._draw(controller, prefixes)
                        with ctx.candidate(choices, "score") as attempt:
                            score = shared.score(choices)
                        if attempt.failed:  # no reward exists: this draw teaches the controller nothing
                            continue
                        update = reinforce.step(sample, score)
                        row = {"step": len(curve), "stage": stage, "iteration": iteration, "reward": update["reward"],
                               "baseline": update["baseline"], "entropy": sample.entropy.item(), "score": score}
                        curve.append(row)
                        ctx.log("rl_controller", **row, choices=list(choices))
                    if stop == COLLAPSED:
                        shared.reinitialise(COLLAPSED)
                    iteration += 1
                    bar.update(1)
                    ctx.save_search_state({
                        "stage": stage, "done_in_stage": in_stage + 1, "iteration": iteration,
                        "controller": controller.state_dict(), "controller_optimizer": reinforce.optimizer.state_dict(),
                        "shared": shared.state_dict(), "curve": curve,
                        "prefixes": [{"choices": list(p.choices), "h": p.hidden[0], "c": p.hidden[1], "score": p.score}
                                     for p in prefixes],
                    })
                scored = self._draw_and_score(controller, prefixes, shared)
                if stage < len(self.schedule) - 1:
                    prefixes = scored[:cfg.mlas_k]
                    ctx.log("rl_prefixes", stage=stage, kept=[{"choices": list(p.choices), "score": p.score}
                                                                for p in prefixes])
        ranked = rank([(space.genotype(p.choices), p.score) for p in scored])
        for c in ranked:
            ctx.log("candidate", genotype=c.genotype.to_dict(), score=c.score)
        info = {**shared.reset_info(), "d_steps": shared.d_steps, "architectures_evaluated": shared.proxy_evaluations,
                "controller_steps": len(curve), "stage_iterations": list(self.schedule)}
        return SearchResult(ranked=ranked, curve=curve, info=info)

    def _new_controller(self, stage: int) -> Controller:
        decisions = self.space.decisions()[self.space.stage_slice(stage)]
        controller = Controller([d.n_choices for d in decisions], self.ctx.config.controller_hidden)
        return controller.to(self.ctx.device)

    def _draw(self, controller: Controller, prefixes: list[Prefix]) -> tuple[tuple[int, ...], ControllerSample]:
        """Choices of the stages so far: a kept prefix chosen uniformly (none in stage 0), then the controller's."""
        prefix = prefixes[int(self.ctx.rng.integers(len(prefixes)))] if prefixes else None
        sample = controller.sample(prefix.hidden if prefix else None)
        return (prefix.choices if prefix else ()) + sample.tokens, sample

    def _draw_without_grad(self, controller: Controller, prefixes: list[Prefix]) -> tuple[int, ...]:
        with torch.no_grad():
            return self._draw(controller, prefixes)[0]

    def _draw_and_score(self, controller: Controller, prefixes: list[Prefix], shared: SharedTraining) -> list[Prefix]:
        """AutoGAN's `get_topk_arch_hidden` before the cut: `mlas_m` draws scored by the proxy, best first."""
        drawn = []
        with torch.no_grad():
            for _ in range(self.ctx.config.mlas_m):
                choices, sample = self._draw(controller, prefixes)
                hidden = (sample.hidden[0].detach(), sample.hidden[1].detach())
                with self.ctx.candidate(choices, "score"):  # a failed draw is left out
                    drawn.append(Prefix(choices, hidden, shared.score(choices)))
        if not drawn:
            raise RuntimeError(f"all {self.ctx.config.mlas_m} architectures drawn at the end of stage "
                               f"{shared.stage} failed (see the candidate_failed events); nothing to keep")
        return sorted(drawn, key=lambda p: -p.score)

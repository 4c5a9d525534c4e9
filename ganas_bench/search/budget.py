"""The weight-sharing search budget, one object for rl, random and any other weight-sharing strategy (equal terms).

A search of `stage_iters` iterations (per MLAS stage) trains the shared supernet `shared_steps` D steps per iteration
and scores `controller_steps` architectures per iteration plus `mlas_m` at the end of each stage with the IS proxy
(AutoGAN's schedule; rl spends it exactly so). Any other weight-sharing strategy gets the same D steps and the same
number of proxy evaluations.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..errors import UserError


def stage_schedule(stage_iters: Sequence[int], n_stages: int) -> tuple[int, ...]:
    """Search iterations per stage: `stage_iters` as given, the entries beyond the space's last stage added to it (a
    one-stage space runs sum(stage_iters) iterations)."""
    if len(stage_iters) < n_stages:
        raise UserError(f"stage_iters {list(stage_iters)} has {len(stage_iters)} entries; the space has {n_stages} "
                        f"stages and needs at least one entry per stage")
    return tuple(stage_iters[:n_stages - 1]) + (sum(stage_iters[n_stages - 1:]),)


@dataclass(frozen=True)
class SearchBudget:
    stage_iterations: tuple[int, ...]  # search iterations of each stage of the space
    shared_steps: int                  # supernet D steps per search iteration
    evaluations_per_iteration: int     # proxy evaluations per search iteration
    stage_end_evaluations: int         # proxy evaluations at the end of each stage

    @classmethod
    def for_space(cls, cfg, space) -> "SearchBudget":
        return cls(stage_schedule(cfg.stage_iters, space.n_stages), cfg.shared_steps, cfg.controller_steps,
                   cfg.mlas_m)

    @property
    def iterations(self) -> int:
        return sum(self.stage_iterations)

    @property
    def d_steps(self) -> int:
        return self.iterations * self.shared_steps

    @property
    def proxy_evaluations(self) -> int:
        return self.iterations * self.evaluations_per_iteration + len(self.stage_iterations) * self.stage_end_evaluations

    def to_dict(self) -> dict:
        return {"stage_iterations": list(self.stage_iterations), "shared_steps": self.shared_steps,
                "d_steps": self.d_steps, "proxy_evaluations": self.proxy_evaluations}

"""`train` / `run` with `--seeds`: one run per seed, each an independent job for an executor (one after another in this
process, or Ray tasks). Every run is the run `--seed S` would make; only where it executes differs."""
from __future__ import annotations

from dataclasses import dataclass

from .config import Config


@dataclass(frozen=True)
class SeedRun:
    """One seed's run, picklable: `command` "train" (with `arch`) or "run" (with `strategy`, `space`)."""

    command: str
    config: Config
    run_name: str | None
    arch: str | None = None
    strategy: str | None = None
    space: str | None = None
    search_only: bool = False

    @property
    def results_dir(self) -> str:
        return self.config.results_dir


def do_seed_run(job: SeedRun):
    """The run of one seed; returns its RunResult."""
    from .commands import command_run, command_train

    if job.command == "train":
        return command_train(job.config, job.arch, job.run_name)
    return command_run(job.config, job.strategy, job.space, job.run_name, search_only=job.search_only)

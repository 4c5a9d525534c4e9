"""The benchmark matrix: every chosen strategy x space pair over a list of seeds, one run directory each.

    ganas-bench matrix --profile tiny --seeds 0-4

Every run's name is fixed by what it computes (`<strategy>-<space>-<profile>-s<seed>-<experiment hash>`), so giving the
same command again skips finished runs and continues unfinished ones where they stopped: a killed matrix restarts
where it was. All runs are planned and checked (pair capabilities, widths and memory, seeds, names, batch sizes against
the real images, finished or not, and every file an unfinished run's resume will read) before the first one starts, so
a bad seed, a clash or a damaged run is refused before any work. Runs go through an executor (`executors.py`):
one after another here, or spread over a Ray cluster.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .errors import UserError, preview
from .runs.identity import experiment_hash
from .runs.rundir import RunDir, check_run_name
from .runs.status import diverged, is_finished


@dataclass(frozen=True)
class MatrixTask:
    """One run of the matrix: picklable, so an executor can ship it to another process."""

    config: dict   # Config.to_dict() of the run (seed included)
    strategy: str
    space: str
    run_name: str
    results_dir: str

    @property
    def path(self) -> Path:
        return Path(self.results_dir) / self.run_name

    def state(self) -> str:
        """"finished", "diverged" (failed by a NaN/Inf loss: final, a resume would meet it again), "unfinished" (a
        directory to continue) or "new"."""
        if not self.path.exists():
            return "new"
        if is_finished(self.path):
            return "finished"
        return "diverged" if diverged(self.path) else "unfinished"


def parse_seed_list(text: str) -> list[int]:
    """`0-4`, `0,2,5` or `0-2,7`: distinct seeds in the order given."""
    seeds: list[int] = []
    try:
        for part in (p.strip() for p in str(text).split(",")):
            if not part:
                continue
            if "-" in part[1:]:
                low, high = (int(x) for x in part.split("-", 1))
                if high < low or high - low > 10_000:
                    raise ValueError
                seeds += range(low, high + 1)
            else:
                seeds.append(int(part))
    except ValueError:
        seeds = []
    if not seeds or len(set(seeds)) != len(seeds) or any(not 0 <= s < 2**32 for s in seeds):
        raise UserError(f"invalid --seeds {preview(text)}; accepted: distinct integers in 0..2**32-1 as a list and/or "
                        "ranges, e.g. 0-4 or 0,2,5 or 0-2,7")
    return seeds


def plan(configs: dict[str, Config], spaces: list[str], seeds: list[int]) -> list[MatrixTask]:
    """Every (strategy, space, seed) run, checked: `configs` maps each strategy to its config (its options included);
    pairs whose space lacks the strategy's capability are left out (a pair named explicitly is refused)."""
    from .checks import check_pair, check_run_data
    from .commands import check_resume
    from .registry import SPACES, STRATEGIES

    pairs, opened = [], {}
    for strategy, cfg in configs.items():
        for space in spaces:
            if not isinstance(SPACES.get(space)(), STRATEGIES.get(strategy).requires):
                continue
            _, space_obj = check_pair(cfg, strategy, space)
            check_run_data(cfg, space_obj, opened)  # batch sizes against the real images, Inception weights
            pairs.append((strategy, space, cfg))
    tasks = []
    for seed in seeds:  # seed by seed: a matrix stopped half-way leaves every pair with the same seeds done
        for strategy, space, cfg in pairs:
            record = cfg.replace(seed=seed).to_dict()
            name = check_run_name(f"{strategy}-{space}-{cfg.profile}-s{seed}-{experiment_hash(record)[:8]}")
            tasks.append(MatrixTask(record, strategy, space, name, cfg.results_dir))
    if not tasks:
        raise UserError("the matrix is empty: no chosen strategy has a chosen space with the capability it needs")
    for task in tasks:
        if task.state() == "unfinished":  # its run.json must say it is this same run, or the matrix cannot continue it
            info = RunDir.open(task.path).read_json("run.json")
            if (info.get("command"), info.get("strategy"), info.get("space")) != ("run", task.strategy, task.space):
                raise UserError(f"run directory {str(task.path)!r} holds another run; move it away to run the matrix")
            check_resume(str(task.path))  # every file it will read, before any run of the matrix starts
    return tasks


#: What the matrix does not run again, and how its progress line says so.
SKIPPED = {"finished": "skipped (finished)",
           "diverged": "skipped (diverged earlier: its training met a NaN/Inf loss; move its directory away to retry)"}


def run_task(task: MatrixTask) -> dict:
    """Do one matrix run (or continue it); returns what the progress line and the summary need."""
    from .commands import command_resume, command_run
    from .config import make_config

    start = time.monotonic()
    state = task.state()
    if state in SKIPPED:
        return {"run": task.run_name, "state": SKIPPED[state], "seconds": 0.0}
    if state == "unfinished":
        result = command_resume(str(task.path))
    else:
        cfg = make_config(file_values=task.config, strategy=task.strategy)
        result = command_run(cfg, task.strategy, task.space, task.run_name)
    return {"run": task.run_name, "state": "continued" if state == "unfinished" else "ran",
            "seconds": time.monotonic() - start, "fid": result.metrics.get("fid")}


def eta_text(done_seconds: list[float], remaining: int) -> str:
    if not done_seconds or remaining == 0:
        return "" if remaining == 0 else "ETA unknown"
    seconds = sum(done_seconds) / len(done_seconds) * remaining
    return f"ETA {seconds / 60:.0f} min ({remaining} runs at {sum(done_seconds) / len(done_seconds):.0f} s each)"

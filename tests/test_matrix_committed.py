"""The committed benchmark matrix (results/matrix/tiny) behind the README's results.

Two promises are kept by these tests: the committed runs are the runs `make matrix` plans with today's tiny profile
(so `make matrix` skips them and a changed profile cannot leave a stale table in the README), and the README's results
table and verdicts are exactly what `ganas-bench tables` makes of them. Nothing here trains or depends on floats of
this machine: it reads committed JSON. "Committed" is what git tracks when this is a git checkout: a `make matrix`
running in the same tree (its unfinished runs, its finished ones not yet committed) does not turn `make test` red.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ganas_bench.config import make_config
from ganas_bench.matrix import plan
from ganas_bench.tables import write_tables
from git_tracked import tracked

ROOT = Path(__file__).resolve().parents[1]
MATRIX = ROOT / "results" / "matrix" / "tiny"
STRATEGIES = ("differentiable", "random", "rl")
SPACES = ("adversarialnas", "autogan")
SEEDS = list(range(5))  # `make matrix`: --seeds 0-4


def committed_runs() -> list[str]:
    """The run folders git tracks under MATRIX (every folder there outside a git checkout)."""
    relative = tracked(ROOT, MATRIX)
    if relative is None:
        return sorted(p.name for p in MATRIX.iterdir() if p.is_dir())
    return sorted({r.parts[0] for r in relative if len(r.parts) > 1})


@pytest.fixture
def committed(tmp_path) -> Path:
    """A copy of the committed runs' records (no weights, no locks)."""
    runs = tmp_path / "runs"
    for name in committed_runs():
        shutil.copytree(MATRIX / name, runs / name, ignore=shutil.ignore_patterns("checkpoint.pt*", ".lock"))
    return runs


def test_every_committed_matrix_run_is_one_make_matrix_plans_today_and_skips(committed):
    configs = {s: make_config(profile="tiny", strategy=s, overrides={"results_dir": str(committed)})
               for s in STRATEGIES}
    planned = {task.run_name: task for task in plan(configs, list(SPACES), SEEDS)}
    runs = committed_runs()
    assert runs, f"no committed matrix runs in {MATRIX}"
    stale = [name for name in runs if name not in planned]
    assert not stale, f"not runs of today's tiny profile (re-run `make matrix`, then `make matrix-tables`): {stale}"
    assert all(planned[name].state() == "finished" for name in runs)
    assert {(planned[name].strategy, planned[name].space) for name in runs} == \
        {(s, p) for s in STRATEGIES for p in SPACES}, "every strategy x space pair has committed runs"


def test_the_readme_results_are_what_tables_makes_of_the_committed_runs(committed, tmp_path):
    write_tables(committed, ROOT / "results" / "published.csv", tmp_path / "tables")
    made = (tmp_path / "tables" / "readme_tiny.md").read_text().splitlines()
    table = [line for line in made if line.startswith("|")]
    verdicts = [line for line in made if line.startswith("- ") and " vs " in line]
    assert len(table) == 2 + len(STRATEGIES) * len(SPACES), "header, rule and one row per pair"
    assert len(verdicts) == len(SPACES) * 3, "three pairs of strategies within each space"
    readme = (ROOT / "README.md").read_text().splitlines()
    missing = [line for line in table + verdicts if line not in readme]
    assert not missing, f"README's results differ from `make matrix-tables` (results/matrix/tables): {missing}"

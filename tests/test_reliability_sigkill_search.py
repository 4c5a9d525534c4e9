"""`kill -9` inside a search, through the real CLI, for each strategy: the resumed `run` ends with the uninterrupted run's
search result, architecture and metrics, bit for bit.

Per strategy one run directory is killed twice and resumed after each kill:
1. mid search step (GANAS_BENCH_FAULT=search_step:N: before a D step, after the first search checkpoint landed);
2. inside the atomic write of the resumed run's first search checkpoint (atomic_write:checkpoint.pt:1): the previous
   checkpoint still loads and the next resume starts from it;
then the last resume runs to the end (search, retraining, evaluation). Together with test_reliability_sigkill.py (five
points of `train`) that is 5 + 3 x 2 = 11 kill points tried.
"""
import json
import os
import signal
import subprocess
import sys

import pytest

from ganas_bench.checkpoint import load_checkpoint

ARGS = ["--profile", "smoke", "--device", "cpu", "--checkpoint-every", "2", "--train-iters", "4"]
SIGKILLED = -signal.SIGKILL
TIMING = ("search_wall_s", "useful_s", "useful_fraction")  # wall-clock facts: the only fields allowed to differ
# (strategy, space, the search_step pass to kill at: after the first search checkpoint, inside a later step)
CASES = [("rl", "autogan", 6), ("random", "adversarialnas", 6), ("differentiable", "adversarialnas", 4)]
SEARCH_KILL_POINTS = 2


def cli(args, fault=None, timeout=600):
    env = {k: v for k, v in os.environ.items() if k != "GANAS_BENCH_FAULT"}
    if fault:
        env["GANAS_BENCH_FAULT"] = fault
    proc = subprocess.run([sys.executable, "-m", "ganas_bench.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, proc.stderr


def search_state(run_dir):
    saved = load_checkpoint(run_dir / "checkpoint.pt")
    assert saved["kind"] == "search"
    return saved["strategy"]


def comparable(run_dir):
    search = json.loads((run_dir / "search.json").read_text())
    search["info"] = {k: v for k, v in search["info"].items() if k not in TIMING}
    search.pop("clock")  # wall times
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics.pop("cost")
    metrics["search"] = {k: v for k, v in metrics["search"].items() if k not in TIMING}
    return search, metrics, json.loads((run_dir / "arch.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("strategy,space,kill_at", CASES, ids=[f"{s}-{p}" for s, p, _ in CASES])
def test_a_search_killed_mid_step_and_mid_checkpoint_resumes_to_the_uninterrupted_result(tmp_path, strategy, space,
                                                                                          kill_at):
    start = ["run", "--strategy", strategy, "--space", space, "--results-dir", str(tmp_path), *ARGS]
    code, err = cli([*start, "--run-name", "ref"])
    assert code == 0, err
    run_dir = tmp_path / "cut"
    tried = []

    code, err = cli([*start, "--run-name", "cut"], fault=f"search_step:{kill_at}")
    assert code == SIGKILLED, err
    assert not (run_dir / "search.json").exists()
    first = search_state(run_dir)  # at least one search checkpoint landed before the kill
    tried.append("search step")

    code, err = cli(["run", "--resume", str(run_dir)], fault="atomic_write:checkpoint.pt:1")
    assert code == SIGKILLED, err
    assert search_state(run_dir).keys() == first.keys()
    assert [p.name for p in run_dir.iterdir() if p.name.startswith(".checkpoint.pt.")]  # the torn write, beside it
    tried.append("atomic write of a search checkpoint")

    code, err = cli(["run", "--resume", str(run_dir)])
    assert code == 0, err
    assert json.loads((run_dir / "run.json").read_text())["status"] == "finished"
    assert len(tried) == SEARCH_KILL_POINTS
    ours, theirs = comparable(run_dir), comparable(tmp_path / "ref")
    assert ours[0] == theirs[0]  # ranked genotypes, scores, curve, info
    assert ours[1] == theirs[1]  # IS / FID / KID of the retrained generator, and its untrained self
    assert ours[2] == theirs[2]
    events = [json.loads(line)["event"] for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert events.count("search_resume") == 2

"""`ganas-bench matrix`: seeds as ranges and lists, every run planned and checked before the first starts, and a
matrix killed mid-run restarted by the same command: finished runs skipped, the cut one continued to the result it
would have reached, each with a progress line."""
import json
import re
import os
import signal
import subprocess
import sys

import pytest

from cli_contract import refused
from ganas_bench.errors import UserError
from ganas_bench.matrix import parse_seed_list

ARGS = ["matrix", "--profile", "smoke", "--device", "cpu", "--strategies", "random", "--spaces", "autogan",
        "--seeds", "0-1", "--train-iters", "4", "--n-fake", "128", "--kid-subset-size", "64"]


def cli(args, fault=None):
    env = {k: v for k, v in os.environ.items() if k != "GANAS_BENCH_FAULT"}
    if fault:
        env["GANAS_BENCH_FAULT"] = fault
    proc = subprocess.run([sys.executable, "-m", "ganas_bench.cli", *args], env=env, capture_output=True, text=True,
                          timeout=900)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("text, seeds", [("0-4", [0, 1, 2, 3, 4]), ("0,2,5", [0, 2, 5]), ("0-2,7", [0, 1, 2, 7]),
                                         (" 3 ", [3])])
def test_seed_ranges_and_lists(text, seeds):
    assert parse_seed_list(text) == seeds


@pytest.mark.parametrize("text", ["", "a", "0,0", "3-1", "0,4294967296", "-1", "0-99999"])
def test_bad_seed_lists_are_refused_in_one_line(text):
    with pytest.raises(UserError, match="invalid --seeds"):
        parse_seed_list(text)


def test_the_matrix_goes_seed_by_seed_so_a_stopped_one_leaves_every_pair_with_the_same_seeds(tmp_path):
    from ganas_bench.config import make_config
    from ganas_bench.matrix import plan

    configs = {name: make_config(profile="smoke", strategy=name,
                                 overrides={"device": "cpu", "results_dir": str(tmp_path)})
               for name in ("random", "rl")}
    order = [(t.strategy, t.space, t.config["seed"]) for t in plan(configs, ["autogan", "adversarialnas"], [3, 1])]
    pairs = [("random", "autogan"), ("random", "adversarialnas"), ("rl", "autogan"), ("rl", "adversarialnas")]
    assert order == [(*pair, seed) for seed in (3, 1) for pair in pairs]


def test_a_run_that_diverged_is_a_final_outcome_the_matrix_skips_not_resumes(tmp_path, monkeypatch):
    import ganas_bench.commands as commands
    from ganas_bench.config import make_config
    from ganas_bench.matrix import SKIPPED, plan, run_task
    from ganas_bench.runs.status import DIVERGED_REASON
    from ganas_bench.training import DivergedError

    assert DIVERGED_REASON == DivergedError.__name__  # how guarded() writes the reason
    configs = {"random": make_config(profile="smoke", strategy="random",
                                     overrides={"device": "cpu", "results_dir": str(tmp_path)})}
    (first,) = plan(configs, ["autogan"], [0])
    first.path.mkdir()
    (first.path / "run.json").write_text(json.dumps({"command": "run", "strategy": "random", "space": "autogan",
                                                     "status": "failed", "reason": "DivergedError: G loss nan"}))
    (task,) = plan(configs, ["autogan"], [0])  # no config.json, no checkpoint: a resume's check would refuse it
    assert task.state() == "diverged"
    monkeypatch.setattr(commands, "command_resume", lambda *a, **k: pytest.fail("resumed a diverged run"))
    assert run_task(task)["state"] == SKIPPED["diverged"]
    (task.path / "run.json").write_text(json.dumps({"command": "run", "strategy": "random", "space": "autogan",
                                                    "status": "failed", "reason": "OSError: disk full"}))
    assert task.state() == "unfinished"  # any other failure is continued (after its cause is fixed)
    with pytest.raises(UserError):
        plan(configs, ["autogan"], [0])  # ... and checked first: this one lacks what a resume reads


def test_a_bad_seed_is_refused_before_any_run_starts(tmp_path):
    refused([*ARGS[:-10], "--seeds", "0,4294967296", "--results-dir", tmp_path / "m"], tmp_path, "invalid --seeds")


def test_a_killed_matrix_restarts_where_it_stopped(tmp_path):
    code, out, err = cli([*ARGS, "--results-dir", str(tmp_path / "ref")])
    assert code == 0, err
    assert out.count("ran in") == 2 and "matrix: 2 runs (0 finished, 0 to continue, 2 new)" in out
    # smoke random: 3 iterations x 4 D steps = 12 search steps per run; pass 18 is inside the second run's search,
    # after its first checkpoint
    code, out, err = cli([*ARGS, "--results-dir", str(tmp_path / "cut")], fault="search_step:18")
    assert code == -signal.SIGKILL
    code, out, err = cli([*ARGS, "--results-dir", str(tmp_path / "cut")])
    assert code == 0, err
    assert "(1 finished, 1 to continue, 0 new)" in out and "skipped (finished)" in out and "continued in" in out
    assert "ETA" in out
    for ref in sorted((tmp_path / "ref").iterdir()):
        ours, theirs = (json.loads((d / "metrics.json").read_text()) for d in (tmp_path / "cut" / ref.name, ref))
        for m in (ours, theirs):
            m.pop("cost")
            m["search"] = {k: v for k, v in m["search"].items() if k not in ("search_wall_s", "useful_s",
                                                                              "useful_fraction")}
        assert ours == theirs, ref.name
    code, out, err = cli([*ARGS, "--results-dir", str(tmp_path / "cut")])
    assert code == 0 and out.count("skipped (finished)") == 2
    assert re.search(r"matrix done in \d+\.\d min of wall time", out)

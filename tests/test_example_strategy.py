"""examples/my_strategy.py, registered the way a third-party package registers a strategy (an entry point in its
installed metadata), runs through the real CLI on the smoke profile, shows its options under its name in `--help`, and
resumes after SIGKILL to the uninterrupted result with no checkpoint code of its own."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ARGS = ["--profile", "smoke", "--device", "cpu", "--train-iters", "4", "--checkpoint-every", "2", "--population", "4"]
TIMING = ("search_wall_s", "useful_s", "useful_fraction")


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    """A site folder holding an installed distribution whose only content is the entry point to examples/my_strategy."""
    site = tmp_path_factory.mktemp("site")
    dist = site / "ganas_bench_example-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ganas-bench-example\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ganas_bench.strategies]\nevolution = my_strategy\n")
    return os.pathsep.join([str(site), str(EXAMPLES)])


def cli(args, plugin_path, fault=None):
    env = {k: v for k, v in os.environ.items() if k != "GANAS_BENCH_FAULT"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [plugin_path, env.get("PYTHONPATH")]))
    if fault:
        env["GANAS_BENCH_FAULT"] = fault
    proc = subprocess.run([sys.executable, "-m", "ganas_bench.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_the_example_is_one_short_file_without_checkpoint_rng_or_clock_code():
    text = (EXAMPLES / "my_strategy.py").read_text()
    assert len(text.splitlines()) <= 80
    for plumbing in ("checkpoint", "torch.save", "capture_rng", "restore_rng", "get_rng_state", "clock", "seed"):
        assert plumbing not in text.lower().split('"""')[-1], plumbing  # the code, not its docstring


def test_the_entry_point_registers_it_and_help_lists_its_options(plugin_path):
    code, out, err = cli(["list"], plugin_path)
    assert code == 0 and "evolution" in out, err
    code, out, err = cli(["run", "--strategy", "evolution", "--help"], plugin_path)
    assert code == 0 and "Options of strategy evolution" in out and "--population" in out
    assert "Options of strategy rl" not in out  # only the chosen strategy's options


def test_it_runs_and_resumes_after_sigkill_to_the_uninterrupted_result(tmp_path, plugin_path):
    start = ["run", "--strategy", "evolution", "--space", "autogan", "--results-dir", str(tmp_path), *ARGS]
    code, _, err = cli([*start, "--run-name", "ref"], plugin_path)
    assert code == 0, err
    code, _, err = cli([*start, "--run-name", "cut"], plugin_path, fault="search_step:6")  # a D step after a checkpoint
    assert code == -signal.SIGKILL, err
    assert (tmp_path / "cut" / "checkpoint.pt").exists() and not (tmp_path / "cut" / "search.json").exists()
    code, _, err = cli(["run", "--resume", str(tmp_path / "cut")], plugin_path)
    assert code == 0, err

    def comparable(run):
        search = json.loads((tmp_path / run / "search.json").read_text())
        search["info"] = {k: v for k, v in search["info"].items() if k not in TIMING}
        search.pop("clock")  # wall times
        metrics = json.loads((tmp_path / run / "metrics.json").read_text())
        metrics.pop("cost"), metrics.pop("search")
        return search, metrics

    assert comparable("cut") == comparable("ref")
    assert len(comparable("ref")[0]["curve"]) == 15  # the smoke budget's proxy evaluations, as rl and random

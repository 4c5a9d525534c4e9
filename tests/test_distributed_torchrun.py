"""`torchrun --nproc-per-node N ganas-bench train|run`: DistributedDataParallel with the gloo backend on 2 CPU processes,
on shortened smoke runs. It finishes with finite losses and the metrics schema of a plain run; its checkpoint loads in
one process; with 1 rank it gives exactly the plain run's numbers; killed with SIGKILL (both ranks and the launcher) it
resumes to the uninterrupted 2-rank result, and also with another number of ranks; the rl and differentiable searches
run on 2 ranks with their state compared between the ranks at every checkpoint."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ganas_bench.checkpoint import load_checkpoint
from ganas_bench.distributed import Ranks, state_digest
from ganas_bench.errors import UserError
from ganas_bench.registry import SPACES

SHORT = ["--profile", "smoke", "--device", "cpu", "--n-fake", "128", "--kid-subset-size", "64"]
TRAIN = ["train", "--arch", "autogan_cifar10_a", *SHORT, "--train-iters", "6", "--checkpoint-every", "2"]
ENV = {"OMP_NUM_THREADS": "1", "GANAS_BENCH_FAULT": ""}


def launch(args, ranks: int | None, **popen):
    """`torchrun --standalone --nproc-per-node ranks -m ganas_bench.cli ARGS`, or the plain CLI when ranks is None."""
    env = {**os.environ, **ENV}
    if ranks is None:
        cmd = [sys.executable, "-m", "ganas_bench.cli", *args]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={ranks}",
               "-m", "ganas_bench.cli", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finish(args, ranks):
    proc = launch(args, ranks)
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    return out, err


def metrics(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    m.pop("cost")
    return m


def events(run_dir, name):
    return [e for e in map(json.loads, (run_dir / "events.jsonl").read_text().splitlines()) if e["event"] == name]


def schema(obj):
    if isinstance(obj, dict):
        return {k: schema(v) for k, v in obj.items()}
    return type(obj).__name__


@pytest.fixture(scope="module")
def two_rank_train(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    finish([*TRAIN, "--results-dir", str(root), "--run-name", "two"], 2)
    return root / "two"


def test_two_gloo_ranks_finish_with_finite_losses_and_a_plain_runs_metrics_schema(two_rank_train, tmp_path):
    finish([*TRAIN, "--results-dir", str(tmp_path), "--run-name", "plain"], None)
    ours, plain = metrics(two_rank_train), metrics(tmp_path / "plain")
    assert schema(ours) == schema(plain)
    losses = [(e["d_loss"], e["g_loss"]) for e in events(two_rank_train, "train")]
    assert losses and all(torch.isfinite(torch.tensor(pair)).all() for pair in losses)
    assert len(events(two_rank_train, "start")) == 1  # rank 0 alone writes the run


def test_a_two_rank_checkpoint_loads_in_one_process(two_rank_train):
    state = load_checkpoint(two_rank_train / "checkpoint.pt")
    space = SPACES.get("autogan")()
    from ganas_bench.config import make_config
    from ganas_bench.harness import RunHarness

    cfg = make_config(profile="smoke", overrides={"device": "cpu"})
    widths = RunHarness(cfg, torch.device("cpu"), None).widths(search=False)
    arch = json.loads((two_rank_train / "arch.json").read_text())
    from ganas_bench.genotype import Genotype

    generator = space.build_generator(Genotype.from_dict(arch["genotype"]), widths)
    generator.load_state_dict(state["generator_ema"])  # no "module." prefixes: a single-process state dict
    generator.load_state_dict(state["trainer"]["G"])


def test_one_rank_under_torchrun_gives_the_plain_runs_numbers(tmp_path):
    finish([*TRAIN, "--results-dir", str(tmp_path), "--run-name", "one"], 1)
    finish([*TRAIN, "--results-dir", str(tmp_path), "--run-name", "plain"], None)
    assert metrics(tmp_path / "one") == metrics(tmp_path / "plain")


def _kill_after_checkpoint(args, ranks, run_dir, iteration):
    proc = launch(args, ranks, start_new_session=True)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        path = run_dir / "checkpoint.pt"
        if path.is_file():
            try:
                if load_checkpoint(path).get("iteration", 0) >= iteration:
                    break
            except Exception:  # noqa: BLE001 - caught mid-rename: look again
                pass
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the launcher and both ranks at once
    proc.communicate()


def test_both_ranks_killed_resume_to_the_uninterrupted_result_with_the_same_or_another_rank_count(two_rank_train,
                                                                                                  tmp_path):
    args = [*TRAIN, "--train-iters", "40", "--results-dir", str(tmp_path)]
    finish([*args, "--run-name", "whole"], 2)
    for name, resume_ranks in (("cut", 2), ("cut-to-one", 1)):
        _kill_after_checkpoint([*args, "--run-name", name], 2, tmp_path / name, 2)
        assert not (tmp_path / name / "metrics.json").exists()
        assert json.loads((tmp_path / name / "run.json").read_text())["status"] == "running"
        finish(["train", "--resume", str(tmp_path / name)], resume_ranks)
        assert events(tmp_path / name, "resume"), name
    assert metrics(tmp_path / "cut") == metrics(tmp_path / "whole")
    other = metrics(tmp_path / "cut-to-one")
    assert schema(other) == schema(metrics(tmp_path / "whole")) and torch.isfinite(torch.tensor(other["fid"]))


@pytest.mark.parametrize("strategy, space", [("rl", "autogan"), ("differentiable", "adversarialnas")])
def test_a_search_on_two_ranks_finishes_with_its_ranks_in_agreement(strategy, space, tmp_path):
    args = ["run", "--strategy", strategy, "--space", space, *SHORT, "--train-iters", "2", "--checkpoint-every", "1",
            "--results-dir", str(tmp_path), "--run-name", "s"]
    finish(args, 2)
    searched = json.loads((tmp_path / "s" / "search.json").read_text())
    assert searched["ranked"] and events(tmp_path / "s", "search_checkpoint")  # each compared between the ranks


def test_a_command_for_one_process_is_refused_under_torchrun_on_every_rank(tmp_path):
    proc = launch(["tables", "--out", str(tmp_path)], 2)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0 and err.count("under torchrun only train and run run") == 2


def test_ranks_that_drift_apart_are_caught_by_the_state_digest():
    state = {"G": {"w": torch.ones(3), "bn.running_mean": torch.zeros(2)}, "step": 4}
    drifted = {"G": {"w": torch.ones(3) + 1e-7, "bn.running_mean": torch.zeros(2)}, "step": 4}
    per_rank_stats = {"G": {"w": torch.ones(3), "bn.running_mean": torch.ones(2)}, "step": 4}
    assert state_digest(state) != state_digest(drifted)
    assert state_digest(state) == state_digest(per_rank_stats)  # BatchNorm statistics are per rank by design


def test_a_global_batch_that_does_not_split_over_the_ranks_is_refused():
    with pytest.raises(UserError, match="batch size 30 does not split over 4 ranks"):
        Ranks(rank=0, world_size=4).local_size(30, "batch size")
    assert Ranks(rank=1, world_size=2).shard(torch.arange(6)).tolist() == [3, 4, 5]

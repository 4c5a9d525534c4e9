"""`torchrun --nproc-per-node N ganas-bench train|run`: DistributedDataParallel with the gloo backend on 2 CPU processes,
on shortened smoke runs. It finishes with finite losses and the metrics schema of a plain run; its checkpoint loads in
one process; killed with SIGKILL (both ranks; torchrun then ends) it resumes on 2 ranks to the uninterrupted result,
and on 1 rank, where it gives exactly what a plain process resuming the same checkpoint gives; the rl and
differentiable searches run on 2 ranks with their state compared between the ranks at every checkpoint; `--compile`
trains on 2 ranks without falling back to eager.

Every launch costs 10-25 CPU-seconds, most of it importing torch (and sklearn) in each process, so the launching tests
are in the slow group, in one xdist group (the runs they share are made once); the rest are unit tests."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from ganas_bench.checkpoint import load_checkpoint
from ganas_bench.distributed import Ranks, state_digest
from ganas_bench.errors import UserError
from ganas_bench.registry import SPACES
from ganas_bench.torchrun import check_command

SHORT = ["--profile", "smoke", "--device", "cpu", "--n-fake", "128", "--kid-subset-size", "64"]
TRAIN = ["train", "--arch", "autogan_cifar10_a", *SHORT, "--train-iters", "8", "--checkpoint-every", "2"]


def launching(test):
    """Slow, and on the one xdist worker that builds the shared runs (`make test-slow` distributes by group)."""
    return pytest.mark.slow(pytest.mark.xdist_group("torchrun")(test))


def launch(args, ranks: int | None, fault: str = ""):
    """`torchrun --standalone --nproc-per-node ranks -m ganas_bench.cli ARGS` (the plain CLI when ranks is None),
    one torch thread per process (torchrun's default, and the plain run's here); returns (exit code, stderr)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GANAS_BENCH_FAULT": fault}
    if ranks is None:
        cmd = [sys.executable, "-m", "ganas_bench.cli", *args]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={ranks}",
               "-m", "ganas_bench.cli", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    return proc.returncode, proc.stderr


def finish(args, ranks):
    code, err = launch(args, ranks)
    assert code == 0, err[-3000:]


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
def runs(tmp_path_factory):
    """A short training on 2 gloo ranks ("two"); the same killed with SIGKILL on both ranks before iteration 5, after
    its checkpoint at 4 ("cut": torchrun then ends), and copies of it resumed on 1 rank under torchrun and in a plain
    process ("one", "plain")."""
    root = tmp_path_factory.mktemp("ddp")
    finish([*TRAIN, "--results-dir", str(root), "--run-name", "two"], 2)
    code, _ = launch([*TRAIN, "--results-dir", str(root), "--run-name", "cut"], 2, fault="train_iteration:5")
    assert code != 0 and not (root / "cut" / "metrics.json").exists()
    assert load_checkpoint(root / "cut" / "checkpoint.pt")["iteration"] == 4
    for name, ranks in (("one", 1), ("plain", None)):
        shutil.copytree(root / "cut", root / name)
        finish(["train", "--resume", str(root / name)], ranks)
    return root


@launching
def test_two_gloo_ranks_finish_with_finite_losses_and_a_plain_runs_metrics_schema(runs):
    assert schema(metrics(runs / "two")) == schema(metrics(runs / "plain"))
    losses = [(e["d_loss"], e["g_loss"]) for e in events(runs / "two", "train")]
    assert len(losses) == 8 and all(torch.isfinite(torch.tensor(pair)).all() for pair in losses)
    assert len(events(runs / "two", "start")) == 1  # rank 0 alone writes the run
    cost = json.loads((runs / "two" / "metrics.json").read_text())["cost"]["total"]
    assert cost["device"].endswith(" x 2 ranks")  # device-hours count both processes


@launching
def test_a_two_rank_checkpoint_loads_in_one_process(runs):
    from ganas_bench.config import make_config
    from ganas_bench.genotype import Genotype
    from ganas_bench.harness import RunHarness

    state = load_checkpoint(runs / "two" / "checkpoint.pt")
    widths = RunHarness(make_config(profile="smoke"), torch.device("cpu"), None).widths(search=False)
    genotype = Genotype.from_dict(json.loads((runs / "two" / "arch.json").read_text())["genotype"])
    generator = SPACES.get("autogan")().build_generator(genotype, widths)
    generator.load_state_dict(state["generator_ema"])  # no "module." prefixes: a single-process state dict
    generator.load_state_dict(state["trainer"]["G"])
    assert events(runs / "plain", "resume")[-1]["iteration"] == 4  # and a plain process trained on from one


@launching
def test_a_two_rank_run_resumes_on_one_rank_and_one_rank_gives_the_plain_processs_numbers(runs):
    assert events(runs / "one", "resume")[-1]["iteration"] == 4
    assert metrics(runs / "one") == metrics(runs / "plain")  # DDP over 1 rank, rank-0 broadcasts: nothing changes
    assert torch.isfinite(torch.tensor(metrics(runs / "one")["fid"]))


@launching
def test_both_ranks_killed_resume_on_two_ranks_to_the_uninterrupted_result(runs, tmp_path):
    shutil.copytree(runs / "cut", tmp_path / "cut")
    finish(["train", "--resume", str(tmp_path / "cut")], 2)
    assert metrics(tmp_path / "cut") == metrics(runs / "two")


@launching
def test_two_ranks_train_channels_last_the_papers_profiles_default(tmp_path):
    """DDP over G and D laid out channels-last (cifar10's and stl10's default) finishes with finite losses."""
    finish([*TRAIN, "--channels-last", "--train-iters", "4", "--results-dir", str(tmp_path), "--run-name", "cl"], 2)
    losses = [(e["d_loss"], e["g_loss"]) for e in events(tmp_path / "cl", "train")]
    assert len(losses) == 4 and all(torch.isfinite(torch.tensor(pair)).all() for pair in losses)
    assert json.loads((tmp_path / "cl" / "config.json").read_text())["channels_last"] is True


@pytest.mark.heavy  # ~2-3 min with a cold inductor cache, as in CI: `make test-heavy`, not `make test-slow`
@launching
def test_two_ranks_train_autogans_compiled_d_without_falling_back(tmp_path):
    """`--compile` under DDP: AutoGAN-A's spectrally normalised D compiled over both ranks trains with finite losses and
    no fallback to eager. Its D step once made two DDP forwards, and DDP's in-place buffer broadcast before the second
    broke the first compiled pass's backward ("modified by an inplace operation")."""
    code, err = launch([*TRAIN, "--compile", "--train-iters", "3", "--results-dir", str(tmp_path), "--run-name", "c"], 2)
    assert code == 0, err[-3000:]
    assert "running it eagerly" not in err  # neither rank fell back (rank 1 says so on stderr only)
    losses = [(e["d_loss"], e["g_loss"]) for e in events(tmp_path / "c", "train")]
    assert len(losses) == 3 and all(torch.isfinite(torch.tensor(pair)).all() for pair in losses)
    assert events(tmp_path / "c", "compile_fallback") == []
    assert json.loads((tmp_path / "c" / "config.json").read_text())["compile"] is True


@launching
@pytest.mark.parametrize("strategy, space, budget", [
    ("rl", "autogan", ["--mlas-m", "2", "--controller-steps", "1", "--shared-steps", "2"]),  # 3 controller updates
    ("differentiable", "adversarialnas", ["--search-epochs", "0.04"]),  # 2 steps of weights and alphas
])
def test_a_search_on_two_ranks_finishes_with_its_ranks_in_agreement(strategy, space, budget, tmp_path):
    args = ["run", "--strategy", strategy, "--space", space, *SHORT, *budget, "--search-only", "--checkpoint-every",
            "1", "--results-dir", str(tmp_path), "--run-name", "s"]
    finish(args, 2)  # a checkpoint whose state (controller / alphas, RNG) differs between the ranks stops the run
    searched = json.loads((tmp_path / "s" / "search.json").read_text())
    assert searched["ranked"] and events(tmp_path / "s", "search_checkpoint")


def test_a_command_for_one_process_or_ray_is_refused_under_torchrun():
    check_command(["train", "--arch", "autogan_cifar10_a"])
    with pytest.raises(UserError, match="under torchrun only train and run run"):
        check_command(["tables", "--out", "x"])
    with pytest.raises(UserError, match="--executor does not combine with torchrun"):
        check_command(["run", "--executor=ray"])


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


def test_device_hours_count_every_rank_also_across_a_resume_with_another_rank_count():
    from ganas_bench.cost import CostClock

    cpu, per_thread_hour = torch.device("cpu"), torch.get_num_threads() / 3600.0
    two = CostClock(cpu, ranks=2)
    two.add("train", 10.0)
    one = CostClock(cpu, ranks=1)  # the same run resumed in one process
    one.load_state_dict(two.state_dict())
    one.add("train", 5.0)
    one.add("eval", 1.0)
    assert one.summary("train")["device_hours"] == pytest.approx(25.0 * per_thread_hour)
    assert one.total()["device_hours"] == pytest.approx(26.0 * per_thread_hour)
    assert one.total()["wall_s"] == 16.0 and "rank_s" not in one.summary("train")
    assert two.summary("train")["device"].endswith(" x 2 ranks") and one.summary("train")["device"].startswith("cpu")

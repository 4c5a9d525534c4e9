"""`ganas-bench train` end to end on the smoke profile: a complete run directory, bit-for-bit reproducibility, resume
after an interruption, and failures recorded in the run instead of half-written results."""
import json

import pytest

from ganas_bench.config import make_config
from ganas_bench.commands import command_resume, command_train
from ganas_bench.results.protocol import matches, profile_protocol
from ganas_bench.training import GANTrainer

from call_faults import raise_on_call

COST_FREE = ("cost", "train_seconds")


def smoke(tmp_path, **changes):
    return make_config(profile="smoke", overrides={"results_dir": str(tmp_path / "runs"), "device": "cpu", **changes})


def comparable(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in COST_FREE}


def test_train_writes_a_complete_run_directory(tmp_path):
    run = command_train(smoke(tmp_path), "autogan_cifar10_a", "r")
    for name in ("run.json", "config.json", "events.jsonl", "arch.json", "metrics.json", "checkpoint.pt", "samples.png"):
        assert run.has(name), name
    info = run.read_json("run.json")
    assert info["status"] == "finished" and info["command"] == "train" and info["arch_name"] == "autogan_cifar10_a"
    metrics = run.read_json("metrics.json")
    for key in ("is_mean", "is_std", "fid", "kid_mean", "kid_std", "n_fake", "n_real", "reference_split", "backbone"):
        assert key in metrics, key
    assert metrics["n_fake"] == 256 and metrics["n_real"] == 1797 and metrics["backbone"] == "digits-classifier"
    # what a real run records is its profile's protocol, so the profile's tables keep it (a split named differently in
    # the reader and in the tables once left every tiny run out of readme_tiny.md)
    assert matches(metrics, profile_protocol("smoke")), (metrics, profile_protocol("smoke"))
    cost = metrics["cost"]
    assert cost["train"]["steps"] == 30 and cost["train"]["flops_per_step"] > 0
    assert cost["total"]["unit"] == "CPU-core-hours" and cost["total"]["device_hours"] > 0
    arch = run.read_json("arch.json")
    assert arch["genotype"]["choices"] == [1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 3] and arch["params_g"] > 0
    events = [json.loads(line)["event"] for line in run.file("events.jsonl").read_text().splitlines()]
    assert events[0] == "start" and events[-1] == "finished" and "train" in events


def test_same_seed_gives_the_same_metrics_bit_for_bit(tmp_path):
    a = command_train(smoke(tmp_path), "autogan_cifar10_a", "a").read_json("metrics.json")
    b = command_train(smoke(tmp_path), "autogan_cifar10_a", "b").read_json("metrics.json")
    c = command_train(smoke(tmp_path, seed=1), "autogan_cifar10_a", "c").read_json("metrics.json")
    assert comparable(a) == comparable(b)
    assert a["fid"] != c["fid"]


def test_resume_after_an_interruption_reaches_the_uninterrupted_result(tmp_path, monkeypatch):
    cfg = smoke(tmp_path, checkpoint_every=10)
    reference = command_train(cfg, "autogan_cifar10_a", "ref").read_json("metrics.json")

    original = raise_on_call(monkeypatch, GANTrainer, "iteration", 17, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        command_train(cfg, "autogan_cifar10_a", "cut")
    run_dir = tmp_path / "runs" / "cut"
    assert json.loads((run_dir / "run.json").read_text())["status"] == "failed"
    assert not (run_dir / "metrics.json").exists()
    monkeypatch.setattr(GANTrainer, "iteration", original)

    resumed = command_resume(str(run_dir)).read_json("metrics.json")
    assert comparable(resumed) == comparable(reference)
    events = (run_dir / "events.jsonl").read_text()
    assert '"iteration": 10' in events  # it continued from the checkpoint, not from scratch


def test_a_failure_inside_the_run_is_recorded_and_leaves_no_metrics(tmp_path, monkeypatch):
    import ganas_bench.final_training as pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("metric backend exploded")

    monkeypatch.setattr(pipeline, "evaluate", broken)
    with pytest.raises(RuntimeError):
        command_train(smoke(tmp_path, train_iters=3), "autogan_cifar10_a", "bad")
    run_dir = tmp_path / "runs" / "bad"
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "failed" and "metric backend exploded" in info["reason"]
    assert not (run_dir / "metrics.json").exists()

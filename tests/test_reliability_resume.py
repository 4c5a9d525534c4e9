"""Resume and the best-of-`eval_every` result: the best generator, its scores and its iteration survive an interruption
before the final evaluation (carried in the checkpoint) and after it (the final checkpoint holds the result, so nothing is
evaluated twice). Evaluation is scripted here, so the best iteration is known and the tests cost seconds."""
import json

import pytest
import torch

import ganas_bench.final_training as pipeline
from ganas_bench.checkpoint import load_checkpoint
from ganas_bench.config import make_config
from ganas_bench.commands import command_resume, command_train
from ganas_bench.training import GANTrainer

from call_faults import raise_on_call


def scripted_evaluate(fids):
    fids = iter(fids)
    return lambda harness, generator, n_fake=None: {"fid": next(fids), "is_mean": 1.0, "kid_mean": 1.0}


def smoke(tmp_path):
    return make_config(profile="smoke", overrides={"results_dir": str(tmp_path), "device": "cpu", "train_iters": 4,
                                                   "eval_every": 2, "checkpoint_every": 2})


def test_an_interruption_before_the_final_evaluation_keeps_the_best_generator(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "evaluate", scripted_evaluate([100.0, 10.0]))  # untrained, iteration 2
    original = raise_on_call(monkeypatch, GANTrainer, "iteration", 3, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        command_train(smoke(tmp_path), "autogan_cifar10_a", "r")
    best = load_checkpoint(tmp_path / "r" / "checkpoint.pt")["best"]
    assert best["iteration"] == 2
    monkeypatch.setattr(GANTrainer, "iteration", original)
    monkeypatch.setattr(pipeline, "evaluate", scripted_evaluate([50.0]))  # the final one: worse than iteration 2

    metrics = command_resume(str(tmp_path / "r")).read_json("metrics.json")
    assert metrics["best_iter"] == 2 and metrics["fid"] == 10.0 and metrics["untrained"]["fid"] == 100.0
    kept = load_checkpoint(tmp_path / "r" / "checkpoint.pt")["generator_ema"]
    assert all(torch.equal(kept[k], best["generator_ema"][k]) for k in best["generator_ema"])


def test_an_interruption_after_the_final_checkpoint_keeps_the_best_iteration(tmp_path, monkeypatch):
    def interrupted_samples(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "evaluate", scripted_evaluate([100.0, 10.0, 50.0]))  # untrained, 2 (best), 4
    monkeypatch.setattr(pipeline.FinalTraining, "_write_samples", interrupted_samples)
    with pytest.raises(KeyboardInterrupt):
        command_train(smoke(tmp_path), "autogan_cifar10_a", "r")
    monkeypatch.undo()
    monkeypatch.setattr(pipeline, "evaluate", lambda *args: pytest.fail("the resume evaluated again"))

    metrics = command_resume(str(tmp_path / "r")).read_json("metrics.json")
    assert metrics["best_iter"] == 2 and metrics["fid"] == 10.0 and metrics["untrained"]["fid"] == 100.0
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "finished"

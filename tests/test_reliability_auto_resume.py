"""Giving an interrupted run's directory name again (same command, architecture or strategy x space, same settings)
continues it, as `--resume` does; any other use of an existing name is refused before anything is written."""
import json

import pytest
import torch

import ganas_bench.final_training as pipeline
from ganas_bench.checkpoint import load_checkpoint
from ganas_bench.config import make_config
from ganas_bench.errors import UserError
from ganas_bench.commands import command_run, command_train
from ganas_bench.search.supernet import SharedTraining
from ganas_bench.training import GANTrainer

from call_faults import raise_on_call

TIMING = ("search_wall_s", "useful_s", "useful_fraction")


def smoke(tmp_path, **changes):
    return make_config(profile="smoke", overrides={"results_dir": str(tmp_path), "device": "cpu", "train_iters": 4,
                                                   "checkpoint_every": 2, **changes})


def scripted_evaluate(harness, generator, n_fake=None):
    return {"fid": 1.0, "is_mean": 1.0, "kid_mean": 1.0}


def events(run_dir):
    return [json.loads(line)["event"] for line in (run_dir / "events.jsonl").read_text().splitlines()]


def test_train_given_the_same_name_again_continues_to_the_uninterrupted_result(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "evaluate", scripted_evaluate)
    command_train(smoke(tmp_path), "autogan_cifar10_a", "ref")
    with monkeypatch.context() as patch:
        raise_on_call(patch, GANTrainer, "iteration", 4, KeyboardInterrupt)  # after the checkpoint of iteration 2
        with pytest.raises(KeyboardInterrupt):
            command_train(smoke(tmp_path), "autogan_cifar10_a", "r")
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "failed"

    run = command_train(smoke(tmp_path), "autogan_cifar10_a", "r")
    assert run.path == tmp_path / "r" and run.read_json("run.json")["status"] == "finished"
    assert "resume" in events(run.path)
    ours, theirs = (load_checkpoint(tmp_path / d / "checkpoint.pt")["generator_ema"] for d in ("r", "ref"))
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_run_given_the_same_name_again_continues_its_search(tmp_path, monkeypatch):
    command_run(smoke(tmp_path), "random", "autogan", "ref", search_only=True)
    with monkeypatch.context() as patch:
        raise_on_call(patch, SharedTraining, "score", 3, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            command_run(smoke(tmp_path), "random", "autogan", "r", search_only=True)
    assert not (tmp_path / "r" / "search.json").exists()

    run = command_run(smoke(tmp_path), "random", "autogan", "r", search_only=True)
    assert "search_resume" in events(run.path)
    ours, theirs = (json.loads((tmp_path / d / "search.json").read_text()) for d in ("r", "ref"))
    for result in (ours, theirs):
        result["info"] = {k: v for k, v in result["info"].items() if k not in TIMING}
        assert result.pop("clock")["search"]["wall_s"] > 0  # the search's cost, for a resume after it
    assert ours == theirs


def test_an_existing_name_is_refused_when_it_is_not_the_same_unfinished_run(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "evaluate", scripted_evaluate)
    with monkeypatch.context() as patch:
        raise_on_call(patch, GANTrainer, "iteration", 2, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            command_train(smoke(tmp_path), "autogan_cifar10_a", "r")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "r").iterdir())

    with pytest.raises(UserError, match=r"started with other settings: train_iters=4 \(now 6\)"):
        command_train(smoke(tmp_path, train_iters=6), "autogan_cifar10_a", "r")
    with pytest.raises(UserError, match="holds another run"):
        command_train(smoke(tmp_path), "autogan_cifar10_b", "r")
    with pytest.raises(UserError, match="holds another run"):
        command_run(smoke(tmp_path), "random", "autogan", "r")
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "r").iterdir()) == before  # nothing written

    command_train(smoke(tmp_path), "autogan_cifar10_a", "r")  # the same settings: continued and finished
    with pytest.raises(UserError, match="has already finished; pick another --run-name"):
        command_train(smoke(tmp_path), "autogan_cifar10_a", "r")
    (tmp_path / "not-a-run").mkdir()
    with pytest.raises(UserError, match="is not a run directory"):
        command_train(smoke(tmp_path), "autogan_cifar10_a", "not-a-run")


def test_a_run_stopped_after_its_search_and_before_any_training_checkpoint_keeps_its_search_cost(tmp_path,
                                                                                                   monkeypatch):
    """The resume restarts the training from search.json; the search's cost comes from there too (it was lost)."""
    monkeypatch.setattr(pipeline, "evaluate", scripted_evaluate)
    cfg = smoke(tmp_path, checkpoint_every=100)  # no training checkpoint before the stop
    with monkeypatch.context() as patch:
        raise_on_call(patch, GANTrainer, "iteration", 2, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            command_run(cfg, "random", "autogan", "r")
    assert (tmp_path / "r" / "search.json").exists()
    assert load_checkpoint(tmp_path / "r" / "checkpoint.pt")["kind"] == "search"  # the search's last, no training one
    searched = json.loads((tmp_path / "r" / "search.json").read_text())["clock"]["search"]

    run = command_run(cfg, "random", "autogan", "r")
    cost = run.read_json("metrics.json")["cost"]
    assert "resume" in events(run.path)
    assert cost["search"]["wall_s"] == round(searched["wall_s"], 3) > 0
    assert cost["total"]["wall_s"] >= cost["search"]["wall_s"] + cost["train"]["wall_s"] - 0.01


def test_a_damaged_search_clock_is_refused_before_the_resume_changes_anything(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "evaluate", scripted_evaluate)
    cfg = smoke(tmp_path, checkpoint_every=100)
    with monkeypatch.context() as patch:
        raise_on_call(patch, GANTrainer, "iteration", 2, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            command_run(cfg, "random", "autogan", "r")
    path = tmp_path / "r" / "search.json"
    searched = json.loads(path.read_text())
    path.write_text(json.dumps({**searched, "clock": {"search": {"wall_s": "long"}}}))
    before = {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir() if p.is_file()}
    with pytest.raises(UserError, match="'clock' is not a cost clock's state"):
        command_run(cfg, "random", "autogan", "r")
    assert {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir() if p.is_file()} == before

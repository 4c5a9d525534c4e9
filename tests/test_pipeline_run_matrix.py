"""`ganas-bench run` end to end on a shortened budget: search, derive, retrain, evaluate, record.

One pair here; `make repro` runs all six through the same `command_run` against the committed references, so a pair
that breaks fails there (and each strategy has its own tests in test_strategy_*.py).
"""
import pytest

from ganas_bench.config import make_config
from ganas_bench.commands import command_run
from ganas_bench.registry import SPACES


def smoke(tmp_path, **changes):
    return make_config(profile="smoke", overrides={"results_dir": str(tmp_path / "runs"), "device": "cpu", **changes})


@pytest.mark.slow
def test_a_run_searches_derives_retrains_and_records_everything(tmp_path):
    strategy, space = "differentiable", "adversarialnas"
    run = command_run(smoke(tmp_path), strategy, space, "r")
    assert run.read_json("run.json")["status"] == "finished"
    searched = run.read_json("search.json")
    assert searched["ranked"] and searched["curve"]
    arch = run.read_json("arch.json")
    SPACES.get(space)().genotype(arch["genotype"]["choices"])  # valid in its space
    assert arch["genotype"] == searched["ranked"][0]["genotype"]
    metrics = run.read_json("metrics.json")
    assert metrics["fid"] > 0 and metrics["is_mean"] >= 1.0
    assert metrics["cost"]["search"]["wall_s"] > 0 and metrics["cost"]["train"]["steps"] == 30
    assert 0 < metrics["search"]["useful_fraction"] <= 1.0
    untrained = metrics["untrained"]  # the derived generator scored before retraining, on the same protocol
    assert {"fid", "is_mean", "kid_mean"} <= untrained.keys() and untrained["n_fake"] == metrics["n_fake"]


@pytest.mark.slow
def test_same_seed_twice_gives_the_same_genotype_and_metrics_bit_for_bit(tmp_path):
    a = command_run(smoke(tmp_path), "rl", "autogan", "a")
    b = command_run(smoke(tmp_path), "rl", "autogan", "b")
    assert a.read_json("arch.json")["genotype"] == b.read_json("arch.json")["genotype"]
    ma, mb = a.read_json("metrics.json"), b.read_json("metrics.json")
    for key in ("is_mean", "is_std", "fid", "kid_mean", "kid_std"):
        assert ma[key] == mb[key], key
    assert a.read_json("search.json")["ranked"] == b.read_json("search.json")["ranked"]


def test_search_only_stops_before_retraining(tmp_path):
    run = command_run(smoke(tmp_path), "random", "autogan", "s", search_only=True)
    assert run.has("arch.json") and not run.has("samples.png")
    metrics = run.read_json("metrics.json")
    assert metrics["search_only"] is True and "fid" not in metrics and "train" not in metrics["cost"]


def test_a_stage_count_the_space_does_not_have_is_refused_before_any_work(tmp_path):
    from ganas_bench.errors import UserError

    with pytest.raises(UserError, match="stage_iters .* has 2 stages; space 'autogan' has 3"):
        command_run(smoke(tmp_path, stage_iters=(1, 1)), "rl", "autogan", "x")
    assert not (tmp_path / "runs").exists()

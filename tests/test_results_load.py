"""The results API: run directories as a DataFrame, one identity and one group definition, queries for notebooks."""
from __future__ import annotations

import json
import math
import statistics

import pandas as pd
import pytest

from ganas_bench.errors import UserError
from ganas_bench.results import (RUN_COLUMNS, compare_strategies, find_best, load_reevaluations, load_runs, query,
                                 summarise_groups)
from ganas_bench.results import keys as K
from ganas_bench.runs.identity import config_hash, experiment_hash
from fake_runs import make_run


@pytest.fixture()
def runs_dir(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "old-s0", seed=0, fid=20.0)
    make_run(runs, "new-s1", seed=1, fid=24.0, schema="new", eval_spread=2.0, reevals=(5000, 500))
    make_run(runs, "random-s0", strategy="random", seed=0, fid=40.0)
    make_run(runs, "random-s1", strategy="random", seed=1, fid=44.0)
    make_run(runs, "failed", seed=2, status="failed", reason="boom", metrics=False)
    return runs


def test_load_runs_gives_one_row_per_run_directory_with_documented_columns(runs_dir):
    runs = load_runs(runs_dir)
    assert list(runs.columns) == list(RUN_COLUMNS)
    assert list(runs[K.COL_RUN_ID]) == ["failed", "new-s1", "old-s0", "random-s0", "random-s1"]
    assert dict(zip(runs[K.COL_RUN_ID], runs[K.COL_STATE]))["failed"] == K.STATE_FAILED


def test_old_runs_have_one_evaluation_and_new_runs_their_evaluation_noise(runs_dir):
    runs = load_runs(runs_dir).set_index(K.COL_RUN_ID)
    assert runs.loc["old-s0", K.COL_EVAL_K] == 1 and math.isnan(runs.loc["old-s0", K.COL_FID_EVAL_SD])
    assert runs.loc["new-s1", K.COL_EVAL_K] == 3
    assert runs.loc["new-s1", K.COL_FID_EVAL_SD] == pytest.approx(statistics.stdev([22.0, 24.0, 26.0]))
    assert runs.loc["new-s1", K.KEY_METRIC_FID] == pytest.approx(24.0)


def test_finished_is_decided_by_metrics_json_not_by_run_json(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "killed-after-metrics", status="running")  # metrics.json written, run.json never updated
    incomplete = make_run(runs, "incomplete")
    metrics = json.loads((incomplete / "metrics.json").read_text())
    del metrics["fid"]
    (incomplete / "metrics.json").write_text(json.dumps(metrics))
    states = dict(zip(*(load_runs(runs)[c] for c in (K.COL_RUN_ID, K.COL_STATE))))
    assert states == {"incomplete": K.STATE_PARTIAL, "killed-after-metrics": K.STATE_FINISHED}


def test_identity_uses_the_shared_hashes_and_groups_runs_that_differ_by_seed_only(runs_dir):
    runs = load_runs(runs_dir).set_index(K.COL_RUN_ID)
    config = json.loads((runs_dir / "old-s0" / "config.json").read_text())
    assert runs.loc["old-s0", K.COL_CONFIG_HASH] == config_hash(config)
    assert runs.loc["old-s0", K.COL_EXPERIMENT_HASH] == experiment_hash(config)
    assert runs.loc["old-s0", K.COL_CONFIG_HASH] != runs.loc["new-s1", K.COL_CONFIG_HASH]
    assert runs.loc["old-s0", K.COL_GROUP] == runs.loc["new-s1", K.COL_GROUP]
    assert runs.loc["old-s0", K.COL_GROUP] != runs.loc["random-s0", K.COL_GROUP]


def test_variant_reads_flat_and_nested_strategy_options(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "flat", config={"controller_steps": 16})
    make_run(runs, "nested", nested_options={"controller_steps": 16, "entropy_coef": 1e-3})
    make_run(runs, "nested-defaults", nested_options={"controller_steps": 8})
    variants = dict(zip(*(load_runs(runs)[c] for c in (K.COL_RUN_ID, K.COL_VARIANT))))
    assert variants == {"flat": "controller_steps=16", "nested": "controller_steps=16", "nested-defaults": "defaults"}


def test_reevaluations_are_rows_of_their_own_marked_with_n_fake(runs_dir):
    runs = load_runs(runs_dir)
    again = load_reevaluations(runs)
    assert list(again[K.COL_EVALUATION]) == ["re-eval n_fake=500", "re-eval n_fake=5000"]
    assert set(again[K.COL_RUN_ID]) == {"new-s1"} and list(again[K.KEY_N_FAKE]) == [500.0, 5000.0]
    assert list(again[K.cost_hours("eval")]) == [0.2, 0.2]
    assert len(set(again[K.COL_GROUP]) | set(runs[K.COL_GROUP])) == len(set(runs[K.COL_GROUP])) + 2


def test_group_summary_has_n_mean_median_interval_and_eval_noise(runs_dir):
    groups = summarise_groups(load_runs(runs_dir)).set_index(K.COL_STRATEGY)
    rl = groups.loc["rl"]
    assert (rl["fid_n"], rl["fid_mean"], rl["fid_median"]) == (2, pytest.approx(22.0), pytest.approx(22.0))
    assert rl["fid_ci_low"] < 22.0 < rl["fid_ci_high"]
    assert rl[K.COL_FID_EVAL_SD] == pytest.approx(2.0)
    assert rl["unfinished"] == 1 and rl["seed_list"] == "0,1"


def test_query_filters_finished_runs_and_refuses_unknown_columns(runs_dir):
    runs = load_runs(runs_dir)
    assert list(query(runs, strategy="rl")[K.COL_RUN_ID]) == ["new-s1", "old-s0"]
    assert len(query(runs, strategy=["rl", "random"])) == 4
    assert len(query(runs, finished=False, strategy="rl")) == 3
    with pytest.raises(UserError, match="unknown column 'strategyy'"):
        query(runs, strategyy="rl")


def test_find_best_picks_a_run_or_a_group_in_the_metrics_direction(runs_dir):
    runs = load_runs(runs_dir)
    assert find_best(runs, "fid")[K.COL_RUN_ID] == "old-s0"
    assert find_best(runs, "fid", strategy="random")[K.COL_RUN_ID] == "random-s0"
    assert find_best(runs, "fid", by="group")[K.COL_STRATEGY] == "rl"
    assert find_best(runs, "is_mean", by="group")["is_mean"] == pytest.approx(7.0)
    with pytest.raises(UserError, match="no finished run"):
        find_best(runs, "fid", strategy="differentiable")


def test_compare_strategies_pairs_groups_within_a_space_only(tmp_path):
    runs_dir = tmp_path / "runs"
    for seed in range(5):
        make_run(runs_dir, f"rl-{seed}", seed=seed, fid=20.0 + seed)
        make_run(runs_dir, f"random-{seed}", strategy="random", seed=seed, fid=40.0 + seed)
        make_run(runs_dir, f"diff-{seed}", strategy="differentiable", space="adversarialnas", seed=seed, fid=30.0)
    pairs = compare_strategies(load_runs(runs_dir))
    assert len(pairs) == 1
    pair = pairs.iloc[0]
    assert (pair["space"], pair["a"], pair["b"], pair["significant"]) == ("autogan", "random", "rl", True)
    assert pair["verdict"].startswith("rl has lower FID than random at n=5")


def test_an_empty_or_missing_runs_folder_gives_an_empty_frame(tmp_path):
    runs = load_runs(tmp_path / "nothing")
    assert len(runs) == 0 and list(runs.columns) == list(RUN_COLUMNS)
    assert len(summarise_groups(runs)) == 0 and len(compare_strategies(runs)) == 0
    assert isinstance(load_reevaluations(runs), pd.DataFrame)

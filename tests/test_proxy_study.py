"""`ganas-bench study proxy`: the rank statistics, diverged trainings, resuming, and the README's study table."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from ganas_bench import proxy_study
from ganas_bench.config import make_config
from ganas_bench.executors import LocalExecutor
from ganas_bench.proxy_study import DIVERGED, TrainJob, analyse, run_study, train_job
from ganas_bench.runs.rundir import RunFailed
from ganas_bench.tables.proxy_table import load_studies, proxy_pick, readme_text, verdict, write_readme_tables


def fids_for(mean_fid, seeds=2, spread=1.0):
    """Per-seed FIDs around the given means (seed s: mean + s * spread), one row per architecture."""
    return np.array([[m + s * spread for s in range(seeds)] for m in mean_fid], dtype=float)


def test_a_proxy_that_orders_architectures_as_training_does_scores_plus_one():
    proxy = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    result = analyse(proxy, fids_for([90, 80, 70, 60, 50, 40]))  # higher proxy, lower FID
    for name in ("kendall_tau", "spearman_rho"):
        assert result[name]["value"] == pytest.approx(1.0)
        assert result[name]["ci95"] == pytest.approx([1.0, 1.0])
    assert result["architectures_used"] == 6 and result["architectures_dropped"] == 0
    reverse = analyse(proxy, fids_for([40, 50, 60, 70, 80, 90]))
    assert reverse["kendall_tau"]["value"] == pytest.approx(-1.0)


def test_statistics_are_scipys_and_each_interval_holds_its_value():
    rng = np.random.default_rng(3)
    proxy = list(rng.normal(size=20))
    fids = rng.uniform(40, 400, size=(20, 2))
    result = analyse(proxy, fids)
    y = -fids.mean(axis=1)
    assert result["kendall_tau"]["value"] == pytest.approx(stats.kendalltau(proxy, y).statistic)
    assert result["spearman_rho"]["p_value"] == pytest.approx(stats.spearmanr(proxy, y).pvalue)
    for name in ("kendall_tau", "spearman_rho"):
        low, high = result[name]["ci95"]
        assert -1 <= low <= result[name]["value"] <= high <= 1
    seeds = result["training_seed_agreement"]["spearman_rho"]
    assert seeds["value"] == pytest.approx(stats.spearmanr(fids[:, 0], fids[:, 1]).statistic)
    assert analyse(proxy, fids) == result  # the bootstrap is seeded


def test_an_unscored_architecture_is_left_out_and_a_diverged_training_ranks_last():
    proxy = [None, 1.0, 2.0, 3.0, 4.0]
    fids = fids_for([10, math.inf, 80, 60, 40])  # the lowest-scored scorable one diverged in one seed
    fids[1, 0] = 500.0
    result = analyse(proxy, fids)
    assert result["architectures_used"] == 4 and result["architectures_dropped"] == 1
    assert result["kendall_tau"]["value"] == pytest.approx(1.0)  # diverged = worst, which the proxy also says


def test_the_verdict_calls_an_agreement_only_when_its_interval_excludes_zero():
    rng = np.random.default_rng(0)
    proxy = list(rng.normal(size=24))
    unrelated = {**analyse(proxy, rng.uniform(40, 400, size=(24, 2))), "architectures": []}
    assert unrelated["kendall_tau"]["ci95"][0] < 0 < unrelated["kendall_tau"]["ci95"][1]
    assert verdict(unrelated).startswith("no agreement called at n=24") and "interval includes 0" in verdict(unrelated)
    weak = {"architectures_used": 24, "kendall_tau": {"value": 0.28, "ci95": [0.04, 0.5], "p_value": 0.055},
            "spearman_rho": {"value": 0.48, "ci95": [0.13, 0.68], "p_value": 0.018}}
    assert verdict(weak) == ("no agreement called at n=24 (Kendall's tau +0.28: p=0.055); Spearman's rho (+0.48, "
                             "p=0.018, interval excludes 0) alone would call it: weak evidence, not a finding")
    ordered = analyse(proxy, fids_for([100 - 10 * p for p in proxy]))
    assert verdict(ordered).startswith("the proxy ranks architectures as training")
    reverse = analyse(proxy, fids_for([100 + 10 * p for p in proxy]))
    assert "in reverse" in verdict(reverse)


def test_the_proxys_pick_is_ranked_by_its_stand_alone_fid():
    study = {"architectures": [{"proxy": 5.0, "fid": [70.0, 90.0]}, {"proxy": 1.0, "fid": [50.0, 60.0]},
                               {"proxy": 2.0, "fid": [None, 40.0]}, {"proxy": None, "fid": [10.0, 10.0]}]}
    assert proxy_pick(study) == "FID 80.0, rank 2 of 3"  # the unscored one is not among the ranked
    study["architectures"][0]["fid"] = [None, 30.0]
    assert proxy_pick(study) == "diverged, rank 2 of 3"  # ties with the other diverged one


def test_a_diverged_training_is_a_result_not_a_failure_of_the_study(tmp_path, monkeypatch):
    import ganas_bench.commands as commands

    job = TrainJob(make_config(profile="smoke").to_dict(), {"space": "autogan", "choices": [0] * 14}, "a00-t0",
                   str(tmp_path))

    def diverges(*args, **kwargs):
        raise RunFailed(tmp_path / "a00-t0", "DivergedError: the G loss is nan at iteration 7", True)

    monkeypatch.setattr(commands, "command_train", diverges)
    assert train_job(job) == DIVERGED
    # given again, a run whose run.json records the divergence is not resumed (it would diverge again)
    run = tmp_path / "a00-t0"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"status": "failed", "reason": "DivergedError: loss nan"}))
    monkeypatch.setattr(commands, "command_resume", lambda *a, **k: pytest.fail("resumed a diverged training"))
    assert train_job(job) == DIVERGED

    def disk_full(*args, **kwargs):
        raise RunFailed(tmp_path / "a01-t0", "OSError: [Errno 28] No space left on device", True)

    monkeypatch.setattr(commands, "command_train", disk_full)
    with pytest.raises(RunFailed, match="No space left"):
        train_job(TrainJob(job.config, job.genotype, "a01-t0", str(tmp_path)))


@pytest.mark.slow
def test_a_study_scores_trains_reports_and_skips_what_it_has_when_given_again(tmp_path, monkeypatch):
    import ganas_bench.commands as commands

    cfg = make_config(profile="smoke", strategy="random", overrides={"device": "cpu"})
    out = tmp_path / "studies"
    summary = run_study(cfg, "autogan", 3, 2, 2, str(out), LocalExecutor(), echo=lambda *_: None)
    (folder,) = out.iterdir()
    assert folder.name == proxy_study.study_name(cfg, "autogan", 3, 2, 2)
    saved = json.loads((folder / "study.json").read_text())
    scored = 3 - saved["proxy_failed"]  # at smoke's budget a candidate may collapse under the proxy: not trained
    assert saved["architectures_used"] + saved["architectures_dropped"] == scored == len(saved["architectures"])
    assert sorted(p.name for p in (folder / "train").iterdir()) == \
        [f"a{i:02d}-t{t}" for i in range(scored) for t in (0, 1)]
    assert all(len(a["fid"]) == 2 for a in saved["architectures"])
    assert (folder / "proxy_vs_fid.png").stat().st_size > 0
    assert saved["devices"] == ["cpu x1 threads"] and saved["dataset"] == "digits"

    def no_work(*args, **kwargs):
        pytest.fail("a finished study trained or searched again")

    for name in ("command_train", "command_resume", "command_run"):
        monkeypatch.setattr(commands, name, no_work)
    again = run_study(cfg, "autogan", 3, 2, 2, str(out), LocalExecutor(), echo=lambda *_: None)
    as_json = [json.dumps(s, sort_keys=True) for s in (summary, again, saved)]  # NaN (too few points) compares so
    assert as_json[0] == as_json[1] == as_json[2]

    (written,) = write_readme_tables(out)
    assert written.name == "readme_smoke.md"
    text = written.read_text()
    (study,) = load_studies(out)
    assert study["folder"] == folder.name
    assert "| autogan" in text and f"- autogan: {verdict(study)}." in text
    assert f"(results/studies/{folder.name}/proxy_vs_fid.png)" in text  # the scatter plot, shown in the README


def test_the_table_says_when_no_study_of_the_profile_is_there():
    assert "No proxy study of profile `tiny`" in readme_text([], "tiny")


def test_the_eta_counts_only_trainings_of_this_call():
    from ganas_bench.proxy_study import eta_text

    assert eta_text(600.0, 2, 10) == "; ETA 50 min (10 left)"
    assert eta_text(600.0, 0, 10) == ""  # only finished ones were skipped so far: no rate yet
    assert eta_text(600.0, 2, 0) == ""


def test_a_foreign_or_damaged_training_directory_is_refused_before_any_training(tmp_path):
    from ganas_bench.errors import UserError
    from ganas_bench.proxy_study import check_unfinished

    genotype = {"space": "autogan", "choices": [0] * 14}
    job = TrainJob(make_config(profile="smoke").to_dict(), genotype, "a00-t0", str(tmp_path))
    run = tmp_path / "a00-t0"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"command": "train", "status": "running",
                                              "genotype": {"space": "autogan", "choices": [1] * 14}}))
    with pytest.raises(UserError, match="holds another run than this study's training of a00-t0"):
        check_unfinished([job])
    (run / "run.json").write_text(json.dumps({"command": "train", "status": "running", "genotype": genotype}))
    with pytest.raises(UserError, match="config.json"):  # the resume would need it: refused now, not mid-study
        check_unfinished([job])
    (run / "run.json").write_text(json.dumps({"status": "failed", "reason": "DivergedError: loss nan"}))
    check_unfinished([job])  # a diverged one is not resumed, so nothing of it is read


def test_a_statistic_without_an_interval_is_said_to_be_one_not_printed_as_nan():
    from ganas_bench.tables.proxy_table import interval_text

    two = {**analyse([1.0, 2.0], fids_for([80, 40])), "architectures": []}
    assert interval_text(two["kendall_tau"]) == "+1.00 (no interval: too few architectures)"
    assert verdict(two) == "too few architectures to tell (n=2)"

"""write_tables over fake run directories (tests/fake_runs.py): what each table says, and how files are written."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ganas_bench.errors import UserError
from ganas_bench.tables import write_tables
from cli_contract import refused
from fake_runs import DIFF_CURVE, RL_CURVE, make_run

PUBLISHED = Path(__file__).resolve().parents[1] / "results" / "published.csv"


def build_runs(root: Path) -> Path:
    runs = root / "runs"
    make_run(runs, "rl-s0", seed=0, fid=20.0, is_mean=7.0, curve=RL_CURVE)
    make_run(runs, "rl-s1", seed=1, fid=22.0, is_mean=7.5, curve=RL_CURVE)
    make_run(runs, "rl-s2", seed=2, fid=24.0, is_mean=7.25, curve=RL_CURVE, schema="new", eval_spread=1.5,
             reevals=(5000,))
    for seed, fid in enumerate((40.0, 42.0, 44.0)):
        make_run(runs, f"random-s{seed}", strategy="random", seed=seed, fid=fid, schema="new",
                 curve=[{"step": i, "score": 4.0 + i} for i in range(3)])
    make_run(runs, "diff-s0", strategy="differentiable", space="adversarialnas", fid=30.0, curve=DIFF_CURVE,
             extra={"untrained": {"fid": 900.0}, "search": {"resets": 2, "resets_diverged": 1, "failed_candidates": 3}})
    make_run(runs, "rl-small-n", seed=0, fid=25.0, config={"n_fake": 1000})
    make_run(runs, "rl-failed", seed=2, status="failed", reason="NaN in the generator loss at step 17", metrics=False)
    make_run(runs, "rl-partial", seed=3, status="running", metrics=False)
    make_run(runs, "rl-search-only", seed=0, search_only=True, samples=False)
    make_run(runs, "smoke-rl", profile="smoke", fid=300.0, n_real=1797)
    make_run(runs, "c10-rl", profile="cifar10", fid=14.0, is_mean=8.25, kind="gpu", search_hours=48.0, n_real=50000,
             config={"n_fake": 10000, "kid_subset_size": 1000})
    make_run(runs, "c10-train-a", strategy=None, arch_name="autogan_cifar10_a", profile="cifar10", fid=12.92,
             is_mean=8.50, kind="gpu", n_real=50000)
    return runs


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    runs = build_runs(root)
    out = root / "out"
    summary = write_tables(runs, PUBLISHED, out)
    return out, summary, runs


def _csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype=str, keep_default_na=False)


def _rl_group(out: Path) -> pd.Series:
    matrix = _csv(out, "matrix_tiny.csv")
    return matrix[(matrix["strategy"] == "rl") & (matrix["variant"] == "defaults") & (matrix["search_only"] == "False")
                  & (matrix["evaluation"] == "final")].iloc[0]


def test_counts_runs_by_state(tables):
    _, summary, _ = tables
    assert summary["counts"]["finished"] == 12
    assert summary["counts"]["failed"] == 1
    assert summary["counts"]["partial"] == 1


def test_matrix_groups_seeds_with_mean_median_and_t_interval(tables):
    out, _, _ = tables
    row = _rl_group(out)
    assert row["fid_n"] == "3" and row["seed_list"] == "0,1,2"
    assert float(row["fid_mean"]) == pytest.approx(22.0) and float(row["fid_median"]) == pytest.approx(22.0)
    assert float(row["fid_sd"]) == pytest.approx(2.0)
    low, high = stats.t.interval(0.95, df=2, loc=22.0, scale=2.0 / np.sqrt(3))
    assert (float(row["fid_ci_low"]), float(row["fid_ci_high"])) == pytest.approx((low, high))
    assert row["unfinished"] == "2"  # the failed and the partial run share the group's settings
    assert f"FID 22.0 [{low:.1f}, {high:.1f}], n=3" in (out / "matrix_tiny.md").read_text()


def test_matrix_shows_evaluation_noise_beside_seed_spread(tables):
    out, _, _ = tables
    row = _rl_group(out)
    assert float(row["fid_eval_sd"]) == pytest.approx(1.5)  # only the new-schema run recorded it
    assert row["eval_k"] == ""  # K differs between the group's runs (1 and 3): not one number
    md = (out / "matrix_tiny.md").read_text()
    assert "FID eval sd (K)" in md and "FID sd (min-max)" in md and "2.00 (20.00-24.00)" in md


def test_matrix_shows_untrained_fid_supernet_resets_and_failed_candidates(tables):
    out, _, _ = tables
    matrix = _csv(out, "matrix_tiny.csv")
    diff = matrix[matrix["strategy"] == "differentiable"].iloc[0]
    assert (diff["untrained_fid_mean"], diff["resets"], diff["resets_diverged"], diff["failed_candidates"]) == (
        "900", "2", "1", "3")
    rl = _rl_group(out)
    assert rl["resets"] == "" and rl["untrained_fid_mean"] == ""  # not recorded: blank, never a made-up 0
    md = (out / "matrix_tiny.md").read_text()
    assert "supernet resets (of them NaN/Inf)" in md and re.search(r"\|\s*2 \(1\)\s*\|\s*3\s*\|", md)


def test_different_config_is_its_own_group_and_names_the_difference(tables):
    out, _, _ = tables
    matrix = _csv(out, "matrix_tiny.csv")
    small = matrix[matrix["variant"] == "n_fake=1000"]
    assert len(small) == 1 and small.iloc[0]["seeds"] == "1" and small.iloc[0]["fid_sd"] == ""


def test_search_only_runs_show_in_the_matrix_but_not_in_rankings(tables):
    out, _, _ = tables
    matrix = _csv(out, "matrix_tiny.csv")
    only = matrix[matrix["search_only"] == "True"]
    assert len(only) == 1 and only.iloc[0]["fid_mean"] == "" and float(only.iloc[0]["search_hours_mean"]) == 0.5
    assert "rl (search only)" in (out / "matrix_tiny.md").read_text()
    assert "rl-search-only" not in set(_csv(out, "runs_tiny.csv")["run_id"])
    assert "search only" not in (out / "leaderboard_tiny.md").read_text()


def test_smoke_and_tiny_runs_never_share_a_table(tables):
    out, _, _ = tables
    assert set(_csv(out, "runs_smoke.csv")["run_id"]) == {"smoke-rl"}
    assert "smoke-rl" not in set(_csv(out, "runs_tiny.csv")["run_id"])
    assert set(_csv(out, "matrix_smoke.csv")["profile"]) == {"smoke"}
    assert set(_csv(out, "matrix_tiny.csv")["profile"]) == {"tiny"}
    assert "smoke-rl" not in (out / "leaderboard_tiny.md").read_text() + (out / "readme_tiny.md").read_text()
    for name in ("runs_tiny.md", "matrix_tiny.md", "leaderboard_tiny.md"):  # the profile is a column, not a guess
        assert re.search(r"\|\s*profile\s*\|", (out / name).read_text()), name


def test_pairwise_verdicts_never_crown_a_winner_from_too_few_seeds(tables):
    out, _, _ = tables
    pairs = _csv(out, "pairwise_tiny.csv").set_index(["space", "a", "b"])
    rl_random = pairs.loc[("autogan", "random", "rl")]
    assert float(rl_random["diff"]) == pytest.approx(42.0 - 22.0)
    assert rl_random["significant"] == "False"
    assert rl_random["verdict"].startswith("no significant difference possible at n=3")
    assert "rl has lower" not in (out / "pairwise_tiny.md").read_text()
    assert not any(s == "adversarialnas" for s, _, _ in pairs.index)  # one strategy there: nothing to compare


def test_readme_matrix_is_markdown_with_intervals_tests_and_provenance(tables):
    out, _, _ = tables
    text = (out / "readme_tiny.md").read_text()
    assert "| autogan        | rl " in text and "FID mean [95% CI]" in text
    assert "random vs rl: no significant difference possible at n=3" in text
    assert "machine: test-cpu, Linux, torch 2.14.1, 2 threads" in text and "2025-01-01" in text
    assert "n_fake=1000" not in text and "left out here" in text  # the other protocol stays in matrix_tiny.md


def test_failed_and_partial_runs_are_listed_with_reasons(tables):
    out, _, _ = tables
    failed = _csv(out, "failed_runs.csv").set_index("run_id")
    assert failed.loc["rl-failed", "state"] == "failed"
    assert failed.loc["rl-failed", "reason"] == "NaN in the generator loss at step 17"
    assert failed.loc["rl-partial", "state"] == "partial"
    assert "no metrics.json" in failed.loc["rl-partial", "reason"]
    assert "'search_step' at t=12.5" in failed.loc["rl-partial", "reason"]  # the torn last line is skipped
    assert "interrupted: status 'running' but no process holds its lock; --resume" in failed.loc["rl-partial", "reason"]
    assert "NaN in the generator loss at step 17" in (out / "failed_runs.md").read_text()


def test_published_rows_carry_status_source_and_unconfirmed_marks(tables):
    out, _, _ = tables
    c10 = _csv(out, "runs_cifar10.csv")
    published = c10[c10["source"] == "published"].set_index("method")
    assert published.loc["AGAN", "status"].startswith("unverified")
    assert published.loc["SN-GAN", "n_fake"] == "not stated" and published.loc["SN-GAN", "n_real"] == "not stated"
    assert published.loc["EAGAN", "source_ref"] == "arXiv:2111.15097"
    assert published.loc["AutoGAN (top-1)", "protocol"] == "as profile cifar10"
    md = (out / "runs_cifar10.md").read_text()
    assert "8.55 ± 0.10" in md and "11.26†" in md and "43† GPU-hours" in md  # E2GAN FID, AutoGAN cost unconfirmed
    assert "| 9.91 " in md  # EAGAN's CIFAR-10 FID is confirmed: no mark


def test_reproduction_sits_under_its_claim_with_the_difference(tables):
    out, _, _ = tables
    c10 = _csv(out, "runs_cifar10.csv")
    methods = list(c10["method"])
    i = methods.index("AutoGAN (top-1)")
    under = c10.iloc[i + 1: i + 3].set_index("run_id")
    assert set(under.index) == {"c10-rl", "c10-train-a"}
    assert float(under.loc["c10-rl", "d_fid"]) == pytest.approx(14.0 - 12.42)
    assert float(under.loc["c10-train-a", "d_is"]) == pytest.approx(8.50 - 8.55)
    assert "n_fake 10000 (profile cifar10: 50000)" in under.loc["c10-rl", "protocol"]
    assert under.loc["c10-train-a", "protocol"] == "as profile cifar10"
    assert "FID +1.58, IS -0.30 vs AutoGAN (top-1)" in (out / "runs_cifar10.md").read_text()


def test_cpu_cost_is_in_cpu_core_hours_never_a_gpu_unit(tables):
    out, _, _ = tables
    runs = _csv(out, "runs_tiny.csv")
    assert set(runs["search_cost_unit"]) == {"CPU-core-hours"}
    md = (out / "runs_tiny.md").read_text()
    assert "0.5 CPU core-hours" in md and "GPU" not in md.split("Notes:")[0]
    assert "48 GPU-hours = 2 GPU-days" in (out / "runs_cifar10.md").read_text()


def test_rows_are_compared_with_the_profiles_own_protocol(tmp_path):
    runs = tmp_path / "runs"
    for seed in range(3):  # most rows use n_fake 1000: they are still the ones marked
        make_run(runs, f"small-{seed}", seed=seed, config={"n_fake": 1000})
    make_run(runs, "default", seed=0)
    write_tables(runs, PUBLISHED, tmp_path / "out")
    table = _csv(tmp_path / "out", "runs_tiny.csv").set_index("run_id")
    assert table.loc["small-0", "protocol"] == "n_fake 1000 (profile tiny: 2000)"
    assert table.loc["default", "protocol"] == "as profile tiny"


def test_unlike_protocols_are_ranked_apart(tables):
    out, _, _ = tables
    board = _csv(out, "leaderboard_tiny.csv")
    main = board[board["protocol"].str.contains("n_fake 2000")]
    assert list(main["label"]) == ["rl × autogan", "differentiable × adversarialnas", "random × autogan"]
    assert list(main["order"]) == ["1", "2", "3"]
    assert board[board["protocol"].str.contains("n_fake 1000")]["order"].tolist() == ["1"]
    assert "not a ranking of significance" in (out / "leaderboard_tiny.md").read_text()


def test_reevaluations_appear_under_their_run_marked_with_n_fake(tables):
    out, _, _ = tables
    runs = _csv(out, "runs_tiny.csv")
    ids = list(runs["run_id"])
    i = ids.index("rl-s2")
    below = runs.iloc[i + 1]
    assert below["run_id"] == "rl-s2" and below["evaluation"] == "re-eval n_fake=5000" and below["n_fake"] == "5000"
    assert float(below["fid"]) == pytest.approx(22.0)
    assert "n_fake 5000 (profile tiny: 2000)" in below["protocol"]
    matrix = _csv(out, "matrix_tiny.csv")
    again = matrix[matrix["evaluation"] == "re-eval n_fake=5000"]
    assert len(again) == 1 and again.iloc[0]["seeds"] == "1"
    assert "rl × autogan (re-eval n_fake=5000)" in (out / "leaderboard_tiny.md").read_text()


def test_every_digits_table_states_the_fid_floor_and_the_sample_count_bias(tables):
    out, _, _ = tables
    for name in ("runs_tiny.md", "matrix_tiny.md", "pairwise_tiny.md", "leaderboard_tiny.md", "readme_tiny.md",
                 "runs_smoke.md", "matrix_smoke.md"):
        text = (out / name).read_text()
        assert "Digits FID floor at this protocol: FID" in text, name
        assert "82.4 ± 4.9 at 500 samples" in text, name
    assert "Digits FID floor" not in (out / "runs_cifar10.md").read_text()


def test_kid_scale_is_stated_and_best_iter_shown(tables):
    out, _, _ = tables
    tiny, c10 = (out / "runs_tiny.md").read_text(), (out / "runs_cifar10.md").read_text()
    assert "KID ×1" in tiny and "KID ×10³" in c10
    assert "10.00 ± 2.00" in c10  # KID 0.01 ± 0.002 scaled by 1e3
    assert "50000 (best of evaluations)" in c10  # the cifar10 profile evaluates every 5,000 iterations
    assert "| 600 " in tiny  # tiny evaluates once, at the end: best_iter is the last iteration


def test_figures_are_written_per_profile_as_png_and_pdf(tables):
    out, summary, _ = tables
    for stem in ("fid_vs_search_cost_cifar10", "fid_vs_search_cost_stl10", "fid_vs_search_cost_tiny",
                 "params_vs_fid_tiny", "fid_by_group_tiny", "search_curves_tiny_rl", "search_curves_tiny_random",
                 "search_curves_tiny_differentiable", "entropy_tiny", "samples_tiny", "samples_cifar10"):
        for suffix in (".png", ".pdf"):
            assert (out / f"{stem}{suffix}").stat().st_size > 1000, stem
            assert f"{stem}{suffix}" in summary["files"]
    assert (out / "samples_tiny.png").read_bytes().startswith(b"\x89PNG")
    assert not (out / "search_curves_cifar10_rl.png").exists()  # no curves recorded there


def test_latex_uses_booktabs_a_short_column_set_and_numbered_notes(tables):
    out, _, _ = tables
    tex = (out / "runs_tiny.tex").read_text()
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"$\pm$" in tex and "±" not in tex and r"n\_fake" in tex
    assert re.search(r"\\begin\{tabular\}\{l{7}\}", tex)  # 7 columns: fits a page
    assert r"\textsuperscript{1}~" in tex and "notes 1-" in tex
    assert "protocol" not in tex.split(r"\toprule")[1].split(r"\midrule")[0]


def test_same_inputs_give_byte_identical_outputs(tables, tmp_path):
    out, summary, runs = tables
    again = write_tables(runs, PUBLISHED, tmp_path / "again")
    assert again["files"] == summary["files"]
    for name in summary["files"]:
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_zero_runs_gives_published_only_tables(tmp_path):
    out = tmp_path / "out"
    summary = write_tables(tmp_path / "no-runs-here", PUBLISHED, out)
    assert summary["counts"]["runs"] == 0
    c10 = _csv(out, "runs_cifar10.csv")
    assert len(c10) > 0 and set(c10["source"]) == {"published"}
    assert "_No rows._" in (out / "failed_runs.md").read_text()
    assert (out / "fid_vs_search_cost_stl10.pdf").is_file()
    assert not list(out.glob("samples_*")) and not list(out.glob("matrix_*"))


def test_rerun_removes_its_stale_outputs_only(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "only", fid=20.0, curve=[{"step": 0, "reward": 1.0}])
    out = tmp_path / "out"
    write_tables(runs, PUBLISHED, out)
    assert (out / "samples_tiny.png").is_file()
    (out / "mine.txt").write_text("kept")
    (runs / "only" / "metrics.json").unlink()
    summary = write_tables(runs, PUBLISHED, out)
    assert not (out / "samples_tiny.png").exists() and "samples_tiny.png" in summary["removed_stale"]
    assert not (out / "runs_tiny.md").exists()
    assert (out / "mine.txt").read_text() == "kept"


def test_unreadable_run_files_make_a_partial_run_not_a_crash(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "broken", metrics=True)
    (runs / "broken" / "metrics.json").write_text("{not json")
    summary = write_tables(runs, PUBLISHED, tmp_path / "out")
    failed = _csv(tmp_path / "out", "failed_runs.csv")
    assert summary["counts"]["partial"] == 1
    assert "metrics.json unreadable or incomplete" in failed.iloc[0]["reason"]


def test_runs_folder_that_is_a_file_is_a_user_error(tmp_path):
    (tmp_path / "runs").write_text("")
    with pytest.raises(UserError, match="is a file"):
        write_tables(tmp_path / "runs", PUBLISHED, tmp_path / "out")


def test_a_running_run_whose_lock_is_held_is_told_apart_from_a_killed_one(tmp_path):
    from ganas_bench.runs.rundir import RunDir

    runs = tmp_path / "runs"
    live = make_run(runs, "live", status="running", metrics=False)
    make_run(runs, "killed", status="running", metrics=False)
    (runs / "killed" / ".lock").write_text("")  # left behind by a process that is gone
    with RunDir(live).lock():
        write_tables(runs, PUBLISHED, tmp_path / "out")
    reasons = _csv(tmp_path / "out", "failed_runs.csv").set_index("run_id")["reason"]
    assert "still running (a ganas-bench process holds its lock)" in reasons["live"]
    assert "interrupted" in reasons["killed"] and "interrupted" not in reasons["live"]


def _cli(args, capsys):
    from ganas_bench.cli import main

    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_tables_command_writes_the_tables(tmp_path, capsys):
    code, out, _ = _cli(["tables", "--runs-dir", str(tmp_path / "none"), "--published", str(PUBLISHED),
                         "--out", str(tmp_path / "out")], capsys)
    assert code == 0 and '"published_rows": 32' in out
    assert (tmp_path / "out" / "runs_cifar10.md").is_file() and (tmp_path / "out" / "index.md").is_file()


@pytest.mark.parametrize("published,fragment", [
    ("missing.csv", "does not exist"),
    ("bad.csv", "dataset 'imagenet'; accepted: cifar10, stl10"),
])
def test_tables_command_refuses_bad_published_numbers_in_one_line_writing_nothing(tmp_path, published, fragment):
    bad = PUBLISHED.read_text().replace(",cifar10,32,", ",imagenet,32,", 1)
    (tmp_path / "bad.csv").write_text(bad)
    refused(["tables", "--runs-dir", tmp_path / "none", "--published", tmp_path / published, "--out", tmp_path / "out"],
            tmp_path, fragment)


def test_a_run_without_its_search_cost_neither_blanks_nor_silently_shrinks_its_groups_cost(tmp_path):
    """A run resumed before search.json kept the search's clock recorded no search cost: the group's mean is of the
    runs that did, and says of how many."""
    from fake_runs import cost

    runs = tmp_path / "runs"
    make_run(runs, "rl-s0", seed=0, fid=20.0, extra={"cost": {"train": cost(1.0), "eval": cost(0.1),
                                                                "total": cost(1.1)}})
    make_run(runs, "rl-s1", seed=1, fid=22.0, search_hours=0.5)
    write_tables(runs, PUBLISHED, tmp_path / "out")
    row = [line for line in (tmp_path / "out" / "readme_tiny.md").read_text().splitlines()
           if line.startswith("| autogan")][0]
    assert "0.5 CPU core-hours (n=1 of 2 runs)" in row
    matrix = _csv(tmp_path / "out", "matrix_tiny.csv")
    assert (matrix["search_hours_n"] == "1").any() and (matrix["seeds"] == "2").any()

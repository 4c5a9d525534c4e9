"""write_tables over fake run directories in the documented format (ganas_bench/results.py)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from ganas_bench.config import profile_defaults
from ganas_bench.errors import UserError
from ganas_bench.tables import write_tables

PUBLISHED = Path(__file__).resolve().parents[1] / "results" / "published.csv"


def _cost(hours: float, kind: str = "cpu") -> dict:
    unit = "CPU-core-hours" if kind == "cpu" else "GPU-hours"
    return {"wall_s": hours * 3600, "device": "cpu" if kind == "cpu" else "cuda:0 (test GPU)", "device_kind": kind,
            "device_hours": hours, "unit": unit, "flops_per_step": 1e9, "steps": 10}


def make_run(root: Path, name: str, *, strategy="rl", space="autogan", arch_name=None, seed=0, profile="tiny",
             status="finished", reason=None, fid=20.0, is_mean=7.0, metrics=True, curve=None, config=None,
             kind="cpu", search_hours=0.5, n_real=1797, samples=True, search_only=False, extra=None) -> Path:
    run = root / name
    run.mkdir(parents=True)
    cfg = profile_defaults(profile).replace(seed=seed, **(config or {}))
    info = {"id": name, "command": "run" if strategy else "train", "strategy": strategy, "space": space,
            "arch_name": arch_name, "profile": profile, "seed": seed, "status": status, "reason": reason,
            "search_only": search_only,
            "started": "2025-01-01T00:00:00Z", "ended": None, "platform": {}, "config_hash": "x"}
    (run / "run.json").write_text(json.dumps(info))
    (run / "config.json").write_text(json.dumps(cfg.to_dict()))
    (run / "events.jsonl").write_text('{"t": 0.0, "event": "start"}\n{"t": 12.5, "event": "search_step"}\n{"t": 13')
    (run / "arch.json").write_text(json.dumps({"genotype": {"space": space, "choices": [1, 0, seed]}, "hash": f"h{seed}",
                                               "description": "", "params_g": 1000 + seed, "params_d": 500,
                                               "arch_name": arch_name}))
    if strategy:
        (run / "search.json").write_text(json.dumps({"ranked": [], "curve": curve or [], "info": {}}))
    if samples:
        matplotlib.image.imsave(run / "samples.png", np.full((8, 8), 0.2 + 0.1 * seed), cmap="gray")
    if metrics and search_only:
        (run / "metrics.json").write_text(json.dumps({"search_only": True, "search": {},
                                                      "cost": {"search": _cost(search_hours), "total": _cost(search_hours)}}))
    elif metrics:
        (run / "metrics.json").write_text(json.dumps({
            "is_mean": is_mean, "is_std": 0.1, "fid": fid, "kid_mean": 0.01, "kid_std": 0.002, "n_fake": cfg.n_fake,
            "n_real": n_real, "reference_split": "train" if cfg.dataset != "stl10" else "train+unlabeled",
            "backbone": cfg.backbone, "dataset": cfg.dataset, "image_size": cfg.image_size,
            "cost": {"search": _cost(search_hours, kind) if strategy else None, "train": _cost(1.0, kind),
                     "eval": _cost(0.1, kind), "total": _cost(search_hours + 1.1, kind)}, **(extra or {})}))
    return run


def build_runs(root: Path) -> Path:
    runs = root / "runs"
    rl_curve = [{"step": i, "reward": 5.0 + i, "entropy": 2.0 - 0.1 * i} for i in range(4)]
    diff_curve = [{"step": i, "score": 1.0 + i, "entropy": [1.9 - 0.2 * i, 1.8 - 0.1 * i, 1.5]} for i in range(4)]
    make_run(runs, "rl-s0", seed=0, fid=20.0, is_mean=7.0, curve=rl_curve)
    make_run(runs, "rl-s1", seed=1, fid=22.0, is_mean=7.5, curve=rl_curve)
    make_run(runs, "diff-s0", strategy="differentiable", space="adversarialnas", fid=30.0, curve=diff_curve,
             extra={"untrained": {"fid": 900.0}, "search": {"resets": 2, "resets_diverged": 1, "failed_candidates": 3}})
    make_run(runs, "rl-small-n", seed=0, fid=25.0, config={"n_fake": 1000})
    make_run(runs, "rl-failed", seed=2, status="failed", reason="NaN in the generator loss at step 17", metrics=False)
    make_run(runs, "rl-partial", seed=3, status="running", metrics=False)
    make_run(runs, "rl-search-only", seed=0, search_only=True, samples=False)
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


def test_counts_runs_by_state(tables):
    _, summary, _ = tables
    assert summary["counts"]["finished"] == 7
    assert summary["counts"]["failed"] == 1
    assert summary["counts"]["partial"] == 1


def test_matrix_groups_seeds_into_mean_and_sample_std(tables):
    out, _, _ = tables
    matrix = _csv(out, "matrix.csv")
    rl = matrix[(matrix["profile"] == "tiny") & (matrix["strategy"] == "rl") & (matrix["variant"] == "defaults")
                & (matrix["search_only"] == "False")]
    assert len(rl) == 1
    row = rl.iloc[0]
    assert row["seeds"] == "2" and row["seed_list"] == "0,1"
    assert float(row["fid_mean"]) == pytest.approx(21.0)
    assert float(row["fid_sd"]) == pytest.approx(np.std([20.0, 22.0], ddof=1))
    assert float(row["is_mean"]) == pytest.approx(7.25)
    assert row["unfinished"] == "2"  # the failed and the partial run share the group's config
    md = (out / "matrix.md").read_text()
    assert "FID 21.00 ± 1.41; IS 7.25 ± 0.35; n=2" in md


def test_matrix_shows_untrained_fid_supernet_resets_and_failed_candidates(tables):
    out, _, _ = tables
    matrix = _csv(out, "matrix.csv")
    diff = matrix[matrix["strategy"] == "differentiable"].iloc[0]
    assert (diff["untrained_fid_mean"], diff["resets"], diff["resets_diverged"], diff["failed_candidates"]) == (
        "900", "2", "1", "3")
    rl = matrix[(matrix["strategy"] == "rl") & (matrix["profile"] == "tiny") & (matrix["variant"] == "defaults")
                & (matrix["search_only"] == "False")].iloc[0]
    assert rl["resets"] == "" and rl["untrained_fid_mean"] == ""  # not recorded: blank, never a made-up 0
    md = (out / "matrix.md").read_text()
    assert "supernet resets (of them NaN/Inf)" in md and re.search(r"\|\s*2 \(1\)\s*\|\s*3\s*\|", md)


def test_different_config_is_its_own_group_and_names_the_difference(tables):
    out, _, _ = tables
    matrix = _csv(out, "matrix.csv")
    small = matrix[matrix["variant"] == "n_fake=1000"]
    assert len(small) == 1 and small.iloc[0]["seeds"] == "1" and small.iloc[0]["fid_sd"] == ""


def test_search_only_runs_show_in_the_matrix_but_not_in_rankings(tables):
    out, _, _ = tables
    matrix = _csv(out, "matrix.csv")
    only = matrix[matrix["search_only"] == "True"]
    assert len(only) == 1 and only.iloc[0]["fid_mean"] == "" and float(only.iloc[0]["search_hours_mean"]) == 0.5
    assert "rl (search only)" in (out / "matrix.md").read_text()
    assert "rl-search-only" not in set(_csv(out, "dataset_digits.csv")["run_id"])
    assert "search only" not in (out / "leaderboard_tiny.md").read_text()


def test_failed_and_partial_runs_are_listed_with_reasons(tables):
    out, _, _ = tables
    failed = _csv(out, "failed_runs.csv").set_index("id")
    assert failed.loc["rl-failed", "state"] == "failed"
    assert failed.loc["rl-failed", "reason"] == "NaN in the generator loss at step 17"
    assert failed.loc["rl-partial", "state"] == "partial"
    assert "no metrics.json" in failed.loc["rl-partial", "reason"]
    assert "'search_step' at t=12.5" in failed.loc["rl-partial", "reason"]  # the torn last line is skipped
    assert "interrupted: status 'running' but no process holds its lock; --resume" in failed.loc["rl-partial", "reason"]
    assert "NaN in the generator loss at step 17" in (out / "failed_runs.md").read_text()


def test_published_rows_are_present_with_their_status(tables):
    out, _, _ = tables
    c10 = _csv(out, "dataset_cifar10.csv")
    published = c10[c10["source"] == "published"].set_index("method")
    assert published.loc["AGAN", "status"] == "unverified"
    assert published.loc["AdversarialNAS", "status"] == "means verified, std unverified"
    assert published.loc["SN-GAN", "n_fake"] == "5000" and published.loc["SN-GAN", "n_real"] == "10000"
    assert "n_fake 5000 (paper: 50000)" in published.loc["SN-GAN", "protocol"]
    assert published.loc["AutoGAN (top-1)", "protocol"] == "as paper"
    assert float(published.loc["AutoGAN (top-1)", "search_cost_days"]) == pytest.approx(43 / 24)
    md = (out / "dataset_cifar10.md").read_text()
    assert "| unverified" in md and "8.55 ± 0.10" in md


def test_reproduction_sits_under_its_claim_with_the_difference(tables):
    out, _, _ = tables
    c10 = _csv(out, "dataset_cifar10.csv")
    methods = list(c10["method"])
    i = methods.index("AutoGAN (top-1)")
    under = c10.iloc[i + 1: i + 3].set_index("run_id")
    assert set(under.index) == {"c10-rl", "c10-train-a"}
    assert float(under.loc["c10-rl", "d_fid"]) == pytest.approx(14.0 - 12.42)
    assert float(under.loc["c10-train-a", "d_is"]) == pytest.approx(8.50 - 8.55)
    assert "n_fake 10000 (paper: 50000)" in under.loc["c10-rl", "protocol"]
    assert under.loc["c10-train-a", "protocol"] == "as paper"
    assert "FID +1.58, IS -0.30 vs AutoGAN (top-1)" in (out / "dataset_cifar10.md").read_text()


def test_cpu_cost_is_labelled_cpu_never_gpu_days(tables):
    out, _, _ = tables
    digits = _csv(out, "dataset_digits.csv")
    assert set(digits["search_cost_days_unit"]) == {"CPU-core-days"}
    row = digits[digits["run_id"] == "rl-s0"].iloc[0]
    assert float(row["search_cost_days"]) == pytest.approx(0.5 / 24)
    assert "0.5 CPU-core-hours = 0.0208 CPU-core-days" in (out / "dataset_digits.md").read_text()
    assert "GPU" not in (out / "dataset_digits.md").read_text().split("Notes:")[0]


def test_unlike_protocols_are_marked_and_ranked_apart(tables):
    out, _, _ = tables
    digits = _csv(out, "dataset_digits.csv").set_index("run_id")
    assert digits.loc["rl-small-n", "protocol"] == "n_fake 1000 (most rows: 2000)"
    assert digits.loc["rl-s0", "protocol"] == "as most rows"
    board = _csv(out, "leaderboard_tiny.csv")
    assert board["protocol"].nunique() == 2
    main = board[board["protocol"].str.contains("n_fake 2000")]
    assert list(main["label"]) == ["rl × autogan", "differentiable × adversarialnas"]  # by FID: 21 < 30
    assert list(main["rank"]) == ["1", "2"]
    assert board[board["protocol"].str.contains("n_fake 1000")]["rank"].tolist() == ["1"]


def test_plots_are_written_as_png_and_pdf(tables):
    out, summary, _ = tables
    for stem in ("fid_vs_search_cost_cifar10", "fid_vs_search_cost_stl10", "fid_vs_search_cost_digits",
                 "search_curves_tiny", "entropy_tiny", "samples_tiny", "samples_cifar10"):
        for suffix in (".png", ".pdf"):
            assert (out / f"{stem}{suffix}").stat().st_size > 1000, stem
            assert f"{stem}{suffix}" in summary["files"]
    assert (out / "samples_tiny.png").read_bytes().startswith(b"\x89PNG")
    assert not (out / "search_curves_cifar10.png").exists()  # no curves recorded there


def test_latex_escapes_and_typesets_symbols(tables):
    out, _, _ = tables
    tex = (out / "matrix.tex").read_text()
    assert r"\begin{tabular}" in tex and r"$\pm$" in tex and "±" not in tex
    assert r"n\_fake" in tex


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
    c10 = _csv(out, "dataset_cifar10.csv")
    assert len(c10) > 0 and set(c10["source"]) == {"published"}
    assert "_No rows._" in (out / "matrix.md").read_text()
    assert "_No rows._" in (out / "failed_runs.md").read_text()
    assert (out / "fid_vs_search_cost_stl10.pdf").is_file()
    assert not list(out.glob("samples_*"))


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
    assert (out / "mine.txt").read_text() == "kept"


def test_unreadable_run_files_make_a_partial_run_not_a_crash(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "broken", metrics=True)
    (runs / "broken" / "metrics.json").write_text("{not json")
    summary = write_tables(runs, PUBLISHED, tmp_path / "out")
    failed = _csv(tmp_path / "out", "failed_runs.csv")
    assert summary["counts"]["partial"] == 1
    assert "metrics.json unreadable" in failed.iloc[0]["reason"]


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
    reasons = _csv(tmp_path / "out", "failed_runs.csv").set_index("id")["reason"]
    assert "still running (a ganas-bench process holds its lock)" in reasons["live"]
    assert "interrupted" in reasons["killed"] and "interrupted" not in reasons["live"]

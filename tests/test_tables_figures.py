"""What the figures show (tables/figures.py prepares, plots.py draws): entropies, step axes, units, provenance."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ganas_bench.published import load_published
from ganas_bench.results import load_runs, summarise_groups
from ganas_bench.results.protocol import profile_protocol
from ganas_bench.tables import figures
from fake_runs import DIFF_CURVE, RL_CURVE, make_run

PUBLISHED = Path(__file__).resolve().parents[1] / "results" / "published.csv"


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("figures") / "runs"
    make_run(runs_dir, "rl-0", seed=0, curve=RL_CURVE)
    make_run(runs_dir, "rl-1", seed=1, curve=RL_CURVE, fid=24.0)
    make_run(runs_dir, "diff-0", strategy="differentiable", space="adversarialnas", curve=DIFF_CURVE)
    make_run(runs_dir, "c10-gpu", profile="cifar10", kind="gpu", search_hours=48.0, fid=14.0, n_real=50000)
    runs = load_runs(runs_dir)
    return runs, summarise_groups(runs), load_published(PUBLISHED)


def test_entropy_figure_holds_per_decision_entropies_on_separate_axes_per_strategy(frames):
    runs, _, _ = frames
    panels = figures.entropy_panels(runs, ["differentiable", "random", "rl"])
    assert [p["title"] for p in panels] == ["differentiable: entropy", "rl: entropy"]
    diff, rl = panels
    thin = [line for line in diff["lines"] if line.get("thin")]
    assert len(thin) == 2  # one per decision of the `entropies` series
    assert thin[0]["ys"] == pytest.approx([row["entropies"]["cell0.edge0"] for row in DIFF_CURVE])
    assert diff["x_label"].startswith("search iteration") and rl["x_label"].startswith("controller update")
    assert "mean over decisions" in diff["y_label"] and "summed over the stage's decisions" in rl["y_label"]
    assert len(rl["lines"]) == 2 and not any(line.get("thin") for line in rl["lines"])


def test_search_curves_leave_entropies_and_bookkeeping_out(frames):
    runs, _, _ = frames
    rl = figures.curve_panels(runs, "rl")
    assert [p["y_label"] for p in rl] == ["baseline", "reward", "score"]
    diff = figures.curve_panels(runs, "differentiable")
    assert [p["y_label"] for p in diff] == ["d_loss", "g_loss", "tau"]
    assert pd.isna(diff[0]["lines"][0]["ys"][0])  # no loss recorded before the first step


def test_pareto_front_keeps_only_points_nothing_beats_on_both_axes():
    points = pd.DataFrame({"cost": [1.0, 2.0, 3.0, 0.5, 2.5], "fid": [10.0, 8.0, 9.0, 30.0, 5.0]})
    assert figures.pareto_front(points) == [(0.5, 30.0), (1.0, 10.0), (2.0, 8.0), (2.5, 5.0)]


def test_cpu_cost_gets_its_own_panel_in_cpu_core_hours(frames):
    _, groups, published = frames
    tiny = figures.cost_panels(groups[groups["profile"] == "tiny"], published, profile_protocol("tiny"))
    assert [p["x_label"] for p in tiny] == ["search cost in CPU core-hours (log)"]
    assert set(tiny[0]["points"]["kind"]) == {"ours"}
    c10 = figures.cost_panels(groups[groups["profile"] == "cifar10"], published, profile_protocol("cifar10"))
    assert [p["x_label"] for p in c10] == ["search cost in GPU-days (log)"]
    ours = c10[0]["points"][c10[0]["points"]["kind"] == "ours"].iloc[0]
    assert ours["cost"] == pytest.approx(48.0 / 24)


def test_published_markers_are_filled_only_for_confirmed_fields(frames):
    _, groups, published = frames
    points = figures.cost_panels(groups[groups["profile"] == "cifar10"], published,
                                 profile_protocol("cifar10"))[0]["points"].set_index("label")
    assert points.loc["EAGAN", "filled"]  # FID and 1.2 GPU-days both in its arXiv abstract
    assert not points.loc["AutoGAN (top-1)", "filled"]  # its search cost is unverified
    assert not points.loc["E2GAN", "filled"]
    runs, _, _ = frames
    params = figures.params_points(runs, published, "cifar10", profile_protocol("cifar10")).set_index("label")
    assert params.loc["published: AutoGAN (top-1)", "filled"]  # params_g counted from its code, FID verified


def test_titles_carry_profile_dataset_n_fake_backbone_and_device():
    text = figures.title("tiny", profile_protocol("tiny"), {"cpu"}, "what")
    assert text == "what\nprofile tiny · digits · n_fake 2,000 · digits-classifier · device cpu"

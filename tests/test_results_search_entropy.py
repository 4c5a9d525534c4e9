"""The entropy fall of a search: per stage, first vs last fifth, Mann-Whitney; in the tables as search_<profile>."""
from pathlib import Path

import numpy as np
import pytest

from ganas_bench.results import load_runs
from ganas_bench.results.search_entropy import entropy_fall
from ganas_bench.tables import write_tables
from fake_runs import make_run

PUBLISHED = Path(__file__).resolve().parents[1] / "results" / "published.csv"


def test_a_falling_curve_is_detected_per_stage_and_a_flat_one_is_not():
    rng = np.random.default_rng(0)
    falling = [{"stage": 0, "entropy": 4.0 - 0.05 * i + 0.01 * rng.standard_normal()} for i in range(30)]
    flat = [{"stage": 1, "entropy": 4.0 + 0.01 * rng.standard_normal()} for i in range(30)]
    first, second = entropy_fall(falling + flat)
    assert first["stage"] == 0 and first["steps"] == 30 and first["p"] < 0.01
    assert first["fall"] == pytest.approx(1 - np.mean([r["entropy"] for r in falling[-6:]])
                                          / np.mean([r["entropy"] for r in falling[:6]]))
    assert second["stage"] == 1 and abs(second["fall"]) < 0.01 and second["p"] > 0.01


def test_curves_without_stages_too_short_or_without_entropy():
    curve = [{"entropy": 1.0 - 0.1 * i} for i in range(6)]
    (only,) = entropy_fall(curve)
    assert only["stage"] is None and only["steps"] == 6 and only["p"] == pytest.approx(0.05)
    assert entropy_fall(curve[:5]) == []  # fewer than 3 steps at each end
    assert entropy_fall([{"loss": 1.0}] * 10 + [{"entropy": float("nan")}] * 10) == []


def test_tables_write_the_search_table_with_search_only_runs(tmp_path):
    curve = [{"stage": 0, "entropy": 3.0 - 0.1 * i} for i in range(10)]
    make_run(tmp_path / "runs", "searched", search_only=True, curve=curve)
    assert len(load_runs(tmp_path / "runs")) == 1
    out = write_tables(tmp_path / "runs", PUBLISHED, tmp_path / "out")
    assert {"search_tiny.md", "search_tiny.csv", "search_tiny.tex"} <= set(out["files"])
    text = (tmp_path / "out" / "search_tiny.md").read_text()
    assert "searched" in text and f"{100 * (1 - 2.2 / 2.9):.1f}%" in text and "2.900 -> 2.200" in text

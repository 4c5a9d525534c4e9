"""Statistics over seeds (scipy) and the wording a comparison may use."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sp

from ganas_bench.results.stats import compare, compare_pairs, smallest_possible_p, summarise


def test_summary_is_the_t_interval_of_the_mean_over_seeds():
    values = [796.0, 66.8, 49.8]  # the seeds 0-2 of rl x autogan: skewed
    s = summarise(values)
    low, high = sp.t.interval(0.95, df=2, loc=np.mean(values), scale=sp.sem(values))
    assert (s.n, s.mean, s.median) == (3, pytest.approx(np.mean(values)), 66.8)
    assert (s.ci_low, s.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert s.ci_low < 0  # reported as computed: three skewed seeds cannot bound the mean
    assert (s.min, s.max, s.sd) == (49.8, 796.0, pytest.approx(np.std(values, ddof=1)))


def test_one_seed_has_no_spread_and_no_interval_and_nan_is_not_a_seed():
    s = summarise([12.0, math.nan, None])
    assert s.n == 1 and s.mean == 12.0 and math.isnan(s.sd) and math.isnan(s.ci_low)
    assert summarise([]).n == 0


def test_identical_seeds_give_a_zero_width_interval():
    s = summarise([5.0, 5.0, 5.0])
    assert (s.ci_low, s.ci_high, s.sd) == (5.0, 5.0, 0.0)


def test_one_seed_on_a_side_allows_no_comparison():
    c = compare([20.0], [40.0, 41.0, 42.0], "rl", "random")
    assert not c.significant and math.isnan(c.p_value)
    assert c.verdict.startswith("no comparison possible: rl has n=1")
    assert "better" not in c.verdict and "lower" not in c.verdict


def test_three_seeds_each_can_never_be_significant_and_the_verdict_says_why():
    assert smallest_possible_p(3, 3) == pytest.approx(0.1)
    c = compare([1.0, 2.0, 3.0], [10.0, 11.0, 12.0], "a", "b")
    assert not c.significant
    assert c.verdict.startswith("no significant difference possible at n=3: the smallest Mann-Whitney p")


def test_separated_groups_of_five_are_significant_with_direction_and_interval():
    c = compare([10, 11, 12, 13, 14], [20, 21, 22, 23, 24], "rl", "random")
    assert c.significant and c.p_value == pytest.approx(2 / 252)
    assert c.diff == pytest.approx(-10.0) and c.ci_high < 0
    welch = sp.ttest_ind([10, 11, 12, 13, 14], [20, 21, 22, 23, 24], equal_var=False).confidence_interval()
    assert (c.ci_low, c.ci_high) == (pytest.approx(welch.low), pytest.approx(welch.high))
    assert c.verdict.startswith("rl has lower FID than random at n=5 (Mann-Whitney p=0.0079")
    higher = compare([10, 11, 12, 13, 14], [20, 21, 22, 23, 24], "rl", "random", metric="IS", lower_is_better=False)
    assert higher.verdict.startswith("random has higher IS than rl")


def test_overlapping_groups_give_no_significant_difference():
    c = compare([20, 35, 50, 65, 80], [25, 40, 55, 70, 90], "rl", "random")
    assert not c.significant and c.p_value > 0.05 and c.ci_low < 0 < c.ci_high
    assert c.verdict.startswith("no significant difference at n=5 (Mann-Whitney p=")


def test_pairs_within_one_family_are_adjusted_together():
    pairs = compare_pairs({"a": [1, 2, 3, 4, 5], "b": [11, 12, 13, 14, 15], "c": [1.5, 2.5, 3.5, 4.5, 5.5]})
    assert [(p.a, p.b) for p in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert all(p.p_adjusted >= p.p_value for p in pairs)
    adjusted = sp.false_discovery_control([p.p_value for p in pairs])
    assert [p.p_adjusted for p in pairs] == pytest.approx(list(adjusted))
    assert "adjusted for 3 pairs" in pairs[0].verdict

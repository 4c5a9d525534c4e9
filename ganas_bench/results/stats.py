"""Statistics over seeds, all from scipy / pandas, and the wording a comparison is allowed to use.

Choices (stated in the tables' notes and the README too):
- A group's interval is the 95% Student t-interval of the mean over seeds (`scipy.stats.t.interval` with the standard
  error `scipy.stats.sem`), not a bootstrap: at n = 5 seeds a percentile bootstrap has only 126 distinct resamples and
  its intervals are too narrow (they can never leave the range of the data). With skewed FIDs the t-interval can reach
  below 0: that says n is too small, and it is shown as computed.
- The difference in FID between two groups has Welch's t-interval (`scipy.stats.ttest_ind(equal_var=False)`), and the
  test is Mann-Whitney U (`scipy.stats.mannwhitneyu`, two-sided, exact for small samples without ties): it assumes
  no normality. Within a space the p-values of its pairs are adjusted with Benjamini-Hochberg
  (`scipy.stats.false_discovery_control`).
- A difference is called significant only when the adjusted p < 0.05 *and* the interval of the difference excludes 0.
  With fewer than 2 seeds on a side no comparison is made; where the sample sizes make p < 0.05 impossible (n = 3 vs 3:
  the smallest exact p is 0.1) the verdict says so.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05
INTERVAL_NAME = "95% t-interval over seeds"
TEST_NAME = "Mann-Whitney U, two-sided, Benjamini-Hochberg within a space"


@dataclass(frozen=True)
class Summary:
    """One metric over a group's seeds: n, mean, median, sd (ddof 1), t-interval of the mean, min and max."""

    n: int
    mean: float
    median: float
    sd: float
    ci_low: float
    ci_high: float
    min: float
    max: float

    def to_dict(self, prefix: str = "") -> dict:
        return {f"{prefix}{k}": v for k, v in asdict(self).items()}


SUMMARY_FIELDS = tuple(Summary.__dataclass_fields__)


def finite(values: Iterable) -> np.ndarray:
    """The finite numbers among `values` as float64 (NaN marks "not recorded" everywhere in the results frame)."""
    array = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)
    return array[np.isfinite(array)]


def summarise(values: Iterable, confidence: float = CONFIDENCE) -> Summary:
    """Summary of the finite values; with one value there is no sd or interval (NaN), with none everything is NaN."""
    x = finite(values)
    n = int(x.size)
    if n == 0:
        return Summary(0, *([math.nan] * 7))
    series = pd.Series(x)
    mean, median = float(series.mean()), float(series.median())
    sd = float(series.std(ddof=1)) if n > 1 else math.nan
    if n < 2:
        low = high = math.nan
    elif sd == 0.0:  # every seed gave the same number: the interval is that number (scipy refuses a zero scale)
        low = high = mean
    else:
        low, high = (float(v) for v in stats.t.interval(confidence, df=n - 1, loc=mean, scale=stats.sem(x)))
    return Summary(n, mean, median, sd, low, high, float(series.min()), float(series.max()))


@dataclass(frozen=True)
class Comparison:
    """Two groups' values of one metric: a - b with Welch's interval, Mann-Whitney p, and the verdict in words."""

    a: str
    b: str
    n_a: int
    n_b: int
    diff: float  # mean(a) - mean(b)
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    smallest_p: float  # the smallest two-sided exact p these sample sizes allow
    significant: bool
    verdict: str

    def to_dict(self) -> dict:
        return asdict(self)


def smallest_possible_p(n_a: int, n_b: int) -> float:
    """The two-sided exact Mann-Whitney p of two completely separated samples of these sizes."""
    return float(stats.mannwhitneyu(np.arange(n_a), np.arange(n_a, n_a + n_b), alternative="two-sided",
                                    method="exact").pvalue)


def compare(a_values: Iterable, b_values: Iterable, a: str, b: str, metric: str = "FID",
            lower_is_better: bool = True) -> Comparison:
    """Compare two groups; the verdict never names a better group from one seed or an inconclusive test."""
    return decide([_tested(a_values, b_values, a, b)], metric, lower_is_better)[0]


def compare_pairs(values: Mapping[str, Iterable], metric: str = "FID",
                  lower_is_better: bool = True) -> list[Comparison]:
    """Every pair of the named groups (in name order), their p-values adjusted together (one family)."""
    names = sorted(values)
    return decide([_tested(values[a], values[b], a, b) for a, b in itertools.combinations(names, 2)],
                  metric, lower_is_better)


def _tested(a_values: Iterable, b_values: Iterable, a: str, b: str) -> Comparison:
    """The numbers of a comparison before its verdict (which `decide` words, once p-values are adjusted)."""
    x, y = finite(a_values), finite(b_values)
    n_a, n_b = int(x.size), int(y.size)
    if n_a < 2 or n_b < 2:
        few = ", ".join(f"{name} has n={n}" for name, n in ((a, n_a), (b, n_b)) if n < 2)
        return Comparison(a, b, n_a, n_b, _mean_diff(x, y), math.nan, math.nan, math.nan, math.nan, math.nan, False,
                          f"no comparison possible: {few} (one seed says nothing about the spread between seeds)")
    low, high = _welch_interval(x, y, CONFIDENCE)
    p = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
    return Comparison(a, b, n_a, n_b, _mean_diff(x, y), low, high, p, p, smallest_possible_p(n_a, n_b), False, "")


def _mean_diff(x: np.ndarray, y: np.ndarray) -> float:
    return float(x.mean() - y.mean()) if x.size and y.size else math.nan


def _welch_interval(x: np.ndarray, y: np.ndarray, confidence: float) -> tuple[float, float]:
    if np.std(x) == 0.0 and np.std(y) == 0.0:
        diff = float(x.mean() - y.mean())
        return diff, diff
    interval = stats.ttest_ind(x, y, equal_var=False).confidence_interval(confidence)
    return float(interval.low), float(interval.high)


def decide(comparisons: Sequence[Comparison], metric: str = "FID", lower_is_better: bool = True,
           alpha: float = ALPHA) -> list[Comparison]:
    """Adjust the p-values of comparisons made together (Benjamini-Hochberg) and word each verdict."""
    tested = [i for i, c in enumerate(comparisons) if not math.isnan(c.p_value)]
    adjusted = dict(zip(tested, stats.false_discovery_control([comparisons[i].p_value for i in tested])
                        if len(tested) > 1 else [comparisons[i].p_value for i in tested]))
    out = []
    for i, c in enumerate(comparisons):
        if i not in adjusted:
            out.append(c)
            continue
        p_adj = float(adjusted[i])
        out.append(_worded(c, p_adj, len(tested), metric, lower_is_better, alpha))
    return out


def _worded(c: Comparison, p_adj: float, n_tests: int, metric: str, lower_is_better: bool,
            alpha: float) -> Comparison:
    sizes = f"n={c.n_a}" if c.n_a == c.n_b else f"n={c.n_a} vs {c.n_b}"
    p_text = f"Mann-Whitney p={c.p_value:.2g}"
    if n_tests > 1:
        p_text += f", adjusted for {n_tests} pairs p={p_adj:.2g}"
    interval = f"{c.a} − {c.b} = {_signed(c.diff)}, 95% CI {_signed(c.ci_low)} to {_signed(c.ci_high)}"
    excludes_zero = c.ci_low > 0 or c.ci_high < 0
    significant = p_adj < alpha and excludes_zero
    if c.smallest_p >= alpha:
        verdict = (f"no significant difference possible at {sizes}: the smallest Mann-Whitney p these sizes allow is "
                   f"{c.smallest_p:.2g} ({p_text}; {interval})")
    elif significant:
        a_better = (c.diff < 0) == lower_is_better
        better, worse = (c.a, c.b) if a_better else (c.b, c.a)
        direction = "lower" if lower_is_better else "higher"
        verdict = f"{better} has {direction} {metric} than {worse} at {sizes} ({p_text}; {interval})"
    elif p_adj < alpha:
        verdict = f"no significant difference at {sizes} ({p_text}, but {interval} includes 0)"
    else:
        verdict = f"no significant difference at {sizes} ({p_text}; {interval})"
    return Comparison(c.a, c.b, c.n_a, c.n_b, c.diff, c.ci_low, c.ci_high, c.p_value, p_adj, c.smallest_p,
                      significant, verdict)


def _signed(value: float) -> str:
    """Three significant digits with a sign, never in e-notation (FIDs run into the thousands)."""
    return f"{value:+.0f}" if abs(value) >= 100 else f"{value:+.3g}"

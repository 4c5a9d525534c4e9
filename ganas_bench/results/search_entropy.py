"""Did the search move? The fall of a search's entropy (rl: the controller's; differentiable: the architecture
parameters') from the first to the last fifth of each stage's steps, with a one-sided Mann-Whitney U test.

A search whose entropy does not fall has sampled (rl) or weighted (differentiable) every architecture about equally to
the end: its result is a draw, not a choice. The tiny profile's search budget was set with this measure (README).
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd
from scipy import stats

from . import keys as K

SHARE = 0.2  # first and last fifth of a stage's steps
MIN_STEPS = 3  # per end: fewer cannot reach p < 0.05 (3 vs 3 at best p = 0.05)
FALL_COLUMNS = ("stage", "steps", "entropy_first", "entropy_last", "fall", "p")


def entropy_fall(curve: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stage of `curve` (search.json's rows; one stage when rows carry no "stage"): the mean entropy of its first
    and last fifth (at least MIN_STEPS rows each), the relative fall and the p-value of "first > last"."""
    rows = [r for r in curve if isinstance(r, dict) and _finite(r.get("entropy"))]
    stages = sorted({r.get("stage") for r in rows}, key=lambda s: (s is None, s))
    out = []
    for stage in stages:
        values = [float(r["entropy"]) for r in rows if r.get("stage") == stage]
        k = max(MIN_STEPS, int(len(values) * SHARE))
        if len(values) < 2 * k:
            continue
        first, last = values[:k], values[-k:]
        mean_first, mean_last = sum(first) / k, sum(last) / k
        p = float(stats.mannwhitneyu(first, last, alternative="greater").pvalue)
        out.append({"stage": stage, "steps": len(values), "entropy_first": mean_first, "entropy_last": mean_last,
                    "fall": 1 - mean_last / mean_first if mean_first > 0 else math.nan, "p": p})
    return out


def entropy_falls(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run and stage of every run (search-only runs included) whose curve records an entropy."""
    rows = []
    for _, r in runs.iterrows():
        for fall in entropy_fall(r[K.COL_CURVE] if isinstance(r[K.COL_CURVE], list) else []):
            rows.append({K.COL_RUN_ID: r[K.COL_RUN_ID], K.COL_PROFILE: r[K.COL_PROFILE],
                         K.COL_STRATEGY: r[K.COL_STRATEGY], K.COL_SPACE: r[K.COL_SPACE], K.COL_SEED: r[K.COL_SEED],
                         K.COL_VARIANT: r[K.COL_VARIANT], K.cost_hours("search"): r[K.cost_hours("search")],
                         K.cost_unit("search"): r[K.cost_unit("search")], **fall})
    columns = [K.COL_RUN_ID, K.COL_PROFILE, K.COL_STRATEGY, K.COL_SPACE, K.COL_SEED, K.COL_VARIANT, *FALL_COLUMNS,
               K.cost_hours("search"), K.cost_unit("search")]
    return pd.DataFrame(rows, columns=columns)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

"""A small query API over the runs frame for notebooks (in the spirit of NATS-Bench's `query_by_index` / `find_best`).

    from ganas_bench.results import load_runs, query, find_best, summarise_groups, compare_strategies
    runs = load_runs("results/runs")
    query(runs, profile="tiny", strategy=["rl", "random"], space="autogan")   # finished runs by column values
    find_best(runs, "fid", profile="tiny")                                     # the best finished run
    find_best(runs, "fid", by="group", profile="tiny")                         # the best group by mean over seeds
    compare_strategies(query(runs, profile="tiny"))                            # pairwise tests within each space

The best group is the one with the best mean; whether it is better than the next one is for `compare_strategies` to
say, not for its position.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import UserError
from . import keys as K
from .groups import summarise_groups


def query(runs: pd.DataFrame, *, finished: bool = True, **equals: Any) -> pd.DataFrame:
    """Rows whose columns equal the given values (a list, tuple or set matches any of its values).

    `finished=True` (default) keeps finished runs only. An unknown column is a UserError naming the columns.
    """
    unknown = [name for name in equals if name not in runs.columns]
    if unknown:
        raise UserError(f"unknown column {unknown[0]!r}; columns are: {', '.join(runs.columns)}")
    mask = pd.Series(True, index=runs.index)
    if finished:
        mask &= runs[K.COL_STATE] == K.STATE_FINISHED
    for name, value in equals.items():
        many = isinstance(value, (list, tuple, set, frozenset))
        mask &= runs[name].isin(list(value)) if many else runs[name] == value
    return runs[mask]


def find_best(runs: pd.DataFrame, metric: str = K.KEY_METRIC_FID, *, by: str = "run", **equals: Any) -> pd.Series:
    """The finished run (`by="run"`) or group (`by="group"`, by mean over seeds) with the best `metric`.

    Lower is better for FID and KID, higher for IS (keys.LOWER_IS_BETTER). Rows without the metric are skipped; no
    candidate left is a UserError.
    """
    if metric not in K.LOWER_IS_BETTER:
        raise UserError(f"unknown metric {metric!r}; accepted: {', '.join(K.LOWER_IS_BETTER)}")
    if by not in ("run", "group"):
        raise UserError(f"unknown by={by!r}; accepted: run, group")
    rows = query(runs, **equals)
    column = metric
    if by == "group":
        rows = summarise_groups(rows)
        column = f"{K.SUMMARY_PREFIX[metric]}_mean"
    rows = rows[rows[column].notna()] if len(rows) else rows
    if not len(rows):
        raise UserError(f"no finished {by} with a {metric} matches {equals or 'the query'}")
    ascending = K.LOWER_IS_BETTER[metric]
    return rows.sort_values([column, K.COL_GROUP], ascending=[ascending, True], kind="stable").iloc[0]

"""Group summaries over seeds and the pairwise comparisons of strategies within a space.

`summarise_groups` gives one row per group (see identity.py for what a group is) with, for FID, IS, KID and the
search and total cost, the columns `<prefix>_<field>` for every field of `stats.Summary` (n, mean, median, sd, ci_low,
ci_high, min, max; prefixes in keys.SUMMARY_PREFIX), the evaluation noise beside the seed spread (`fid_eval_sd`: the
mean over the group's runs of their sd over evaluation z-seeds), and what the tables print next to a number.
"""
from __future__ import annotations

import math
from collections import Counter

import pandas as pd

from ..published import reproduced_claim
from . import keys as K
from .identity import GROUP_KEYS
from .protocol import protocol_key, protocol_text, protocol_title
from .stats import SUMMARY_FIELDS, compare_pairs, summarise

_FIRST = (K.COL_GROUP, *GROUP_KEYS, K.COL_COMMAND, K.COL_STRATEGY, K.COL_SPACE, K.COL_ARCH_NAME, K.COL_SEARCH_ONLY,
          K.COL_VARIANT, K.KEY_DATASET, K.cost_unit("search"))
SUMMARY_COLUMNS = tuple(f"{prefix}_{field}" for prefix in K.SUMMARY_PREFIX.values() for field in SUMMARY_FIELDS)
GROUP_COLUMNS = (
    *_FIRST, "seeds", "seed_list", "run_ids", *SUMMARY_COLUMNS, K.COL_EVAL_K, *K.EVAL_SD_COLUMNS.values(),
    "untrained_fid_mean", *K.SEARCH_COUNTERS, "params_g_range", "best_iters", K.COL_BEST_OF_EVALS, K.COL_DEVICE,
    *K.PROTOCOL_KEYS, "unfinished", "reproduces", "d_fid", "d_is",
)
COMPARISON_COLUMNS = (K.COL_PROFILE, K.COL_SPACE, K.COL_EVALUATION, "protocol", "metric", "a", "b", "n_a", "n_b",
                      "diff", "ci_low", "ci_high", "p_value", "p_adjusted", "smallest_p", "significant", "verdict")


def summarise_groups(runs: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per group of finished runs (columns `GROUP_COLUMNS`), sorted by the group keys.

    `runs` may hold re-evaluation rows too (`load_reevaluations`): they form groups of their own. `unfinished` counts
    the failed and partial runs of the same profile, label and settings. With `published` given, `reproduces` names the
    published row the group reproduces and `d_fid` / `d_is` are its mean minus the claim.
    """
    if not len(runs):
        return pd.DataFrame(columns=list(GROUP_COLUMNS))
    done = runs[runs[K.COL_STATE] == K.STATE_FINISHED]
    not_done = runs[runs[K.COL_STATE] != K.STATE_FINISHED]
    identity = (K.COL_PROFILE, K.COL_LABEL, K.COL_EXPERIMENT_HASH)
    unfinished = Counter(zip(*(not_done[c] for c in identity)))
    rows = []
    for _, g in done.groupby(list(GROUP_KEYS), sort=True):
        g = g.sort_values([K.COL_SEED, K.COL_RUN_ID])
        first = g.iloc[0]
        row = {k: first[k] for k in _FIRST}
        unit = K.cost_unit("search")  # from any run that recorded a search cost, not only the first seed's
        row[unit] = next((u for u in g[unit] if isinstance(u, str) and u), row[unit])
        row.update(seeds=len(g), seed_list=",".join(str(s) for s in g[K.COL_SEED]), run_ids=";".join(g[K.COL_RUN_ID]))
        for column, prefix in K.SUMMARY_PREFIX.items():
            row.update(summarise(g[column]).to_dict(f"{prefix}_"))
        ks = sorted({int(k) for k in g[K.COL_EVAL_K].dropna()})
        row[K.COL_EVAL_K] = ks[0] if len(ks) == 1 else math.nan
        for column in K.EVAL_SD_COLUMNS.values():
            row[column] = summarise(g[column]).mean
        row["untrained_fid_mean"] = summarise(g[K.COL_UNTRAINED_FID]).mean
        for column in K.SEARCH_COUNTERS:  # totals over the group's seeds; NaN when no run recorded the counter
            kept = g[column].dropna()
            row[column] = int(kept.sum()) if len(kept) else math.nan
        row["params_g_range"] = _range(g[K.COL_PARAMS_G])
        recorded = g[K.KEY_BEST_ITER].notna().any()
        row["best_iters"] = ",".join(protocol_text(v) or "?" for v in g[K.KEY_BEST_ITER]) if recorded else ""
        row[K.COL_BEST_OF_EVALS] = bool(g[K.COL_BEST_OF_EVALS].astype(bool).any())
        row[K.COL_DEVICE] = "; ".join(sorted({d for d in g[K.COL_DEVICE] if d}))
        for name in K.PROTOCOL_KEYS:
            values = sorted({protocol_text(v) for v in g[name]})
            row[name] = values[0] if len(values) == 1 else " / ".join(values)
        row["unfinished"] = unfinished.get(tuple(first[c] for c in identity), 0) if first[K.COL_EVALUATION] == \
            K.EVAL_FINAL else 0
        row.update(_claim(row, published))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(GROUP_COLUMNS))


def _claim(row: dict, published: pd.DataFrame | None) -> dict:
    claim = None if published is None else reproduced_claim(published, row[K.KEY_DATASET], row[K.COL_SPACE],
                                                             row[K.COL_STRATEGY], row[K.COL_ARCH_NAME])
    if claim is None:
        return {"reproduces": "", "d_fid": math.nan, "d_is": math.nan}
    return {"reproduces": claim["method"],
            "d_fid": row["fid_mean"] - float(claim["fid"]) if claim["fid"] else math.nan,
            "d_is": row["is_mean"] - float(claim["is_mean"]) if claim["is_mean"] else math.nan}


def _range(values: pd.Series) -> str:
    kept = sorted({int(v) for v in values.dropna()})
    if not kept:
        return ""
    return f"{kept[0]:,}" if len(kept) == 1 else f"{kept[0]:,}-{kept[-1]:,}"


def strategy_name(row: pd.Series) -> str:
    """How a comparison names a group: its strategy, with its settings when they are not the defaults."""
    name = row[K.COL_STRATEGY] + ("" if row[K.COL_VARIANT] == "defaults" else f" [{row[K.COL_VARIANT]}]")
    return name + (f" ({row[K.cost_unit('total')]})" if row[K.cost_unit("total")] not in ("", K.CPU_UNIT) else "")


def compare_strategies(runs: pd.DataFrame, metric: str = K.KEY_METRIC_FID) -> pd.DataFrame:
    """Each pair of strategies within a space: the difference in `metric` and its test (see stats.py).

    Pairs are formed only between groups of finished search runs (not search-only) of one profile, one space, one
    evaluation and one evaluation protocol; the p-values of one space's pairs are adjusted together.
    """
    rows = []
    search = runs[(runs[K.COL_STATE] == K.STATE_FINISHED) & (runs[K.COL_STRATEGY] != "")
                  & ~runs[K.COL_SEARCH_ONLY].astype(bool)] if len(runs) else runs
    if not len(search):
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    search = search.assign(_protocol=[protocol_title(protocol_key(r)) for _, r in search.iterrows()],
                           _name=[strategy_name(r) for _, r in search.iterrows()])
    for (profile, space, evaluation, protocol), g in search.groupby(
            [K.COL_PROFILE, K.COL_SPACE, K.COL_EVALUATION, "_protocol"], sort=True):
        values = {name: list(v[metric]) for name, v in g.groupby("_name", sort=True)}
        for c in compare_pairs(values, K.METRIC_NAMES.get(metric, metric), K.LOWER_IS_BETTER.get(metric, True)):
            rows.append({K.COL_PROFILE: profile, K.COL_SPACE: space, K.COL_EVALUATION: evaluation,
                         "protocol": protocol, "metric": metric, **c.to_dict()})
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))

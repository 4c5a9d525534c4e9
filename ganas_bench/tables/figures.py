"""What each figure of a profile shows, prepared from the results frames; ganas_bench/plots.py draws it.

Titles carry the profile, dataset, n_fake, backbone and device. Costs keep their unit: CPU core-hours for CPU runs, GPU-
days (the papers' unit) for GPU runs and published numbers, on separate panels. Curves are drawn per strategy, their x
axis named after what one step is for that strategy (`STEP_MEANING`); entropies get their own figure, rl's controller
entropy and the differentiable search's architecture-parameter entropy on separate axes.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from .. import plots
from ..published import gpu_days, is_confirmed
from ..results import keys as K
from ..results.protocol import matches
from . import format as F

#: what one row of a strategy's search curve is
STEP_MEANING = {
    "rl": "controller update (one REINFORCE step over a batch of sampled architectures)",
    "random": "scored candidate, in drawing order",
    "differentiable": "search iteration (architecture and weight steps of D and G)",
}
ENTROPY_AXES = {
    "rl": "controller entropy (nats, summed over the stage's decisions)",
    "differentiable": "architecture-parameter entropy (nats; bold: mean over decisions, faint: each decision)",
}
_NOT_SERIES = {"step", "stage", "iteration", "epoch", "t", "time", "wall_s", "seed", "entropy", "entropies"}


def title(profile: str, reference: dict, devices: set[str], what: str) -> str:
    n_fake = reference.get(K.KEY_N_FAKE)
    parts = [f"profile {profile}", str(reference.get(K.KEY_DATASET) or "dataset unknown"),
             f"n_fake {n_fake:,}" if isinstance(n_fake, int) else "n_fake unknown",
             str(reference.get(K.KEY_BACKBONE) or "backbone unknown"),
             f"device {', '.join(sorted(devices)) or 'none recorded'}"]
    return f"{what}\n{' · '.join(parts)}"


def pareto_front(points: pd.DataFrame) -> list[tuple[float, float]]:
    """The points no other point beats on both cost and FID, by increasing cost."""
    front, best = [], math.inf
    for row in points.sort_values(["cost", "fid"]).itertuples(index=False):
        if row.fid < best:
            front.append((row.cost, row.fid))
            best = row.fid
    return front


def cost_panels(groups: pd.DataFrame, published: pd.DataFrame, reference: dict) -> list[dict]:
    """Panels of the FID-vs-search-cost figure: one per cost unit (GPU-days with the published rows, CPU core-hours)."""
    rows = []
    if reference.get(K.KEY_DATASET) in set(published["dataset"]):
        for _, p in published[published["dataset"] == reference[K.KEY_DATASET]].iterrows():
            days = gpu_days(p["search_cost"], p["search_cost_unit"])
            if p["fid"] and days:
                fid_sd = float(p["fid_std"]) if p["fid_std"] else math.nan
                rows.append(dict(label=p["method"], kind="published", unit="GPU-days", cost=days, cost_low=math.nan,
                                 cost_high=math.nan, fid=float(p["fid"]), fid_low=float(p["fid"]) - fid_sd,
                                 fid_high=float(p["fid"]) + fid_sd, filled=is_confirmed(p, "fid", "search_cost")))
    for _, g in _scored(groups).iterrows():
        unit = g[K.cost_unit("search")]
        scale = 1 / 24 if unit == K.GPU_UNIT else 1.0
        if F.missing(g["search_hours_mean"]) or g["search_hours_mean"] <= 0 or not unit:
            continue
        star = "" if matches(g, reference) else " *"
        rows.append(dict(label=f"{_name(g)} (n={g['seeds']}){star}", kind="ours",
                         unit="GPU-days" if unit == K.GPU_UNIT else F.unit_name(unit),
                         cost=g["search_hours_mean"] * scale, cost_low=g["search_hours_ci_low"] * scale,
                         cost_high=g["search_hours_ci_high"] * scale, fid=g["fid_mean"], fid_low=g["fid_ci_low"],
                         fid_high=g["fid_ci_high"], filled=True))
    points = pd.DataFrame(rows)
    panels = []
    for unit, g in (points.groupby("unit", sort=True) if len(points) else []):
        panels.append({"x_label": f"search cost in {unit} (log)", "points": g, "front": pareto_front(g)})
    return panels


def params_points(runs: pd.DataFrame, published: pd.DataFrame, profile: str, reference: dict) -> pd.DataFrame:
    rows = []
    if reference.get(K.KEY_DATASET) in set(published["dataset"]):
        for _, p in published[published["dataset"] == reference[K.KEY_DATASET]].iterrows():
            if p["params_g"] and p["fid"]:
                rows.append(dict(label=f"published: {p['method']}", kind="published", params=float(p["params_g"]),
                                 fid=float(p["fid"]), filled=is_confirmed(p, "params_g", "fid")))
    ours = runs[(runs[K.COL_STATE] == K.STATE_FINISHED) & (runs[K.COL_PROFILE] == profile)
                & ~runs[K.COL_SEARCH_ONLY].astype(bool)] if len(runs) else runs
    for _, r in ours.sort_values([K.COL_LABEL, K.COL_SEED, K.COL_RUN_ID]).iterrows():
        if not F.missing(r[K.COL_PARAMS_G]) and not F.missing(r[K.KEY_METRIC_FID]):
            star = "" if matches(r, reference) else " *"
            rows.append(dict(label=_name(r) + star, kind="ours", params=r[K.COL_PARAMS_G], fid=r[K.KEY_METRIC_FID],
                             filled=True))
    return pd.DataFrame(rows, columns=["label", "kind", "params", "fid", "filled"])


def interval_groups(groups: pd.DataFrame, runs: pd.DataFrame, reference: dict) -> list[dict]:
    """Groups at the profile's own protocol with every seed's FID, the mean and its interval."""
    out = []
    by_id = runs.set_index(K.COL_RUN_ID)[K.KEY_METRIC_FID] if len(runs) else {}
    for _, g in _scored(groups).iterrows():
        if matches(g, reference):
            values = [by_id[i] for i in g["run_ids"].split(";") if i in by_id]
            out.append({"name": f"{_name(g)} (n={g['seeds']})", "values": values, "mean": g["fid_mean"],
                        "low": g["fid_ci_low"], "high": g["fid_ci_high"]})
    return out


def _scored(groups: pd.DataFrame) -> pd.DataFrame:
    if not len(groups):
        return groups
    return groups[(groups[K.COL_EVALUATION] == K.EVAL_FINAL) & ~groups[K.COL_SEARCH_ONLY].astype(bool)
                  & groups["fid_mean"].notna()]


def _name(row: pd.Series) -> str:
    return row[K.COL_LABEL] + ("" if row[K.COL_VARIANT] == "defaults" else f" [{row[K.COL_VARIANT]}]")


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _numbers(rows: list[dict], key: str) -> list[float]:
    return [_num(row.get(key)) for row in rows]


def _curve_runs(runs: pd.DataFrame, strategy: str) -> list[tuple[pd.Series, int, int, list[dict]]]:
    """(run, colour index per space/variant, line style index per seed within it, curve rows) of one strategy."""
    chosen = runs[(runs[K.COL_STRATEGY] == strategy) & (runs[K.COL_CURVE].map(len) > 0)] if len(runs) else runs
    names = sorted({_name(r) for _, r in chosen.iterrows()})
    seen: Counter = Counter()
    out = []
    for _, r in chosen.sort_values([K.COL_LABEL, K.COL_SEED, K.COL_RUN_ID]).iterrows():
        name = _name(r)
        out.append((r, names.index(name), seen[name], [row for row in r[K.COL_CURVE] if isinstance(row, dict)]))
        seen[name] += 1
    return out


def _x(rows: list[dict]) -> list[float]:
    xs = _numbers(rows, "step")
    return xs if not any(math.isnan(x) for x in xs) else [float(i) for i in range(len(rows))]


def curve_panels(runs: pd.DataFrame, strategy: str) -> list[dict]:
    """One panel per measured scalar series of a strategy's curves (entropies apart), one line per run."""
    chosen = _curve_runs(runs, strategy)
    keys = sorted({k for _, _, _, rows in chosen for row in rows for k, v in row.items()
                   if k not in _NOT_SERIES and isinstance(v, (int, float)) and not isinstance(v, bool)})
    panels = []
    for key in keys:
        lines = [{"label": f"{_name(r)} seed {r[K.COL_SEED]}", "xs": _x(rows), "ys": _numbers(rows, key),
                  "color": color, "style": style} for r, color, style, rows in chosen]
        panels.append({"title": f"{strategy}: {key}", "x_label": STEP_MEANING.get(strategy, "curve row (step)"),
                       "y_label": key, "lines": lines})
    return panels


def entropy_panels(runs: pd.DataFrame, strategies: list[str]) -> list[dict]:
    """Per strategy that records one: its entropy over its own steps; per-decision `entropies` as faint lines."""
    panels = []
    for strategy in strategies:
        chosen = [c for c in _curve_runs(runs, strategy) if any("entropy" in row or "entropies" in row for row in c[3])]
        lines: list[dict[str, Any]] = []
        for r, color, style, rows in chosen:
            xs = _x(rows)
            per_decision = [_per_decision(row.get("entropies")) for row in rows]
            for decision in sorted({d for values in per_decision for d in values}):
                ys = [_num(values.get(decision)) for values in per_decision]
                lines.append({"label": "", "xs": xs, "ys": ys, "color": color, "style": style, "thin": True})
            lines.append({"label": f"{_name(r)} seed {r[K.COL_SEED]}", "xs": xs, "ys": _numbers(rows, "entropy"),
                          "color": color, "style": style})
        if lines:
            panels.append({"title": f"{strategy}: entropy", "x_label": STEP_MEANING.get(strategy, "curve row (step)"),
                           "y_label": ENTROPY_AXES.get(strategy, "entropy (nats)"), "lines": lines})
    return panels


def _per_decision(entropies: Any) -> dict:
    """A curve row's per-decision entropies ({decision: nats}, or a list by decision index) as a dict."""
    if isinstance(entropies, dict):
        return entropies
    if isinstance(entropies, list):
        return {f"{i:03d}": v for i, v in enumerate(entropies)}
    return {}


def sample_items(runs: pd.DataFrame, profile: str) -> list[tuple[str, Path]]:
    done = runs[(runs[K.COL_STATE] == K.STATE_FINISHED) & (runs[K.COL_PROFILE] == profile)] if len(runs) else runs
    return [(f"{r[K.COL_LABEL]} seed {r[K.COL_SEED]}, FID {F.fmt(r[K.KEY_METRIC_FID], 2)}\n{r[K.COL_RUN_ID]}",
             Path(r[K.COL_PATH]) / "samples.png")
            for _, r in done.sort_values([K.COL_LABEL, K.COL_SEED, K.COL_RUN_ID]).iterrows()
            if (Path(r[K.COL_PATH]) / "samples.png").is_file()]


def write_figures(out_dir: Path, profile: str, reference: dict, published: pd.DataFrame, runs: pd.DataFrame,
                  groups: pd.DataFrame) -> list[Path]:
    """Every figure of one profile that has something to show; returns the files written."""
    mine = runs[runs[K.COL_PROFILE] == profile] if len(runs) else runs
    groups = groups[groups[K.COL_PROFILE] == profile] if len(groups) else groups
    devices = {d.split(" ")[0] for d in mine[K.COL_DEVICE] if d} if len(mine) else set()
    safe = F.safe_name(profile)
    written: list[Path] = []
    panels = cost_panels(groups, published, reference)
    if panels:
        what = "FID vs search cost (95% intervals; * protocol differs from the profile's)"
        written += plots.plot_cost_vs_fid(panels, title(profile, reference, devices, what),
                                          out_dir / f"fid_vs_search_cost_{safe}")
    points = params_points(runs, published, profile, reference)
    if len(points):
        what = "FID vs generator parameters (one point per run; hollow: not confirmed by its source)"
        written += plots.plot_params_vs_fid(points, title(profile, reference, devices, what),
                                            out_dir / f"params_vs_fid_{safe}")
    intervals = interval_groups(groups, mine, reference)
    if intervals:
        what = "FID per group at the profile's protocol: every seed, mean and 95% t-interval"
        written += plots.plot_group_intervals(intervals, title(profile, reference, devices, what), "FID",
                                              out_dir / f"fid_by_group_{safe}")
    strategies = sorted({s for s in mine[K.COL_STRATEGY] if s}) if len(mine) else []
    for strategy in strategies:
        curves = curve_panels(mine, strategy)
        if curves:
            what = f"search curves of {strategy} (search.json)"
            written += plots.plot_line_panels(curves, title(profile, reference, devices, what),
                                              out_dir / f"search_curves_{safe}_{F.safe_name(strategy)}")
    entropies = entropy_panels(mine, strategies)
    if entropies:
        written += plots.plot_line_panels(entropies, title(profile, reference, devices, "entropies during search"),
                                          out_dir / f"entropy_{safe}")
    items = sample_items(runs, profile)
    if items:
        written += plots.plot_sample_grid(items, title(profile, reference, devices, "samples (EMA generator)"),
                                          out_dir / f"samples_{safe}")
    return written

"""`matrix_<profile>`, `pairwise_<profile>` and `readme_<profile>`: the strategy x space matrix of one profile's search
runs, grouped over seeds, with intervals, spreads, evaluation noise and the pairwise tests within each space."""
from __future__ import annotations

import pandas as pd

from ..results import keys as K
from ..results.groups import GROUP_COLUMNS, strategy_name
from ..results.protocol import matches, protocol_key, protocol_title
from ..results.stats import INTERVAL_NAME, TEST_NAME
from . import format as F
from .runs_table import claim_text
from .writers import Section, markdown

MATRIX_CSV = tuple(c for c in GROUP_COLUMNS)
PAIRWISE_LATEX = ("space", "pair", "n", "difference [95% CI]", "p (adjusted)", "verdict")
GROUP_LATEX = ("strategy", "space", "n", "FID mean [95% CI]", "FID sd (min-max)", "IS mean [95% CI]", "search cost")


def search_groups(groups: pd.DataFrame, profile: str) -> pd.DataFrame:
    if not len(groups):
        return groups
    return groups[(groups[K.COL_PROFILE] == profile) & (groups[K.COL_STRATEGY] != "")]


def group_display(g: pd.Series, kid_header: str, kid_scale: float) -> dict:
    """What the tables print for one group: n, mean [95% CI], median, spread over seeds, evaluation noise, costs."""
    seeds = f"{g['seeds']} ({g['seed_list']})"
    return {
        "n": seeds,
        "FID mean [95% CI]": F.interval(g, "fid", 2), "FID median": F.fmt(g["fid_median"], 2),
        "FID sd (min-max)": F.spread(g, "fid", 2),
        "FID eval sd (K)": eval_noise(g),
        "IS mean [95% CI]": F.interval(g, "is", 2), "IS sd": F.fmt(g["is_sd"], 2),
        f"{kid_header} mean [95% CI]": F.interval(g, "kid", 2, kid_scale),
        "search cost": _cost_interval(g, "search"), "total cost": _cost_interval(g, "total"),
        "untrained FID (mean)": F.fmt(g["untrained_fid_mean"], 1),
        "best_iter": (g["best_iters"] or "?") + " (best of evaluations)" if g[K.COL_BEST_OF_EVALS] else g["best_iters"],
        "params G": g["params_g_range"], "device": g[K.COL_DEVICE],
    }


def eval_noise(g: pd.Series) -> str:
    """The group's mean sd over evaluation z-seeds and K ("K mixed" when its runs used different K)."""
    if F.missing(g[K.COL_FID_EVAL_SD]):
        return ""
    return f"{F.fmt(g[K.COL_FID_EVAL_SD], 2)} (K={F.whole(g[K.COL_EVAL_K]) or 'mixed'})"


def _cost_interval(g: pd.Series, part: str) -> str:
    unit = g[K.cost_unit(part)]
    text = F.interval(g, f"{part}_hours", 3)
    return f"{text} {F.unit_name(unit)}{_cost_count(g, part)}" if text else ""


def _cost_mean(g: pd.Series, part: str) -> str:
    text = F.cost_text(g[f"{part}_hours_mean"], g[K.cost_unit(part)])
    return f"{text}{_cost_count(g, part)}" if text else ""


def _cost_count(g: pd.Series, part: str) -> str:
    """" (n=1 of 2 runs)" when some of the group's runs recorded no such cost: the mean is of the others."""
    n = g[f"{part}_hours_n"]
    return f" (n={n} of {g['seeds']} runs)" if not F.missing(n) and 0 < n < g["seeds"] else ""


def matrix_sections(groups: pd.DataFrame, profile: str, kid_header: str, kid_scale: float) -> tuple[pd.DataFrame,
                                                                                                     list[Section]]:
    """(CSV of the profile's search groups, sections: the pivot, every group, re-evaluations)."""
    search = search_groups(groups, profile)
    final = search[search[K.COL_EVALUATION] == K.EVAL_FINAL] if len(search) else search
    sections = []
    if len(final):
        spaces = sorted(set(final[K.COL_SPACE]))
        cells: dict[str, dict[str, list[str]]] = {}
        for _, g in final.iterrows():
            name = strategy_name(g) + (" (search only)" if g[K.COL_SEARCH_ONLY] else "")
            cell = (f"FID {F.interval(g, 'fid', 1)}, n={g['seeds']}" if not g[K.COL_SEARCH_ONLY]
                    else f"search {_cost_interval(g, 'search')}, n={g['seeds']}")
            cells.setdefault(name, {}).setdefault(g[K.COL_SPACE], []).append(cell)
        pivot = pd.DataFrame([{"strategy": row, **{s: " / ".join(cells[row].get(s, [])) for s in spaces}}
                              for row in sorted(cells)], columns=["strategy", *spaces])
        sections.append(Section("strategy x space: FID mean [95% CI] over seeds, n seeds", pivot))
        sections.append(Section("every group", _long(final, kid_header, kid_scale), GROUP_LATEX))
    reeval = search[search[K.COL_EVALUATION] != K.EVAL_FINAL] if len(search) else search
    if len(reeval):
        sections.append(Section("re-evaluations (eval-<n>.json), grouped apart by their n_fake",
                                _long(reeval, kid_header, kid_scale), GROUP_LATEX))
    csv = pd.DataFrame([{c: F.csv_value(r[c]) for c in MATRIX_CSV} for _, r in search.iterrows()],
                       columns=list(MATRIX_CSV))
    return csv, sections


def _long(groups: pd.DataFrame, kid_header: str, kid_scale: float) -> pd.DataFrame:
    return pd.DataFrame([{
        "profile": g[K.COL_PROFILE],
        "strategy": g[K.COL_STRATEGY] + (" (search only)" if g[K.COL_SEARCH_ONLY] else ""), "space": g[K.COL_SPACE],
        "variant": g[K.COL_VARIANT], "evaluation": g[K.COL_EVALUATION], **group_display(g, kid_header, kid_scale),
        "unfinished runs": str(g["unfinished"]),
        "supernet resets (of them NaN/Inf)": _resets_text(g), "failed candidates": F.whole(g["failed_candidates"]),
        "vs claim": claim_text(g["d_fid"], g["d_is"], g["reproduces"]),
    } for _, g in groups.iterrows()])


def _resets_text(g: pd.Series) -> str:
    if F.missing(g["resets"]):
        return ""
    return f"{int(g['resets'])} ({F.whole(g['resets_diverged']) or '?'})"


def pairwise_section(comparisons: pd.DataFrame, profile: str) -> tuple[pd.DataFrame, list[Section]]:
    """(CSV, sections) of the pairwise comparisons of one profile, one section per evaluation."""
    rows = comparisons[comparisons[K.COL_PROFILE] == profile] if len(comparisons) else comparisons
    sections = []
    for evaluation, g in (rows.groupby(K.COL_EVALUATION, sort=True) if len(rows) else []):
        frame = pd.DataFrame([{
            "space": c[K.COL_SPACE], "pair": f"{c['a']} vs {c['b']}", "n": f"{c['n_a']} vs {c['n_b']}",
            "difference [95% CI]": _difference(c), "p (adjusted)": _p_text(c), "verdict": c["verdict"],
            "protocol": c["protocol"],
        } for _, c in g.iterrows()])
        sections.append(Section(f"FID, {evaluation} evaluation: a - b, {TEST_NAME}", frame, PAIRWISE_LATEX))
    csv = pd.DataFrame([{k: F.csv_value(v) for k, v in r.items()} for _, r in rows.iterrows()],
                       columns=list(comparisons.columns))
    return csv, sections


def _difference(c: pd.Series) -> str:
    if F.missing(c["diff"]):
        return ""
    if F.missing(c["ci_low"]):
        return f"{c['diff']:+.2f}"
    return f"{c['diff']:+.2f} [{c['ci_low']:+.2f}, {c['ci_high']:+.2f}]"


def _p_text(c: pd.Series) -> str:
    if F.missing(c["p_value"]):
        return ""
    return f"{c['p_value']:.2g} ({c['p_adjusted']:.2g})"


def readme_text(groups: pd.DataFrame, comparisons: pd.DataFrame, runs: pd.DataFrame, profile: str, reference: dict,
                notes: list[str]) -> str:
    """The profile's matrix as Markdown for the README: per space and strategy n, FID mean [95% CI], median, spread,
    evaluation noise, IS, costs; the pairwise verdicts; the machines and dates the runs ran on. Only groups evaluated
    at the profile's own protocol are in it (the others are in matrix_<profile>.md)."""
    final = search_groups(groups, profile)
    final = final[(final[K.COL_EVALUATION] == K.EVAL_FINAL) & ~final[K.COL_SEARCH_ONLY].astype(bool)] \
        if len(final) else final
    at_protocol = [matches(g, reference) for _, g in final.iterrows()]
    left_out = len(final) - sum(at_protocol)
    final = final[at_protocol] if len(final) else final
    table = pd.DataFrame([{
        "space": g[K.COL_SPACE], "strategy": strategy_name(g), "n": str(g["seeds"]),
        "FID mean [95% CI]": F.interval(g, "fid", 1), "median": F.fmt(g["fid_median"], 1),
        "sd (min-max)": F.spread(g, "fid", 1),
        "eval sd (K)": eval_noise(g),
        "IS mean [95% CI]": F.interval(g, "is", 2),
        "search cost (mean)": _cost_mean(g, "search"),
        "whole run (mean)": _cost_mean(g, "total"),
    } for _, g in final.sort_values([K.COL_SPACE, K.COL_STRATEGY]).iterrows()])
    lines = [f"#### Profile `{profile}`: strategy x space (FID, lower is better; {INTERVAL_NAME})", "",
             markdown(table), ""]
    if left_out:
        lines += [f"{left_out} group(s) evaluated at another protocol are left out here (see matrix_{profile}.md).", ""]
    protocol = protocol_title(protocol_key(reference))
    pairs = comparisons[(comparisons[K.COL_PROFILE] == profile) & (comparisons[K.COL_EVALUATION] == K.EVAL_FINAL)
                        & (comparisons["protocol"] == protocol)] if len(comparisons) else comparisons
    if len(pairs):
        lines += [f"Pairwise, within each space ({TEST_NAME}):", ""]
        lines += [f"- {c[K.COL_SPACE]}: {c['a']} vs {c['b']}: {c['verdict']}" for _, c in pairs.iterrows()]
        lines.append("")
    lines += [_provenance(runs, final), ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


def _provenance(runs: pd.DataFrame, groups: pd.DataFrame) -> str:
    ids = {i for ids in groups["run_ids"] for i in ids.split(";")} if len(groups) else set()
    used = runs[runs[K.COL_RUN_ID].isin(ids)] if len(runs) else runs
    if not len(used):
        return "No finished runs."
    machines = "; ".join(sorted({p for p in used[K.COL_PLATFORM] if p})) or "not recorded"
    starts = sorted(s for s in used[K.COL_STARTED] if s)
    ends = sorted(e for e in used[K.COL_ENDED] if e)
    when = f"started {starts[0][:10]} to {starts[-1][:10]}" if starts else "dates not recorded"
    if ends:
        when += f", last ended {ends[-1][:10]}"
    codes = sorted({c for c in used[K.COL_CODE] if c})
    code = f"code {codes[0]}" if len(codes) == 1 else (
        f"code: {len(codes)} versions ({', '.join(codes)}): runs of different code are pooled" if codes
        else "code not recorded")
    return f"{len(used)} runs, {when}; machine: {machines}; {code}."

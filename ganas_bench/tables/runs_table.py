"""`runs_<profile>`: every finished run of one profile, each number with its protocol; on the paper profiles the
published numbers of the profile's dataset too, each followed by the runs that reproduce it (with ours - claim).

Rows are compared with the profile's own protocol (results/protocol.py). Re-evaluations (eval-<n>.json) sit right under
their run, marked with their n_fake. Search-only runs have no scores and appear in the matrix only.
"""
from __future__ import annotations

import math

import pandas as pd

from ..published import NOT_STATED, confirmed_fields, gpu_days, reproduced_claim
from ..results import keys as K
from ..results.protocol import protocol_note
from . import format as F
from .writers import Section

CSV_COLUMNS = ("source", "method", "run_id", "evaluation", "status", "variant", "seed", "profile", "dataset",
               "image_size", "is_mean", "is_std", "fid", "fid_std", "fid_eval_sd", "eval_k", "kid_mean", "kid_std",
               "best_iter", "best_of_evals", "params_g", "search_cost", "search_cost_unit", "total_cost",
               "total_cost_unit", "device", "n_fake", "n_real", "reference_split", "backbone", "protocol", "source_ref",
               "confirmed", "reproduces", "d_fid", "d_is", "notes")
LATEX_COLUMNS = ("method", "seed", "IS", "FID", "params G", "search cost", "n_fake")


def _display_columns(kid_header: str) -> tuple[str, ...]:
    return ("source", "profile", "method", "run", "seed", "status", "IS", "FID", "FID eval sd (K)", kid_header,
            "best_iter", "params G", "search cost", "total cost", "device", "n_fake", "n_real", "split", "backbone",
            "protocol", "vs claim", "source (confirms)", "notes")


def runs_table(profile: str, dataset: str, published: pd.DataFrame, runs: pd.DataFrame, reevals: pd.DataFrame,
               reference: dict, kid_scale: float) -> tuple[pd.DataFrame, Section]:
    """(CSV frame, display section) of one profile and dataset."""
    ref_name = f"profile {profile}"
    pub = published[published["dataset"] == dataset] if reference.get(K.KEY_DATASET) == dataset else published[:0]
    ours = runs[(runs[K.COL_STATE] == K.STATE_FINISHED) & (runs[K.COL_PROFILE] == profile)
                & (runs[K.KEY_DATASET] == dataset) & ~runs[K.COL_SEARCH_ONLY].astype(bool)] if len(runs) else runs
    ours = ours.sort_values([K.COL_LABEL, K.COL_VARIANT, K.COL_SEED, K.COL_RUN_ID])
    header = F.kid_header(kid_scale)
    claim_of = {r[K.COL_RUN_ID]: reproduced_claim(published, dataset, r[K.COL_SPACE], r[K.COL_STRATEGY],
                                                  r[K.COL_ARCH_NAME]) for _, r in ours.iterrows()}
    entries = []

    def add_run(r: pd.Series, claim: pd.Series | None) -> None:
        entries.append(_our_entry(r, reference, ref_name, claim, header, kid_scale))
        extra = reevals[reevals[K.COL_RUN_ID] == r[K.COL_RUN_ID]] if len(reevals) else reevals
        entries.extend(_our_entry(e, reference, ref_name, claim, header, kid_scale) for _, e in extra.iterrows())

    for index, p in pub.iterrows():
        entries.append(_published_entry(p, reference, ref_name, header))
        for _, r in ours.iterrows():
            claim = claim_of[r[K.COL_RUN_ID]]
            if claim is not None and claim.name == index:
                add_run(r, claim)
    for _, r in ours.iterrows():
        claim = claim_of[r[K.COL_RUN_ID]]
        if claim is None or claim.name not in pub.index:
            add_run(r, None)
    csv = pd.DataFrame([e[0] for e in entries], columns=list(CSV_COLUMNS))
    display = pd.DataFrame([e[1] for e in entries], columns=list(_display_columns(header)))
    return csv, Section(f"{dataset}", display, LATEX_COLUMNS)


def _mark(row: pd.Series, name: str, confirmed: set[str]) -> str:
    """A published cell as printed, with † when its source does not confirm it."""
    value = row[name]
    if not value or value == NOT_STATED:
        return value
    return value if name in confirmed else f"{value}†"


def _published_entry(p: pd.Series, reference: dict, ref_name: str, kid_header: str) -> tuple[dict, dict]:
    confirmed = confirmed_fields(p)
    days = gpu_days(p["search_cost"], p["search_cost_unit"])
    protocol = protocol_note({k: p[k] for k in K.PROTOCOL_KEYS}, reference, ref_name)
    csv = {c: p[c] for c in ("method", "status", "dataset", "image_size", "is_mean", "is_std", "fid", "fid_std",
                             "params_g", "search_cost", "search_cost_unit", "device", "n_fake", "n_real",
                             "reference_split", "backbone", "confirmed", "notes")}
    csv.update(source="published", protocol=protocol, source_ref=p["source"])
    cost = ""
    if p["search_cost"]:
        cost = f"{_mark(p, 'search_cost', confirmed)} {p['search_cost_unit']}"
        if p["search_cost_unit"] != "GPU-days":
            cost += f" = {F.sig(days)} GPU-days"
    is_text, fid_text = _mark(p, "is_mean", confirmed), _mark(p, "fid", confirmed)
    display = {
        "source": "published", "profile": "", "method": p["method"], "run": "", "seed": "", "status": p["status"],
        "IS": f"{is_text} ± {_mark(p, 'is_std', confirmed)}" if p["is_mean"] and p["is_std"] else is_text,
        "FID": f"{fid_text} ± {_mark(p, 'fid_std', confirmed)}" if p["fid"] and p["fid_std"] else fid_text,
        "FID eval sd (K)": "", kid_header: "", "best_iter": "",
        "params G": _published_count(p, "params_g", confirmed), "search cost": cost, "total cost": "",
        "device": _mark(p, "device", confirmed), "n_fake": _published_count(p, "n_fake", confirmed),
        "n_real": _published_count(p, "n_real", confirmed), "split": _mark(p, "reference_split", confirmed),
        "backbone": _mark(p, "backbone", confirmed), "protocol": protocol, "vs claim": "",
        "source (confirms)": f"{p['source'] or 'no source at hand'}"
                             + (f" ({', '.join(sorted(confirmed))})" if confirmed else ""),
        "notes": p["notes"],
    }
    return csv, display


def _published_count(p: pd.Series, name: str, confirmed: set[str]) -> str:
    value = p[name]
    if not value or value == NOT_STATED:
        return value
    return F.count(float(value)) + ("" if name in confirmed else "†")


def _our_entry(r: pd.Series, reference: dict, ref_name: str, claim: pd.Series | None, kid_header: str,
               kid_scale: float) -> tuple[dict, dict]:
    protocol = protocol_note({k: r[k] for k in K.PROTOCOL_KEYS}, reference, ref_name)
    d_fid = r[K.KEY_METRIC_FID] - float(claim["fid"]) if claim is not None and claim["fid"] else math.nan
    d_is = r[K.KEY_METRIC_IS_MEAN] - float(claim["is_mean"]) if claim is not None and claim["is_mean"] else math.nan
    method = "" if claim is None else claim["method"]
    reeval = r[K.COL_EVALUATION] != K.EVAL_FINAL
    eval_cost = F.cost_text(r[K.cost_hours("eval")], r[K.cost_unit("eval")])
    notes = "; ".join(n for n in ("" if r[K.COL_VARIANT] == "defaults" else f"config: {r[K.COL_VARIANT]}",
                                  f"{r[K.COL_EVALUATION]} of the run above, cost {eval_cost or 'not recorded'}"
                                  if reeval else "") if n)
    csv = {
        "source": "ours", "method": r[K.COL_LABEL], "run_id": r[K.COL_RUN_ID], "evaluation": r[K.COL_EVALUATION],
        "status": r[K.COL_STATE], "variant": r[K.COL_VARIANT], "seed": r[K.COL_SEED], "profile": r[K.COL_PROFILE],
        "search_cost": r[K.cost_hours("search")], "search_cost_unit": r[K.cost_unit("search")],
        "total_cost": r[K.cost_hours("total")], "total_cost_unit": r[K.cost_unit("total")], "device": r[K.COL_DEVICE],
        "protocol": protocol, "reproduces": method, "d_fid": d_fid, "d_is": d_is, "notes": notes,
        "best_of_evals": r[K.COL_BEST_OF_EVALS],
        **{k: r[k] for k in (K.KEY_DATASET, K.KEY_IMAGE_SIZE, *K.SCORE_KEYS, K.COL_FID_EVAL_SD, K.COL_EVAL_K,
                             K.KEY_BEST_ITER, K.COL_PARAMS_G, K.KEY_N_FAKE, K.KEY_N_REAL, K.KEY_REFERENCE_SPLIT,
                             K.KEY_BACKBONE)},
    }
    seed = str(r[K.COL_SEED]) if r[K.COL_SEED] >= 0 else "unknown"
    display = {
        "source": "ours", "profile": r[K.COL_PROFILE],
        "method": r[K.COL_LABEL] + (f" ({r[K.COL_EVALUATION]})" if reeval else ""),
        "status": r[K.COL_STATE], "run": r[K.COL_RUN_ID], "seed": seed,
        "IS": F.pm(r[K.KEY_METRIC_IS_MEAN], r[K.KEY_METRIC_IS_STD], 2), "FID": F.fmt(r[K.KEY_METRIC_FID], 2),
        "FID eval sd (K)": (f"{F.fmt(r[K.COL_FID_EVAL_SD], 2)} ({F.whole(r[K.COL_EVAL_K])})"
                            if not F.missing(r[K.COL_FID_EVAL_SD]) else ""),
        kid_header: F.pm(r[K.KEY_METRIC_KID_MEAN] * kid_scale, r[K.KEY_METRIC_KID_STD] * kid_scale, 2),
        "best_iter": (F.whole(r[K.KEY_BEST_ITER]) or "?") + " (best of evaluations)" if r[K.COL_BEST_OF_EVALS]
        else F.whole(r[K.KEY_BEST_ITER]),
        "params G": F.count(r[K.COL_PARAMS_G]),
        "search cost": "" if reeval else F.cost_text(r[K.cost_hours("search")], r[K.cost_unit("search")])
        or ("none (given architecture)" if not r[K.COL_STRATEGY] else ""),
        "total cost": "" if reeval else F.cost_text(r[K.cost_hours("total")], r[K.cost_unit("total")]),
        "device": r[K.COL_DEVICE],
        "n_fake": F.count(r[K.KEY_N_FAKE]), "n_real": F.count(r[K.KEY_N_REAL]), "split": r[K.KEY_REFERENCE_SPLIT],
        "backbone": r[K.KEY_BACKBONE], "protocol": protocol, "vs claim": claim_text(d_fid, d_is, method),
        "source (confirms)": "", "notes": notes,
    }
    return {k: F.csv_value(v) for k, v in csv.items()}, display


def claim_text(d_fid: float, d_is: float, method: str) -> str:
    parts = [f"FID {d_fid:+.2f}" if not F.missing(d_fid) else "", f"IS {d_is:+.2f}" if not F.missing(d_is) else ""]
    parts = [p for p in parts if p]
    return f"{', '.join(parts)} vs {method}" if parts and method else ""

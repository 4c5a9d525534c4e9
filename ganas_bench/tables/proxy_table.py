"""The proxy studies (`ganas-bench study proxy`) of one profile as the README shows them: per space, the rank agreement
between the weight-sharing proxy and stand-alone FID with its 95% bootstrap intervals, the ceiling set by training
noise, what the proxy's own pick scored, and a verdict that calls an agreement only when Kendall's tau has p < 0.05
and its interval excludes 0 (the matrix's rule for differences).

Made by `ganas-bench study tables` into `<studies dir>/readme_<profile>.md` from every `<study>/study.json` there.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..runs.rundir import read_json
from .writers import markdown

STUDY_FILE = "study.json"
PLOT_FILE = "proxy_vs_fid.png"


def load_studies(studies_dir: str | Path) -> list[dict]:
    """Every study.json under `studies_dir` (one level down), each with `folder` (its directory's name) added."""
    studies = []
    for path in sorted(Path(studies_dir).glob(f"*/{STUDY_FILE}")):
        data = read_json(path)
        if not _well_formed(data):
            raise UserError(f"{path} is not a proxy study's {STUDY_FILE} (written by `ganas-bench study proxy`)")
        studies.append({**data, "folder": path.parent.name})
    return studies


REQUIRED = {"space": str, "profile": str, "n": int, "architectures_used": int, "train_seeds": int, "train_iters": int,
            "proxy_samples": int, "budget_d_steps": int, "n_fake": int, "architectures": list,
            "kendall_tau": dict, "spearman_rho": dict}


def _well_formed(data) -> bool:
    """Every field the table reads, of its type; each correlation with value, ci95 and p_value; each architecture
    with proxy and fid."""
    if not isinstance(data, dict) or not all(isinstance(data.get(k), t) for k, t in REQUIRED.items()):
        return False
    stats_ok = all(isinstance(data[k].get("ci95"), list) and len(data[k]["ci95"]) == 2
                   and {"value", "p_value"} <= data[k].keys() for k in ("kendall_tau", "spearman_rho"))
    return stats_ok and all(isinstance(a, dict) and "proxy" in a and isinstance(a.get("fid"), list)
                            for a in data["architectures"])


def interval_text(stat: dict | None) -> str:
    """"value [low, high], p=..." of one rank correlation."""
    if not stat:
        return ""
    low, high = stat["ci95"]
    if not _finite(stat["value"], low, high, stat["p_value"]):
        return f"{stat['value']:+.2f} (no interval: too few architectures)"
    return f"{stat['value']:+.2f} [{low:+.2f}, {high:+.2f}], p={stat['p_value']:.2g}"


def _finite(*values) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def verdict(study: dict) -> str:
    """An agreement is called only when Kendall's tau has p < 0.05 and its 95% bootstrap interval excludes 0;
    otherwise the text says which of the two failed, and whether Spearman's rho alone would have called it (weak
    evidence, not a finding)."""
    tau, rho = study["kendall_tau"], study["spearman_rho"]
    n = study["architectures_used"]
    if not _finite(tau["value"], *tau["ci95"], tau["p_value"]):
        return f"too few architectures to tell (n={n})"
    if _called(tau):
        direction = "ranks architectures as training them alone does" if tau["ci95"][0] > 0 else \
            "ranks architectures in reverse of training them alone"
        return f"the proxy {direction} (Kendall's tau {tau['value']:+.2f}, p={tau['p_value']:.2g}, interval " \
               f"excludes 0, n={n})"
    reasons = ([f"p={tau['p_value']:.2g}"] if tau["p_value"] >= 0.05 else []) + \
        (["its 95% interval includes 0"] if tau["ci95"][0] <= 0 <= tau["ci95"][1] else [])
    text = f"no agreement called at n={n} (Kendall's tau {tau['value']:+.2f}: {' and '.join(reasons)})"
    if _finite(rho["value"], *rho["ci95"], rho["p_value"]) and _called(rho):
        text += (f"; Spearman's rho ({rho['value']:+.2f}, p={rho['p_value']:.2g}, interval excludes 0) alone would "
                 "call it: weak evidence, not a finding")
    return text


def _called(stat: dict) -> bool:
    low, high = stat["ci95"]
    return stat["p_value"] < 0.05 and (low > 0 or high < 0)


def proxy_pick(study: dict) -> str:
    """Where the architecture the proxy scores best lands by stand-alone FID (mean over training seeds; a diverged
    training counts as the worst): what a search that trusts the proxy would have picked."""
    rows = [a for a in study["architectures"] if a["proxy"] is not None and math.isfinite(a["proxy"])]
    if not rows:
        return ""

    def mean_fid(a: dict) -> float:
        return math.inf if any(f is None for f in a["fid"]) else sum(a["fid"]) / len(a["fid"])

    best = max(rows, key=lambda a: a["proxy"])
    rank = 1 + sum(mean_fid(a) < mean_fid(best) for a in rows)
    shown = "diverged" if math.isinf(mean_fid(best)) else f"FID {mean_fid(best):.1f}"
    return f"{shown}, rank {rank} of {len(rows)}"


def readme_text(studies: list[dict], profile: str, studies_dir: str = "results/studies") -> str:
    """The studies of `profile` as Markdown (one row per space; several studies of a space each get a row)."""
    mine = sorted((s for s in studies if s["profile"] == profile), key=lambda s: (s["space"], s["folder"]))
    lines = [f"#### Profile `{profile}`: does the weight-sharing proxy rank architectures like training them alone?", ""]
    if not mine:
        return "\n".join(lines + [f"No proxy study of profile `{profile}` has been committed yet.", ""])
    table = pd.DataFrame([{
        "space": s["space"],
        "architectures": f"{s['architectures_used']} of {s['n']}" + (
            f" ({s['proxy_failed']} failed the proxy)" if s.get("proxy_failed") else ""),
        "trainings": f"{s['train_seeds']} seeds x {s['train_iters']} G iterations"
                     + (f", {s['trainings_diverged']} diverged" if s.get("trainings_diverged") else ""),
        "Kendall tau [95% CI]": interval_text(s["kendall_tau"]),
        "Spearman rho [95% CI]": interval_text(s["spearman_rho"]),
        "seed vs seed rho [95% CI]": interval_text((s.get("training_seed_agreement") or {}).get("spearman_rho")),
        "proxy's pick": proxy_pick(s),
    } for s in mine])
    lines += [markdown(table), ""]
    lines += [f"- {s['space']}: {verdict(s)}." for s in mine]
    lines += [""] + [f"![proxy vs stand-alone FID, {s['space']}]({studies_dir}/{s['folder']}/{PLOT_FILE})"
                     for s in mine]
    first = mine[0]
    lines += ["", f"- Proxy: IS of the shared supernet G set to each architecture ({first['proxy_samples']:,} samples), "
              f"after the weight-sharing training of the random strategy ({first['budget_d_steps']:,} D steps of "
              "uniformly drawn architectures), exactly as the strategies rank candidates. Stand-alone: each "
              "architecture trained from scratch with the profile's recipe cut short, FID of "
              f"{first['n_fake']:,} samples ({first.get('backbone', 'backbone not recorded')}), mean over the "
              "training seeds.",
              "- tau and rho are of (proxy score, -FID): +1 is the proxy ordering architectures exactly as training "
              "them does, 0 is no relation. 95% intervals: bootstrap over architectures (scipy.stats.bootstrap, "
              "paired, percentile, 2,000 resamples, seeded); p: scipy's test of no association. A training that "
              "diverged ranks below every FID; an architecture the proxy could not score is left out.",
              "- Verdict: an agreement is called only when Kendall's tau has p < 0.05 and its 95% interval excludes 0 "
              "(the matrix's rule for differences); tau is the primary statistic, rho is shown beside it.",
              "- seed vs seed rho: the Spearman agreement between the two training seeds' FIDs over the same "
              "architectures: how well one training ranks architectures for another, a rough ceiling for any "
              "proxy at this training budget.",
              "- proxy's pick: the stand-alone FID of the architecture the proxy scores best, and its rank among the "
              "study's architectures (1 is the best by training): what a search that trusts the proxy would pick.", ""]
    return "\n".join(lines)


def write_readme_tables(studies_dir: str | Path) -> list[Path]:
    """`readme_<profile>.md` in `studies_dir` for every profile with a study there; returns the files written."""
    from ..runs.rundir import atomic_write_bytes

    studies = load_studies(studies_dir)
    written = []
    for profile in sorted({s["profile"] for s in studies}):
        path = Path(studies_dir) / f"readme_{profile}.md"
        atomic_write_bytes(path, readme_text(studies, profile).encode())
        written.append(path)
    return written

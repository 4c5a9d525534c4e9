"""`ganas-bench tables`: our runs beside the published numbers, as Markdown, CSV and LaTeX, plus plots.

Built only from run directories (layout in results.py) and results/published.csv. Written into out_dir:
- `dataset_<cifar10|stl10|digits>.{md,csv,tex}`: every published row and every finished run on that dataset, each number
  with its n_fake, n_real, reference split and backbone. A run that reproduces a published method (see published.py)
  sits right under the claim, with ours - claim.
- `matrix.{md,csv,tex}`: the strategy x space matrix of search runs, per profile, seeds grouped.
- `leaderboard_tiny.{md,csv,tex}`: tiny-profile groups sorted by FID, one section per evaluation protocol.
  Search-only runs (metrics.json without final numbers) appear in the matrix with their search cost, not here nor in
  the dataset tables.
- `failed_runs.{md,csv,tex}`: failed runs (with run.json's reason) and partial runs (no metrics.json).
- `fid_vs_search_cost_<dataset>`, `search_curves_<profile>`, `entropy_<profile>`, `samples_<profile>` (.png and .pdf).
- `index.md`: what each file holds.

Choices:
- Grouping: runs with the same profile, command, strategy, space, architecture and config apart from the seed and file
  locations (results_dir, data_root, download, inception_weights) form one group, split further by cost unit (a CPU run
  and a GPU run of one config are never averaged). A group's "mean ± std" is over seeds, std with ddof 1; a single
  seed shows no std. In the per-dataset tables a run's "IS ± std" is, as in the papers, the spread over 10 splits.
- Costs: device-hours as recorded (GPU-hours on a GPU, CPU-core-hours on a CPU) and the same divided by 24 in the
  matching day unit (GPU-days, CPU-core-days). CPU time is never relabelled as GPU time.
- Protocols: a row whose image size, n_fake, n_real, reference split or backbone differs from the reference (the papers'
  protocol on CIFAR-10 / STL-10, the most common protocol among the rows on digits) says so in its `protocol` column;
  unknown fields are named as not stated. inception-v3-compat counts as the TensorFlow Inception (published.py).
- Leaderboard sections are per protocol: FIDs on different sample counts or backbones are not ranked together.
Outputs are byte-identical for identical inputs; files of an earlier call that this call did not write are removed.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import plots
from .config import profile_defaults
from .errors import UserError
from .published import PAPER_PROTOCOL, TF_INCEPTION_EQUIVALENT, gpu_days, load_published, reproduced_claim
from .runs.rundir import RunDir, atomic_write_bytes

TABLE_DATASETS = ("cifar10", "stl10", "digits")
DATASET_TITLES = {"cifar10": "CIFAR-10", "stl10": "STL-10", "digits": "digits (tiny and smoke profiles)"}
PROTOCOL_FIELDS = ("image_size", "n_fake", "n_real", "reference_split", "backbone")
# Config fields that do not change what a run computes: they never split a group.
_NOT_EXPERIMENT = ("seed", "results_dir", "data_root", "download", "inception_weights")
# Names of the files write_tables owns in out_dir; any other file there is left alone.
_OWNED_NAME = re.compile(r"^(?:(?:dataset_\w+|matrix|leaderboard_tiny|failed_runs)\.(?:md|csv|tex)"
                         r"|(?:fid_vs_search_cost|search_curves|entropy|samples)_[\w.-]+\.(?:png|pdf)|index\.md)$")
_LATEX_SYMBOLS = {"±": r"$\pm$", "×": r"$\times$"}
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}

_NOTE_BACKBONE = ("inception-v3-compat is torch-fidelity's port of the TensorFlow Inception used by the papers (IS within "
                  "~1e-3, FID within ~1e-6 relative error); digits-classifier numbers are not comparable with Inception ones.")
_NOTE_COST = ("Costs are device time as recorded: GPU-hours (= /24 GPU-days) on a GPU, CPU-core-hours (= /24 CPU-core-days) "
              "on a CPU; a CPU-core-day is not a GPU-day.")
_NOTE_STATUS = ("status carries the reference sheet's doubts: 'unverified', 'means verified, std unverified', "
                "'cost unverified'; hand-crafted baselines are as printed in AutoGAN's tables with their protocol not stated.")


# ---------------------------------------------------------------------------------------------------------- run loading
@dataclass
class RunRecord:
    """What one run directory holds, read leniently: a broken file makes the run partial, never stops the tables."""

    id: str
    path: Path
    state: str  # "finished" | "failed" | "partial"
    reason: str
    info: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    arch: dict = field(default_factory=dict)
    curve: list = field(default_factory=list)
    last_event: str = ""


def load_runs(runs_dir: Path) -> list[RunRecord]:
    """Every directory under runs_dir holding a run.json, in path order; a missing runs_dir holds no runs."""
    runs_dir = Path(runs_dir)
    if not runs_dir.exists():
        return []
    if not runs_dir.is_dir():
        raise UserError(f"runs folder {str(runs_dir)!r} is a file; expected a folder of run directories (results/runs)")
    return [_load_run(p.parent, runs_dir) for p in sorted(runs_dir.rglob("run.json"))]


def _load_run(path: Path, root: Path) -> RunRecord:
    problems: list[str] = []

    def read(name: str) -> dict | None:
        file = path / name
        if not file.is_file():
            return None
        try:
            data = json.loads(file.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{name} unreadable ({type(exc).__name__})")
            return None
        if not isinstance(data, dict):
            problems.append(f"{name} holds {type(data).__name__}, not an object")
            return None
        return data

    info, config, arch, search, metrics = (read(n) for n in
                                           ("run.json", "config.json", "arch.json", "search.json", "metrics.json"))
    curve = search.get("curve") if search and isinstance(search.get("curve"), list) else []
    last_event = _last_event(path / "events.jsonl")
    status = (info or {}).get("status")
    if status == "failed":
        state, reason = "failed", str(info.get("reason") or "failed; run.json records no reason")
    elif info is not None and metrics is not None:
        state, reason = "finished", ""
    else:
        state = "partial"
        missing = [] if (path / "metrics.json").is_file() else ["no metrics.json"]
        parts = missing + problems + ([_running_text(path)] if status == "running" else
                                      [f"run.json status {status!r}"] if status else [])
        reason = "; ".join(parts + ([f"last event {last_event}"] if last_event else []))
    return RunRecord(id=path.relative_to(root).as_posix(), path=path, state=state, reason=reason, info=info or {},
                     config=config or {}, metrics=metrics or {}, arch=arch or {}, curve=curve, last_event=last_event)


def _running_text(path: Path) -> str:
    """run.json says "running": is a process on it, or was it killed (nothing can record a SIGKILL)?"""
    held = RunDir(path).held_elsewhere()
    if held:
        return "still running (a ganas-bench process holds its lock)"
    if held is False:
        return f"interrupted: status 'running' but no process holds its lock; --resume {path} continues it"
    return "run.json status 'running' (whether a process is still on it cannot be told here)"


def _last_event(path: Path) -> str:
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    for line in reversed(lines):  # an interrupted write leaves at most the last line torn
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "event" in row:
            return f"{row['event']!r} at t={row.get('t')} s"
    return ""


# ------------------------------------------------------------------------------------------------------ flat run rows
def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def run_row(rec: RunRecord) -> dict[str, Any]:
    """One flat row per run: identity, metrics with their protocol, parameters, costs, group keys."""
    info, cfg, m, arch = rec.info, rec.config, rec.metrics, rec.arch
    genotype = arch.get("genotype") if isinstance(arch.get("genotype"), dict) else {}
    strategy = _text(info.get("strategy"))
    space = _text(info.get("space") or genotype.get("space"))
    arch_name = _text(info.get("arch_name") or arch.get("arch_name"))
    arch_hash = _text(arch.get("hash"))
    profile = _text(info.get("profile") or cfg.get("profile"))
    seed = info.get("seed", cfg.get("seed"))
    search_only = bool(info.get("search_only") or m.get("search_only"))
    if strategy:
        label = f"{strategy} × {space}" + (" (search only)" if search_only else "")
    elif arch_name:
        label = f"train {arch_name}"
    elif arch_hash:
        label = f"train {space}:{arch_hash[:8]}"
    else:
        label = _text(info.get("command")) or "unknown"
    experiment = {k: v for k, v in cfg.items() if k not in _NOT_EXPERIMENT}
    config_hash = hashlib.sha256(json.dumps(experiment, sort_keys=True).encode()).hexdigest()[:10] if cfg else ""
    row = {
        "id": rec.id, "state": rec.state, "reason": rec.reason, "command": _text(info.get("command")),
        "strategy": strategy, "space": space, "arch_name": arch_name, "label": label, "search_only": search_only,
        "profile": profile,
        "seed": int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else -1,
        "variant": _variant(cfg, profile, config_hash), "config_hash": config_hash,
        "started": _text(info.get("started")), "ended": _text(info.get("ended")), "last_event": rec.last_event,
        "dataset": _text(m.get("dataset") or cfg.get("dataset")),
        "image_size": _number(m.get("image_size", cfg.get("image_size"))),
        "genotype": f"{space}:{'-'.join(map(str, genotype.get('choices', [])))}" if genotype else "",
        "arch_hash": arch_hash, "params_g": _number(arch.get("params_g")), "params_d": _number(arch.get("params_d")),
    }
    for key in ("is_mean", "is_std", "fid", "kid_mean", "kid_std", "n_fake", "n_real"):
        row[key] = _number(m.get(key))
    row["reference_split"] = _text(m.get("reference_split"))
    row["backbone"] = _text(m.get("backbone"))
    untrained = m.get("untrained") if isinstance(m.get("untrained"), dict) else {}
    row["untrained_fid"] = _number(untrained.get("fid"))
    search = m.get("search") if isinstance(m.get("search"), dict) else {}
    for key in ("resets", "resets_diverged", "failed_candidates"):
        row[key] = _number(search.get(key))
    costs = m.get("cost") if isinstance(m.get("cost"), dict) else {}
    for part in ("search", "train", "eval", "total"):
        cost = costs.get(part) if isinstance(costs.get(part), dict) else {}
        row[f"{part}_hours"] = _number(cost.get("device_hours"))
        row[f"{part}_unit"] = _text(cost.get("unit"))
        row[f"{part}_device"] = _text(cost.get("device"))
    return row


def _variant(cfg: dict, profile: str, config_hash: str) -> str:
    """The config fields that differ from the profile's defaults, e.g. "train_iters=3000"; "defaults" if none."""
    if not cfg:
        return "config unknown"
    try:
        defaults = profile_defaults(profile).to_dict()
    except UserError:
        return f"config {config_hash} (profile {profile!r} unknown)"
    diffs = [f"{k}={_short(v)}" for k, v in sorted(cfg.items())
             if k not in _NOT_EXPERIMENT and k != "profile" and defaults.get(k, object()) != v]
    return ", ".join(diffs) or "defaults"


def _short(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


RUN_COLUMNS = tuple(run_row(RunRecord("", Path("."), "partial", "")))


def runs_frame(records: list[RunRecord]) -> pd.DataFrame:
    return pd.DataFrame([run_row(r) for r in records], columns=list(RUN_COLUMNS))


# ------------------------------------------------------------------------------------------------------------ helpers
def _fmt(value: Any, digits: int) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _pm(mean: float, std: float, digits: int) -> str:
    text = _fmt(mean, digits)
    return f"{text} ± {_fmt(std, digits)}" if text and not math.isnan(std) else text


def _sig(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.3g}"


def _days(hours: float, unit: str) -> tuple[float, str]:
    """Device-hours in the matching day unit (GPU-hours -> GPU-days, CPU-core-hours -> CPU-core-days)."""
    if math.isnan(hours) or not unit.endswith("-hours"):
        return math.nan, ""
    return hours / 24.0, unit[: -len("-hours")] + "-days"


def _cost_text(hours: float, unit: str) -> str:
    days, day_unit = _days(hours, unit)
    if math.isnan(days):
        return ""
    return f"{_sig(hours)} {unit} = {_sig(days)} {day_unit}"


def _count(value: float) -> str:
    return "" if math.isnan(value) else f"{int(value):,}"


def _csv_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _same(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _known(value: Any) -> bool:
    return not (value is None or value == "" or (isinstance(value, float) and math.isnan(value)))


def protocol_note(values: dict, reference: dict, reference_name: str) -> str:
    """What in a row's protocol differs from the reference, and what the row's source does not state."""
    differ, unknown = [], []
    for name in PROTOCOL_FIELDS:
        value, ref = values.get(name), reference.get(name)
        if not _known(value):
            unknown.append(name)
        elif not _known(ref) or _same(value, ref):
            continue
        elif name == "backbone" and value in TF_INCEPTION_EQUIVALENT and ref in TF_INCEPTION_EQUIVALENT:
            continue
        else:
            differ.append(f"{name} {_csv_value(_maybe_float(value))} ({reference_name}: {_csv_value(_maybe_float(ref))})")
    if len(unknown) == len(PROTOCOL_FIELDS):
        return "not stated"
    parts = differ + ([f"not stated: {', '.join(unknown)}"] if unknown else [])
    return "; ".join(parts) if parts else f"as {reference_name}"


def _maybe_float(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _protocol_values(row: Any) -> dict:
    return {name: row[name] for name in PROTOCOL_FIELDS}


def _protocol_key(row: Any) -> tuple:
    return tuple(_csv_value(row[name]) for name in PROTOCOL_FIELDS)


def reference_protocol(dataset: str, rows: pd.DataFrame) -> tuple[dict, str]:
    """The protocol rows are compared against, and its name: the papers' on CIFAR-10 / STL-10, else the commonest one."""
    if dataset in PAPER_PROTOCOL:
        return PAPER_PROTOCOL[dataset], "paper"
    keys = Counter(_protocol_key(r) for _, r in rows.iterrows())
    if not keys:
        return {}, "most rows"
    commonest = sorted(keys.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return dict(zip(PROTOCOL_FIELDS, commonest)), "most rows"


def _protocol_title(key: tuple) -> str:
    return ", ".join(f"{n} {v or 'not stated'}" for n, v in zip(PROTOCOL_FIELDS, key))


# ------------------------------------------------------------------------------------------------------------- groups
def group_runs(runs: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Finished runs grouped over seeds (see the module docstring), with counts of unfinished runs of the same group."""
    done = runs[runs["state"] == "finished"]
    not_done = runs[runs["state"] != "finished"]
    unfinished = Counter(zip(not_done["profile"], not_done["label"], not_done["config_hash"]))
    rows = []
    keys = ["profile", "label", "config_hash", "total_unit"]
    for _, g in done.groupby(keys, sort=True):
        g = g.sort_values(["seed", "id"])
        first = g.iloc[0]
        row = {k: first[k] for k in ("profile", "label", "command", "strategy", "space", "arch_name", "search_only",
                                     "variant", "config_hash", "dataset", "total_unit", "search_unit")}
        row.update(seeds=len(g), seed_list=",".join(str(s) for s in g["seed"]), run_ids=";".join(g["id"]))
        for col, name in (("fid", "fid"), ("is_mean", "is"), ("kid_mean", "kid"), ("search_hours", "search_hours"),
                          ("total_hours", "total_hours")):
            row[f"{name}_mean"] = _mean(g[col])
            row[f"{name}_sd"] = _sd(g[col])
        row["untrained_fid_mean"] = _mean(g["untrained_fid"])
        for col in ("resets", "resets_diverged", "failed_candidates"):  # totals over the group's seeds
            kept = g[col].dropna()
            row[col] = int(kept.sum()) if len(kept) else math.nan
        row["params_g_range"] = _range(g["params_g"])
        row["device"] = "; ".join(sorted({d for d in g["total_device"] if d}))
        for name in PROTOCOL_FIELDS:
            values = sorted({_csv_value(v) for v in g[name]})
            row[name] = values[0] if len(values) == 1 else " / ".join(values)
        row["unfinished"] = unfinished.get((first["profile"], first["label"], first["config_hash"]), 0)
        claim = reproduced_claim(published, row["dataset"], row["space"], row["strategy"], row["arch_name"])
        row["reproduces"] = "" if claim is None else claim["method"]
        row["d_fid"] = row["fid_mean"] - float(claim["fid"]) if claim is not None and claim["fid"] else math.nan
        row["d_is"] = row["is_mean"] - float(claim["is_mean"]) if claim is not None and claim["is_mean"] else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _mean(values: pd.Series) -> float:
    kept = values.dropna()
    return float(kept.mean()) if len(kept) else math.nan


def _sd(values: pd.Series) -> float:
    kept = values.dropna()
    return float(kept.std(ddof=1)) if len(kept) > 1 else math.nan


def _range(values: pd.Series) -> str:
    kept = sorted({int(v) for v in values.dropna()})
    if not kept:
        return ""
    return f"{kept[0]:,}" if len(kept) == 1 else f"{kept[0]:,}-{kept[-1]:,}"


def _claim_text(d_fid: float, d_is: float, method: str) -> str:
    parts = [f"FID {d_fid:+.2f}" if not math.isnan(d_fid) else "", f"IS {d_is:+.2f}" if not math.isnan(d_is) else ""]
    parts = [p for p in parts if p]
    return f"{', '.join(parts)} vs {method}" if parts and method else ""


# ---------------------------------------------------------------------------------------------- a. per-dataset tables
_DATASET_CSV = ("source", "method", "run_id", "status", "variant", "seed", "dataset", "image_size", "is_mean", "is_std",
                "fid", "fid_std", "kid_mean", "kid_std", "params_g", "search_cost", "search_cost_unit", "search_cost_days",
                "search_cost_days_unit", "total_cost", "total_cost_unit", "device", "n_fake", "n_real", "reference_split",
                "backbone", "protocol", "reproduces", "d_fid", "d_is", "notes")


def dataset_table(dataset: str, published: pd.DataFrame, runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(CSV frame, display frame, reference protocol) for one dataset: claims, each followed by its reproductions."""
    pub = published[published["dataset"] == dataset]
    ours = runs[(runs["state"] == "finished") & (runs["dataset"] == dataset) & ~runs["search_only"].astype(bool)]
    ours = ours.sort_values(["label", "variant", "seed", "id"])
    reference, ref_name = reference_protocol(dataset, ours)
    claim_of = {}
    for _, r in ours.iterrows():
        claim = reproduced_claim(published, dataset, r["space"], r["strategy"], r["arch_name"])
        claim_of[r["id"]] = None if claim is None else claim.name
    entries = []
    for index, p in pub.iterrows():
        entries.append(_published_entry(p, reference, ref_name))
        entries += [_our_entry(r, reference, ref_name, p) for _, r in ours.iterrows() if claim_of[r["id"]] == index]
    entries += [_our_entry(r, reference, ref_name, None) for _, r in ours.iterrows() if claim_of[r["id"]] is None]
    csv = pd.DataFrame([e[0] for e in entries], columns=list(_DATASET_CSV))
    display = pd.DataFrame([e[1] for e in entries], columns=list(_DATASET_DISPLAY))
    return csv, display, reference


_DATASET_DISPLAY = ("source", "method", "run", "status", "IS", "FID", "KID", "params G", "search cost", "total cost",
                    "device", "n_fake", "n_real", "split", "backbone", "protocol", "vs claim", "notes")


def _published_entry(p: pd.Series, reference: dict, ref_name: str) -> tuple[dict, dict]:
    days = gpu_days(p["search_cost"], p["search_cost_unit"])
    protocol = protocol_note(_protocol_values(p), reference, ref_name)
    csv = {c: p[c] for c in ("method", "status", "dataset", "image_size", "is_mean", "is_std", "fid", "fid_std",
                             "params_g", "search_cost", "search_cost_unit", "device", "n_fake", "n_real",
                             "reference_split", "backbone", "notes")}
    csv.update(source="published", search_cost_days=_csv_value(days), search_cost_days_unit="GPU-days" if days else "",
               protocol=protocol)
    cost = ""
    if p["search_cost"]:
        cost = f"{p['search_cost']} {p['search_cost_unit']}"
        if p["search_cost_unit"] != "GPU-days":
            cost += f" = {_sig(days)} GPU-days"
    display = {
        "source": "published", "method": p["method"], "run": "", "status": p["status"],
        "IS": f"{p['is_mean']} ± {p['is_std']}" if p["is_mean"] and p["is_std"] else p["is_mean"],
        "FID": f"{p['fid']} ± {p['fid_std']}" if p["fid"] and p["fid_std"] else p["fid"], "KID": "",
        "params G": _count(float(p["params_g"] or "nan")), "search cost": cost, "total cost": "",
        "device": p["device"], "n_fake": _count(float(p["n_fake"] or "nan")),
        "n_real": _count(float(p["n_real"] or "nan")), "split": p["reference_split"],
        "backbone": p["backbone"], "protocol": protocol, "vs claim": "", "notes": p["notes"],
    }
    return csv, display


def _our_entry(r: pd.Series, reference: dict, ref_name: str, claim: pd.Series | None) -> tuple[dict, dict]:
    protocol = protocol_note(_protocol_values(r), reference, ref_name)
    days, day_unit = _days(r["search_hours"], r["search_unit"])
    d_fid = r["fid"] - float(claim["fid"]) if claim is not None and claim["fid"] else math.nan
    d_is = r["is_mean"] - float(claim["is_mean"]) if claim is not None and claim["is_mean"] else math.nan
    method = "" if claim is None else claim["method"]
    notes = "" if r["variant"] == "defaults" else f"config: {r['variant']}"
    csv = {
        "source": "ours", "method": r["label"], "run_id": r["id"], "status": r["state"], "variant": r["variant"],
        "seed": r["seed"], "dataset": r["dataset"], "search_cost": r["search_hours"], "search_cost_unit": r["search_unit"],
        "search_cost_days": days, "search_cost_days_unit": day_unit, "total_cost": r["total_hours"],
        "total_cost_unit": r["total_unit"], "device": r["total_device"] or r["search_device"], "protocol": protocol,
        "reproduces": method, "d_fid": d_fid, "d_is": d_is, "notes": notes,
        **{k: r[k] for k in ("image_size", "is_mean", "is_std", "fid", "kid_mean", "kid_std", "params_g", "n_fake", "n_real",
                             "reference_split", "backbone")},
    }
    display = {
        "source": "ours", "method": r["label"], "status": r["state"],
        "run": f"{r['id']} (seed {r['seed'] if r['seed'] >= 0 else 'unknown'})",
        "IS": _pm(r["is_mean"], r["is_std"], 2), "FID": _fmt(r["fid"], 2), "KID": _pm(r["kid_mean"], r["kid_std"], 4),
        "params G": _count(r["params_g"]),
        "search cost": _cost_text(r["search_hours"], r["search_unit"]) or ("none (given architecture)"
                                                                            if not r["strategy"] else ""),
        "total cost": _cost_text(r["total_hours"], r["total_unit"]), "device": csv["device"],
        "n_fake": _count(r["n_fake"]), "n_real": _count(r["n_real"]), "split": r["reference_split"],
        "backbone": r["backbone"], "protocol": protocol, "vs claim": _claim_text(d_fid, d_is, method), "notes": notes,
    }
    return {k: _csv_value(v) for k, v in csv.items()}, display


# ------------------------------------------------------------------------------------------------ b. matrix, c. board
_MATRIX_CSV = ("profile", "strategy", "space", "search_only", "variant", "config_hash", "dataset", "seeds", "seed_list", "fid_mean", "fid_sd",
               "is_mean", "is_sd", "kid_mean", "kid_sd", "params_g_range", "search_hours_mean",
               "search_unit", "total_hours_mean", "total_unit", "device", "image_size", "n_fake", "n_real",
               "reference_split", "backbone", "unfinished", "reproduces", "d_fid", "d_is", "untrained_fid_mean",
               "resets", "resets_diverged", "failed_candidates", "run_ids")


_BOARD_CSV = ("protocol", "rank", "label", "arch_name", *_MATRIX_CSV[1:])


def _count_text(value: Any) -> str:
    """A whole count; "" when the runs did not record it (older runs, or a strategy without that notion)."""
    return "" if not _known(value) else str(int(value))


def _resets_text(g: pd.Series) -> str:
    if not _known(g["resets"]):
        return ""
    return f"{int(g['resets'])} ({_count_text(g['resets_diverged']) or '?'})"


def _group_display(g: pd.Series) -> dict:
    return {
        "seeds": f"{g['seeds']} ({g['seed_list']})",
        "FID (mean ± sd over seeds)": _pm(g["fid_mean"], g["fid_sd"], 2),
        "FID untrained (mean)": _fmt(g["untrained_fid_mean"], 1),
        "IS (mean ± sd over seeds)": _pm(g["is_mean"], g["is_sd"], 2),
        "KID (mean ± sd over seeds)": _pm(g["kid_mean"], g["kid_sd"], 4),
        "params G": g["params_g_range"],
        "search cost (mean)": _cost_text(g["search_hours_mean"], g["search_unit"]),
        "total cost (mean)": _cost_text(g["total_hours_mean"], g["total_unit"]),
        "device": g["device"], "n_fake": g["n_fake"], "n_real": g["n_real"], "split": g["reference_split"],
        "backbone": g["backbone"], "image size": g["image_size"],
    }


def matrix_sections(groups: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, pd.DataFrame]]]:
    """The strategy x space matrix of search runs: per profile, a pivot (cells FID / IS / seeds) and the long table."""
    search = groups[groups["strategy"] != ""] if len(groups) else groups
    sections = []
    for profile, g in (search.groupby("profile", sort=True) if len(search) else []):
        spaces = sorted(set(g["space"]))
        cells: dict[str, dict[str, list[str]]] = {}
        for _, r in g.iterrows():
            row = (r["strategy"] + (" (search only)" if r["search_only"] else "")
                   + ("" if r["variant"] == "defaults" else f" [{r['variant']}]"))
            cell = (f"FID {_pm(r['fid_mean'], r['fid_sd'], 2)}; IS {_pm(r['is_mean'], r['is_sd'], 2)}; "
                    f"n={r['seeds']}" + (f"; on {r['total_unit'].split('-')[0]}" if r["total_unit"] else ""))
            cells.setdefault(row, {}).setdefault(r["space"], []).append(cell)
        pivot = pd.DataFrame([{"strategy": row, **{s: " / ".join(cells[row].get(s, [])) for s in spaces}}
                              for row in sorted(cells)], columns=["strategy", *spaces])
        long = pd.DataFrame([{"strategy": r["strategy"], "space": r["space"], "variant": r["variant"],
                              "dataset": r["dataset"], **_group_display(r), "unfinished runs": str(r["unfinished"]),
                              "supernet resets (of them NaN/Inf)": _resets_text(r),
                              "failed candidates": _count_text(r["failed_candidates"]),
                              "vs claim": _claim_text(r["d_fid"], r["d_is"], r["reproduces"])}
                             for _, r in g.iterrows()])
        sections.append((f"profile {profile}: strategy x space (FID / IS mean ± sd over seeds)", pivot))
        sections.append((f"profile {profile}: every group", long))
    return _csv_frame(search, _MATRIX_CSV), sections


def leaderboard_sections(groups: pd.DataFrame, profile: str = "tiny") -> tuple[pd.DataFrame, list[tuple[str, pd.DataFrame]]]:
    """Groups of one profile sorted by mean FID, ranked within each evaluation protocol."""
    board = groups[(groups["profile"] == profile) & ~groups["search_only"].astype(bool)].copy() if len(groups) else groups
    if not len(board):
        return _csv_frame(board, _BOARD_CSV), []
    board["protocol"] = [_protocol_title(_protocol_key(r)) for _, r in board.iterrows()]
    board["fid_sort"] = board["fid_mean"].fillna(math.inf)
    board = board.sort_values(["protocol", "fid_sort", "label", "variant", "config_hash"])
    board["rank"] = board.groupby("protocol").cumcount() + 1
    sections = []
    for protocol, g in board.groupby("protocol", sort=True):
        table = pd.DataFrame([{"rank": str(r["rank"]), "entry": r["label"], "variant": r["variant"],
                               **{k: v for k, v in _group_display(r).items()
                                  if k not in ("n_fake", "n_real", "split", "backbone", "image size")}}
                              for _, r in g.iterrows()])
        sections.append((f"protocol: {protocol}", table))
    return _csv_frame(board, _BOARD_CSV), sections


def _csv_frame(frame: pd.DataFrame, columns: tuple) -> pd.DataFrame:
    rows = [{c: _csv_value(r[c]) for c in columns} for _, r in frame.iterrows()] if len(frame) else []
    return pd.DataFrame(rows, columns=list(columns))


# -------------------------------------------------------------------------------------------------- d. failed/partial
_FAILED_COLUMNS = ("id", "state", "reason", "command", "label", "profile", "seed", "last_event", "started", "ended")


def failed_table(runs: pd.DataFrame) -> pd.DataFrame:
    bad = runs[runs["state"] != "finished"].sort_values("id") if len(runs) else runs
    return _csv_frame(bad, _FAILED_COLUMNS)


# ------------------------------------------------------------------------------------------------------------ writing
def _markdown(frame: pd.DataFrame) -> str:
    if not len(frame):
        return "_No rows._"
    clean = frame.astype(str).apply(lambda col: col.str.replace("|", r"\|", regex=False).str.replace("\n", " "))
    return clean.to_markdown(index=False, disable_numparse=True)


def _tex_escape(text: str) -> str:
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


def _latex(frame: pd.DataFrame, caption: str) -> str:
    if not len(frame):
        return f"% {caption}: no rows\n"
    text = frame.astype(str).to_latex(index=False, escape=True, caption=_tex_escape(caption))
    for symbol, command in _LATEX_SYMBOLS.items():
        text = text.replace(symbol, command)
    return text


class _Writer:
    """Writes out_dir's files atomically and remembers their names."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.written: list[str] = []

    def text(self, name: str, text: str) -> None:
        atomic_write_bytes(self.out_dir / name, text.encode())
        self.written.append(name)

    def table(self, stem: str, title: str, sections: list[tuple[str, pd.DataFrame]], csv: pd.DataFrame,
              notes: list[str]) -> None:
        md = [f"# {title}", ""]
        tex = [f"% {title}", "% written by `ganas-bench tables`; needs \\usepackage{booktabs}", ""]
        for heading, frame in sections or [("", pd.DataFrame())]:
            if heading:
                md += [f"## {heading}", ""]
            md += [_markdown(frame), ""]
            tex += [_latex(frame, f"{title}: {heading}" if heading else title)]
        md += ["Notes:", *[f"- {n}" for n in notes], ""]
        self.text(f"{stem}.md", "\n".join(md))
        self.text(f"{stem}.tex", "\n".join(tex))
        self.text(f"{stem}.csv", csv.to_csv(index=False, lineterminator="\n"))

    def figure(self, paths: list[Path]) -> None:
        self.written += [p.name for p in paths]

    def remove_stale(self) -> list[str]:
        stale = sorted(p.name for p in self.out_dir.iterdir()
                       if p.is_file() and _OWNED_NAME.match(p.name) and p.name not in self.written)
        for name in stale:
            (self.out_dir / name).unlink()
        return stale


def write_tables(runs_dir: Path, published_csv: Path, out_dir: Path) -> dict:
    """Write every table and plot of the module docstring into out_dir.

    Returns {"out_dir", "files" (names written, sorted), "removed_stale" (names of an earlier call's files not written
    this time, deleted), "counts": {"published_rows", "runs", "finished", "failed", "partial", "groups"}}.
    """
    published = load_published(published_csv)
    records = load_runs(Path(runs_dir))
    runs = runs_frame(records)
    groups = group_runs(runs, published)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the tables folder {str(out_dir)!r}: {exc.strerror or exc}") from None
    w = _Writer(out_dir)
    datasets = _datasets(runs)
    for dataset in datasets:
        csv, display, reference = dataset_table(dataset, published, runs)
        ref_text = "the papers' protocol" if dataset in PAPER_PROTOCOL else "the most common protocol in this table"
        ref_key = tuple(_csv_value(reference.get(n)) for n in PROTOCOL_FIELDS)
        notes = [f"protocol column: differences from {ref_text}" + (f" ({_protocol_title(ref_key)})." if reference else "."),
                 "IS ± std of a run is the spread over 10 splits, as in the papers; vs claim = ours - published.",
                 _NOTE_BACKBONE, _NOTE_COST, _NOTE_STATUS]
        w.table(f"dataset_{_safe(dataset)}", f"{DATASET_TITLES.get(dataset, dataset)}: published numbers and our runs",
                [("", display)], csv, notes)

    matrix_csv, sections = matrix_sections(groups)
    w.table("matrix", "Strategy x space matrix of search runs", sections, matrix_csv,
            ["Groups: same profile, strategy, space and config apart from seed; mean ± sd over seeds (ddof 1).",
             "A row [in brackets] lists the config fields that differ from the profile's defaults.",
             "unfinished runs: failed or partial runs of the same group (see failed_runs.md).", _NOTE_COST])
    board_csv, sections = leaderboard_sections(groups, "tiny")
    w.table("leaderboard_tiny", "Tiny-profile leaderboard (by mean FID, lower is better)", sections, board_csv,
            ["Ranked within each evaluation protocol only: FIDs on different sample counts or backbones are not comparable.",
             "Groups: same strategy, space / architecture and config apart from seed; mean ± sd over seeds (ddof 1).",
             _NOTE_COST])
    failed = failed_table(runs)
    w.table("failed_runs", "Failed and partial runs", [("", failed)], failed,
            ["failed: run.json status 'failed' with its reason; partial: no (readable) metrics.json, e.g. interrupted."])

    _write_plots(w, published, runs, groups, records, datasets)
    w.text("index.md", _index(w.written))
    stale = w.remove_stale()
    counts = Counter(runs["state"])
    return {
        "out_dir": str(out_dir),
        "files": sorted(w.written),
        "removed_stale": stale,
        "counts": {"published_rows": len(published), "runs": len(runs), "finished": counts.get("finished", 0),
                   "failed": counts.get("failed", 0), "partial": counts.get("partial", 0), "groups": len(groups)},
    }


_INDEX = {
    "dataset_": "published numbers and our runs on one dataset, each with its protocol; reproductions under their claims",
    "matrix.": "strategy x space matrix of search runs per profile (mean ± sd over seeds, costs)",
    "leaderboard_tiny.": "tiny-profile leaderboard by FID, per evaluation protocol",
    "failed_runs.": "failed and partial runs with reasons",
    "fid_vs_search_cost_": "FID vs search cost (log x), published methods and our groups",
    "search_curves_": "search curves from search.json (reward / score / ...) per profile",
    "entropy_": "entropies recorded during search (e.g. per-edge alpha entropies of differentiable runs)",
    "samples_": "sample grids of finished runs per profile",
}


def _index(written: list[str]) -> str:
    lines = ["# ganas-bench tables", "", "Written by `ganas-bench tables` from run directories and results/published.csv.", ""]
    stems: dict[str, list[str]] = {}
    for name in sorted(written):
        stem, _, suffix = name.rpartition(".")
        stems.setdefault(stem, []).append(suffix)
    for stem, suffixes in stems.items():
        what = next((v for k, v in _INDEX.items() if f"{stem}.".startswith(k)), "")
        links = ", ".join(f"[{s}]({stem}.{s})" for s in suffixes)
        lines.append(f"- {stem} ({links}): {what}")
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------------------------------- plots
def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "unknown"


def _datasets(runs: pd.DataFrame) -> list[str]:
    """The three built-in datasets, then any other dataset a finished run used (a third-party data plug-in)."""
    used = set(runs.loc[runs["state"] == "finished", "dataset"]) - set(TABLE_DATASETS) - {""}
    return [*TABLE_DATASETS, *sorted(used)]


def _write_plots(w: _Writer, published: pd.DataFrame, runs: pd.DataFrame, groups: pd.DataFrame,
                 records: list[RunRecord], datasets: list[str]) -> None:
    for dataset in datasets:
        points, starred = _cost_points(dataset, published, groups)
        if len(points):
            title = f"{DATASET_TITLES.get(dataset, dataset)}: FID vs search cost"
            if starred:
                title += "\n* protocol differs from the reference (see the dataset table)"
            w.figure(plots.plot_fid_vs_search_cost(points, title, w.out_dir / f"fid_vs_search_cost_{_safe(dataset)}"))

    by_id = {r.id: r for r in records}
    for profile, g in (runs.groupby("profile", sort=True) if len(runs) else []):
        curves, seen = [], Counter()
        for _, r in g.sort_values(["label", "seed", "id"]).iterrows():
            curve = by_id[r["id"]].curve
            if curve:
                curves.append((r["label"], seen[r["label"]], curve))
                seen[r["label"]] += 1
        keys = sorted({k for _, _, c in curves for k in plots.curve_series(c)[2]})
        entropy = [k for k in keys if "entropy" in k]
        others = [k for k in keys if "entropy" not in k]
        if others:
            w.figure(plots.plot_curves(curves, others, f"profile {profile}: search curves (search.json)",
                                       w.out_dir / f"search_curves_{_safe(profile)}"))
        if entropy:
            w.figure(plots.plot_curves(
                curves, entropy, f"profile {profile}: entropies during search (search.json curve keys "
                                 "holding 'entropy', e.g. of the softmax over each edge's alphas)",
                w.out_dir / f"entropy_{_safe(profile)}"))
        finished = g[g["state"] == "finished"].sort_values(["label", "seed", "id"])
        items = [(f"{r['label']} seed {r['seed']}, FID {_fmt(r['fid'], 2)}\n{r['id']}", by_id[r["id"]].path / "samples.png")
                 for _, r in finished.iterrows() if (by_id[r["id"]].path / "samples.png").is_file()]
        if items:
            w.figure(plots.plot_sample_grid(items, f"profile {profile}: samples (EMA generator)",
                                            w.out_dir / f"samples_{_safe(profile)}"))


def _cost_points(dataset: str, published: pd.DataFrame, groups: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Points of the FID-vs-search-cost plot: published methods with both numbers, our groups with a search cost."""
    rows, starred = [], False
    for _, p in published[published["dataset"] == dataset].iterrows():
        days = gpu_days(p["search_cost"], p["search_cost_unit"])
        if p["fid"] and days:
            rows.append({"label": p["method"], "source": "published", "fid": float(p["fid"]),
                         "fid_std": float(p["fid_std"]) if p["fid_std"] else math.nan, "cost_days": days,
                         "cost_unit": "GPU-days", "verified": p["status"] == "verified"})
    ours = groups[groups["dataset"] == dataset] if len(groups) else groups
    reference, _ = reference_protocol(dataset, ours)
    for _, g in ours.iterrows():
        days, unit = _days(g["search_hours_mean"], g["search_unit"])
        if math.isnan(days) or days <= 0 or math.isnan(g["fid_mean"]):
            continue
        star = not protocol_note(_protocol_values(g), reference, "ref").startswith("as ")
        starred |= star
        variant = "" if g["variant"] == "defaults" else f" [{g['variant']}]"
        rows.append({"label": f"ours: {g['label']}{variant} (n={g['seeds']}){' *' if star else ''}", "source": "ours",
                     "fid": g["fid_mean"], "fid_std": g["fid_sd"], "cost_days": days, "cost_unit": unit,
                     "verified": True})
    return pd.DataFrame(rows), starred

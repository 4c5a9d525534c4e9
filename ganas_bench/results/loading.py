"""Run directories as a pandas DataFrame: one row per run directory (`load_runs`), one per re-evaluation
(`load_reevaluations`).

Reading is lenient: a missing or broken file never stops the loading, it makes the run partial and says why in the
`reason` column. Whether a run finished is decided by `runs.status` (the one rule shared with resume): a valid
metrics.json means finished, whatever run.json says; otherwise run.json's "failed" makes it failed, anything else
partial. Old runs (one evaluation seed, no `eval_sd`) and new ones (K evaluation z-seeds) load into the same columns:
`eval_k` is 1 and the evaluation sds are NaN for the old ones.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserError
from ..runs.identity import config_hash, experiment_hash
from ..runs.rundir import RunDir
from ..runs.status import read_metrics, valid_metrics
from . import keys as K
from .identity import flat_settings, group_id, run_label, variant

REEVAL_FILE = re.compile(r"^eval-(\d+)\.json$")
_RUN_FILES = ("run.json", "config.json", "arch.json", "search.json")


def load_runs(runs_dir: str | Path) -> pd.DataFrame:
    """Every directory under `runs_dir` holding a run.json, one row each, in path order (columns: `RUN_COLUMNS`).

    A missing runs_dir holds no runs; a runs_dir that is a file is a UserError.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.exists():
        paths = []
    elif not runs_dir.is_dir():
        raise UserError(f"runs folder {str(runs_dir)!r} is a file; expected a folder of run directories (results/runs)")
    else:
        paths = sorted(p.parent for p in runs_dir.rglob("run.json"))
    return _frame([_run_row(path, runs_dir) for path in paths])


def load_reevaluations(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per valid eval-<n>.json of a finished run (`ganas-bench eval RUN --n-fake N`).

    Each row is the run's row with the re-evaluation's scores and protocol in place of the final ones, its evaluation
    cost in the eval_* cost columns, and `evaluation` = "re-eval n_fake=<n>" (so it forms groups of its own).
    """
    rows = []
    finished = runs[runs[K.COL_STATE] == K.STATE_FINISHED] if len(runs) else runs
    for _, run in finished.iterrows():
        files = [p for p in Path(run[K.COL_PATH]).glob("eval-*.json") if REEVAL_FILE.match(p.name)]
        for path in sorted(files, key=lambda p: int(REEVAL_FILE.match(p.name).group(1))):
            scores = _json_object(path, [])
            if scores is None or not valid_metrics(scores) or scores.get(K.KEY_SEARCH_ONLY):
                continue
            n_fake = int(REEVAL_FILE.match(path.name).group(1))
            row = run.to_dict()
            row.update(_score_columns({K.KEY_N_FAKE: n_fake, **scores},
                                      fallback={k: run[k] for k in (K.KEY_DATASET, K.KEY_IMAGE_SIZE)}))
            row.update(_cost_columns("eval", _dict(scores.get(K.KEY_COST))))
            row[K.COL_EVALUATION] = f"re-eval n_fake={n_fake}"
            row[K.COL_GROUP] = group_id(row)
            rows.append(row)
    return _frame(rows)


# ------------------------------------------------------------------------------------------------------- one run dir
def _run_row(path: Path, root: Path) -> dict[str, Any]:
    problems: list[str] = []
    info, cfg, arch, search = (_json_object(path / name, problems) or {} for name in _RUN_FILES)
    metrics = read_metrics(path)
    if metrics is None and (path / "metrics.json").exists():
        problems.append("metrics.json unreadable or incomplete (not a valid result)")
    status = info.get(K.KEY_RUN_STATUS)
    last_event = _last_event(path / "events.jsonl")
    if metrics is not None:
        state, reason = K.STATE_FINISHED, ""
    elif status == "failed":
        state, reason = K.STATE_FAILED, str(info.get(K.KEY_RUN_REASON) or "failed; run.json records no reason")
    else:
        state = K.STATE_PARTIAL
        parts = ([] if (path / "metrics.json").exists() else ["no metrics.json"]) + problems
        parts += [_running_text(path)] if status == "running" else [f"run.json status {status!r}"] if status else []
        reason = "; ".join(parts + ([f"last event {last_event}"] if last_event else []))
    metrics = metrics or {}
    genotype = _dict(arch.get("genotype"))
    strategy = _text(info.get("strategy"))
    space = _text(info.get("space") or genotype.get("space"))
    arch_name = _text(info.get("arch_name") or arch.get("arch_name"))
    arch_hash = _text(arch.get("hash"))
    profile = _text(info.get("profile") or cfg.get("profile"))
    seed = info.get("seed", cfg.get("seed"))
    search_only = bool(info.get(K.KEY_SEARCH_ONLY) or metrics.get(K.KEY_SEARCH_ONLY))
    command = _text(info.get("command"))
    experiment = experiment_hash(cfg) if cfg else ""
    row = {
        K.COL_RUN_ID: path.relative_to(root).as_posix(), K.COL_PATH: str(path), K.COL_STATE: state,
        K.COL_REASON: reason, K.COL_PROFILE: profile, K.COL_COMMAND: command, K.COL_STRATEGY: strategy,
        K.COL_SPACE: space, K.COL_ARCH_NAME: arch_name, K.COL_SEARCH_ONLY: search_only,
        K.COL_LABEL: run_label(strategy, space, arch_name, arch_hash, command, search_only),
        K.COL_SEED: int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else -1,
        K.COL_CONFIG_HASH: config_hash(cfg) if cfg else _text(info.get("config_hash")),
        K.COL_EXPERIMENT_HASH: experiment, K.COL_VARIANT: variant(cfg, profile, strategy, experiment),
        K.COL_EVALUATION: K.EVAL_FINAL,
        K.COL_STARTED: _text(info.get("started")), K.COL_ENDED: _text(info.get("ended")),
        K.COL_LAST_EVENT: last_event, K.COL_PLATFORM: _platform(_dict(info.get("platform"))),
        K.COL_CODE: _text(info.get("code")),
        K.COL_GENOTYPE: f"{space}:{'-'.join(map(str, genotype.get('choices', [])))}" if genotype else "",
        K.COL_ARCH_HASH: arch_hash, K.COL_PARAMS_G: _number(arch.get("params_g")),
        K.COL_PARAMS_D: _number(arch.get("params_d")),
        K.COL_CURVE: search.get("curve") if isinstance(search.get("curve"), list) else [],
        **_score_columns(metrics, fallback=cfg),
    }
    row[K.KEY_BEST_ITER] = _number(metrics.get(K.KEY_BEST_ITER))
    eval_every = flat_settings(cfg).get("eval_every")
    row[K.COL_BEST_OF_EVALS] = isinstance(eval_every, int) and eval_every > 0 and bool(metrics)
    untrained = _dict(metrics.get(K.KEY_UNTRAINED))
    row[K.COL_UNTRAINED_FID] = _number(untrained.get(K.KEY_METRIC_FID))
    row[K.COL_UNTRAINED_IS] = _number(untrained.get(K.KEY_METRIC_IS_MEAN))
    counters = _dict(metrics.get(K.KEY_SEARCH))
    row.update({name: _number(counters.get(name)) for name in K.SEARCH_COUNTERS})
    costs = _dict(metrics.get(K.KEY_COST))
    for part in K.COST_PARTS:
        row.update(_cost_columns(part, _dict(costs.get(part))))
    row[K.COL_DEVICE] = row[K.cost_device("total")] or row[K.cost_device("search")]
    row[K.COL_GROUP] = group_id(row)
    return row


def _score_columns(scores: dict, fallback: dict) -> dict[str, Any]:
    """Scores, their protocol and their evaluation noise; dataset and image size fall back to config.json."""
    row = {key: _number(scores.get(key)) for key in K.SCORE_KEYS}
    row[K.KEY_N_FAKE] = _number(scores.get(K.KEY_N_FAKE))
    row[K.KEY_N_REAL] = _number(scores.get(K.KEY_N_REAL))
    row[K.KEY_REFERENCE_SPLIT] = _text(scores.get(K.KEY_REFERENCE_SPLIT))
    row[K.KEY_BACKBONE] = _text(scores.get(K.KEY_BACKBONE))
    row[K.KEY_DATASET] = _text(scores.get(K.KEY_DATASET) or fallback.get(K.KEY_DATASET))
    row[K.KEY_IMAGE_SIZE] = _number(scores.get(K.KEY_IMAGE_SIZE, fallback.get(K.KEY_IMAGE_SIZE)))
    seeds = scores.get(K.KEY_EVAL_SEEDS)
    row[K.COL_EVAL_K] = len(seeds) if isinstance(seeds, list) and seeds else (1 if scores else math.nan)
    eval_sd = _dict(scores.get(K.KEY_EVAL_SD))
    row.update({column: _number(eval_sd.get(key)) for key, column in K.EVAL_SD_COLUMNS.items()})
    return row


def _cost_columns(part: str, cost: dict) -> dict[str, Any]:
    return {K.cost_hours(part): _number(cost.get(K.KEY_COST_HOURS)),
            K.cost_unit(part): _text(cost.get(K.KEY_COST_UNIT)),
            K.cost_device(part): _text(cost.get(K.KEY_COST_DEVICE))}


def _json_object(path: Path, problems: list[str]) -> dict | None:
    """A JSON object file, or None (absent, unreadable, or not an object: the last two are noted in `problems`)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        problems.append(f"{path.name} unreadable ({type(exc).__name__})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path.name} holds {type(data).__name__}, not an object")
        return None
    return data


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
        except ValueError:
            continue
        if isinstance(row, dict) and "event" in row:
            return f"{row['event']!r} at t={row.get('t')} s"
    return ""


def _platform(info: dict) -> str:
    cpu = info.get("cpu_model") or info.get("processor") or info.get("machine") or ""
    parts = [f"{cpu} ({info['cpu_id']})" if info.get("cpu_id") else str(cpu), str(info.get("system") or ""),
             f"torch {info['torch']}" if info.get("torch") else "",
             f"{info['cpu_threads']} thread{'s' if info['cpu_threads'] != 1 else ''}" if info.get("cpu_threads") else ""]
    return ", ".join(p for p in parts if p)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS))


RUN_COLUMNS = (
    K.COL_RUN_ID, K.COL_PATH, K.COL_STATE, K.COL_REASON, K.COL_PROFILE, K.COL_COMMAND, K.COL_STRATEGY, K.COL_SPACE,
    K.COL_ARCH_NAME, K.COL_SEARCH_ONLY, K.COL_LABEL, K.COL_SEED, K.COL_CONFIG_HASH, K.COL_EXPERIMENT_HASH,
    K.COL_VARIANT, K.COL_EVALUATION, K.COL_STARTED, K.COL_ENDED, K.COL_LAST_EVENT, K.COL_PLATFORM, K.COL_CODE,
    K.COL_GENOTYPE, K.COL_ARCH_HASH, K.COL_PARAMS_G, K.COL_PARAMS_D, K.COL_CURVE, *K.SCORE_KEYS, K.KEY_N_FAKE, K.KEY_N_REAL,
    K.KEY_REFERENCE_SPLIT, K.KEY_BACKBONE, K.KEY_DATASET, K.KEY_IMAGE_SIZE, K.COL_EVAL_K, *K.EVAL_SD_COLUMNS.values(),
    K.KEY_BEST_ITER, K.COL_BEST_OF_EVALS, K.COL_UNTRAINED_FID, K.COL_UNTRAINED_IS, *K.SEARCH_COUNTERS,
    *(c for part in K.COST_PARTS for c in (K.cost_hours(part), K.cost_unit(part), K.cost_device(part))),
    K.COL_DEVICE, K.COL_GROUP,
)

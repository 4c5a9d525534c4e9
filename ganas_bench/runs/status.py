"""The one rule that says whether a run finished, shared by resume, auto-resume and the results API.

A run is finished when its metrics.json (written last, atomically) holds a valid result: a JSON object with either the
final scores (`fid`, `is_mean`, `kid_mean` as finite numbers) or `"search_only": true`. run.json's status is a
record of what happened, not the rule: a run killed after metrics.json was written but before run.json said
"finished" is finished; a metrics.json that is garbage (or not a regular file) makes the run unfinished, never finished.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

FINISHED, FAILED, RUNNING, PARTIAL = "finished", "failed", "running", "partial"
SCORE_KEYS = ("fid", "is_mean", "kid_mean")


def valid_metrics(data: Any) -> bool:
    """Whether `data` (parsed metrics.json) is a complete result."""
    if not isinstance(data, dict):
        return False
    if data.get("search_only") is True:
        return True
    return all(isinstance(data.get(k), (int, float)) and not isinstance(data.get(k), bool)
               and math.isfinite(data[k]) for k in SCORE_KEYS)


def read_metrics(run_path: str | Path) -> dict | None:
    """The run's metrics.json if it is a valid result (see `valid_metrics`), else None. Never follows a symlink."""
    path = Path(run_path) / "metrics.json"
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data if valid_metrics(data) else None


def is_finished(run_path: str | Path) -> bool:
    return read_metrics(run_path) is not None


#: How run.json's failure reason starts when a training diverged (`training.DivergedError`'s name).
DIVERGED_REASON = "DivergedError"


def diverged(run_path: str | Path) -> bool:
    """Whether the run's run.json records a failure by divergence. Never follows a symlink."""
    path = Path(run_path) / "run.json"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 1 << 20:
            return False
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("status") == FAILED and \
        str(data.get("reason", "")).startswith(DIVERGED_REASON)

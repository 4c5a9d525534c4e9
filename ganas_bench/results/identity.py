"""What a run is (its label and variant) and which runs form a group: defined here once for every table and query.

A group is the set of runs that differ only by seed: the same profile, command, strategy, space (or trained
architecture), the same settings apart from seed and file locations (`runs.identity.experiment_hash`), the same kind of
cost unit (a CPU run and a GPU run of one config are never averaged) and the same evaluation (final scores, or a
re-evaluation at another n_fake). `GROUP_KEYS` are those columns; `COL_GROUP` holds them joined into one readable id.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..config import default_config_dict
from ..errors import UserError
from ..runs.identity import LOCATION_FIELDS, SEED_FIELD
from . import keys as K

GROUP_KEYS = (K.COL_PROFILE, K.COL_LABEL, K.COL_EXPERIMENT_HASH, K.cost_unit("total"), K.COL_EVALUATION)
#: the nested key the lead's config.json holds strategy options under (older runs keep them flat)
STRATEGY_OPTIONS = "strategy_options"


def run_label(strategy: str, space: str, arch_name: str, arch_hash: str, command: str, search_only: bool) -> str:
    """How a run is named in tables: "rl × autogan", "train autogan_cifar10_a", "train autogan:1a2b3c4d"."""
    if strategy:
        return f"{strategy} × {space}" + (" (search only)" if search_only else "")
    if arch_name:
        return f"train {arch_name}"
    if arch_hash:
        return f"train {space}:{arch_hash[:8]}"
    return command or "unknown"


def group_id(row: Mapping[str, Any]) -> str:
    """One readable string per group (see the module docstring)."""
    profile, label, experiment, unit, evaluation = (row[k] for k in GROUP_KEYS)
    return f"{profile}/{label}/{str(experiment)[:8] or 'no-config'}/{unit or 'no-cost'}/{evaluation}"


def flat_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """A config.json dict with its nested `strategy_options` (if any) merged into the top level."""
    flat = {k: v for k, v in config.items() if k != STRATEGY_OPTIONS}
    nested = config.get(STRATEGY_OPTIONS)
    if isinstance(nested, Mapping):
        flat.update(nested)
    return flat


def variant(config: Mapping[str, Any], profile: str, strategy: str, experiment: str) -> str:
    """The settings that differ from the profile's defaults for this strategy, e.g. "train_iters=3000"; "defaults".

    Compared with `config.default_config_dict(profile, strategy)`, both sides flattened (strategy options may sit in a
    nested "strategy_options" or at the top level). Settings only one side knows are skipped: a run written before a
    field existed, or a field the current code no longer has, cannot be said to differ from a default.
    """
    if not config:
        return "config unknown"
    try:
        defaults = flat_settings(default_config_dict(profile, strategy or None))
    except UserError:
        return f"config {experiment[:8]} (profile {profile!r} unknown)"
    ignored = set(LOCATION_FIELDS) | {SEED_FIELD, "profile"}
    settings = flat_settings(config)
    diffs = [f"{k}={_short(v)}" for k, v in sorted(settings.items())
             if k not in ignored and k in defaults and not _equal(defaults[k], v)]
    return ", ".join(diffs) or "defaults"


def _equal(default: Any, value: Any) -> bool:
    if isinstance(default, tuple):
        default = list(default)
    return default == value


def _short(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)

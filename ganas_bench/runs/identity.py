"""What identifies a run's experiment, defined once for the pipeline, `make repro` and the results API.

- `LOCATION_FIELDS`: where a run reads and writes, not what it computes; they never change a hash or split a group.
- `NEUTRAL_DEFAULTS`: settings added after runs had been recorded, with the value every earlier run computed with; a
  setting at that value is left out of both hashes, so a config without it (an old config.json) and one holding it at
  its default hash alike: the committed references and the runs of a matrix keep their names. Another value is hashed.
- `config_hash(config)`: the run's settings, seed included (two runs with the same hash compute the same thing).
- `experiment_hash(config)`: the same without the seed: runs that differ only by seed form one group.
Both take the dict written to config.json (`Config.to_dict()`), so that old run directories hash the same way.
- `code_fingerprint()`: the code that computed a run (the installed packages' Python source), recorded in run.json so
  that tables can tell runs of different code apart (same settings, same hash, different floats).
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

LOCATION_FIELDS = ("results_dir", "data_root", "download", "inception_weights")
SEED_FIELD = "seed"
NEUTRAL_DEFAULTS: dict[str, Any] = {"precision": "fp32", "channels_last": False, "compile": False}


def _neutral(key: str, value: Any) -> bool:
    return key in NEUTRAL_DEFAULTS and value == NEUTRAL_DEFAULTS[key] and type(value) is type(NEUTRAL_DEFAULTS[key])


def _digest(config: Mapping[str, Any], excluded: tuple[str, ...]) -> str:
    kept = {k: v for k, v in config.items() if k not in excluded and not _neutral(k, v)}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_hash(config: Mapping[str, Any]) -> str:
    """16 hex digits of every setting but the locations (seed included)."""
    return _digest(config, LOCATION_FIELDS)


def experiment_hash(config: Mapping[str, Any]) -> str:
    """16 hex digits of every setting but the locations and the seed: the group key over seeds."""
    return _digest(config, LOCATION_FIELDS + (SEED_FIELD,))


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """12 hex digits of the source of ganas_bench and its spaces and strategies (relative paths and contents), the
    same for an editable and a wheel install (where spaces/ and strategies/ sit inside ganas_bench/)."""
    import ganas_bench
    import ganas_bench.spaces
    import ganas_bench.strategies

    roots = {pkg.__name__: Path(pkg.__file__).parent
             for pkg in (ganas_bench, ganas_bench.spaces, ganas_bench.strategies)}
    digest = hashlib.sha256()
    for name, root in roots.items():
        others = [r for n, r in roots.items() if n != name and r.is_relative_to(root)]
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts or any(path.is_relative_to(other) for other in others):
                continue
            digest.update(f"{name}:{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def differing_settings(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """"field=recorded (now value)" for every setting, locations apart, that differs between two config dicts."""
    names = sorted((set(recorded) | set(now)) - set(LOCATION_FIELDS))
    was = {k: recorded.get(k, NEUTRAL_DEFAULTS.get(k)) for k in names}  # an old run had the neutral value
    is_now = {k: now.get(k, NEUTRAL_DEFAULTS.get(k)) for k in names}
    return [f"{k}={was[k]!r} (now {is_now[k]!r})" for k in names if was[k] != is_now[k]]

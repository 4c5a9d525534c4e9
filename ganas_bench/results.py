"""Run directories: where everything a run does is recorded, so that `tables` needs nothing else.

Layout of `results/runs/<id>/` (every JSON file written atomically: temp file in the same folder, then rename):
- `run.json`      {"id", "command" ("run" | "train"), "strategy", "space", "arch_name", "profile", "seed", "status"
                   ("running" | "finished" | "failed"), "reason", "started", "ended", "platform": {...}, "config_hash"}
- `config.json`   the full Config (Config.to_dict())
- `events.jsonl`  append-only, one {"t": seconds since start, "event": name, ...} per line
- `search.json`   SearchResult.to_dict(): ranked candidates with proxy scores, the search curve, strategy info
- `arch.json`     {"genotype", "hash", "description", "params_g", "params_d", "arch_name"}
- `metrics.json`  {"is_mean", "is_std", "fid", "kid_mean", "kid_std", "n_fake", "n_real", "reference_split",
                   "backbone", "dataset", "image_size", "untrained": {same metric keys for the untrained generator} | absent,
                   "cost": {"search": COST, "train": COST, "eval": COST, "total": COST}}
                   COST = {"wall_s", "device", "device_kind" ("cpu" | "gpu" | "mps"), "device_hours", "unit"
                   ("CPU-core-hours" | "GPU-hours"), "flops_per_step" (training step, when known), "steps"}
                   metrics.json is written last: its presence means the run finished.
- `checkpoint.pt` tensors only (loads with weights_only=True)
- `samples.png`   a grid of EMA-generator samples
"""
from __future__ import annotations

import json
import os
import platform
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from .errors import UserError

RUN_FILES = ("run.json", "config.json", "events.jsonl", "search.json", "arch.json", "metrics.json", "checkpoint.pt",
             "samples.png")
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, fsync, then rename: a reader never sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n").encode())


def _json_default(obj):
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if isinstance(obj, tuple):
        return list(obj)
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(f"{str(path)!r} does not exist") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{str(path)!r} is not readable JSON: {exc}") from None


def platform_info() -> dict[str, Any]:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "system": platform.system(),
        "processor": platform.processor() or platform.machine(),
        "cpu_threads": torch.get_num_threads(),
    }


def check_run_name(name: str) -> str:
    if not _RUN_NAME.match(name) or name in (".", ".."):
        raise UserError(
            f"invalid run name {name!r}; accepted: 1-128 characters of letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (no path separators)"
        )
    return name


class RunDir:
    """One run's directory and the only code that writes into it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._t0 = time.monotonic()

    @classmethod
    def create(cls, results_dir: str | Path, name: str) -> "RunDir":
        """Create a fresh run directory; refuses to reuse one (two runs never write into each other)."""
        check_run_name(name)
        root = Path(results_dir)
        try:
            root.mkdir(parents=True, exist_ok=True)
            path = root / name
            path.mkdir()
        except FileExistsError:
            raise UserError(f"run directory {str(root / name)!r} already exists; pick another --run-name") from None
        except OSError as exc:
            raise UserError(f"cannot create a run directory under {str(root)!r}: {exc.strerror or exc}") from None
        return cls(path)

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        path = Path(path)
        if not (path / "run.json").is_file():
            raise UserError(f"{str(path)!r} is not a run directory (no run.json)")
        return cls(path)

    def file(self, name: str) -> Path:
        return self.path / name

    def write_json(self, name: str, obj: Any) -> None:
        atomic_write_json(self.file(name), obj)

    def read_json(self, name: str) -> Any:
        return read_json(self.file(name))

    def save_torch(self, name: str, obj: Any) -> None:
        """torch.save into memory, then one atomic write: a crash never leaves half a checkpoint."""
        import io

        import torch

        buf = io.BytesIO()
        torch.save(obj, buf)
        atomic_write_bytes(self.file(name), buf.getvalue())

    def has(self, name: str) -> bool:
        return self.file(name).is_file()

    def log(self, event: str, **fields: Any) -> None:
        """Append one event line; a line is written whole with one write call."""
        row = {"t": round(time.monotonic() - self._t0, 3), "event": event, **fields}
        line = json.dumps(row, sort_keys=True, default=_json_default) + "\n"
        with open(self.file("events.jsonl"), "a") as fh:
            fh.write(line)

    def update_run(self, **fields: Any) -> dict:
        info = self.read_json("run.json") if self.has("run.json") else {}
        info.update(fields)
        self.write_json("run.json", info)
        return info


def new_run_name(prefix: str) -> str:
    """A unique, sortable name: prefix, UTC timestamp, process id."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"{prefix}-{stamp}-{os.getpid()}"

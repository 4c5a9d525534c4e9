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
- `.lock`         empty; the process writing the run holds an flock on it (see `RunDir.lock`)

A `train` run's run.json also holds "genotype" (the architecture trained), so it can resume before arch.json exists.
Temp files of an interrupted atomic write (`.<name>.<hex>.tmp`) are never read; the next `RunDir.lock` removes them.
"""
from __future__ import annotations

import errno
import json
import os
import platform
import re
import secrets
import time
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..faults import fault_point
from ..machine import cpu_id, cpu_model

try:
    import fcntl
except ImportError:  # Windows: runs are not locked there
    fcntl = None

RUN_FILES = ("run.json", "config.json", "events.jsonl", "search.json", "arch.json", "metrics.json", "checkpoint.pt",
             "samples.png")
LOCK_FILE = ".lock"
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{16}\.tmp$")
# Errors of the storage under a run, not of the code: the CLI shows them as one line instead of a traceback.
STORAGE_ERRNOS = frozenset(getattr(errno, name) for name in
                           ("ENOSPC", "EDQUOT", "EFBIG", "EROFS", "EACCES", "EPERM", "EIO") if hasattr(errno, name))


class RunFailed(Exception):
    """A run that had started failed on its storage (disk full, read-only, no permission); its run.json says why.

    The CLI prints it as one line and exits 1 (bad input, refused before anything starts, exits 2).
    """

    def __init__(self, path: Path, reason: str, recorded: bool):
        where = "recorded in its run.json" if recorded else "it could not be recorded in its run.json either"
        super().__init__(f"run {str(path)!r} failed: {reason.splitlines()[0]} ({where}); fix the cause (free space, "
                         f"permissions), then continue it with --resume {path}")
        self.path, self.reason, self.recorded = Path(path), reason, recorded


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, fsync, then rename: a reader never sees half a file, and a crash at any point
    leaves the previous file whole. An OSError names `path` ("[Errno 28] No space left on device: '.../x.json'")."""
    path = Path(path)
    fd, tmp = _create_temp(path)
    try:
        try:
            view = memoryview(data)
            _write_all(fd, view[: len(view) // 2])
            fault_point(f"atomic_write:{path.name}")
            _write_all(fd, view[len(view) // 2:])
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    _fsync_folder(path.parent)


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new temp file beside `path`, created with the mode the umask gives ordinary files (mkstemp's is 0600)."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut. Skipped where a folder cannot be opened (Windows)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; the file's own bytes are synced already
        pass
    finally:
        os.close(fd)


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
        return json.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise UserError(f"{str(path)!r} does not exist") from None
    except (OSError, ValueError, RecursionError) as exc:  # ValueError: bad JSON or bad UTF-8; RecursionError: [[[[...
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise UserError(f"{str(path)!r} is not readable JSON: {first}") from None


def platform_info() -> dict[str, Any]:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "system": platform.system(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_id": cpu_id(),
        "cpu_threads": torch.get_num_threads(),
    }


def check_run_name(name: str) -> str:
    if not _RUN_NAME.match(name) or name in (".", ".."):
        raise UserError(
            f"invalid run name {name!r}; accepted: 1-128 characters of letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (no path separators)"
        )
    return name


def check_results_dir(results_dir: str | Path) -> None:
    """Refuse a results folder that cannot be written before any work starts (data loading, a dataset download)."""
    try:
        folder = Path(results_dir).absolute()
        existing = next(p for p in (folder, *folder.parents) if p.exists())
    except ValueError as exc:  # e.g. an embedded NUL byte
        raise UserError(f"invalid results_dir {str(results_dir)!r}: {exc}") from None
    if not existing.is_dir():
        raise UserError(f"cannot create a run directory under {str(results_dir)!r}: {str(existing)!r} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"cannot create a run directory under {str(results_dir)!r}: {str(existing)!r} is not writable "
                        "(read-only file system or no permission); choose another --results-dir")


class RunDir:
    """One run's directory and the only code that writes into it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._t0 = time.monotonic()
        self._lock = None

    @classmethod
    def create(cls, results_dir: str | Path, name: str) -> "RunDir":
        """Create a fresh run directory, locked by this process; refuses to reuse one (two runs never write into each
        other: mkdir is atomic, so of two processes asking for the same name exactly one gets it)."""
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
        return cls(path).lock()

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        path = Path(path)
        if not (path / "run.json").is_file():
            raise UserError(f"{str(path)!r} is not a run directory (no run.json)")
        return cls(path)

    def lock(self) -> "RunDir":
        """Claim the run for this process until `unlock()` (or the `with` block, or the process, ends: the kernel drops
        the lock of a process killed by SIGKILL too). Another process that tries (a `--resume` of a run still going,
        an `eval` of a run in training) gets a UserError instead of writing into the same files. Once claimed, temp
        files left by an interrupted write are removed. Where the file system has no locks, the run goes on unlocked."""
        if self._lock is not None:
            return self
        try:
            handle = open(self.file(LOCK_FILE), "a")
        except OSError as exc:
            raise UserError(f"cannot write into run directory {str(self.path)!r}: {exc.strerror or exc}") from None
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise UserError(f"run directory {str(self.path)!r} is in use by another ganas-bench process; wait for "
                                "it to end (or stop it), then try again") from None
            except OSError:  # no locks on this file system (some network mounts)
                pass
        self._lock = handle
        for leftover in self.path.iterdir():
            if _TEMP_NAME.match(leftover.name):
                leftover.unlink(missing_ok=True)
        return self

    def held_elsewhere(self) -> bool | None:
        """Whether a process holds this run's lock right now: True (it is running), False (nobody: a "running" status
        is then left by a process that was killed), None (no lock file, or no locks on this file system)."""
        lock_file = self.file(LOCK_FILE)
        if fcntl is None or not lock_file.is_file():
            return None if fcntl is None else False
        try:
            with open(lock_file, "r") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                return False  # closing the handle releases the probe
        except BlockingIOError:
            return True
        except OSError:
            return None

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> "RunDir":
        return self

    def __exit__(self, *exc) -> None:
        self.unlock()

    def file(self, name: str) -> Path:
        return self.path / name

    def write_json(self, name: str, obj: Any) -> None:
        atomic_write_json(self.file(name), obj)

    def read_json(self, name: str) -> dict:
        """A run file's JSON object; anything else (a list, a number, bad JSON) is a UserError naming the file."""
        data = read_json(self.file(name))
        if not isinstance(data, dict):
            raise UserError(f"{str(self.file(name))!r} holds a JSON {type(data).__name__}, not an object; it is not a "
                            "ganas-bench run file")
        return data

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
        """Append one event line with one write call. A line torn by a full disk is closed first, so the next event
        still gets a line of its own."""
        row = {"t": round(time.monotonic() - self._t0, 3), "event": event, **fields}
        line = (json.dumps(row, sort_keys=True, default=_json_default) + "\n").encode()
        with open(self.file("events.jsonl"), "ab+") as fh:
            if fh.seek(0, os.SEEK_END) > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    line = b"\n" + line
            fh.write(line)

    def update_run(self, **fields: Any) -> dict:
        info = self.read_json("run.json") if self.has("run.json") else {}
        info.update(fields)
        self.write_json("run.json", info)
        return info


_names_issued: dict[str, int] = {}


def new_run_name(prefix: str) -> str:
    """A unique, sortable name: prefix, UTC timestamp, process id (two processes in the same second differ), and a
    counter when one process asks twice in the same second (e.g. `--seeds 0,1` of a quick run)."""
    base = f"{prefix}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{os.getpid()}"
    count = _names_issued[base] = _names_issued.get(base, 0) + 1
    return base if count == 1 else f"{base}-{count}"

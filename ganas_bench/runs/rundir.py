"""Run directories: where everything a run does is recorded, so that `tables` needs nothing else.

Layout of `results/runs/<id>/` (every JSON file written atomically: temp file in the same folder, then rename):
- `run.json`      {"id", "command" ("run" | "train"), "strategy", "space", "arch_name", "profile", "seed", "status"
                   ("running" | "finished" | "failed"), "reason", "started", "ended", "platform": {...}, "config_hash"}
- `config.json`   the full Config (Config.to_dict())
- `events.jsonl`  append-only, one {"t": seconds since start, "event": name, ...} per line
- `search.json`   SearchResult.to_dict(): ranked candidates with proxy scores, the search curve, strategy info; "clock":
                  the cost clock as the search ended (a resume before the first training checkpoint keeps the search cost)
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

Run files are opened without following symbolic links (O_NOFOLLOW), and `check_entries` refuses a run directory that
holds a link, or a folder (or anything but a regular file) under a run file's name, before anything reads or writes
in it: a planted link can never make a run read or write outside its directory.
"""
from __future__ import annotations

import errno
import json
import os
import platform
import re
import secrets
import stat
import time
from pathlib import Path
from typing import Any

from ..errors import UserError, first_line, preview
from ..faults import fault_point
from ..machine import cpu_id, cpu_model

try:
    import fcntl
except ImportError:  # Windows: runs are not locked there
    fcntl = None

RUN_FILES = ("run.json", "config.json", "events.jsonl", "search.json", "arch.json", "metrics.json", "checkpoint.pt",
             "samples.png")
LOCK_FILE = ".lock"
MAX_RUN_JSON = 64 << 20  # bytes of one JSON run file: a search.json of thousands of candidates is a few MB
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{16}\.tmp$")
# Errors of the storage under a run, not of the code: the CLI shows them as one line instead of a traceback.
# A folder or a symlink where a run file belongs (EISDIR, ENOTDIR, ELOOP: opened without following links) is one of
# them too: the directory was changed under the run.
STORAGE_ERRNOS = frozenset(getattr(errno, name) for name in
                           ("ENOSPC", "EDQUOT", "EFBIG", "EROFS", "EACCES", "EPERM", "EIO", "EISDIR", "ENOTDIR",
                            "ELOOP", "ENAMETOOLONG", "ESTALE", "EMLINK", "ETXTBSY", "ENXIO") if hasattr(errno, name))


class RunFailed(Exception):
    """A run that had started failed for a reason that is not a bug: its storage (disk full, read-only, no permission,
    a folder where a file belongs), a refusal only the work itself could find, or a training that diverged. Its run.json
    says why. The CLI prints it as one line and exits 1 (bad input, refused before anything starts, exits 2).
    """

    def __init__(self, path: Path, reason: str, recorded: bool, hint: str | None = None):
        where = "recorded in its run.json" if recorded else "it could not be recorded in its run.json either"
        hint = hint if hint is not None else (f"fix the cause (free space, permissions), then continue it with "
                                              f"--resume {path}")
        super().__init__(f"run {str(path)!r} failed: {reason.splitlines()[0] if reason else 'unknown'} ({where})"
                         + (f"; {hint}" if hint else ""))
        self.path, self.reason, self.recorded = Path(path), reason, recorded


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, fsync, then rename: a reader never sees half a file, and a crash at any point
    leaves the previous file whole. An OSError names `path` ("[Errno 28] No space left on device: '.../x.json'")."""
    path = Path(path)
    try:
        fd, tmp = _create_temp(path)
    except OSError as exc:  # name the file being written, not its temp file
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
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


def shown(path) -> str:
    """A path as error messages quote it: cut in the middle when long, so the file name at its end stays."""
    return preview(str(path), 100)


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file, opened without following a symlink; OSError otherwise (ELOOP for a link, EISDIR
    for a folder, EFBIG past `limit`)."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "Not a regular file", str(path))
        if limit is not None and info.st_size > limit:
            raise OSError(errno.EFBIG, f"File is {info.st_size:,} bytes (at most {limit:,} read)", str(path))
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read() if limit is None else fh.read(limit + 1)
        if limit is not None and len(data) > limit:
            raise OSError(errno.EFBIG, f"File is over {limit:,} bytes", str(path))
        return data
    finally:
        os.close(fd)


def read_json(path: Path) -> Any:
    try:
        return json.loads(read_bytes(Path(path), MAX_RUN_JSON))
    except FileNotFoundError:
        raise UserError(f"{shown(path)} does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError(f"{shown(path)} is a symbolic link; run files are read only from the run directory itself")\
                from None
        raise UserError(f"{shown(path)} cannot be read: {exc.strerror or first_line(exc)}") from None
    except (ValueError, RecursionError) as exc:  # ValueError: bad JSON or bad UTF-8; RecursionError: [[[[...
        raise UserError(f"{shown(path)} is not readable JSON: {first_line(exc, 120)}") from None


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
    if not isinstance(name, str) or not _RUN_NAME.match(name) or name in (".", ".."):
        raise UserError(
            f"invalid run name {preview(name)}; accepted: 1-128 characters of letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (no path separators)"
        )
    return name


def check_results_dir(results_dir: str | Path) -> None:
    """Refuse a results folder that cannot be written before any work starts (data loading, a dataset download)."""
    from ..options import path_problem

    problem = path_problem(str(results_dir))
    if problem is not None:
        raise UserError(f"invalid results_dir {shown(results_dir)}; accepted: {problem}")
    try:
        folder = Path(results_dir).absolute()
        existing = next(p for p in (folder, *folder.parents) if os.path.lexists(p))
        if existing.is_symlink() and not existing.exists():
            raise UserError(f"cannot create a run directory under {shown(results_dir)}: {shown(existing)} is a "
                            "broken symbolic link")
    except (OSError, ValueError) as exc:
        raise UserError(f"invalid results_dir {shown(results_dir)}: {first_line(exc)}") from None
    if not existing.is_dir():
        raise UserError(f"cannot create a run directory under {shown(results_dir)}: {shown(existing)} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"cannot create a run directory under {shown(results_dir)}: {shown(existing)} is not "
                        "writable (read-only file system or no permission); choose another --results-dir")


class RunDir:
    """One run's directory and the only code that writes into it."""

    writes = True  # a torchrun follower's view of rank 0's run (torchrun.FollowerRun) does not

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
            raise UserError(f"run directory {shown(root / name)} already exists; pick another --run-name") from None
        except OSError as exc:
            raise UserError(f"cannot create a run directory under {shown(root)}: {exc.strerror or exc}") from None
        return cls(path).lock()

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        """An existing run directory (one holding run.json), to read; see `check_entries` before writing into it."""
        try:
            path = Path(path)
            if not os.path.lexists(path / "run.json"):
                raise UserError(f"{shown(path)} is not a run directory (no run.json)")
        except (OSError, ValueError) as exc:  # a path too long, a NUL byte
            raise UserError(f"{shown(path)} is not a run directory ({first_line(exc)})") from None
        return cls(path)

    def check_entries(self) -> "RunDir":
        """Refuse (one UserError, nothing changed) a run directory holding a symbolic link, or anything but a regular
        file under the name of a run file: a run reads and writes only its own files."""
        try:
            entries = list(os.scandir(self.path))
        except OSError as exc:
            raise UserError(f"cannot read run directory {shown(self.path)}: {exc.strerror or exc}") from None
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_symlink():
                raise UserError(f"run directory {shown(self.path)} holds a symbolic link {preview(entry.name)}; a run "
                                "directory holds only its own files (remove the link)")
            if (entry.name in RUN_FILES or entry.name == LOCK_FILE) and not entry.is_file(follow_symlinks=False):
                kind = "a folder" if entry.is_dir(follow_symlinks=False) else "not a regular file"
                raise UserError(f"{shown(self.file(entry.name))} is {kind}; a run directory holds its run files as "
                                "regular files (move it away)")
        return self

    def lock(self) -> "RunDir":
        """Claim the run for this process until `unlock()` (or the `with` block, or the process, ends: the kernel drops
        the lock of a process killed by SIGKILL too). Another process that tries (a `--resume` of a run still going,
        an `eval` of a run in training) gets a UserError instead of writing into the same files. Once claimed, temp
        files left by an interrupted write are removed. Where the file system has no locks, the run goes on unlocked."""
        if self._lock is not None:
            return self
        try:
            fd = os.open(self.file(LOCK_FILE), os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o666)
            handle = os.fdopen(fd, "a")
        except OSError as exc:
            raise UserError(f"cannot write into run directory {shown(self.path)}: {exc.strerror or exc}") from None
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise UserError(f"run directory {shown(self.path)} is in use by another ganas-bench process; wait for "
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
        if fcntl is None:
            return None
        try:
            fd = os.open(self.file(LOCK_FILE), os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError:  # no lock file (or a link, a folder): nobody holds it
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False  # closing the descriptor releases the probe
        except BlockingIOError:
            return True
        except OSError:
            return None
        finally:
            os.close(fd)

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
            raise UserError(f"{shown(self.file(name))} holds a JSON {type(data).__name__}, not an object; it is not a "
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
        """Whether the run holds `name` as a regular file (a symbolic link does not count)."""
        try:
            return stat.S_ISREG(os.lstat(self.file(name)).st_mode)
        except (OSError, ValueError):
            return False

    def log(self, event: str, **fields: Any) -> None:
        """Append one event line with one write call (never through a symbolic link). A line torn by a full disk is
        closed first, so the next event still gets a line of its own. An OSError names events.jsonl."""
        row = {"t": round(time.monotonic() - self._t0, 3), "event": event, **fields}
        line = (json.dumps(row, sort_keys=True, default=_json_default) + "\n").encode()
        path = self.file("events.jsonl")
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o666)
            try:
                size = os.fstat(fd).st_size
                if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line
                _write_all(fd, memoryview(line))
            finally:
                os.close(fd)
        except OSError as exc:
            if exc.filename is None:
                raise OSError(exc.errno, exc.strerror, str(path)) from exc
            raise

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

"""`train` and `run` under torchrun: rank 0 runs the command as usual; the other ranks follow it.

Rank 0 alone checks the input, picks or continues the run directory and writes into it. When its command reaches the
work (`commands._train_work` / `_search_work`), it sends the other ranks what to do (`shared_work`): the kind of work,
the run's config, the run directory and the architecture or strategy. They run the very same work function with a
`FollowerRun`: the same directory, readable (the run directory must be on a file system every rank sees: one node, or
a shared mount), never written. When rank 0's command ends, it tells them (`finish`); an error before the work started
reaches them too, so every rank exits with the same message and code. An error during the work ends rank 0, and torchrun
then stops the others.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .distributed import current
from .errors import UserError

SUPPORTED = ("train", "run")
_DONE = "done"


class FollowerRun:
    """A run directory as a rank other than 0 sees it: the files of rank 0's run to read, every write a no-op."""

    writes = False

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def file(self, name: str) -> Path:
        return self.path / name

    def has(self, name: str) -> bool:
        return self.file(name).is_file()

    def read_json(self, name: str) -> dict:
        from .runs.rundir import RunDir

        return RunDir(self.path).read_json(name)

    def lock(self) -> "FollowerRun":
        return self

    def unlock(self) -> None:
        pass

    def write_json(self, name: str, obj) -> None:
        pass

    def save_torch(self, name: str, obj) -> None:
        pass

    def log(self, event: str, **fields) -> None:
        pass

    def update_run(self, **fields) -> dict:
        return {}


_working = {"now": False}  # rank 0: the other ranks are inside a work, not waiting for the next message


@contextmanager
def shared_work(kind: str, harness, run, *args) -> Iterator[None]:
    """On rank 0 under torchrun: send the other ranks the work about to start (the block). Nothing elsewhere."""
    ranks = current()
    if ranks.active and ranks.is_main:
        ranks.broadcast((kind, harness.config, str(run.path), args))
        _working["now"] = True
    yield
    _working["now"] = False  # not reached on an error: the other ranks are then stopped by torchrun, not told


def finish(error: BaseException | None = None) -> None:
    """On rank 0: the command ended (with `error` if it failed outside a work); release the other ranks."""
    ranks = current()
    if ranks.active and ranks.is_main and not _working["now"]:
        ranks.broadcast((_DONE, _error_message(error)))


def check_command(argv: list[str]) -> None:
    """Under torchrun only `train` and `run` exist (one training spread over the ranks) and no Ray executor."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in SUPPORTED:
        raise UserError(f"under torchrun only {' and '.join(SUPPORTED)} run (one training spread over the ranks); "
                        f"{command!r} is a command for one process")
    if any(a == "--executor" or a.startswith("--executor=") for a in argv):
        raise UserError("--executor does not combine with torchrun: a torchrun job is one training; use Ray for many")


def serve() -> int:
    """On ranks other than 0: do each work rank 0 sends until it is done; returns the exit code rank 0 reports."""
    from .commands import _search_work, _train_work
    from .harness import RunHarness

    ranks = current()
    while True:
        message = ranks.broadcast(None)
        if message[0] == _DONE:
            if message[1] is not None:
                code, text = message[1]
                print(f"error: {text}", file=sys.stderr)
                return code
            return 0
        kind, cfg, path, args = message
        harness = RunHarness.open(cfg)
        run = FollowerRun(path)
        (_train_work if kind == "train" else _search_work)(harness, run, *args)


def _error_message(error: BaseException | None):
    if error is None:
        return None
    return (2 if isinstance(error, UserError) else 1), str(error)

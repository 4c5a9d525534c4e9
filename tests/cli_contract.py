"""Test helper: the contract of a refused command line (README: exit codes).

Bad input gets exactly one stderr line (under `MAX_LINE` characters, starting with "error: "), exit code 2, and leaves
every file and folder under the watched directory as it was: nothing created, nothing changed, nothing removed.
`refused(args, watched)` runs the real CLI entry point (`ganas_bench.cli.main`) in this process and asserts all of it;
`refused_in_subprocess` does the same through the installed console command, for inputs whose point is what the whole
process does (memory, reading /dev/zero).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

from ganas_bench.cli import main

MAX_LINE = 300


def tree_state(root: Path) -> dict[str, tuple]:
    """Every entry under `root` (root included): kind, and for a file its sha256, size and mtime; for a symlink its
    target. Nothing is followed, so a planted symlink is seen as one."""
    root = Path(root)
    state: dict[str, tuple] = {}
    if not os.path.lexists(root):
        return state
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in [".", *dirs, *files]:
            path = Path(folder) if name == "." else Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if rel in state:
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                state[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                state[rel] = ("dir",)
            elif stat.S_ISREG(info.st_mode):
                state[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest(), info.st_size, info.st_mtime_ns)
            else:
                state[rel] = ("other", stat.S_IFMT(info.st_mode))
    return state


def changes(before: dict, after: dict) -> list[str]:
    return sorted(f"{'new' if k not in before else 'gone' if k not in after else 'changed'}: {k}"
                  for k in set(before) | set(after) if before.get(k) != after.get(k))


def check_refusal(code, err: str, before: dict, after: dict, fragments=()) -> str:
    """Assert the contract on what a call left; returns the error line."""
    lines = err.splitlines()
    assert code == 2, f"exit code {code}, expected 2; stderr: {err[:2000]}"
    assert len(lines) == 1, f"{len(lines)} stderr lines, expected 1: {err[:2000]}"
    line = lines[0]
    assert line.startswith("error: ") and len(line) < MAX_LINE, f"{len(line)} characters: {line[:2000]}"
    assert not changes(before, after), f"the watched tree changed: {changes(before, after)[:10]}"
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def refused(args: list[str], watched: Path, *fragments: str) -> str:
    """Run `ganas-bench ARGS` in this process; assert exit 2, one short stderr line holding every fragment, and no
    change under `watched` (hash the tree before and after). Returns the line."""
    before = tree_state(watched)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
    return check_refusal(code, err.getvalue(), before, tree_state(watched), fragments)


def refused_in_subprocess(args: list[str], watched: Path, *fragments: str, timeout: float = 600,
                          memory_limit: int | None = None) -> str:
    """As `refused`, through a fresh `python -m ganas_bench.cli` process (optionally under an address-space limit)."""
    before = tree_state(watched)
    preexec = None
    if memory_limit is not None:
        import resource

        def preexec():
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    proc = subprocess.run([sys.executable, "-m", "ganas_bench.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec)
    return check_refusal(proc.returncode, proc.stderr, before, tree_state(watched), fragments)

"""What git tracks under a folder of this checkout: the committed results the README's tables rest on."""
from __future__ import annotations

import subprocess
from pathlib import Path


def tracked(root: Path, folder: Path) -> list[Path] | None:
    """The files git tracks under `folder`, relative to it; None when `root` is not a git checkout."""
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", str(folder)], capture_output=True,
                                check=True, timeout=60).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return None
    return [Path(f).relative_to(folder.relative_to(root)) for f in listed.split("\0") if f]

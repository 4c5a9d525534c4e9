"""Read a small input file whole, never more than a bound: `--config /dev/zero`, a FIFO, a folder or a file that
grows while it is read must be one line, not a read without end (a config, published.csv, a reference record)."""
from __future__ import annotations

import os
import stat

from .errors import UserError


def read_regular_file(path, limit: int, what: str, shown: str, expected: str) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; `what` names the file in an error ("config
    file"), `shown` is its path as the error shows it, `expected` what it should be. One UserError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {what} {shown}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{what} {shown} is not a regular file; expected {expected}")
        if info.st_size > limit:
            raise UserError(f"{what} {shown} is {info.st_size:,} bytes; accepted: at most {limit:,}")
        chunks, size = [], 0
        while size <= limit:  # the file may grow while it is read
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UserError(f"{what} {shown} is over {limit:,} bytes; accepted: at most that")
        return b"".join(chunks)
    except OSError as exc:
        raise UserError(f"cannot read {what} {shown}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)

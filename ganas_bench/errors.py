"""One exception type for everything a user can get wrong, and the one way an error quotes what the user gave.

The CLI turns a `UserError` into a single line on stderr and exit code 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import reprlib
from typing import Any

PREVIEW_CHARS = 60


class UserError(Exception):
    """Bad input from the user (a name, a value, a file). The message must name the bad value and what is accepted."""


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """`value` quoted on one line in about `limit` characters (`reprlib`), never more than 2 x `limit` (a container's
    items each get `limit`, and escapes such as \U000f36b3 lengthen them, so the whole is cut too): an error never
    echoes a whole input, and a deeply nested or enormous value is summarised without rendering it."""
    shortener = reprlib.Repr()
    shortener.maxlevel, shortener.maxlist, shortener.maxtuple, shortener.maxdict = 2, 6, 6, 4
    shortener.maxstring = shortener.maxother = shortener.maxlong = limit
    try:
        text = " ".join(shortener.repr(value).split())
    except ValueError:  # an int past Python's digit limit for str()
        return f"<{type(value).__name__} of {value.bit_length():,} bits>" if isinstance(value, int) else "<value>"
    if len(text) > 2 * limit:
        text = text[: 2 * limit - 1] + "…"
    if isinstance(value, str) and len(value) > limit:
        text += f" ({len(value):,} characters)"
    return text


def first_line(exc: BaseException, limit: int = 160) -> str:
    """An exception's own message, first line only and cut to `limit` characters (its type when it has no message):
    what an error quoting a library's failure may show of it."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    line = lines[0] if lines else type(exc).__name__
    if line.endswith(":") and len(lines) > 1:  # "Error(s) in loading state_dict for G:" says what only below
        line = f"{line} {lines[1]}"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """`text` on one line (whitespace runs collapsed), cut to `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

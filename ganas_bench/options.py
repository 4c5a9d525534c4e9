"""Typed, frozen option sets: the machinery behind the core `Config` and every strategy's own options.

An option set is a frozen dataclass whose fields carry their rules in `metadata`:
- `help`: one line for `--help`;
- `min` / `max`: inclusive bounds, `gt`: an exclusive lower bound, `lt`: an exclusive upper bound;
- `choices`: the accepted strings;
- `path`: the string names a file or folder (no NUL byte, at most `MAX_PATH_BYTES`, each part at most 255 bytes);
- `max_len`: the most entries of a tuple (default `MAX_TUPLE`); a string holds at most `MAX_TEXT` characters.
Field types are written as strings (`from __future__ import annotations`): "int", "float", "bool", "str" or "tuple"
(a tuple of integers, written as a comma list). One coercion and one range check serve the API, config files and the CLI,
so a value is refused with the same one-line message wherever it comes from. Values are taken as they are typed:
an integer field takes an integer (or a float with no fractional part, which JSON may give for `5e4`), never `true`,
`2.5` or `"5"`; only text from the command line (`text=True`) is parsed into numbers and truth values, and a tuple
also takes its comma list as one string, the form `--help` documents.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterable

from .errors import UserError, preview

KIND_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
              "tuple": "a comma list of integers"}
#: the largest integer any option may hold: every count and width of a GAN run is far below it, and beyond it
#: numbers stop being exact as floats (a config file's `1e20` must not slip through as an int)
MAX_INT = 2**53
MAX_TEXT = 4096        # characters of a string option
MAX_TUPLE = 64         # entries of a tuple option (a stage count per search stage: a handful)
MAX_PATH_BYTES = 4096  # Linux's PATH_MAX
MAX_NAME_BYTES = 255   # one part of a path (NAME_MAX)


_TYPE_NAMES = {int: "int", float: "float", bool: "bool", str: "str", tuple: "tuple"}


def field_kind(f: dataclasses.Field) -> str | None:
    """"int", "float", "bool", "str" or "tuple" for a field annotated with that type (as a name or the type itself)."""
    kind = _TYPE_NAMES.get(f.type, f.type)
    return kind if kind in KIND_WORDS else None


def option_fields(cls) -> tuple[dataclasses.Field, ...]:
    """The user-settable fields of an option set (those of a known kind)."""
    return tuple(f for f in dataclasses.fields(cls) if field_kind(f) is not None)


def _int(value: Any, text: bool) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError
        value = int(value)
    elif isinstance(value, str) and text:
        if len(value) > 40:  # longer than any integer below MAX_INT: not parsed at all
            raise ValueError
        value = int(value.strip())
    elif not isinstance(value, int):
        raise ValueError
    if abs(value) > MAX_INT:
        raise ValueError
    return value


def _float(value: Any, text: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (isinstance(value, str) and not text):
        raise ValueError
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ValueError
    if isinstance(value, str) and len(value) > 64:
        raise ValueError
    return float(value)


def coerce_value(kind: str, value: Any, text: bool = False) -> Any:
    """`value` as a field of `kind`, taken as it is typed (see the module docstring); `text`: `value` may be command-
    line text to parse. ValueError / TypeError / OverflowError when it is not one."""
    if kind == "tuple":
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise ValueError
            value = [v for v in value.replace(" ", "").split(",") if v]
            return tuple(_int(v, True) for v in value)
        if not isinstance(value, (list, tuple)) or len(value) > MAX_INT:
            raise ValueError
        return tuple(_int(v, text) for v in value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if not text or not isinstance(value, str):
            raise ValueError
        word = value.strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off"):
            return False
        raise ValueError
    if kind == "int":
        return _int(value, text)
    if kind == "float":
        return _float(value, text)
    if not isinstance(value, str):
        raise ValueError
    return value


def coerce_field(cls, name: str, value: Any, text: bool = False) -> Any:
    """Turn a value from a file or the API (`text=False`) or the command line (`text=True`) into field `name` of option
    set `cls`, or one UserError saying why not."""
    kinds = {f.name: field_kind(f) for f in option_fields(cls)}
    kind = kinds[name]
    try:
        return coerce_value(kind, value, text)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"config field {name!r} wants {KIND_WORDS[kind]}"
                        + (" of at most 2**53" if kind in ("int", "tuple") else "")
                        + f", got {preview(value)}") from None


def check_ranges(options) -> None:
    """Every field of `options` against its metadata rules; the first violation is one UserError."""
    for f in option_fields(type(options)):
        value, meta = getattr(options, f.name), f.metadata
        kind = field_kind(f)
        if kind == "tuple" and len(value) > meta.get("max_len", MAX_TUPLE):
            _bad(f.name, value, f"at most {meta.get('max_len', MAX_TUPLE)} integers")
        if kind == "str":
            if meta.get("path"):
                check_path_text(f.name, value)
            elif len(value) > MAX_TEXT:
                _bad(f.name, value, f"at most {MAX_TEXT:,} characters")
        values = value if kind == "tuple" else (value,)
        for v in values:
            if kind == "float" and not math.isfinite(v):
                _bad(f.name, value, "a finite number")
            if "choices" in meta and v not in meta["choices"]:
                _bad(f.name, value, ", ".join(meta["choices"]))
            if "min" in meta and v < meta["min"]:
                _bad(f.name, value, _range_text(meta, kind))
            if "max" in meta and v > meta["max"]:
                _bad(f.name, value, _range_text(meta, kind))
            if "gt" in meta and not v > meta["gt"]:
                _bad(f.name, value, _range_text(meta, kind))
            if "lt" in meta and not v < meta["lt"]:
                _bad(f.name, value, _range_text(meta, kind))


def path_problem(text: str) -> str | None:
    """Why `text` cannot name a file or folder on this system (NUL byte, too long, a part too long), or None."""
    if "\0" in text:
        return "a path without NUL bytes"
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return "a path of valid characters"
    if len(raw) > MAX_PATH_BYTES:
        return f"a path of at most {MAX_PATH_BYTES:,} bytes"
    if any(len(part) > MAX_NAME_BYTES for part in raw.split(b"/")):
        return f"a path whose every part has at most {MAX_NAME_BYTES} bytes"
    return None


def check_path_text(name: str, text: str) -> None:
    problem = path_problem(text)
    if problem is not None:
        _bad(name, text, problem)


def _range_text(meta: dict, kind: str) -> str:
    word = "an integer" if kind in ("int", "tuple") else "a number"
    parts = []
    if "min" in meta:
        parts.append(f">= {meta['min']:g}" if isinstance(meta["min"], float) else f">= {meta['min']}")
    if "gt" in meta:
        parts.append(f"> {meta['gt']:g}")
    if "lt" in meta:
        parts.append(f"< {meta['lt']:g}")
    if "max" in meta:
        parts.append(f"<= {meta['max']:,}" if isinstance(meta["max"], int) else f"<= {meta['max']:g}")
    return f"{word} {' and '.join(parts)}" if parts else word


def _bad(name: str, value: Any, accepted: str):
    shown = ",".join(map(str, value)) if isinstance(value, tuple) else value
    raise UserError(f"invalid {name}={preview(shown)}; accepted: {accepted}")


def bad(name: str, value: Any, accepted: str):
    """Raise the standard one-line refusal of an option value (for cross-field rules)."""
    _bad(name, value, accepted)


def build(cls, base: dict[str, Any], values: dict[str, Any], text: dict[str, bool] | None = None):
    """An instance of `cls` from `base` (defaults, already typed) updated with `values` (coerced here; `text[name]`:
    that value is command-line text), range-checked."""
    names = {f.name for f in option_fields(cls)}
    typed = dict(base)
    for name, value in values.items():
        if name not in names:
            raise KeyError(name)
        typed[name] = coerce_field(cls, name, value, (text or {}).get(name, False))
    obj = cls(**typed)
    check_ranges(obj)
    if hasattr(obj, "check"):
        obj.check()
    return obj


def as_dict(options) -> dict[str, Any]:
    """JSON-ready fields (tuples as lists)."""
    return {f.name: list(getattr(options, f.name)) if field_kind(f) == "tuple" else getattr(options, f.name)
            for f in option_fields(type(options))}


def names(cls) -> Iterable[str]:
    return tuple(f.name for f in option_fields(cls))

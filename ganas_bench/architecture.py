"""Which architecture a command means: a registered name, a run directory or its arch.json file, or a genotype as JSON
text or a .json file."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import UserError, preview
from .genotype import Genotype
from .registry import SPACES, get_architecture
from .runs.rundir import RunDir

MAX_GENOTYPE_FILE = 1 << 20  # a genotype file is a few hundred bytes; refuse anything past 1 MiB before reading it


def resolve_architecture(arch: str) -> tuple[object, Genotype, str | None]:
    """(space, validated genotype, published name or None) for `arch`."""
    text = arch.strip()
    if text.startswith("{"):
        return _validated(Genotype.from_json(text), None)
    path = _as_path(arch)
    if path is not None and path.is_dir():
        if not (path / "arch.json").is_file():
            raise UserError(f"run directory {preview(arch, 100)} has no arch.json (did its search finish?)")
        try:
            return _from_run_record(RunDir.open(path).read_json("arch.json"))
        except UserError as exc:
            raise UserError(f"{preview(str(path / 'arch.json'), 100)}: {exc}") from None
    if path is not None and path.suffix == ".json":
        text = _read_genotype_file(path)
        record = _run_arch_record(text)
        if record is not None:  # a run's arch.json, given as the file rather than its run directory
            return _from_run_record(record)
        return _validated(Genotype.from_json(text), None)
    named = get_architecture(arch)
    return _validated(Genotype(named.space, named.choices), named.name)


def _from_run_record(data: dict) -> tuple[object, Genotype, str | None]:
    """What a run's arch.json names: its genotype, and its published name when it retrained one."""
    name = data.get("arch_name")
    return _validated(Genotype.from_dict(data.get("genotype")), name if isinstance(name, str) else None)


def _run_arch_record(text: str) -> dict | None:
    """The run record in `text` when it is a run's arch.json ({"genotype": {...}, "arch_name": ..., ...}), else None."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict) and isinstance(data.get("genotype"), dict) and "choices" not in data:
        return data
    return None


def _as_path(arch: str) -> Path | None:
    """`arch` as a path when it can be one (not too long for the file system, no NUL byte), else None."""
    try:
        path = Path(arch)
        path.exists()
        return path
    except (OSError, ValueError):  # ENAMETOOLONG, embedded NUL
        return None


def _read_genotype_file(path: Path) -> str:
    try:
        if not path.is_file():
            raise UserError(f"genotype file {preview(str(path))} does not exist (or is not a regular file)")
        if path.stat().st_size > MAX_GENOTYPE_FILE:
            raise UserError(f"genotype file {preview(str(path))} is {path.stat().st_size:,} bytes; a genotype file "
                            f"holds one small JSON object (at most {MAX_GENOTYPE_FILE:,} bytes)")
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"genotype file {preview(str(path))} is not UTF-8 text; expected a JSON object") from None
    except OSError as exc:
        raise UserError(f"cannot read genotype file {preview(str(path))}: {exc.strerror or exc}") from None


def _validated(genotype: Genotype, name: str | None) -> tuple[object, Genotype, str | None]:
    space = SPACES.get(genotype.space)()
    return space, space.validate(genotype), name

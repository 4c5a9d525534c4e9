"""The published numbers (results/published.csv), what each of them rests on, and which of our runs reproduce which.

One row per method x dataset, numbers exactly as printed (kept as text, so "0.087" stays "0.087"). Provenance is per
field, following the reference sheet (shared/reference/published.md):
- `source`: where the row was read, as arXiv ids ("arXiv:1908.03835") and URLs separated by "; "; empty when no source
  is at hand.
- `confirmed`: the fields that source confirms, separated by ";". A number outside that list is carried as the sheet
  gives it and flagged by `status` ("unverified", "means verified, std unverified", ...); plots draw it hollow.
- Protocol columns (n_fake, n_real, reference_split, backbone, is_splits) say `not stated` where no source at hand
  states them; nothing is filled in by assumption. Empty means unknown.

The `ours_space`, `ours_strategy` and `ours_arch` columns say which of our runs reproduce a row: a search run with that
space and strategy (e.g. autogan + rl ~ AutoGAN), or a training run of that named architecture (e.g. autogan_cifar10_a
trained ~ AutoGAN's architecture), on the row's dataset. `ours_arch` may list several names separated by ";".
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import pandas as pd

from .errors import UserError

COLUMNS = (
    "method", "kind", "venue", "year", "arxiv", "strategy", "searches", "dataset", "image_size", "is_mean", "is_std",
    "fid", "fid_std", "params_g", "search_cost", "search_cost_unit", "search_cost_gpu_days", "device", "source",
    "source_detail", "confirmed", "status", "n_fake", "n_real", "reference_split", "backbone", "is_splits",
    "ours_space", "ours_strategy", "ours_arch", "notes",
)
NUMERIC = ("year", "image_size", "is_mean", "is_std", "fid", "fid_std", "params_g", "search_cost",
           "search_cost_gpu_days", "n_fake", "n_real", "is_splits")
NOT_STATED = "not stated"
#: columns that may say `not stated` (the protocol a number was measured on)
PROTOCOL_COLUMNS = ("n_fake", "n_real", "reference_split", "backbone", "is_splits")
#: fields a source can confirm
CONFIRMABLE = ("is_mean", "is_std", "fid", "fid_std", "params_g", "search_cost", "device", "image_size",
               *PROTOCOL_COLUMNS)
DATASETS = ("cifar10", "stl10")
COST_UNITS = {"GPU-hours": 1 / 24, "GPU-days": 1.0}
_SOURCE = re.compile(r"^(?:arXiv:\d{4}\.\d{4,5}(?:v\d+)?|https://\S+)$")

# torch-fidelity's inception-v3-compat reproduces the TensorFlow Inception features (IS within ~1e-3, FID within ~1e-6
# relative error), so it is not counted as a protocol difference; the backbone column still names it on every row.
TF_INCEPTION_EQUIVALENT = ("tf-inception", "inception-v3-compat")


def load_published(path: str | Path) -> pd.DataFrame:
    """Read and check published.csv; every cell is text ("" = unknown), in file order."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise UserError(f"published numbers file {str(path)!r} does not exist; "
                        "expected results/published.csv") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UserError(f"published numbers file {str(path)!r} is not readable CSV: {exc}") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise UserError(f"{str(path)!r} lacks columns {', '.join(missing)}; expected: {', '.join(COLUMNS)}")
    for i, row in df.iterrows():
        _check_row(row, f"{str(path)!r} line {i + 2} ({row['method']!r})")
    duplicated = df[df.duplicated(["method", "dataset"])]
    if len(duplicated):
        first = duplicated.iloc[0]
        raise UserError(f"{str(path)!r}: {first['method']!r} on {first['dataset']!r} appears twice; "
                        "one row per method x dataset")
    return df[list(COLUMNS)].reset_index(drop=True)


def _check_row(row: pd.Series, where: str) -> None:
    if not row["method"]:
        raise UserError(f"{where}: empty method; every row names its method")
    if row["dataset"] not in DATASETS:
        raise UserError(f"{where}: dataset {row['dataset']!r}; accepted: {', '.join(DATASETS)}")
    if row["search_cost"] and row["search_cost_unit"] not in COST_UNITS:
        raise UserError(f"{where}: search_cost_unit {row['search_cost_unit']!r}; accepted: {', '.join(COST_UNITS)}")
    for col in NUMERIC:
        value = row[col]
        if value == NOT_STATED and col not in PROTOCOL_COLUMNS:
            raise UserError(f"{where}: {col} {NOT_STATED!r}; accepted there: a number or empty "
                            f"({NOT_STATED!r} only in {', '.join(PROTOCOL_COLUMNS)})")
        if value and value != NOT_STATED:
            try:
                float(value)
            except ValueError:
                raise UserError(f"{where}: {col} {value!r} is not a number (leave it empty if unknown)") from None
    if row["search_cost_gpu_days"]:
        expected = gpu_days(row["search_cost"], row["search_cost_unit"])
        if expected is None or abs(float(row["search_cost_gpu_days"]) - expected) > 1e-4 * max(1.0, expected):
            raise UserError(f"{where}: search_cost_gpu_days {row['search_cost_gpu_days']!r} does not match "
                            f"{row['search_cost']!r} {row['search_cost_unit']}; accepted: the same cost in GPU-days")
    sources = split_list(row["source"], "; ")
    bad = [s for s in sources if not _SOURCE.match(s)]
    if bad:
        raise UserError(f"{where}: source {bad[0]!r}; accepted: arXiv ids ('arXiv:1908.03835') or https URLs, "
                        "separated by '; '")
    confirmed = split_list(row["confirmed"], ";")
    unknown = [f for f in confirmed if f not in CONFIRMABLE]
    if unknown:
        raise UserError(f"{where}: confirmed field {unknown[0]!r}; accepted: {', '.join(CONFIRMABLE)}")
    if confirmed and not sources:
        raise UserError(f"{where}: confirms {', '.join(confirmed)} but names no source; a confirmed field needs one")
    empty = [f for f in confirmed if row[f] in ("", NOT_STATED)]
    if empty:
        raise UserError(f"{where}: confirmed field {empty[0]!r} holds no value; only a stated value can be confirmed")


def split_list(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator.strip()) if part.strip()]


def confirmed_fields(row: Mapping[str, str]) -> set[str]:
    """The fields of a published row that its source confirms."""
    return set(split_list(row["confirmed"], ";"))


def is_confirmed(row: Mapping[str, str], *fields: str) -> bool:
    """Whether the row's source confirms every one of `fields` (a plot's filled marker)."""
    return set(fields) <= confirmed_fields(row)


def gpu_days(search_cost: str, unit: str) -> float | None:
    """A published search cost in GPU-days (the papers' unit), or None when unknown."""
    if not search_cost:
        return None
    return float(search_cost) * COST_UNITS[unit]


def reproduced_claim(published: pd.DataFrame, dataset: str, space: str | None, strategy: str | None,
                     arch_name: str | None) -> pd.Series | None:
    """The published row a run of ours reproduces on `dataset`, or None.

    A training run of a named architecture matches on `ours_arch`; a search run matches on space and strategy.
    """
    rows = published[published["dataset"] == dataset]
    for _, row in rows.iterrows():
        arches = split_list(row["ours_arch"], ";")
        if arch_name and not strategy:
            if arch_name in arches:
                return row
        elif strategy and row["ours_strategy"] == strategy and row["ours_space"] == space:
            return row
    return None

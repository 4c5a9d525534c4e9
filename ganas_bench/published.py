"""The published numbers (results/published.csv) and the rules that say which of our runs reproduce which claim.

The CSV holds one row per method x dataset, numbers exactly as printed (kept as text, so "0.087" stays "0.087"), the
protocol behind each number (n_fake, n_real, reference split, backbone, image size) where the source states it, and a
`status` that carries every doubt of the reference sheet ("unverified", "means verified, std unverified", ...). Empty
means unknown; nothing is filled in by guess.

The `ours_space`, `ours_strategy` and `ours_arch` columns say which of our runs reproduce a row: a search run with that
space and strategy (e.g. autogan + rl ~ AutoGAN), or a training run of that named architecture (e.g. autogan_cifar10_a
trained ~ AutoGAN's architecture), on the row's dataset. `ours_arch` may list several names separated by ";".
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import UserError

COLUMNS = (
    "method", "kind", "venue", "year", "arxiv", "strategy", "searches", "dataset", "image_size", "is_mean", "is_std", "fid",
    "fid_std", "params_g", "search_cost", "search_cost_unit", "search_cost_gpu_days", "device", "source", "status",
    "n_fake", "n_real", "reference_split", "backbone", "is_splits", "ours_space", "ours_strategy", "ours_arch", "notes",
)
NUMERIC = ("year", "image_size", "is_mean", "is_std", "fid", "fid_std", "params_g", "search_cost", "search_cost_gpu_days",
           "n_fake", "n_real", "is_splits")
DATASETS = ("cifar10", "stl10")
COST_UNITS = {"GPU-hours": 1 / 24, "GPU-days": 1.0}

# The protocol of the NAS papers' numbers (published.md): 50k generated samples, FID against the whole training split.
PAPER_PROTOCOL = {
    "cifar10": {"image_size": 32, "n_fake": 50000, "n_real": 50000, "reference_split": "train", "backbone": "tf-inception"},
    "stl10": {"image_size": 48, "n_fake": 50000, "n_real": 105000, "reference_split": "train+unlabeled",
              "backbone": "tf-inception"},
}
# torch-fidelity's inception-v3-compat reproduces the TensorFlow Inception features (IS within ~1e-3, FID within ~1e-6
# relative error), so it is not counted as a protocol difference; the backbone column still names it on every row.
TF_INCEPTION_EQUIVALENT = ("tf-inception", "inception-v3-compat")


def load_published(path: str | Path) -> pd.DataFrame:
    """Read and check published.csv; every cell is text ("" = unknown), in file order."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise UserError(f"published numbers file {str(path)!r} does not exist; expected results/published.csv") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UserError(f"published numbers file {str(path)!r} is not readable CSV: {exc}") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise UserError(f"{str(path)!r} lacks columns {', '.join(missing)}; expected: {', '.join(COLUMNS)}")
    for i, row in df.iterrows():
        where = f"{str(path)!r} line {i + 2} ({row['method']!r})"
        if not row["method"]:
            raise UserError(f"{where}: empty method; every row names its method")
        if row["dataset"] not in DATASETS:
            raise UserError(f"{where}: dataset {row['dataset']!r}; accepted: {', '.join(DATASETS)}")
        if row["search_cost"] and row["search_cost_unit"] not in COST_UNITS:
            raise UserError(f"{where}: search_cost_unit {row['search_cost_unit']!r}; accepted: {', '.join(COST_UNITS)}")
        for col in NUMERIC:
            if row[col]:
                try:
                    float(row[col])
                except ValueError:
                    raise UserError(f"{where}: {col} {row[col]!r} is not a number (leave it empty if unknown)") from None
        if row["search_cost_gpu_days"]:
            expected = gpu_days(row["search_cost"], row["search_cost_unit"])
            if expected is None or abs(float(row["search_cost_gpu_days"]) - expected) > 1e-4 * max(1.0, expected):
                raise UserError(f"{where}: search_cost_gpu_days {row['search_cost_gpu_days']!r} does not match "
                                f"{row['search_cost']!r} {row['search_cost_unit']}; accepted: the same cost in GPU-days")
    duplicated = df[df.duplicated(["method", "dataset"])]
    if len(duplicated):
        first = duplicated.iloc[0]
        raise UserError(f"{str(path)!r}: {first['method']!r} on {first['dataset']!r} appears twice; one row per method x dataset")
    return df[list(COLUMNS)].reset_index(drop=True)


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
        arches = [a.strip() for a in row["ours_arch"].split(";") if a.strip()]
        if arch_name and not strategy:
            if arch_name in arches:
                return row
        elif strategy and row["ours_strategy"] == strategy and row["ours_space"] == space:
            return row
    return None

"""The figures of `ganas-bench tables`: FID vs search cost, search curves, architecture entropies, sample grids.

Figures are drawn on `matplotlib.figure.Figure` with the Agg canvas (no pyplot, no global backend switch) under
matplotlib's default style, and saved as PNG and PDF without creation dates or software stamps, so that the same inputs
give byte-identical files.
"""
from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Sequence

import matplotlib
import matplotlib.image
import matplotlib.style
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

_PNG_METADATA = {"Software": None}
_PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}
# Curve keys that index or time a row rather than measure the search.
X_KEYS = ("step", "iteration", "iter", "epoch")
_BOOKKEEPING = {"t", "time", "wall_s", "stage", "seed"}
_COLORS = matplotlib.rcParamsDefault["axes.prop_cycle"].by_key()["color"]
_LINESTYLES = ("-", "--", ":", "-.")


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """Write `stem`.png and `stem`.pdf, free of timestamps."""
    FigureCanvasAgg(fig)
    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    fig.savefig(png, dpi=120, metadata=_PNG_METADATA)
    fig.savefig(pdf, metadata=_PDF_METADATA)
    return [png, pdf]


def _figure(width: float, height: float, rows: int = 1, top_inches: float = 0.55, hspace: float = 0.45) -> Figure:
    """Fixed margins rather than a layout engine: a layout engine draws every figure once more, for nothing here."""
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.8 / width, right=1.0 - 0.25 / width, bottom=0.55 / height * rows ** 0.5,
                        top=1.0 - top_inches / height, hspace=hspace, wspace=0.3)
    return fig


def plot_fid_vs_search_cost(points: pd.DataFrame, title: str, stem: Path) -> list[Path]:
    """One point per published method or group of our runs: FID over search cost on a log axis.

    `points` columns: label, source ("published" | "ours"), fid, fid_std (NaN if none), cost_days, cost_unit
    ("GPU-days" | "CPU-core-days" | ...), verified (bool). CPU points keep their own unit and marker: a CPU-core-day is
    not a GPU-day, so the legend and axis label say which is which.
    """
    with matplotlib.style.context("default"):
        fig = _figure(7.0, 4.8)
        ax = fig.add_subplot()
        styles = {
            ("published", True): dict(marker="o", color="tab:blue", label="published (verified)"),
            ("published", False): dict(marker="o", color="tab:blue", markerfacecolor="none",
                                       label="published (unverified in part)"),
        }
        seen = set()
        for row in points.itertuples(index=False):
            if row.source == "published":
                style = dict(styles[("published", bool(row.verified))])
            else:
                gpu = row.cost_unit.startswith("GPU")
                style = dict(marker="s" if gpu else "^", color="tab:green" if gpu else "tab:red",
                             label=f"ours ({row.cost_unit})")
            label = style.pop("label")
            yerr = None if pd.isna(row.fid_std) else row.fid_std
            ax.errorbar(row.cost_days, row.fid, yerr=yerr, linestyle="none", markersize=7, capsize=3,
                        label=None if label in seen else label, **style)
            seen.add(label)
            ax.annotate(row.label, (row.cost_days, row.fid), textcoords="offset points", xytext=(5, 4), fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("search cost in device-days (log): GPU-days, or CPU-core-days for CPU runs")
        ax.set_ylabel("FID (lower is better)")
        ax.set_title(_wrap(title, 7.0), fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        return save_figure(fig, stem)


def curve_series(curve: Sequence[dict]) -> tuple[str, list[float], dict[str, list]]:
    """Split a search curve into its x axis and its measured series.

    x is the first of X_KEYS present in every row (else the row index). A series value is a number, or a list / dict of
    numbers (e.g. one entropy per edge); a row lacking a key gives NaN there.
    """
    rows = [r for r in curve if isinstance(r, dict)]
    x_key = next((k for k in X_KEYS if rows and all(_is_number(r.get(k)) for r in rows)), "index")
    xs = [float(r[x_key]) for r in rows] if x_key != "index" else [float(i) for i in range(len(rows))]
    keys = sorted({k for r in rows for k in r if k not in X_KEYS and k not in _BOOKKEEPING and _is_series(r[k])})
    series = {k: [r.get(k, math.nan) if _is_series(r.get(k)) else math.nan for r in rows] for k in keys}
    return x_key, xs, series


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_series(v) -> bool:
    if _is_number(v):
        return True
    if isinstance(v, list):
        return bool(v) and all(_is_number(e) for e in v)
    if isinstance(v, dict):
        return bool(v) and all(_is_number(e) for e in v.values())
    return False


def _components(values: list) -> dict[str, list[float]]:
    """One list per component: a scalar series is one component; list/dict values give one per edge."""
    first = next((v for v in values if not _is_number(v) or not math.isnan(v)), None)
    if first is None or _is_number(first):
        return {"": [float(v) if _is_number(v) else math.nan for v in values]}
    names = [str(i) for i in range(len(first))] if isinstance(first, list) else sorted(first)
    out = {n: [] for n in names}
    for v in values:
        for i, n in enumerate(names):
            if isinstance(v, list) and i < len(v):
                out[n].append(float(v[i]))
            elif isinstance(v, dict) and n in v:
                out[n].append(float(v[n]))
            else:
                out[n].append(math.nan)
    return out


def plot_curves(runs: Sequence[tuple[str, int, Sequence[dict]]], keys: Sequence[str], title: str,
                stem: Path) -> list[Path]:
    """One panel per curve key, one line per run (colour per group label, line style per seed).

    `runs` holds (group label, seed index within the group, curve rows). Per-edge series (lists or dicts) are drawn as
    thin lines with their mean in bold.
    """
    with matplotlib.style.context("default"):
        ncols = min(2, len(keys))
        nrows = math.ceil(len(keys) / ncols)
        fig = _figure(6.0 * ncols, 3.6 * nrows, nrows)
        labels = sorted({label for label, _, _ in runs})
        for i, key in enumerate(keys):
            ax = fig.add_subplot(nrows, ncols, i + 1)
            x_name = "step"
            for label, seed_index, curve in runs:
                x_name, xs, series = curve_series(curve)
                if key not in series:
                    continue
                color = _COLORS[labels.index(label) % len(_COLORS)]
                style = _LINESTYLES[seed_index % len(_LINESTYLES)]
                parts = _components(series[key])
                name = f"{label} #{seed_index + 1}"
                if len(parts) == 1:
                    ax.plot(xs, next(iter(parts.values())), color=color, linestyle=style, label=name)
                else:
                    for values in parts.values():
                        ax.plot(xs, values, color=color, linestyle=style, linewidth=0.6, alpha=0.35)
                    mean = [_nanmean([p[j] for p in parts.values()]) for j in range(len(xs))]
                    ax.plot(xs, mean, color=color, linestyle=style, linewidth=2.0,
                            label=f"{name} (mean of {len(parts)})")
            ax.set_xlabel(x_name)
            ax.set_ylabel(key)
            ax.grid(True, alpha=0.3)
            if ax.lines:
                ax.legend(fontsize=6)
        fig.suptitle(_wrap(title, fig.get_figwidth()), fontsize=10)
        return save_figure(fig, stem)


def _wrap(title: str, width_inches: float) -> str:
    width = max(30, int(width_inches * 11))
    return "\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in title.split("\n"))


def _nanmean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def plot_sample_grid(items: Sequence[tuple[str, Path]], title: str, stem: Path) -> list[Path]:
    """Assemble runs' samples.png side by side, each titled with its run. Returns [] when no image is readable."""
    images = []
    for caption, path in items:
        try:
            images.append((caption, matplotlib.image.imread(path)))
        except (OSError, ValueError, SyntaxError):
            continue
    if not images:
        return []
    with matplotlib.style.context("default"):
        ncols = min(4, len(images))
        nrows = math.ceil(len(images) / ncols)
        fig = _figure(3.2 * ncols, 3.3 * nrows + 0.5, nrows, top_inches=0.95, hspace=0.3)
        for i, (caption, image) in enumerate(images):
            ax = fig.add_subplot(nrows, ncols, i + 1)
            gray = dict(cmap="gray", vmin=0.0, vmax=1.0) if image.ndim == 2 else {}
            ax.imshow(image, interpolation="nearest", **gray)
            ax.set_title(_wrap(caption, 4.5), fontsize=7)
            ax.set_axis_off()
        fig.suptitle(_wrap(title, fig.get_figwidth()), fontsize=10)
        return save_figure(fig, stem)

"""Drawing the figures of `ganas-bench tables`; what to draw is decided in ganas_bench/tables/figures.py.

Figures are drawn on `matplotlib.figure.Figure` with the Agg canvas (no pyplot, no global backend switch) under
matplotlib's default style, and saved as PNG and PDF without creation dates or software stamps, so that the same inputs
give byte-identical files. Error bars are the 95% intervals the tables print; a hollow marker is a published number its
source does not confirm.
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
COLORS = matplotlib.rcParamsDefault["axes.prop_cycle"].by_key()["color"]
LINESTYLES = ("-", "--", ":", "-.")
_MARKERS = {"published": "o", "ours": "s"}


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """Write `stem`.png and `stem`.pdf, free of timestamps."""
    FigureCanvasAgg(fig)
    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    fig.savefig(png, dpi=120, metadata=_PNG_METADATA)
    fig.savefig(pdf, metadata=_PDF_METADATA)
    return [png, pdf]


def _figure(width: float, height: float, rows: int = 1, top_inches: float = 0.75, hspace: float = 0.5) -> Figure:
    """Fixed margins rather than a layout engine: a layout engine draws every figure once more, for nothing here."""
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.9 / width, right=1.0 - 0.25 / width, bottom=0.6 / height * rows ** 0.5,
                        top=1.0 - top_inches / height, hspace=hspace, wspace=0.3)
    return fig


def wrap(title: str, width_inches: float) -> str:
    width = max(30, int(width_inches * 11))
    return "\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in title.split("\n"))


def _errors(low: float, mid: float, high: float) -> list[list[float]] | None:
    if any(pd.isna(v) for v in (low, mid, high)):
        return None
    return [[max(mid - low, 0.0)], [max(high - mid, 0.0)]]


def _point(ax, x: float, y: float, xerr, yerr, kind: str, filled: bool, color: str, label: str | None) -> None:
    ax.errorbar(x, y, xerr=xerr, yerr=yerr, linestyle="none", marker=_MARKERS.get(kind, "^"), markersize=7,
                capsize=3, color=color, markerfacecolor=color if filled else "none", label=label)


def plot_cost_vs_fid(panels: Sequence[dict], title: str, stem: Path) -> list[Path]:
    """One panel per cost unit: FID over search cost (log x), 95% intervals on both axes, the Pareto front.

    A panel: {"x_label", "points": DataFrame[label, kind ("published" | "ours"), cost, cost_low, cost_high, fid,
    fid_low, fid_high, filled], "front": [(cost, fid), ...] sorted by cost}.
    """
    with matplotlib.style.context("default"):
        fig = _figure(7.0 * len(panels), 5.0)
        for i, panel in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), i + 1)
            seen = set()
            for row in panel["points"].itertuples(index=False):
                color = "tab:blue" if row.kind == "published" else "tab:green"
                label = f"{row.kind} ({'confirmed' if row.filled else 'not confirmed by its source'})" \
                    if row.kind == "published" else "ours: group mean, 95% intervals"
                _point(ax, row.cost, row.fid, _errors(row.cost_low, row.cost, row.cost_high),
                       _errors(row.fid_low, row.fid, row.fid_high), row.kind, bool(row.filled), color,
                       None if label in seen else label)
                seen.add(label)
                ax.annotate(row.label, (row.cost, row.fid), textcoords="offset points", xytext=(5, 4), fontsize=7)
            if len(panel["front"]) > 1:
                xs, ys = zip(*panel["front"])
                ax.step(xs, ys, where="post", color="0.4", linestyle="--", linewidth=1.0,
                        label="Pareto front (less cost, lower FID)")
            ax.set_xscale("log")
            ax.set_xlabel(panel["x_label"])
            ax.set_ylabel("FID (lower is better)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
        fig.suptitle(wrap(title, fig.get_figwidth()), fontsize=10)
        return save_figure(fig, stem)


def plot_params_vs_fid(points: pd.DataFrame, title: str, stem: Path) -> list[Path]:
    """FID over generator parameters (log x), one point per run or published row; colour per label.

    `points` columns: label, kind ("published" | "ours"), params, fid, filled.
    """
    with matplotlib.style.context("default"):
        fig = _figure(7.0, 5.0)
        ax = fig.add_subplot()
        labels = sorted(set(points["label"]))
        seen = set()
        for row in points.itertuples(index=False):
            color = COLORS[labels.index(row.label) % len(COLORS)]
            _point(ax, row.params, row.fid, None, None, row.kind, bool(row.filled), color,
                   None if row.label in seen else row.label)
            seen.add(row.label)
        ax.set_xscale("log")
        ax.set_xlabel("generator parameters (log)")
        ax.set_ylabel("FID (lower is better)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        ax.set_title(wrap(title, 7.0), fontsize=10)
        return save_figure(fig, stem)


def plot_group_intervals(groups: Sequence[dict], title: str, y_label: str, stem: Path) -> list[Path]:
    """Per group: every seed's value (dots), the mean (bar) and its 95% interval (error bar).

    A group: {"name", "values": [...], "mean", "low", "high"}.
    """
    with matplotlib.style.context("default"):
        width = max(7.0, 1.1 * len(groups) + 2.0)
        fig = _figure(width, 5.0, top_inches=0.85)
        fig.subplots_adjust(bottom=0.28)
        ax = fig.add_subplot()
        for i, group in enumerate(groups):
            values = group["values"]
            offsets = [(j - (len(values) - 1) / 2) * 0.06 for j in range(len(values))]
            ax.plot([i + o for o in offsets], values, linestyle="none", marker="o", markersize=4, color="0.35")
            ax.errorbar(i, group["mean"], yerr=_errors(group["low"], group["mean"], group["high"]), marker="_",
                        markersize=18, capsize=5, color="tab:red", linestyle="none")
        ax.set_xticks(range(len(groups)), [wrap(g["name"], 1.2) for g in groups], fontsize=7, rotation=30, ha="right")
        ax.set_ylabel(y_label)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_title(wrap(title, width), fontsize=10)
        return save_figure(fig, stem)


def plot_line_panels(panels: Sequence[dict], title: str, stem: Path) -> list[Path]:
    """Panels of lines, each with its own axes and labels.

    A panel: {"title", "x_label", "y_label", "lines": [{"label", "xs", "ys", "color", "style", "thin"}]}; thin lines
    (e.g. one per decision) are drawn faint and unlabelled.
    """
    with matplotlib.style.context("default"):
        ncols = min(2, len(panels))
        nrows = math.ceil(len(panels) / ncols)
        fig = _figure(6.5 * ncols, 3.9 * nrows, nrows, top_inches=0.9, hspace=0.6)
        fig.subplots_adjust(left=1.1 / fig.get_figwidth(), wspace=0.35)
        for i, panel in enumerate(panels):
            ax = fig.add_subplot(nrows, ncols, i + 1)
            for line in panel["lines"]:
                color = COLORS[line["color"] % len(COLORS)]
                style = LINESTYLES[line["style"] % len(LINESTYLES)]
                if line.get("thin"):
                    ax.plot(line["xs"], line["ys"], color=color, linestyle=style, linewidth=0.6, alpha=0.35)
                else:
                    ax.plot(line["xs"], line["ys"], color=color, linestyle=style, linewidth=1.6, label=line["label"])
            ax.set_title(wrap(panel["title"], 6.0), fontsize=8)
            ax.set_xlabel(wrap(panel["x_label"], 6.0), fontsize=8)
            ax.set_ylabel(wrap(panel["y_label"], 4.5), fontsize=8)
            ax.grid(True, alpha=0.3)
            if any(not line.get("thin") for line in panel["lines"]):
                ax.legend(fontsize=6)
        fig.suptitle(wrap(title, fig.get_figwidth()), fontsize=10)
        return save_figure(fig, stem)


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
            ax.set_title(wrap(caption, 4.5), fontsize=7)
            ax.set_axis_off()
        fig.suptitle(wrap(title, fig.get_figwidth()), fontsize=10)
        return save_figure(fig, stem)

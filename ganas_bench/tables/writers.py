"""Writing tables as Markdown, CSV and LaTeX (booktabs), atomically, plus the index and the removal of stale files.

A table is written as `<stem>.md` (every section, every column, notes as a list), `<stem>.csv` (raw numbers, one
frame) and `<stem>.tex` (per section a `table` with booktabs rules and only the columns that fit a page, the notes as
numbered footnotes under it; needs `\\usepackage{booktabs}`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..runs.rundir import atomic_write_bytes

# Names of the files write_tables owns in out_dir; any other file there is left alone.
OWNED_NAME = re.compile(r"^(?:(?:runs|matrix|pairwise|leaderboard)_[\w.-]+\.(?:md|csv|tex)|failed_runs\.(?:md|csv|tex)"
                        r"|readme_[\w.-]+\.md|(?:fid_vs_search_cost|params_vs_fid|fid_by_group|search_curves|entropy"
                        r"|samples)_[\w.-]+\.(?:png|pdf)|index\.md)$")
_LATEX_SYMBOLS = {"±": r"$\pm$", "×": r"$\times$", "−": "--", "†": r"\textsuperscript{\dag}",
                  "³": r"\textsuperscript{3}"}
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


@dataclass
class Section:
    """One table of a file: a heading ("" for none), the frame shown in Markdown, and the columns LaTeX keeps."""

    heading: str
    frame: pd.DataFrame
    latex_columns: tuple[str, ...] = ()
    intro: list[str] = field(default_factory=list)


def markdown(frame: pd.DataFrame) -> str:
    if not len(frame):
        return "_No rows._"
    clean = frame.astype(str).apply(lambda col: col.str.replace("|", r"\|", regex=False).str.replace("\n", " "))
    return clean.to_markdown(index=False, disable_numparse=True)


def tex_escape(text: str) -> str:
    text = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    for symbol, command in _LATEX_SYMBOLS.items():
        text = text.replace(symbol, command)
    return text


def latex(section: Section, title: str, notes: list[str]) -> str:
    """A booktabs table of the section's LaTeX columns (all if none named), notes as numbered footnotes under it."""
    caption = tex_escape(f"{title}: {section.heading}" if section.heading else title)
    frame = section.frame
    if not len(frame):
        return f"% {caption}: no rows\n"
    columns = [c for c in section.latex_columns if c in frame.columns] or list(frame.columns)
    head = " & ".join(tex_escape(c) for c in columns) + r" \\"
    body = [" & ".join(tex_escape(str(v)) for v in row) + r" \\" for row in frame[columns].itertuples(index=False)]
    see = f" (notes 1-{len(notes)} under the table)" if len(notes) > 1 else " (note 1 under the table)" if notes else ""
    lines = [r"\begin{table}[htbp]", r"\centering", r"\footnotesize", rf"\caption{{{caption}{see}}}",
             rf"\begin{{tabular}}{{{'l' * len(columns)}}}", r"\toprule", head, r"\midrule", *body, r"\bottomrule",
             r"\end{tabular}"]
    if notes:
        lines += [r"\par\smallskip", r"\begin{minipage}{\linewidth}\scriptsize"]
        lines += [rf"\textsuperscript{{{i}}}~{tex_escape(note)}\par" for i, note in enumerate(notes, 1)]
        lines += [r"\end{minipage}"]
    lines += [r"\end{table}", ""]
    return "\n".join(lines)


class Writer:
    """Writes out_dir's files atomically and remembers their names."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.written: list[str] = []

    def text(self, name: str, text: str) -> None:
        atomic_write_bytes(self.out_dir / name, text.encode())
        self.written.append(name)

    def table(self, stem: str, title: str, sections: list[Section], csv: pd.DataFrame, notes: list[str]) -> None:
        md = [f"# {title}", ""]
        tex = [f"% {title}", "% written by `ganas-bench tables`; needs \\usepackage{booktabs}", ""]
        for section in sections or [Section("", pd.DataFrame())]:
            if section.heading:
                md += [f"## {section.heading}", ""]
            md += [*section.intro, "" if section.intro else None, markdown(section.frame), ""]
            tex += [latex(section, title, notes)]
        md += ["Notes:", *[f"- {n}" for n in notes], ""]
        self.text(f"{stem}.md", "\n".join(line for line in md if line is not None))
        self.text(f"{stem}.tex", "\n".join(tex))
        self.text(f"{stem}.csv", csv.to_csv(index=False, lineterminator="\n"))

    def figure(self, paths: list[Path]) -> None:
        self.written += [p.name for p in paths]

    def remove_stale(self) -> list[str]:
        stale = sorted(p.name for p in self.out_dir.iterdir()
                       if p.is_file() and OWNED_NAME.match(p.name) and p.name not in self.written)
        for name in stale:
            (self.out_dir / name).unlink()
        return stale


_INDEX = {
    "runs_": "every finished run of one profile with its protocol; on paper profiles the published numbers, "
             "reproductions under their claims",
    "matrix_": "strategy x space matrix of one profile: n, mean [95% CI], spread over seeds, evaluation noise, costs",
    "pairwise_": "each pair of strategies within a space: difference in FID, its interval, Mann-Whitney test, verdict",
    "readme_": "the matrix of one profile as Markdown ready for the README",
    "leaderboard_": "groups of one profile by mean FID, per evaluation protocol",
    "failed_runs.": "failed and partial runs with reasons",
    "fid_vs_search_cost_": "FID vs search cost with 95% intervals and the Pareto front",
    "params_vs_fid_": "FID vs generator parameters, one point per run",
    "fid_by_group_": "FID of every seed per group, with the group mean and its 95% interval",
    "search_curves_": "search curves of one strategy (search.json), x = that strategy's step",
    "entropy_": "rl controller entropy and differentiable architecture-parameter entropy, on separate axes",
    "samples_": "sample grids of finished runs",
}


def index(written: list[str]) -> str:
    lines = ["# ganas-bench tables", "",
             "Written by `ganas-bench tables` from run directories and results/published.csv.", ""]
    stems: dict[str, list[str]] = {}
    for name in sorted(written):
        stem, _, suffix = name.rpartition(".")
        stems.setdefault(stem, []).append(suffix)
    for stem, suffixes in stems.items():
        what = next((v for k, v in _INDEX.items() if f"{stem}.".startswith(k)), "")
        links = ", ".join(f"[{s}]({stem}.{s})" for s in suffixes)
        lines.append(f"- {stem} ({links}): {what}")
    return "\n".join(lines) + "\n"

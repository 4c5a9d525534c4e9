"""`ganas-bench tables`: render the results API's frames as Markdown, CSV and LaTeX tables and as figures.

Nothing here reads a run directory or computes a statistic: `ganas_bench.results` loads, groups and compares; this
package only lays the numbers out. Per profile (smoke and tiny runs never share a table), written into out_dir:
- `runs_<profile>`: every finished run with its protocol, re-evaluations under their run; on cifar10 / stl10 the
  published numbers with their sources, our reproductions under the claims (runs_table.py);
- `matrix_<profile>`, `pairwise_<profile>`, `readme_<profile>.md`: the strategy x space matrix over seeds, the pairwise
  tests within each space, and the same as Markdown for the README (matrix.py);
- `leaderboard_<profile>`: groups by mean FID per evaluation protocol (leaderboard.py);
- figures: `fid_vs_search_cost_`, `params_vs_fid_`, `fid_by_group_`, `search_curves_<profile>_<strategy>`, `entropy_`,
  `samples_` (figures.py, drawn by ganas_bench/plots.py);
and `failed_runs` (every profile) and `index.md`. Outputs are byte-identical for identical inputs; files of an earlier
call that this call did not write are removed, other files are left alone.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..published import load_published
from ..results import compare_strategies, load_reevaluations, load_runs, summarise_groups
from ..results import keys as K
from ..results.floor import floor_for, floor_text
from ..results.protocol import profile_protocol, protocol_title, protocol_key
from . import format as F
from . import notes as N
from .figures import write_figures
from .leaderboard import failed_table, leaderboard_sections
from .matrix import matrix_sections, pairwise_section, readme_text
from .runs_table import runs_table
from .writers import Section, Writer, index

#: profiles whose table is written even without runs: they hold the published numbers
PAPER_PROFILES = ("cifar10", "stl10")


def write_tables(runs_dir: Path, published_csv: Path, out_dir: Path) -> dict:
    """Write every table and figure of the package docstring into out_dir.

    Returns {"out_dir", "files" (names written, sorted), "removed_stale" (names of an earlier call's files not written
    this time, deleted), "counts": {"published_rows", "runs", "finished", "failed", "partial", "groups"}}.
    """
    published = load_published(published_csv)
    runs = load_runs(Path(runs_dir))
    reevals = load_reevaluations(runs)
    scored = pd.concat([runs, reevals], ignore_index=True) if len(reevals) else runs
    groups = summarise_groups(scored, published)
    comparisons = compare_strategies(scored)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the tables folder {str(out_dir)!r}: {exc.strerror or exc}") from None
    w = Writer(out_dir)
    finished_profiles = set(runs.loc[runs[K.COL_STATE] == K.STATE_FINISHED, K.COL_PROFILE]) if len(runs) else set()
    for profile in sorted(finished_profiles | set(PAPER_PROFILES)):
        _write_profile(w, profile, published, runs, reevals, groups, comparisons)
    failed = failed_table(runs)
    w.table("failed_runs", "Failed and partial runs", [Section("", failed)], failed,
            ["failed: run.json status 'failed' with its reason; partial: no valid metrics.json, e.g. interrupted."])
    w.text("index.md", index(w.written))
    stale = w.remove_stale()
    counts = Counter(runs[K.COL_STATE])
    return {
        "out_dir": str(out_dir),
        "files": sorted(w.written),
        "removed_stale": stale,
        "counts": {"published_rows": len(published), "runs": len(runs), "finished": counts.get(K.STATE_FINISHED, 0),
                   "failed": counts.get(K.STATE_FAILED, 0), "partial": counts.get(K.STATE_PARTIAL, 0),
                   "groups": len(groups)},
    }


def _digits_notes(reference: dict) -> list[str]:
    if reference.get(K.KEY_DATASET) != "digits":
        return []
    return [floor_text(floor_for(reference)), N.SAMPLE_BIAS]


def _write_profile(w: Writer, profile: str, published: pd.DataFrame, runs: pd.DataFrame, reevals: pd.DataFrame,
                   groups: pd.DataFrame, comparisons: pd.DataFrame) -> None:
    reference = profile_protocol(profile)
    backbone = str(reference.get(K.KEY_BACKBONE) or "")
    scale = F.kid_scale(backbone)
    header = F.kid_header(scale)
    safe = F.safe_name(profile)
    ref_text = (f"profile {profile}'s own protocol ({protocol_title(protocol_key(reference))})" if reference
                else f"no reference: profile {profile!r} is not a built-in profile")
    common = [N.INTERVAL, N.EVAL_NOISE, N.BEST_ITER, N.kid(header, backbone or "unknown"), *_digits_notes(reference)]

    mine = runs[(runs[K.COL_PROFILE] == profile) & (runs[K.COL_STATE] == K.STATE_FINISHED)
                & ~runs[K.COL_SEARCH_ONLY].astype(bool)] if len(runs) else runs
    datasets = set(mine[K.KEY_DATASET]) if len(mine) else set()
    if profile in PAPER_PROFILES and reference.get(K.KEY_DATASET):
        datasets.add(reference[K.KEY_DATASET])
    csvs, sections = [], []
    for dataset in sorted(datasets):
        csv, section = runs_table(profile, dataset, published, runs, reevals, reference, scale)
        csvs.append(csv)
        sections.append(section)
    csv = pd.concat(csvs, ignore_index=True) if csvs else pd.DataFrame()
    w.table(f"runs_{safe}", f"Profile {profile}: runs, each with its protocol", sections, csv,
            [f"protocol column: differences from {ref_text}.",
             "IS ± std of a run is torch-fidelity's spread over 10 splits, as in the papers; "
             "vs claim = ours - published.",
             *common, N.BACKBONE, N.COST, N.STATUS])

    matrix_csv, sections = matrix_sections(groups, profile, header, scale)
    if sections:
        matrix_notes = ["Groups: same profile, strategy, space and settings apart from seed; [in brackets]: the "
                        "settings that differ from the profile's defaults.", *common,
                        "unfinished runs: failed or partial runs of the same group (see failed_runs.md).", N.COST]
        w.table(f"matrix_{safe}", f"Profile {profile}: strategy x space matrix of search runs", sections, matrix_csv,
                matrix_notes)
        pairs_csv, pair_sections = pairwise_section(comparisons, profile)
        w.table(f"pairwise_{safe}", f"Profile {profile}: pairwise comparison of strategies within each space",
                pair_sections, pairs_csv, [N.TEST, N.INTERVAL, *_digits_notes(reference)])
        w.text(f"readme_{safe}.md", readme_text(groups, comparisons, runs, profile, reference,
                                                [N.INTERVAL, N.TEST, N.EVAL_NOISE, *_digits_notes(reference), N.COST]))
    board_csv, sections = leaderboard_sections(groups, profile, header, scale)
    if sections:
        w.table(f"leaderboard_{safe}", f"Profile {profile}: groups by mean FID (lower is better)", sections, board_csv,
                [N.ORDER, *common, N.COST])
    w.figure(write_figures(w.out_dir, profile, reference, published, runs, groups))

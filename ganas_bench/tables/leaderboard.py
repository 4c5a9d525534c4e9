"""`leaderboard_<profile>`: a profile's groups by mean FID, one section per evaluation protocol; `failed_runs`: failed
and partial runs with their reasons."""
from __future__ import annotations

import math

import pandas as pd

from ..results import keys as K
from ..results.groups import GROUP_COLUMNS
from ..results.protocol import protocol_key, protocol_title
from . import format as F
from .matrix import group_display
from .writers import Section

BOARD_CSV = ("protocol", "order", *GROUP_COLUMNS)
BOARD_LATEX = ("order", "entry", "n", "FID mean [95% CI]", "FID sd (min-max)", "IS mean [95% CI]", "params G")
FAILED_COLUMNS = ("run_id", "state", "reason", "command", "label", "profile", "seed", "last_event", "started", "ended")


def leaderboard_sections(groups: pd.DataFrame, profile: str, kid_header: str,
                         kid_scale: float) -> tuple[pd.DataFrame, list[Section]]:
    """Groups of one profile with scores, sorted by mean FID within each evaluation protocol (re-evaluations at
    another n_fake fall into that protocol's section, marked)."""
    board = groups[(groups[K.COL_PROFILE] == profile) & ~groups[K.COL_SEARCH_ONLY].astype(bool)].copy() \
        if len(groups) else groups
    if not len(board):
        return pd.DataFrame(columns=list(BOARD_CSV)), []
    board["protocol"] = [protocol_title(protocol_key(r)) for _, r in board.iterrows()]
    board["fid_sort"] = board["fid_mean"].fillna(math.inf)
    board = board.sort_values(["protocol", "fid_sort", K.COL_LABEL, K.COL_VARIANT, K.COL_GROUP])
    board["order"] = board.groupby("protocol").cumcount() + 1
    sections = []
    for protocol, g in board.groupby("protocol", sort=True):
        table = pd.DataFrame([{
            "order": str(r["order"]), "profile": r[K.COL_PROFILE],
            "entry": r[K.COL_LABEL] + ("" if r[K.COL_EVALUATION] == K.EVAL_FINAL else f" ({r[K.COL_EVALUATION]})"),
            "variant": r[K.COL_VARIANT], **group_display(r, kid_header, kid_scale),
        } for _, r in g.iterrows()])
        sections.append(Section(f"protocol: {protocol}", table, BOARD_LATEX))
    csv = pd.DataFrame([{c: F.csv_value(r[c]) for c in BOARD_CSV} for _, r in board.iterrows()],
                       columns=list(BOARD_CSV))
    return csv, sections


def failed_table(runs: pd.DataFrame) -> pd.DataFrame:
    bad = runs[runs[K.COL_STATE] != K.STATE_FINISHED].sort_values(K.COL_RUN_ID) if len(runs) else runs
    return pd.DataFrame([{c: F.csv_value(r[c]) for c in FAILED_COLUMNS} for _, r in bad.iterrows()],
                        columns=list(FAILED_COLUMNS))

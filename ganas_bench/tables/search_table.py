"""`search_<profile>`: did each search move? Its entropy's fall per stage, from the results API (search_entropy.py)."""
from __future__ import annotations

import pandas as pd

from ..results import keys as K
from ..results.search_entropy import MIN_STEPS, SHARE, entropy_falls
from . import format as F
from .writers import Section

NOTE = (f"entropy: rl's controller entropy (nats, summed over a stage's decisions) or the differentiable search's "
        f"architecture-parameter entropy (mean over decisions); first / last: mean over the first and the last "
        f"{SHARE:.0%} of a stage's steps (at least {MIN_STEPS}); fall = 1 - last / first; p: one-sided Mann-Whitney U "
        "(scipy) of first > last. A search whose entropy does not fall ended close to where it started: its "
        "architecture is a draw, not a choice. Search-only runs are included.")


def search_section(runs: pd.DataFrame, profile: str) -> tuple[pd.DataFrame, Section | None]:
    mine = runs[runs[K.COL_PROFILE] == profile] if len(runs) else runs
    falls = entropy_falls(mine) if len(mine) else pd.DataFrame()
    if not len(falls):
        return falls, None
    falls = falls.sort_values([K.COL_STRATEGY, K.COL_SPACE, K.COL_VARIANT, K.COL_SEED, K.COL_RUN_ID, "stage"],
                              na_position="first")
    shown = pd.DataFrame({
        "strategy": falls[K.COL_STRATEGY], "space": falls[K.COL_SPACE], "seed": falls[K.COL_SEED].astype(str),
        "settings": falls[K.COL_VARIANT], "run": falls[K.COL_RUN_ID],
        "stage": ["" if F.missing(s) else F.whole(s) for s in falls["stage"]],
        "steps": [F.whole(s) for s in falls["steps"]],
        "entropy first -> last": [f"{F.fmt(a, 3)} -> {F.fmt(b, 3)}"
                                  for a, b in zip(falls["entropy_first"], falls["entropy_last"])],
        "fall": [f"{100 * f:.1f}%" for f in falls["fall"]], "p": [F.sig(p) for p in falls["p"]],
        "search cost": [f"{F.sig(h)} {u}" for h, u in zip(falls[K.cost_hours("search")], falls[K.cost_unit("search")])],
    })
    return falls, Section("", shown, ("strategy", "space", "seed", "stage", "steps", "entropy first -> last", "fall",
                                      "p"))

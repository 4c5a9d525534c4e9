"""The notes printed under the tables: what each number is, what it may not be compared with."""
from __future__ import annotations

from ..results.stats import INTERVAL_NAME, TEST_NAME

BACKBONE = ("inception-v3-compat is torch-fidelity's port of the TensorFlow Inception used by the papers (IS within "
            "~1e-3, FID within ~1e-6 relative error); digits-classifier numbers are not comparable with Inception "
            "ones.")
COST = ("Costs are device time as recorded: GPU-hours (and GPU-days = /24, the papers' unit) on a GPU, CPU core-hours "
        "on a CPU; CPU time is never converted into a GPU unit.")
STATUS = ("Published rows: status carries the reference sheet's doubts; † marks a number the row's source does not "
          "confirm (see the source and confirmed columns); 'not stated' = no source at hand states it.")
INTERVAL = (f"[low, high] is the {INTERVAL_NAME} (scipy.stats.t); chosen over a bootstrap, whose intervals at 5 seeds "
            "cannot leave the range of the data. With skewed FIDs it can reach below 0: too few seeds, not a bug. "
            "sd (min-max) is the spread over seeds.")
EVAL_NOISE = ("eval sd is the spread of a run's score over its K evaluation z-seeds (mean over the group's runs): "
              "evaluation noise, to set beside the spread over training seeds. Runs evaluated once (older runs) show "
              "none.")
TEST = (f"Pairwise tests: {TEST_NAME}; a difference is called significant only when the adjusted p < 0.05 and the "
        "95% Welch interval of the difference excludes 0. With n=1 on a side no comparison is made.")
BEST_ITER = ("best_iter: the training iteration whose evaluation was kept. Where a run evaluated several times during "
             "training (eval_every > 0) its score is the best of those, selected on the same data it is reported on "
             "(optimistic).")
ORDER = ("Order is by mean FID within one evaluation protocol and is not a ranking of significance: see the pairwise "
         "tests in pairwise_<profile>.md for which differences hold.")
SAMPLE_BIAS = ("FID is biased upward at small n_fake: one tiny-profile generator measured FID 82.4 ± 4.9 at 500 "
               "samples, 74.5 ± 3.5 at 1,000, 73.4 ± 1.2 at 2,000 and 71.0 ± 1.1 at 5,000 (3 noise seeds each). "
               "Compare FIDs "
               "only at equal n_fake; re-evaluations (eval-<n>.json) are shown with their n_fake and grouped apart.")


def kid(header: str, backbone: str) -> str:
    return (f"{header}: KID (torch-fidelity, cubic polynomial kernel, 100 subsets) multiplied by the factor in the "
            f"header; the scale is chosen by the table's backbone ({backbone}) and is the same in every row.")

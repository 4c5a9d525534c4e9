"""Names of what run files hold and of the columns `load_runs` returns, defined once (as torch-fidelity's
`KEY_METRIC_*`).

`KEY_*` are keys inside a run's JSON files (metrics.json, eval-<n>.json, run.json); `COL_*` are columns of the runs
DataFrame. Where a metric key and its column mean the same number they share the string, so `runs[KEY_METRIC_FID]`
works too.
"""
from __future__ import annotations

# --- metrics.json / eval-<n>.json: scores and their protocol
KEY_METRIC_FID = "fid"
KEY_METRIC_IS_MEAN = "is_mean"
KEY_METRIC_IS_STD = "is_std"  # torch-fidelity's spread over the 10 IS splits (mean over evaluation seeds when K > 1)
KEY_METRIC_KID_MEAN = "kid_mean"
KEY_METRIC_KID_STD = "kid_std"  # torch-fidelity's spread over the KID subsets
SCORE_KEYS = (KEY_METRIC_FID, KEY_METRIC_IS_MEAN, KEY_METRIC_IS_STD, KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD)
#: the scores a summary gives a confidence interval to (their stds above are within-evaluation spreads)
SUMMARY_METRICS = (KEY_METRIC_FID, KEY_METRIC_IS_MEAN, KEY_METRIC_KID_MEAN)

KEY_N_FAKE = "n_fake"
KEY_N_REAL = "n_real"
KEY_BACKBONE = "backbone"
KEY_REFERENCE_SPLIT = "reference_split"
KEY_DATASET = "dataset"
KEY_IMAGE_SIZE = "image_size"
#: what a score is comparable on: FIDs differing in any of these are never put side by side unmarked
PROTOCOL_KEYS = (KEY_IMAGE_SIZE, KEY_N_FAKE, KEY_N_REAL, KEY_REFERENCE_SPLIT, KEY_BACKBONE)

KEY_BEST_ITER = "best_iter"  # the training iteration whose evaluation was kept (best-of-several on the same data)
KEY_UNTRAINED = "untrained"  # the same scores for the generator before training
KEY_SEARCH = "search"  # strategy info: resets, resets_diverged, failed_candidates, ...
KEY_SEARCH_ONLY = "search_only"
KEY_COST = "cost"  # {search|train|eval|total: COST}
COST_PARTS = ("search", "train", "eval", "total")
KEY_COST_HOURS = "device_hours"
KEY_COST_UNIT = "unit"  # "CPU-core-hours" | "GPU-hours"
KEY_COST_DEVICE = "device"
KEY_COST_DEVICE_KIND = "device_kind"
SEARCH_COUNTERS = ("resets", "resets_diverged", "failed_candidates")

# --- evaluation noise (runs that evaluate with K evaluation z-seeds; older runs lack these keys)
KEY_EVAL_SEEDS = "eval_seeds"  # [0, 1, 2]
KEY_EVAL_SD = "eval_sd"  # {"fid", "is_mean", "kid_mean"}: sd over the K seeds (ddof 1), null when K = 1
KEY_PER_EVAL_SEED = "per_eval_seed"  # [{"seed", "fid", "is_mean", "is_std", "kid_mean", "kid_std"}]

# --- run.json
KEY_RUN_STATUS = "status"
KEY_RUN_REASON = "reason"

# --- columns of the runs DataFrame (one row per run directory, or per re-evaluation)
COL_RUN_ID = "run_id"  # path of the run directory relative to the runs folder
COL_PATH = "path"
COL_STATE = "state"  # STATE_FINISHED | STATE_FAILED | STATE_PARTIAL
COL_REASON = "reason"
COL_COMMAND = "command"
COL_STRATEGY = "strategy"
COL_SPACE = "space"
COL_ARCH_NAME = "arch_name"
COL_PROFILE = "profile"
COL_SEED = "seed"  # -1 when the run does not record it
COL_LABEL = "label"  # "rl × autogan", "train autogan_cifar10_a", ...
COL_SEARCH_ONLY = "search_only"
COL_CONFIG_HASH = "config_hash"
COL_EXPERIMENT_HASH = "experiment_hash"
COL_VARIANT = "variant"  # settings that differ from the profile's defaults, or "defaults"
COL_GROUP = "group"  # runs with equal group keys differ only by seed (see identity.GROUP_KEYS)
COL_EVALUATION = "evaluation"  # EVAL_FINAL (metrics.json) or "re-eval n_fake=<n>" (eval-<n>.json)
COL_EVAL_K = "eval_k"  # evaluation z-seeds behind the scores (1 for runs that predate them)
COL_FID_EVAL_SD = "fid_eval_sd"
COL_IS_EVAL_SD = "is_eval_sd"
COL_KID_EVAL_SD = "kid_eval_sd"
EVAL_SD_COLUMNS = {KEY_METRIC_FID: COL_FID_EVAL_SD, KEY_METRIC_IS_MEAN: COL_IS_EVAL_SD,
                   KEY_METRIC_KID_MEAN: COL_KID_EVAL_SD}
COL_UNTRAINED_FID = "untrained_fid"
COL_UNTRAINED_IS = "untrained_is"
COL_PARAMS_G = "params_g"
COL_PARAMS_D = "params_d"
COL_GENOTYPE = "genotype"
COL_ARCH_HASH = "arch_hash"
COL_CURVE = "curve"  # search.json's curve rows (list of dicts)
COL_STARTED = "started"
COL_ENDED = "ended"
COL_LAST_EVENT = "last_event"
COL_DEVICE = "device"
COL_PLATFORM = "platform"  # run.json's platform in words: processor, system, torch, threads


def cost_hours(part: str) -> str:
    """Column of a cost part's device-hours, e.g. "search_hours"."""
    return f"{part}_hours"


def cost_unit(part: str) -> str:
    return f"{part}_unit"


def cost_device(part: str) -> str:
    return f"{part}_device"


STATE_FINISHED, STATE_FAILED, STATE_PARTIAL = "finished", "failed", "partial"
EVAL_FINAL = "final"
CPU_UNIT, GPU_UNIT = "CPU-core-hours", "GPU-hours"
COL_BEST_OF_EVALS = "best_of_evals"  # the score is the best of several evaluations during training (eval_every > 0)

#: how tables and verdicts name a metric, and which direction is better
METRIC_NAMES = {KEY_METRIC_FID: "FID", KEY_METRIC_IS_MEAN: "IS", KEY_METRIC_KID_MEAN: "KID"}
LOWER_IS_BETTER = {KEY_METRIC_FID: True, KEY_METRIC_IS_MEAN: False, KEY_METRIC_KID_MEAN: True}
#: prefix of a group summary's columns per summarised quantity, e.g. "fid_mean", "fid_ci_low", "search_hours_n"
SUMMARY_PREFIX = {KEY_METRIC_FID: "fid", KEY_METRIC_IS_MEAN: "is", KEY_METRIC_KID_MEAN: "kid",
                  "search_hours": "search_hours", "total_hours": "total_hours"}

"""IS / FID / KID of a generator under the run's protocol, over `eval_seeds` evaluation z-seeds.

One evaluation samples `n_fake` images from z drawn with one seed; evaluating with K seeds (0..K-1) measures how much
the numbers move with the samples alone (evaluation noise), apart from how much they move between training seeds.
The result holds the mean over the K seeds under the usual keys (`fid`, `is_mean`, `kid_mean`; `is_std` / `kid_std`:
the mean of torch-fidelity's within-evaluation spread over 10 IS splits / 100 KID subsets), the sample standard
deviation over seeds in `eval_sd` (None when K = 1), each evaluation in `per_eval_seed`, and the protocol (n_fake,
n_real, backbone, reference split...). With K = 1 the numbers are exactly those of one evaluation with seed 0.
Evaluation never moves the run's RNG streams (`untouched_rng`).
"""
from __future__ import annotations

import statistics

from .faults import fault_point
from .seeding import untouched_rng

SCORE_KEYS = ("fid", "is_mean", "is_std", "kid_mean", "kid_std")
SPREAD_KEYS = ("fid", "is_mean", "kid_mean")


def evaluate(harness, generator, n_fake: int | None = None) -> dict:
    from .metrics import evaluate_generator

    cfg, real = harness.config, harness.real
    n_fake = n_fake or cfg.n_fake
    was_training = generator.training
    generator.eval()
    runs = []
    try:
        with untouched_rng(harness.device):  # evaluating must not change what is trained next
            for seed in range(cfg.eval_seeds):
                runs.append(evaluate_generator(
                    generator, cfg.latent_dim, real.uint8, n_fake=n_fake, backbone=cfg.backbone,
                    device=harness.device, kid_subset_size=cfg.kid_subset_size, seed=seed,
                    cache_name=f"{cfg.dataset}-{cfg.image_size}-{len(real)}-{cfg.backbone}",
                    inception_weights=cfg.inception_weights or None, reference_split=real.split,
                ))
    finally:
        generator.train(was_training)
    scores = summarise(runs)
    scores.update(dataset=cfg.dataset, image_size=cfg.image_size)
    fault_point("evaluate")
    return scores


def summarise(runs: list[dict]) -> dict:
    """One result from evaluations that differ only by their z seed (see the module docstring)."""
    first = runs[0]
    scores = {k: v for k, v in first.items() if k not in SCORE_KEYS and k != "seed"}
    for key in SCORE_KEYS:
        values = [r[key] for r in runs]
        scores[key] = values[0] if len(values) == 1 else statistics.fmean(values)
    scores["eval_seeds"] = [r["seed"] for r in runs]
    scores["eval_sd"] = ({key: statistics.stdev([r[key] for r in runs]) for key in SPREAD_KEYS}
                         if len(runs) > 1 else None)
    scores["per_eval_seed"] = [{"seed": r["seed"], **{k: r[k] for k in SCORE_KEYS}} for r in runs]
    return scores

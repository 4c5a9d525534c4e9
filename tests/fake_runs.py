"""Fake run directories in the documented format (ganas_bench/runs/rundir.py), old and new metrics.json schema.

Old schema: one evaluation (no eval_seeds / eval_sd). New schema: K = 3 evaluation z-seeds, scores are their mean,
`eval_sd` their sd and `per_eval_seed` the single evaluations.
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path

import matplotlib.image
import numpy as np

from ganas_bench.config import profile_defaults
from ganas_bench.results.keys import KEY_REFERENCE_SPLIT
from ganas_bench.results.protocol import REAL_SETS

RL_CURVE = [{"step": i, "stage": 0, "iteration": i // 2, "reward": 5.0 + i, "baseline": 4.0 + i,
             "entropy": 2.0 - 0.1 * i, "score": 5.0 + i} for i in range(4)]
DIFF_CURVE = [{"step": i, "epoch": i / 4, "tau": 5.0 - i, "entropy": 1.7 - 0.1 * i,
               "entropies": {"cell0.edge0": 1.9 - 0.2 * i, "cell0.edge1": 1.5 - 0.05 * i},
               "d_loss": None if i == 0 else 1.0, "g_loss": None if i == 0 else 0.5} for i in range(4)]


def cost(hours: float, kind: str = "cpu") -> dict:
    unit = "CPU-core-hours" if kind == "cpu" else "GPU-hours"
    return {"wall_s": hours * 3600, "device": "cpu" if kind == "cpu" else "cuda:0 (test GPU)", "device_kind": kind,
            "device_hours": hours, "unit": unit, "flops_per_step": 1e9, "steps": 10}


def scores(fid: float, is_mean: float, cfg, n_real: int, schema: str, eval_spread: float = 1.0,
           n_fake: int | None = None) -> dict:
    """metrics.json's score part; the new schema's per-seed FIDs are fid - spread, fid, fid + spread."""
    out = {"is_std": 0.1, "kid_std": 0.002, "n_fake": n_fake or cfg.n_fake, "n_real": n_real,
           "reference_split": REAL_SETS[cfg.dataset][KEY_REFERENCE_SPLIT], "backbone": cfg.backbone,
           "dataset": cfg.dataset, "image_size": cfg.image_size}
    if schema == "old":
        return {**out, "fid": fid, "is_mean": is_mean, "kid_mean": 0.01}
    per = [{"seed": s, "fid": fid + d * eval_spread, "is_mean": is_mean + d * 0.05, "is_std": 0.1,
            "kid_mean": 0.01 + d * 0.001, "kid_std": 0.002} for s, d in enumerate((-1, 0, 1))]
    mean = {k: statistics.fmean(p[k] for p in per) for k in ("fid", "is_mean", "kid_mean")}
    return {**out, **mean, "eval_seeds": [0, 1, 2], "per_eval_seed": per,
            "eval_sd": {k: statistics.stdev(p[k] for p in per) for k in ("fid", "is_mean", "kid_mean")}}


def make_run(root: Path, name: str, *, strategy="rl", space="autogan", arch_name=None, seed=0, profile="tiny",
             status="finished", reason=None, fid=20.0, is_mean=7.0, metrics=True, curve=None, config=None,
             kind="cpu", search_hours=0.5, n_real=1797, samples=True, search_only=False, extra=None, schema="old",
             eval_spread=1.0, reevals=(), nested_options=None) -> Path:
    """One run directory; `reevals` lists n_fake values of eval-<n>.json files (FID = fid - 2 there);
    `nested_options` writes config.json with those settings under "strategy_options" (the lead's new layout)."""
    run = root / name
    run.mkdir(parents=True)
    cfg = profile_defaults(profile).replace(seed=seed, **(config or {}))
    info = {"id": name, "command": "run" if strategy else "train", "strategy": strategy, "space": space,
            "arch_name": arch_name, "profile": profile, "seed": seed, "status": status, "reason": reason,
            "search_only": search_only, "started": "2025-01-01T00:00:00Z", "ended": "2025-01-01T01:00:00Z",
            "platform": {"processor": "test-cpu", "system": "Linux", "torch": "2.14.1", "cpu_threads": 2},
            "config_hash": "x"}
    (run / "run.json").write_text(json.dumps(info))
    config_dict = cfg.to_dict()
    if nested_options is not None:
        for key in nested_options:
            config_dict.pop(key, None)
        config_dict["strategy_options"] = dict(nested_options)
    (run / "config.json").write_text(json.dumps(config_dict))
    (run / "events.jsonl").write_text('{"t": 0.0, "event": "start"}\n{"t": 12.5, "event": "search_step"}\n{"t": 13')
    (run / "arch.json").write_text(json.dumps({
        "genotype": {"space": space, "choices": [1, 0, seed]}, "hash": f"h{seed}", "description": "",
        "params_g": 1000 + seed, "params_d": 500, "arch_name": arch_name}))
    if strategy:
        (run / "search.json").write_text(json.dumps({"ranked": [], "curve": curve or [], "info": {}}))
    if samples:
        matplotlib.image.imsave(run / "samples.png", np.full((8, 8), 0.2 + 0.1 * seed), cmap="gray")
    if metrics and search_only:
        (run / "metrics.json").write_text(json.dumps({"search_only": True, "search": {},
                                                      "cost": {"search": cost(search_hours),
                                                               "total": cost(search_hours)}}))
    elif metrics:
        (run / "metrics.json").write_text(json.dumps({
            **scores(fid, is_mean, cfg, n_real, schema, eval_spread), "best_iter": cfg.train_iters,
            "cost": {"search": cost(search_hours, kind) if strategy else None, "train": cost(1.0, kind),
                     "eval": cost(0.1, kind), "total": cost(search_hours + 1.1, kind)}, **(extra or {})}))
        for n_fake in reevals:
            (run / f"eval-{n_fake}.json").write_text(json.dumps({
                **scores(fid - 2.0, is_mean, cfg, n_real, schema, eval_spread, n_fake=n_fake),
                "cost": cost(0.2, kind)}))
    return run

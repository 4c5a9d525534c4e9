"""Committed reference results and the check that re-runs them (`make repro`, `make reference`).

Each strategy x space pair runs on the `smoke` profile with seed 0. Its genotype must come back identical everywhere; its
metrics must be equal bit for bit on the platform the reference was made on (same CPU capability, torch version and
thread count) and within `OFF_PLATFORM_RTOL` elsewhere, since float kernels differ between CPUs. A mismatch names the field
that drifted and by how much.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

from .config import make_config
from .registry import SPACES, STRATEGIES
from .runs.rundir import atomic_write_json, platform_info, read_json

METRIC_FIELDS = ("is_mean", "is_std", "fid", "kid_mean", "kid_std")
OFF_PLATFORM_RTOL = 1e-3
REFERENCE_SEED = 0


def platform_key() -> dict:
    import torch

    info = platform_info()
    return {"torch": info["torch"], "machine": info["machine"], "cpu_threads": info["cpu_threads"],
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}


def pairs() -> list[tuple[str, str]]:
    """Every (strategy, space) pair whose capability exists."""
    out = []
    for strategy_name, strategy_cls in STRATEGIES.items():
        for space_name, space_cls in SPACES.items():
            if issubclass(space_cls, strategy_cls.requires):
                out.append((strategy_name, space_name))
    return out


def run_pair(strategy: str, space: str, results_dir: Path) -> dict:
    from .commands import command_run
    from .runs.identity import config_hash

    cfg = make_config(profile="smoke", overrides={"seed": REFERENCE_SEED, "results_dir": str(results_dir),
                                                  "device": "cpu"}, strategy=strategy)
    run = command_run(cfg, strategy, space, f"{strategy}-{space}")
    metrics = run.read_json("metrics.json")
    arch = run.read_json("arch.json")
    return {
        "strategy": strategy, "space": space, "profile": "smoke", "seed": REFERENCE_SEED,
        "config_hash": config_hash(cfg.to_dict()), "genotype": arch["genotype"],
        "metrics": {k: metrics[k] for k in METRIC_FIELDS}, "platform": platform_key(),
    }


def make_references(out_dir: Path, selected: list[tuple[str, str]] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for strategy, space in selected or pairs():
            record = run_pair(strategy, space, Path(tmp))
            path = out_dir / f"{strategy}-{space}.json"
            atomic_write_json(path, record)
            written.append(path)
    return written


def compare(reference: dict, actual: dict) -> list[str]:
    """Drift messages (empty when the actual result reproduces the reference)."""
    problems = []
    if reference["config_hash"] != actual["config_hash"]:
        problems.append(f"config hash changed: {reference['config_hash']} -> {actual['config_hash']} "
                        "(the smoke profile changed; regenerate with `make reference` if that was deliberate)")
    if reference["genotype"] != actual["genotype"]:
        problems.append(f"genotype drifted: {reference['genotype']['choices']} -> {actual['genotype']['choices']}")
    exact = reference["platform"] == actual["platform"]
    for name in METRIC_FIELDS:
        ref, got = reference["metrics"][name], actual["metrics"][name]
        if exact and ref != got:
            problems.append(f"{name} drifted on the reference platform: {ref!r} -> {got!r} (diff {got - ref:+.3g})")
        elif not exact and not math.isclose(ref, got, rel_tol=OFF_PLATFORM_RTOL, abs_tol=1e-9):
            problems.append(f"{name} drifted beyond rtol {OFF_PLATFORM_RTOL}: {ref!r} -> {got!r} "
                            f"(relative {abs(got - ref) / max(abs(ref), 1e-12):.3g})")
    return problems


def check_references(ref_dir: Path) -> tuple[int, dict[str, list[str]]]:
    """Re-run every committed reference; returns (number checked, {pair: problems}) for the pairs that drifted."""
    files = sorted(ref_dir.glob("*.json"))
    failures: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            reference = read_json(path)
            actual = run_pair(reference["strategy"], reference["space"], Path(tmp))
            problems = compare(reference, actual)
            if problems:
                failures[path.stem] = problems
    return len(files), failures

"""Committed reference results and the check that re-runs them (`make repro`, `make reference`).

Each strategy x space pair runs on the `smoke` profile with seed 0. Its genotype must come back identical everywhere.
Its metrics must be equal bit for bit on the machine the reference was made on, and within `OFF_MACHINE_RTOL` elsewhere:
float kernels and their summation order differ between CPUs, and 30 GAN iterations amplify a last-bit difference.

Which machine: `platform_key()` records what chooses the CPU kernels - torch's version (its ATen, oneDNN and MKL), the
CPU (vendor, family / model / stepping, model name, cache sizes: oneDNN blocks by them), its vector-ISA flags, the
capability ATen dispatches to, the thread count, and the environment variables that override kernel choice. Only an
equal key compares bit for bit; a reference without some field (an older format) is compared within the tolerance.

The tolerance, measured (README table; smoke profile, seed 0, all six pairs, 2026-12-02): the largest drift of each
metric between any two of four settings - the committed references (an AVX512 machine, 2 threads) and, on an AMD EPYC
(AVX2, no AVX512), default kernels at 2 threads, at 1 thread, and `ATEN_CPU_CAPABILITY=default
ONEDNN_MAX_CPU_ISA=AVX2` at 2 threads: 6 comparisons x 6 pairs, each side taken as the reference, genotypes equal in
all - times a safety factor of 5, rounded up to two significant digits. Any kernel difference at all is amplified by
the same 30 GAN iterations, so other CPUs drift by the same order; five times the worst of these samples leaves room
for CPUs we have not seen. IS's spread (`is_std`, the std of IS over 10 splits) is measured on IS's own scale,
|d is_std| / is_mean: a collapsed generator has is_std ~3e-5, and its relative drift (up to 4.9e-2 here) means nothing.

    metric     max drift seen                       x 5, rounded up = tolerance
    is_mean    2.1e-3  (rl x autogan)               1.1e-2
    is_std     1.1e-3 of is_mean  (rl x autogan)    5.5e-3
    fid        1.6e-3  (rl x autogan)               8.1e-3
    kid_mean   1.0e-3  (differentiable x advnas)    5.1e-3
    kid_std    1.8e-3  (random x autogan)           9.2e-3

To re-derive it (after a change of the smoke profile or of what it computes): `ganas-bench reference --references DIR`
once per setting into its own DIR, then the largest `metric_drift` between any two DIRs' records of the same pair.

The seed group: each reference also holds the pair's metrics for seeds 0-4 (`seed_group`). A re-run of seed 0 must land
inside the 95% prediction interval of those five (for IS, FID and KID): on any machine, the difference between
machines must be small beside the difference between seeds, which is what a table of means over seeds relies on. Any
one of the five lies inside that interval by construction (it is at most 1.8 sd from the mean, the interval 3.0 sd), so
the check fails only when a machine moves a run by more than about 1.2 sd of the seed-to-seed spread.

A changed algorithm moves the metrics far more: tests/test_repro_real_drift.py changes one training setting and shows
the off-machine comparison fails on it.
"""
from __future__ import annotations

import math
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

from .config import make_config
from .errors import UserError, preview
from .machine import cache_sizes, cpu_id, cpu_model, cpuinfo
from .registry import SPACES, STRATEGIES
from .runs.rundir import atomic_write_json, read_json

METRIC_FIELDS = ("is_mean", "is_std", "fid", "kid_mean", "kid_std")
#: allowed |actual - reference| / |reference[DRIFT_SCALE[metric]]| off the reference machine (derivation above)
OFF_MACHINE_RTOL = {"is_mean": 1.1e-2, "is_std": 5.5e-3, "fid": 8.1e-3, "kid_mean": 5.1e-3, "kid_std": 9.2e-3}
#: the reference value a metric's drift is measured against (itself unless named here)
DRIFT_SCALE = {"is_std": "is_mean"}
REFERENCE_SEED = 0
#: seeds of each pair's committed group: a re-run of REFERENCE_SEED must land inside their 95% prediction interval
GROUP_SEEDS = (0, 1, 2, 3, 4)
#: metrics checked against the seed group (the spreads of IS and KID are not quantities a reader compares)
GROUP_METRICS = ("is_mean", "fid", "kid_mean")
GROUP_LEVEL = 0.95
#: environment variables that change which CPU kernels torch, oneDNN and MKL pick
KERNEL_ENV = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR")
#: vector-ISA flags (x86 /proc/cpuinfo `flags`, Arm `Features`) that kernel dispatch depends on
KERNEL_FLAGS = frozenset({
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_vnni",
    "avx512_bf16", "avx512_fp16", "avx512ifma", "avx512vbmi", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8",
    "asimd", "asimddp", "sve", "sve2", "bf16", "i8mm",
})


def platform_key() -> dict:
    """What decides which float kernels this process runs (see the module docstring); equal keys, equal floats."""
    import torch

    info = cpuinfo()
    model = cpu_model(info)
    flags = set((info.get("flags") or info.get("Features") or "").split())
    return {
        "torch": torch.__version__,
        "machine": platform.machine(),
        "cpu_model": model,
        "cpu_id": cpu_id(info),
        "cpu_caches": cache_sizes(),
        "cpu_flags": sorted(flags & KERNEL_FLAGS),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_threads": torch.get_num_threads(),
        "kernel_env": {name: os.environ[name] for name in KERNEL_ENV if name in os.environ},
    }


def pairs() -> list[tuple[str, str]]:
    """Every (strategy, space) pair whose capability exists."""
    out = []
    for strategy_name, strategy_cls in STRATEGIES.items():
        for space_name, space_cls in SPACES.items():
            if issubclass(space_cls, strategy_cls.requires):
                out.append((strategy_name, space_name))
    return out


def run_pair(strategy: str, space: str, results_dir: Path, seed: int = REFERENCE_SEED) -> dict:
    from .commands import command_run
    from .runs.identity import config_hash

    cfg = make_config(profile="smoke", overrides={"seed": seed, "results_dir": str(results_dir),
                                                  "device": "cpu"}, strategy=strategy)
    run = command_run(cfg, strategy, space, f"{strategy}-{space}-seed{seed}")
    metrics = run.read_json("metrics.json")
    arch = run.read_json("arch.json")
    return {
        "strategy": strategy, "space": space, "profile": "smoke", "seed": seed,
        "config_hash": config_hash(cfg.to_dict()), "genotype": arch["genotype"],
        "metrics": {k: metrics[k] for k in METRIC_FIELDS}, "platform": platform_key(),
    }


def seed_group(strategy: str, space: str, results_dir: Path, first: dict) -> dict:
    """The pair's metrics over GROUP_SEEDS (`first`: the REFERENCE_SEED record, already run)."""
    records = [first if seed == first["seed"] else run_pair(strategy, space, results_dir, seed) for seed in GROUP_SEEDS]
    return {"seeds": list(GROUP_SEEDS), "genotypes": [r["genotype"]["choices"] for r in records],
            "metrics": {name: [r["metrics"][name] for r in records] for name in GROUP_METRICS}}


def prediction_interval(values: list[float], level: float = GROUP_LEVEL) -> tuple[float, float]:
    """Where one more seed's value falls with probability `level` (Student t, n - 1 degrees of freedom, scale
    sd * sqrt(1 + 1/n)): wider than the mean's confidence interval, as a single run varies more than a mean."""
    from scipy import stats

    sample = np.asarray(values, dtype=float)
    n = len(sample)
    scale = sample.std(ddof=1) * math.sqrt(1 + 1 / n)
    if scale == 0:
        return float(sample.mean()), float(sample.mean())
    low, high = stats.t.interval(level, df=n - 1, loc=sample.mean(), scale=scale)
    return float(low), float(high)


def make_references(out_dir: Path, selected: list[tuple[str, str]] | None = None, group: bool = True) -> list[Path]:
    """Each pair's seed-REFERENCE_SEED record (and, with `group`, its GROUP_SEEDS group) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for strategy, space in selected or pairs():
            record = run_pair(strategy, space, Path(tmp))
            if group:
                record["seed_group"] = seed_group(strategy, space, Path(tmp), record)
            path = out_dir / f"{strategy}-{space}.json"
            atomic_write_json(path, record)
            written.append(path)
    return written


def platform_differences(reference: dict, actual: dict) -> list[str]:
    """The platform fields in which two records differ (empty: same machine, so bit-identical metrics are due)."""
    ref, got = reference.get("platform", {}), actual.get("platform", {})
    return sorted(k for k in ref.keys() | got.keys() if ref.get(k) != got.get(k))


def metric_drift(name: str, reference: dict, actual: dict) -> float:
    """|actual - reference| on the scale `DRIFT_SCALE` names (the reference's own value by default)."""
    scale = abs(reference[DRIFT_SCALE.get(name, name)])
    diff = abs(actual[name] - reference[name])
    return diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)


def compare(reference: dict, actual: dict) -> list[str]:
    """Drift messages (empty when the actual result reproduces the reference)."""
    problems = []
    if reference["config_hash"] != actual["config_hash"]:
        problems.append(f"config hash changed: {reference['config_hash']} -> {actual['config_hash']} "
                        "(the smoke profile changed; regenerate with `make reference` if that was deliberate)")
    if reference["genotype"] != actual["genotype"]:
        problems.append(f"genotype drifted: {reference['genotype']['choices']} -> {actual['genotype']['choices']}")
    exact = not platform_differences(reference, actual)
    ref_m, got_m = reference["metrics"], actual["metrics"]
    for name in METRIC_FIELDS:
        ref, got = ref_m[name], got_m[name]
        if exact and ref != got:
            problems.append(f"{name} drifted on the reference machine: {ref!r} -> {got!r} (diff {got - ref:+.3g})")
        elif not exact and not metric_drift(name, ref_m, got_m) <= OFF_MACHINE_RTOL[name]:
            scale = f" of {DRIFT_SCALE[name]}" if name in DRIFT_SCALE else ""
            problems.append(f"{name} drifted beyond the off-machine tolerance {OFF_MACHINE_RTOL[name]:g}{scale}: "
                            f"{ref!r} -> {got!r} (relative {metric_drift(name, ref_m, got_m):.3g}{scale})")
    return problems + outside_seed_group(reference, actual)


def outside_seed_group(reference: dict, actual: dict) -> list[str]:
    """The metrics of `actual` that fall outside the 95% prediction interval of the reference's seed group (a check
    across machines on the scale of seed-to-seed variation, looser than the tolerance and independent of it)."""
    group = reference.get("seed_group")
    if not group:
        return []
    problems = []
    for name in GROUP_METRICS:
        low, high = prediction_interval(group["metrics"][name])
        got = actual["metrics"][name]
        if not low <= got <= high:
            problems.append(f"{name} {got:.6g} is outside the {GROUP_LEVEL:.0%} prediction interval "
                            f"[{low:.6g}, {high:.6g}] of seeds {group['seeds']} (n={len(group['seeds'])})")
    return problems


def comparison_note(ref_dir: Path) -> str:
    """One line saying how `make repro` compared metrics here: bit for bit, or within the tolerance and why."""
    files = sorted(ref_dir.glob("*.json"))
    if not files:
        return "no references"
    here = {"platform": platform_key()}
    first = read_json(files[0])
    differ = platform_differences(first, here)
    group = ("; and every pair's IS, FID and KID inside the 95% prediction interval of its seeds "
             f"{first['seed_group']['seeds']}" if first.get("seed_group") else "")
    if not differ:
        return "metrics compared bit for bit: this is the machine the references were made on" + group
    return (f"metrics compared within the off-machine tolerance (this machine differs from the references' in "
            f"{', '.join(differ)}); genotypes exactly" + group)


def read_reference(path: Path) -> dict:
    """A reference record, checked to hold what `compare` reads (a known pair, a genotype, the metrics as numbers);
    else one UserError naming the file."""
    record = read_json(path)
    where = f"reference {preview(str(path), 100)}"
    if not isinstance(record, dict):
        raise UserError(f"{where} holds no JSON object; it is not a ganas-bench reference")
    pair = (record.get("strategy"), record.get("space"))
    if pair not in pairs():
        raise UserError(f"{where} names the pair {preview(pair, 60)}; accepted: one of "
                        f"{', '.join(f'{a} x {b}' for a, b in pairs())}")
    metrics = record.get("metrics")
    numbers = isinstance(metrics, dict) and all(
        isinstance(metrics.get(k), (int, float)) and not isinstance(metrics.get(k), bool) for k in METRIC_FIELDS)
    genotype = record.get("genotype")
    if (not numbers or not isinstance(record.get("config_hash"), str) or not isinstance(genotype, dict)
            or "choices" not in genotype or not isinstance(record.get("platform", {}), dict)):
        raise UserError(f"{where} lacks a config_hash, a genotype or the metrics {', '.join(METRIC_FIELDS)} as "
                        "numbers; it is damaged (`make reference` regenerates the references)")
    group = record.get("seed_group")
    if group is not None and not _valid_seed_group(group):
        raise UserError(f"{where} has a seed_group without its seeds and, per metric ({', '.join(GROUP_METRICS)}), a "
                        "number per seed; it is damaged (`make reference` regenerates the references)")
    return record


def _valid_seed_group(group) -> bool:
    if not isinstance(group, dict) or not isinstance(group.get("seeds"), list) or len(group["seeds"]) < 2:
        return False
    metrics = group.get("metrics")
    return isinstance(metrics, dict) and all(
        isinstance(metrics.get(name), list) and len(metrics[name]) == len(group["seeds"])
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in metrics[name])
        for name in GROUP_METRICS)


def check_references(ref_dir: Path) -> tuple[int, dict[str, list[str]]]:
    """Re-run every committed reference; returns (number checked, {pair: problems}) for the pairs that drifted. Every
    reference file is checked before the first pair runs."""
    files = sorted(ref_dir.glob("*.json"))
    references = [read_reference(path) for path in files]
    failures: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path, reference in zip(files, references):
            actual = run_pair(reference["strategy"], reference["space"], Path(tmp))
            problems = compare(reference, actual)
            if problems:
                failures[path.stem] = problems
    return len(files), failures

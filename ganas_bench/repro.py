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

A changed algorithm moves the metrics far more: tests/test_repro_real_drift.py changes one training setting and shows
the off-machine comparison fails on it.
"""
from __future__ import annotations

import math
import os
import platform
import tempfile
from pathlib import Path

from .config import make_config
from .registry import SPACES, STRATEGIES
from .runs.rundir import atomic_write_json, read_json

METRIC_FIELDS = ("is_mean", "is_std", "fid", "kid_mean", "kid_std")
#: allowed |actual - reference| / |reference[DRIFT_SCALE[metric]]| off the reference machine (derivation above)
OFF_MACHINE_RTOL = {"is_mean": 1.1e-2, "is_std": 5.5e-3, "fid": 8.1e-3, "kid_mean": 5.1e-3, "kid_std": 9.2e-3}
#: the reference value a metric's drift is measured against (itself unless named here)
DRIFT_SCALE = {"is_std": "is_mean"}
REFERENCE_SEED = 0
#: environment variables that change which CPU kernels torch, oneDNN and MKL pick
KERNEL_ENV = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR")
#: vector-ISA flags (x86 /proc/cpuinfo `flags`, Arm `Features`) that kernel dispatch depends on
KERNEL_FLAGS = frozenset({
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_vnni",
    "avx512_bf16", "avx512_fp16", "avx512ifma", "avx512vbmi", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8",
    "asimd", "asimddp", "sve", "sve2", "bf16", "i8mm",
})


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (Linux); empty elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.split("\n\n")[0].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


_CACHE_KIND = {"Data": "d", "Instruction": "i"}


def _cache_sizes() -> str:
    """'L1d 32K, L1i 32K, L2 512K, L3 32768K' from sysfs (Linux); empty elsewhere."""
    out = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level, kind, size = ((index / name).read_text().strip() for name in ("level", "type", "size"))
        except OSError:
            continue
        out.append(f"L{level}{_CACHE_KIND.get(kind, '')} {size}")
    return ", ".join(out)


def platform_key() -> dict:
    """What decides which float kernels this process runs (see the module docstring); equal keys, equal floats."""
    import torch

    info = _cpuinfo()
    model = info.get("model name") or " ".join(
        f"{k} {info[k]}" for k in ("CPU implementer", "CPU part", "CPU variant") if k in info) or platform.processor()
    flags = set((info.get("flags") or info.get("Features") or "").split())
    return {
        "torch": torch.__version__,
        "machine": platform.machine(),
        "cpu_model": model,
        "cpu_id": " / ".join(info.get(k, "?") for k in ("vendor_id", "cpu family", "model", "stepping")),
        "cpu_caches": _cache_sizes(),
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
    return problems


def comparison_note(ref_dir: Path) -> str:
    """One line saying how `make repro` compared metrics here: bit for bit, or within the tolerance and why."""
    files = sorted(ref_dir.glob("*.json"))
    if not files:
        return "no references"
    here = {"platform": platform_key()}
    differ = platform_differences(read_json(files[0]), here)
    if not differ:
        return "metrics compared bit for bit: this is the machine the references were made on"
    return (f"metrics compared within the off-machine tolerance (this machine differs from the references' in "
            f"{', '.join(differ)}); genotypes exactly")


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

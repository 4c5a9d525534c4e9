"""The sustained rate an estimate divides FLOPs by, and where it comes from.

Either stated (`--sustained-tflops X --rate-source "..."`: a rate you measured or a datasheet figure you cite; a
datasheet peak is not a sustained rate, and the output keeps the source beside every hour), or achieved on the device
in question (`--rate-from`): by a `make bench` run (its pytest-benchmark JSON; the GFLOP/s one of its benchmarks
recorded for one variant of the final-training unit of `autogan_cifar10_a` at the papers' widths: by default the
variant that computes as the run will, its memory format and precision), or by a finished run (its directory; the
FLOPs of its final training, as metrics.json counts them, over that training's wall time: e.g. a short
`train --profile cifar10 --train-iters 200` on the GPU you will rent).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .bounded_read import read_regular_file
from .errors import UserError, first_line, preview

ASSUMED_TFLOPS = 15.0
DEFAULT_BENCHMARK = "test_final_training_unit_at_paper_widths[autogan_cifar10_a]"
DEFAULT_VARIANT = "harness_fp32"
MAX_BENCH_JSON = 64 << 20
GFLOPS_KEY = "gflops_per_s_"  # + variant: the benchmarks' extra_info key of a variant's achieved GFLOP/s


@dataclass(frozen=True)
class Rate:
    tflops: float
    source: str
    device: str

    def to_dict(self) -> dict:
        return {"sustained_tflops": self.tflops, "source": self.source, "device": self.device}


def stated_rate(tflops: float | None, source: str | None, device: str | None) -> Rate:
    """The rate given on the command line; none given: ASSUMED_TFLOPS, said to be an assumption."""
    from .estimate import check_tflops

    if tflops is None:
        return Rate(ASSUMED_TFLOPS, source or f"assumed ({ASSUMED_TFLOPS:g} TFLOP/s sustained): pass your device's "
                                              "measured rate", device or "a GPU")
    return Rate(check_tflops(tflops), source or "stated by the user", device or "a GPU")


def benchmarked_rate(path: str | Path, variant: str = DEFAULT_VARIANT, benchmark: str = DEFAULT_BENCHMARK) -> Rate:
    """The GFLOP/s `benchmark` recorded for `variant` in a pytest-benchmark JSON file (`make bench` writes one)."""
    path = Path(path)
    data = _read_json(path, "benchmark results", "the JSON file `make bench` writes (pytest --benchmark-json)")
    runs = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise UserError(f"{preview(str(path), 100)} holds no pytest-benchmark results (no 'benchmarks' list); "
                        "accepted: the JSON file `make bench` writes")
    by_name = {r["name"]: r for r in runs if isinstance(r.get("name"), str)}
    if benchmark not in by_name:
        names = sorted(n for n, r in by_name.items() if _variants(r))
        accepted = (f"accepted: {preview(', '.join(names), 300)}" if names else
                    "it holds no benchmark with a GFLOP/s figure (make bench writes them)")
        raise UserError(f"benchmark {preview(benchmark, 100)} is not in {preview(str(path), 100)}; {accepted}")
    info = _dict(by_name[benchmark].get("extra_info"))
    gflops = info.get(GFLOPS_KEY + variant)
    if isinstance(gflops, bool) or not isinstance(gflops, (int, float)) or not gflops > 0:
        raise UserError(f"benchmark {preview(benchmark, 100)} recorded no GFLOP/s for variant {preview(variant, 60)}; "
                        f"accepted: {', '.join(_variants(by_name[benchmark])) or 'none recorded'}")
    machine = _dict(data.get("machine_info"))
    cpu = _dict(machine.get("cpu")).get("brand_raw")
    device = f"{cpu or machine.get('node') or 'the benchmarked machine'}, {info.get('threads', '?')} threads"
    when = data.get("datetime", "an unknown date")
    return Rate(float(gflops) / 1000.0, f"achieved by {benchmark} ({variant}) in {path.name}, {when}", device)


def config_variant(cfg) -> str | None:
    """The benchmarked variant that computes as `cfg` does (its memory format and precision), or None."""
    if cfg.precision == "fp32":
        return "channels_last" if cfg.channels_last else DEFAULT_VARIANT
    if cfg.precision == "bf16" and cfg.channels_last:
        return "channels_last_bf16"
    return None


def rate_from_options(sustained_tflops, rate_source, device_name, rate_from, rate_variant, cfg) -> Rate:
    """The rate `estimate` / `run --dry-run` options name: a benchmark's, or a stated (else assumed) one. Without
    --rate-variant, a benchmark's rate is the variant that computes as `cfg` does (e.g. channels_last on cifar10)."""
    if rate_from is not None:
        if sustained_tflops is not None or rate_source is not None:
            raise UserError("--rate-from takes the rate from a benchmark or a run; accepted: --rate-from alone, or "
                            "--sustained-tflops with --rate-source")
        if Path(rate_from).is_dir():
            return run_rate(rate_from)
        variant = rate_variant or config_variant(cfg)
        if variant is None:
            raise UserError(f"no benchmarked variant computes as --precision {cfg.precision} "
                            f"{'with' if cfg.channels_last else 'without'} --channels-last; accepted: --rate-variant "
                            "harness_fp32, channels_last or channels_last_bf16")
        return benchmarked_rate(rate_from, variant)
    return stated_rate(sustained_tflops, rate_source, device_name)


def run_rate(run_dir: str | Path) -> Rate:
    """The rate a finished run's final training achieved: its counted FLOPs per step x steps / its wall time."""
    run_dir = Path(run_dir)
    shown = preview(str(run_dir), 100)
    metrics_file = run_dir / "metrics.json"
    if not metrics_file.is_file():
        raise UserError(f"{shown} has no metrics.json; accepted for --rate-from: a finished run's directory (or a "
                        "`make bench` JSON file)")
    metrics = _read_json(metrics_file, "run metrics", "a run's metrics.json")
    try:
        train = metrics["cost"]["train"]
        flops, steps, wall = train["flops_per_step"], train["steps"], train["wall_s"]
        rate = float(flops) * float(steps) / float(wall)
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        raise UserError(f"{shown}: metrics.json records no final training with FLOPs, steps and wall time; accepted "
                        "for --rate-from: a run that retrained an architecture (train, or run without --search-only)"
                        ) from None
    if not (rate > 0 and rate < float("inf")):
        raise UserError(f"{shown}: its final training gives no usable rate ({rate!r} FLOP/s)")
    return Rate(rate / 1e12, f"achieved by the final training of {run_dir.name} ({steps} steps in {wall:.0f} s)",
                str(train.get("device", "the run's device")))


def _read_json(path: Path, what: str, expected: str):
    """The JSON value in the file at `path` (bounded read); one UserError naming `what` and `expected` otherwise."""
    shown = preview(str(path), 100)
    raw = read_regular_file(path, MAX_BENCH_JSON, what, shown, expected)
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise UserError(f"cannot read the {what} {shown}: {first_line(exc)}; accepted: {expected}") from None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _variants(benchmark: dict) -> list[str]:
    """The variants a benchmark entry recorded a GFLOP/s figure for."""
    return sorted(k[len(GFLOPS_KEY):] for k in _dict(benchmark.get("extra_info")) if str(k).startswith(GFLOPS_KEY))
